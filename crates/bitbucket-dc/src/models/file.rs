//! File models: browse entries, paths and the file-edit request.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::string_enum;

/// `RestPath`: a path as components.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct PathInfo {
    /// Path components.
    pub components: Vec<String>,
    /// Last component.
    pub name: String,
    /// File extension, if any.
    pub extension: Option<String>,
    /// Parent path.
    pub parent: Option<String>,
    /// The whole path as the server renders it (`toString`).
    #[serde(rename = "toString")]
    pub full: Option<String>,
}

impl PathInfo {
    /// The whole path: `toString` when sent, else the components joined with `/`.
    pub fn as_string(&self) -> String {
        match &self.full {
            Some(full) => full.clone(),
            None => self.components.join("/"),
        }
    }
}

string_enum! {
    /// Type of a directory entry.
    EntryType {
        /// A file.
        File = "FILE",
        /// A directory.
        Directory = "DIRECTORY",
        /// A git submodule.
        Submodule = "SUBMODULE",
    }
}

/// One child of a directory in `GET …/browse/{path}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct DirEntry {
    /// Path relative to the browsed directory.
    pub path: PathInfo,
    /// File, directory or submodule.
    #[serde(rename = "type")]
    pub entry_type: EntryType,
    /// Size in bytes (files only).
    pub size: Option<u64>,
    /// Blob or tree id.
    pub content_id: Option<String>,
}

/// A one-file commit through `PUT …/browse/{path}` (multipart/form-data).
///
/// * `branch`: the branch to commit on (created from `source_branch` when that is set and differs);
/// * `source_commit_id`: the commit the edit is based on, **required when the file exists**
///   (omit it only to create a new file); a stale value gives a 409 conflict;
/// * committing identical content fails with [`Error::FileContentUnmodified`](crate::Error::FileContentUnmodified),
///   which callers usually treat as a no-op.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FileEdit {
    /// The complete new file content, exact bytes.
    pub content: Bytes,
    /// Branch to commit on.
    pub branch: String,
    /// Commit message (server default when absent).
    pub message: Option<String>,
    /// Commit the edit is based on.
    pub source_commit_id: Option<String>,
    /// Branch to create `branch` from.
    pub source_branch: Option<String>,
}

impl FileEdit {
    /// Commit `content` on `branch`.
    pub fn new(branch: impl Into<String>, content: impl Into<Bytes>) -> Self {
        FileEdit {
            content: content.into(),
            branch: branch.into(),
            message: None,
            source_commit_id: None,
            source_branch: None,
        }
    }

    /// The commit message.
    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }

    /// The commit the edit is based on (required for existing files).
    pub fn source_commit_id(mut self, commit: impl Into<String>) -> Self {
        self.source_commit_id = Some(commit.into());
        self
    }

    /// Create `branch` from this branch with the commit on top.
    pub fn source_branch(mut self, branch: impl Into<String>) -> Self {
        self.source_branch = Some(branch.into());
        self
    }
}

impl std::fmt::Debug for FileEdit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // File contents can be large (and are not ours to print): show the size only.
        f.debug_struct("FileEdit")
            .field("content_len", &self.content.len())
            .field("branch", &self.branch)
            .field("message", &self.message)
            .field("source_commit_id", &self.source_commit_id)
            .field("source_branch", &self.source_branch)
            .finish()
    }
}
