//! What the git wrapper hands out: signatures, commits, tree entries, changes, refs and merge outcomes.

/// The identity and time a commit is written with.
#[derive(Debug, Clone)]
pub(crate) struct Signature {
    pub(crate) name: String,
    pub(crate) email: String,
    /// Seconds since the epoch.
    pub(crate) time: i64,
}

impl Signature {
    pub(crate) fn raw(&self) -> String {
        format!(
            "{} <{}> {} +0000",
            sanitize_ident(&self.name),
            sanitize_ident(&self.email),
            self.time
        )
    }
}

/// `git` refuses identities with angle brackets or newlines; strip them.
pub(crate) fn sanitize_ident(value: &str) -> String {
    let cleaned: String = value
        .chars()
        .filter(|c| !matches!(c, '<' | '>' | '\n' | '\r' | '\0'))
        .collect();
    if cleaned.trim().is_empty() {
        "unknown".to_owned()
    } else {
        cleaned.trim().to_owned()
    }
}

/// One commit as `git log` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CommitInfo {
    pub(crate) id: String,
    pub(crate) parents: Vec<String>,
    pub(crate) author_name: String,
    pub(crate) author_email: String,
    pub(crate) author_time: i64,
    pub(crate) committer_name: String,
    pub(crate) committer_email: String,
    pub(crate) committer_time: i64,
    pub(crate) message: String,
}

/// One entry of a tree (`git ls-tree -l`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TreeEntry {
    pub(crate) mode: String,
    pub(crate) kind: EntryKind,
    pub(crate) oid: String,
    pub(crate) size: Option<u64>,
    pub(crate) path: String,
}

/// What a tree entry points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EntryKind {
    File,
    Directory,
    Submodule,
}

impl EntryKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::File => "FILE",
            Self::Directory => "DIRECTORY",
            Self::Submodule => "SUBMODULE",
        }
    }
}

/// One changed path between two trees (`git diff --raw`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Change {
    pub(crate) kind: char,
    pub(crate) path: String,
    pub(crate) src_path: Option<String>,
    pub(crate) content_id: String,
    pub(crate) from_content_id: String,
    pub(crate) executable: bool,
    pub(crate) src_executable: bool,
    pub(crate) percent: Option<u32>,
}

/// A ref and the commit it points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RefEntry {
    pub(crate) name: String,
    pub(crate) sha: String,
    /// Committer time of the tip, seconds.
    pub(crate) time: i64,
}

/// Result of a trial merge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MergeOutcome {
    Clean { tree: String },
    Conflicted { paths: Vec<String> },
}
