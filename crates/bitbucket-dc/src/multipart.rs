//! The multipart/form-data body of the file-edit commit (`PUT …/browse/{path}`).
//!
//! Built by hand with a random boundary that is checked not to occur in any field. `content` is
//! sent as a file part (`application/octet-stream`, exact bytes); `branch`, `message`,
//! `sourceCommitId` and `sourceBranch` as plain fields. The request's content type is
//! `multipart/form-data; boundary=…` — never JSON, which Bitbucket answers with 415.

use bytes::Bytes;

use crate::models::FileEdit;

/// A ready-to-send multipart body.
#[derive(Debug, Clone)]
pub(crate) struct MultipartBody {
    pub(crate) content_type: String,
    pub(crate) body: Bytes,
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) boundary: String,
}

/// Encodes a file edit; `file_name` names the content part (the last path segment).
pub(crate) fn file_edit(
    edit: &FileEdit,
    file_name: &str,
    rng: &mut fastrand::Rng,
) -> MultipartBody {
    let mut fields: Vec<(&str, &[u8])> = vec![("branch", edit.branch.as_bytes())];
    if let Some(message) = &edit.message {
        fields.push(("message", message.as_bytes()));
    }
    if let Some(commit) = &edit.source_commit_id {
        fields.push(("sourceCommitId", commit.as_bytes()));
    }
    if let Some(branch) = &edit.source_branch {
        fields.push(("sourceBranch", branch.as_bytes()));
    }
    let boundary = loop {
        let candidate = format!("bitbucket-dc-{:016x}{:016x}", rng.u64(..), rng.u64(..));
        let clashes = contains(&edit.content, candidate.as_bytes())
            || fields
                .iter()
                .any(|(_, value)| contains(value, candidate.as_bytes()));
        if !clashes {
            break candidate;
        }
    };
    let mut body = Vec::with_capacity(edit.content.len() + 512);
    for (name, value) in &fields {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        body.extend_from_slice(
            format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(value);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
    body.extend_from_slice(
        format!(
            "Content-Disposition: form-data; name=\"content\"; filename=\"{}\"\r\n",
            quote_file_name(file_name)
        )
        .as_bytes(),
    );
    body.extend_from_slice(b"Content-Type: application/octet-stream\r\n\r\n");
    body.extend_from_slice(&edit.content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    MultipartBody {
        content_type: format!("multipart/form-data; boundary={boundary}"),
        body: Bytes::from(body),
        boundary,
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// Makes a file name safe inside a quoted `filename="…"` parameter.
fn quote_file_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| match c {
            '"' | '\\' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    if cleaned.is_empty() {
        "content".to_owned()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests;
