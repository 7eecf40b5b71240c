//! Pull request activity: a polymorphic, plugin-extensible record decoded leniently.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::comment::{Anchor, Comment};
use super::server::User;
use super::string_enum;

string_enum! {
    /// `RestPullRequestActivity.action`.
    ActivityAction {
        /// Approved.
        Approved = "APPROVED",
        /// Auto-merge cancelled.
        AutoMergeCancelled = "AUTO_MERGE_CANCELLED",
        /// Auto-merge requested.
        AutoMergeRequested = "AUTO_MERGE_REQUESTED",
        /// A comment was added, edited or deleted (see `comment_action`).
        Commented = "COMMENTED",
        /// Declined.
        Declined = "DECLINED",
        /// Deleted.
        Deleted = "DELETED",
        /// Merged.
        Merged = "MERGED",
        /// Opened.
        Opened = "OPENED",
        /// Reopened.
        Reopened = "REOPENED",
        /// Source or target moved.
        Rescoped = "RESCOPED",
        /// Review comment.
        ReviewCommented = "REVIEW_COMMENTED",
        /// Review discarded.
        ReviewDiscarded = "REVIEW_DISCARDED",
        /// Review finished.
        ReviewFinished = "REVIEW_FINISHED",
        /// Reviewed (needs work).
        Reviewed = "REVIEWED",
        /// Approval withdrawn.
        Unapproved = "UNAPPROVED",
        /// Title, description, reviewers or target changed.
        Updated = "UPDATED",
    }
}

string_enum! {
    /// `commentAction` of a `COMMENTED` activity.
    CommentAction {
        /// Added.
        Added = "ADDED",
        /// Edited.
        Edited = "EDITED",
        /// Deleted.
        Deleted = "DELETED",
        /// Replied to.
        Replied = "REPLIED",
    }
}

/// One entry of `GET …/pull-requests/{id}/activities`.
///
/// Activities are polymorphic and plugins add new ones: the common fields are typed, the
/// action-specific ones seen in practice are optional, and every other field is kept in
/// [`extra`](Self::extra) so nothing is lost for unknown actions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct Activity {
    /// Id.
    pub id: i64,
    /// When, epoch milliseconds.
    #[serde(deserialize_with = "super::de::timestamp")]
    pub created_date: i64,
    /// Who.
    pub user: User,
    /// What happened.
    pub action: ActivityAction,
    /// For `COMMENTED`: added, edited, deleted or replied.
    pub comment_action: Option<CommentAction>,
    /// For `COMMENTED`: the comment.
    pub comment: Option<Comment>,
    /// For `COMMENTED`: its anchor.
    pub comment_anchor: Option<Anchor>,
    /// For `UPDATED`: reviewers added.
    #[serde(deserialize_with = "super::de::null_default")]
    pub added_reviewers: Vec<User>,
    /// For `UPDATED`: reviewers removed.
    #[serde(deserialize_with = "super::de::null_default")]
    pub removed_reviewers: Vec<User>,
    /// All other fields, raw.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
