//! Commit and change models, and the commit list query.

use serde::{Deserialize, Serialize};

use super::file::{EntryType, PathInfo};
use super::string_enum;

/// `RestPerson`: a git author or committer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct Person {
    /// Name.
    pub name: String,
    /// E-mail address.
    pub email_address: Option<String>,
}

/// `RestMinimalCommit`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct MinimalCommit {
    /// Full SHA.
    pub id: String,
    /// Abbreviated SHA.
    pub display_id: String,
}

/// `RestCommit`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct Commit {
    /// Full SHA.
    pub id: String,
    /// Abbreviated SHA.
    pub display_id: String,
    /// Author.
    pub author: Person,
    /// Author time, epoch milliseconds.
    pub author_timestamp: i64,
    /// Committer.
    pub committer: Option<Person>,
    /// Commit time, epoch milliseconds.
    pub committer_timestamp: Option<i64>,
    /// Message.
    pub message: String,
    /// Parent commits.
    #[serde(deserialize_with = "super::de::null_default")]
    pub parents: Vec<MinimalCommit>,
}

string_enum! {
    /// `RestChange.type`.
    ChangeType {
        /// Added.
        Add = "ADD",
        /// Copied.
        Copy = "COPY",
        /// Deleted.
        Delete = "DELETE",
        /// Modified.
        Modify = "MODIFY",
        /// Moved or renamed.
        Move = "MOVE",
        /// Unknown to the server.
        Unknown = "UNKNOWN",
    }
}

/// `RestChange`: one changed path of a commit or comparison.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct Change {
    /// The path after the change.
    pub path: PathInfo,
    /// The path before a move or copy.
    pub src_path: Option<PathInfo>,
    /// Kind of change.
    #[serde(rename = "type")]
    pub change_type: ChangeType,
    /// File, directory or submodule.
    pub node_type: Option<EntryType>,
    /// Blob id after the change.
    pub content_id: Option<String>,
    /// Blob id before the change.
    pub from_content_id: Option<String>,
    /// Whether the file is executable.
    pub executable: Option<bool>,
    /// Similarity for moves and copies.
    pub percent_unchanged: Option<i64>,
}

/// Query of `GET …/commits`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CommitQuery {
    /// Newest commit to include (ref or SHA; default: the default branch).
    pub until: Option<String>,
    /// Exclude commits reachable from this ref or SHA.
    pub since: Option<String>,
    /// Only commits touching this path.
    pub path: Option<String>,
}

impl CommitQuery {
    /// Commits of the default branch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Commits reachable from `rev` (a SHA or a ref such as `refs/heads/main`).
    pub fn until(mut self, rev: impl Into<String>) -> Self {
        self.until = Some(rev.into());
        self
    }

    /// Exclude commits reachable from `rev`.
    pub fn since(mut self, rev: impl Into<String>) -> Self {
        self.since = Some(rev.into());
        self
    }

    /// Only commits touching `path`.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    pub(crate) fn to_query(&self) -> Vec<(String, String)> {
        let mut query = Vec::new();
        if let Some(until) = &self.until {
            query.push(("until".to_owned(), until.clone()));
        }
        if let Some(since) = &self.since {
            query.push(("since".to_owned(), since.clone()));
        }
        if let Some(path) = &self.path {
            query.push(("path".to_owned(), path.clone()));
        }
        query
    }
}
