//! Building `git fast-import` streams for seeding repositories and writing file edits.

use super::types::Signature;

/// Builds a `git fast-import` stream.
#[derive(Debug, Default)]
pub(crate) struct ImportStream {
    buf: Vec<u8>,
}

/// One commit for [`ImportStream::commit`].
#[derive(Debug)]
pub(crate) struct ImportCommit<'a> {
    pub(crate) git_ref: &'a str,
    pub(crate) author: &'a Signature,
    pub(crate) message: &'a str,
    /// The parent: a commit id or a ref already written in this stream; `None` for a root commit.
    pub(crate) from: Option<&'a str>,
    pub(crate) files: &'a [(String, Vec<u8>)],
}

impl ImportStream {
    pub(crate) fn commit(&mut self, commit: &ImportCommit<'_>) {
        let sig = commit.author.raw();
        self.line(&format!("commit {}", commit.git_ref));
        self.line(&format!("author {sig}"));
        self.line(&format!("committer {sig}"));
        self.data(commit.message.as_bytes());
        if let Some(from) = commit.from {
            self.line(&format!("from {from}"));
        }
        for (path, content) in commit.files {
            self.line(&format!("M 100644 inline {}", quote_path(path)));
            self.data(content);
        }
        self.line("");
    }

    pub(crate) fn reset(&mut self, git_ref: &str, from: &str) {
        self.line(&format!("reset {git_ref}"));
        self.line(&format!("from {from}"));
        self.line("");
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    fn line(&mut self, text: &str) {
        self.buf.extend_from_slice(text.as_bytes());
        self.buf.push(b'\n');
    }

    fn data(&mut self, bytes: &[u8]) {
        self.line(&format!("data {}", bytes.len()));
        self.buf.extend_from_slice(bytes);
        self.buf.push(b'\n');
    }
}

/// C-style quoting as fast-import accepts it for paths.
pub(super) fn quote_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 2);
    out.push('"');
    for c in path.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            other => out.push(other),
        }
    }
    out.push('"');
    out
}
