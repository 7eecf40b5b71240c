//! Pull request comment models: comments, tasks (blocker comments), anchors and requests.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::common::Properties;

use super::server::User;
use super::string_enum;

string_enum! {
    /// `RestComment.severity`: a blocker comment is a task.
    CommentSeverity {
        /// A regular comment.
        Normal = "NORMAL",
        /// A task that blocks the merge until resolved.
        Blocker = "BLOCKER",
    }
}

string_enum! {
    /// `RestComment.state`.
    CommentState {
        /// Open.
        Open = "OPEN",
        /// Draft, not yet published.
        Pending = "PENDING",
        /// Resolved.
        Resolved = "RESOLVED",
    }
}

string_enum! {
    /// Which diff an anchor refers to.
    DiffType {
        /// The pull request's effective diff (omit hashes).
        Effective = "EFFECTIVE",
        /// A range of commits (`fromHash`..`toHash`).
        Range = "RANGE",
        /// One commit.
        Commit = "COMMIT",
    }
}

string_enum! {
    /// Kind of the anchored line.
    LineType {
        /// An added line.
        Added = "ADDED",
        /// A removed line.
        Removed = "REMOVED",
        /// An unchanged context line.
        Context = "CONTEXT",
    }
}

string_enum! {
    /// Which side of the diff the line number counts on.
    FileType {
        /// The old file.
        From = "FROM",
        /// The new file.
        To = "TO",
    }
}

/// Where a comment is anchored: a file, or a line of a file, in a diff.
///
/// For [`DiffType::Effective`] (the default) leave the hashes out; for `Commit`/`Range` set them.
///
/// ```
/// use bitbucket_dc::{Anchor, FileType, LineType};
/// let anchor = Anchor::line("pom.xml", 42, LineType::Added, FileType::To);
/// assert_eq!(anchor.line, Some(42));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct Anchor {
    /// File path (sent as a plain string; decoded from a string or a path object).
    #[serde(
        deserialize_with = "super::de::path_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub path: Option<String>,
    /// Path before a rename.
    #[serde(
        deserialize_with = "super::de::path_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub src_path: Option<String>,
    /// Line number (absent for file comments).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<i64>,
    /// Added, removed or context line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line_type: Option<LineType>,
    /// Side of the diff the line counts on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_type: Option<FileType>,
    /// Which diff.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff_type: Option<DiffType>,
    /// Diff start commit (commit/range diffs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_hash: Option<String>,
    /// Diff end commit (commit/range diffs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_hash: Option<String>,
    /// Whether the anchored line no longer exists in the diff (read-only; never sent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orphaned: Option<bool>,
}

impl Anchor {
    /// A comment on a whole file in the effective diff.
    pub fn file(path: impl Into<String>) -> Self {
        Anchor {
            path: Some(path.into()),
            diff_type: Some(DiffType::Effective),
            ..Self::default()
        }
    }

    /// A comment on one line of a file in the effective diff.
    pub fn line(
        path: impl Into<String>,
        line: i64,
        line_type: LineType,
        file_type: FileType,
    ) -> Self {
        Anchor {
            path: Some(path.into()),
            line: Some(line),
            line_type: Some(line_type),
            file_type: Some(file_type),
            diff_type: Some(DiffType::Effective),
            ..Self::default()
        }
    }

    /// Anchor in a commit or range diff instead of the effective diff.
    pub fn in_diff(
        mut self,
        diff_type: DiffType,
        from_hash: impl Into<String>,
        to_hash: impl Into<String>,
    ) -> Self {
        self.diff_type = Some(diff_type);
        self.from_hash = Some(from_hash.into());
        self.to_hash = Some(to_hash.into());
        self
    }

    /// The file's path before a rename.
    pub fn src_path(mut self, path: impl Into<String>) -> Self {
        self.src_path = Some(path.into());
        self
    }
}

/// `RestComment.permittedOperations`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct PermittedOperations {
    /// The caller may edit it.
    pub editable: bool,
    /// The caller may delete it.
    pub deletable: bool,
    /// The caller may change its state.
    pub transitionable: bool,
}

/// `RestComment`: a comment or task with its replies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct Comment {
    /// Id.
    pub id: i64,
    /// Optimistic-locking version: pass it to update and delete.
    pub version: i64,
    /// Markdown text.
    pub text: String,
    /// Author.
    pub author: User,
    /// Creation time, epoch milliseconds.
    #[serde(deserialize_with = "super::de::timestamp")]
    pub created_date: i64,
    /// Last update, epoch milliseconds.
    #[serde(deserialize_with = "super::de::timestamp")]
    pub updated_date: i64,
    /// Normal comment or blocker (task).
    pub severity: CommentSeverity,
    /// Open, pending or resolved.
    pub state: CommentState,
    /// Where it is anchored (absent for general comments).
    pub anchor: Option<Anchor>,
    /// Replies.
    #[serde(deserialize_with = "super::de::null_default")]
    pub comments: Vec<Comment>,
    /// Whether the thread is resolved.
    pub thread_resolved: bool,
    /// What the caller may do with it.
    pub permitted_operations: Option<PermittedOperations>,
    /// Server-computed properties (`repositoryId`, plugin data).
    pub properties: Option<CommentProperties>,
}

/// `RestComment.properties`: the repository the comment lives in, and every other property
/// (plugins add their own), raw.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct CommentProperties {
    /// Id of the repository the comment belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository_id: Option<i64>,
    /// Every other property, raw.
    #[serde(flatten)]
    pub extra: Properties,
}

/// A new comment: `POST …/comments` or `POST …/blocker-comments`.
///
/// ```
/// use bitbucket_dc::{Anchor, FileType, LineType, NewComment};
/// let general = NewComment::new("Bumps log4j to 2.17.1");
/// let reply = NewComment::new("Done").reply_to(17);
/// let on_line = NewComment::new("CVE-2021-44228 here")
///     .anchor(Anchor::line("pom.xml", 42, LineType::Added, FileType::To));
/// let task = NewComment::new("Run the integration suite").blocker();
/// # let _ = (general, reply, on_line, task);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewComment {
    /// Markdown text.
    pub text: String,
    /// Parent comment id, for a reply.
    pub parent: Option<i64>,
    /// File or line anchor.
    pub anchor: Option<Anchor>,
    /// `Blocker` makes it a task.
    pub severity: Option<CommentSeverity>,
}

impl NewComment {
    /// A general comment.
    pub fn new(text: impl Into<String>) -> Self {
        NewComment {
            text: text.into(),
            parent: None,
            anchor: None,
            severity: None,
        }
    }

    /// Reply to comment `parent_id`.
    pub fn reply_to(mut self, parent_id: i64) -> Self {
        self.parent = Some(parent_id);
        self
    }

    /// Anchor it to a file or line.
    pub fn anchor(mut self, anchor: Anchor) -> Self {
        self.anchor = Some(anchor);
        self
    }

    /// Make it a blocker comment (task).
    pub fn blocker(mut self) -> Self {
        self.severity = Some(CommentSeverity::Blocker);
        self
    }

    pub(crate) fn to_body(&self) -> Value {
        let mut body = Map::new();
        body.insert("text".into(), json!(self.text));
        if let Some(parent) = self.parent {
            body.insert("parent".into(), json!({"id": parent}));
        }
        if let Some(anchor) = &self.anchor {
            body.insert("anchor".into(), json!(anchor));
        }
        if let Some(severity) = &self.severity {
            body.insert("severity".into(), json!(severity));
        }
        Value::Object(body)
    }
}

/// An update of a comment: `PUT …/comments/{id}` with the current `version`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CommentUpdate {
    /// The version the update is based on.
    pub version: i64,
    /// New text (author only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// `Blocker` turns a comment into a task and `Normal` back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<CommentSeverity>,
    /// `Resolved` resolves it, `Open` reopens it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<CommentState>,
}

impl CommentUpdate {
    /// An update based on `version` that changes nothing yet.
    pub fn new(version: i64) -> Self {
        CommentUpdate {
            version,
            text: None,
            severity: None,
            state: None,
        }
    }

    /// Replace the text.
    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.text = Some(text.into());
        self
    }

    /// Change the severity.
    pub fn severity(mut self, severity: CommentSeverity) -> Self {
        self.severity = Some(severity);
        self
    }

    /// Change the state.
    pub fn state(mut self, state: CommentState) -> Self {
        self.state = Some(state);
        self
    }
}
