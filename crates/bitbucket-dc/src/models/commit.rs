//! Commit and change models, and the commit list query.

use serde::{Deserialize, Serialize};

use super::common::{Links, Properties};
use super::file::{EntryType, PathInfo};
use super::server::UserType;
use super::string_enum;

/// `RestPerson`: a git author or committer.
///
/// When the e-mail address belongs to a Bitbucket user, servers send that user instead
/// (`RestApplicationUser`): the user fields are then set as well.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct Person {
    /// Name (the user name when the person is a Bitbucket user).
    pub name: String,
    /// E-mail address.
    pub email_address: Option<String>,
    /// Numeric user id, when the person is a Bitbucket user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// User slug, when the person is a Bitbucket user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    /// Display name, when the person is a Bitbucket user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Whether the user account is active, when the person is a Bitbucket user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Normal or service user, when the person is a Bitbucket user.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub user_type: Option<UserType>,
    /// Links (`self`: the user's profile), when the person is a Bitbucket user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub links: Option<Links>,
}

impl Person {
    /// Whether the server matched this person to a Bitbucket user.
    pub fn is_user(&self) -> bool {
        self.id.is_some() || self.slug.is_some()
    }
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
    #[serde(deserialize_with = "super::de::timestamp")]
    pub author_timestamp: i64,
    /// Committer.
    pub committer: Option<Person>,
    /// Commit time, epoch milliseconds.
    #[serde(deserialize_with = "super::de::timestamp_opt")]
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
    /// Whether the file was executable before the change.
    pub src_executable: Option<bool>,
    /// The conflict, for a change of a pull request whose merge conflicts.
    pub conflict: Option<Conflict>,
    /// Links (`self`: the change in the web UI).
    pub links: Links,
    /// Server-computed properties (`gitChangeType`).
    pub properties: Option<ChangeProperties>,
}

/// `RestChange.properties`: git's own name for the change, and every other property, raw.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct ChangeProperties {
    /// Git's change type, e.g. `MODIFY`, `ADD`, `RENAME`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub git_change_type: Option<String>,
    /// Every other property, raw.
    #[serde(flatten)]
    pub extra: Properties,
}

/// `RestConflict`: the two sides of a merge conflict on one path.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct Conflict {
    /// The change on the target branch.
    pub our_change: Option<ConflictChange>,
    /// The change on the source branch.
    pub their_change: Option<ConflictChange>,
}

/// `RestConflictChange`: one side of a conflict.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct ConflictChange {
    /// The path after the change.
    pub path: PathInfo,
    /// The path before a move or copy.
    pub src_path: Option<PathInfo>,
    /// Kind of change.
    #[serde(rename = "type")]
    pub change_type: ChangeType,
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
