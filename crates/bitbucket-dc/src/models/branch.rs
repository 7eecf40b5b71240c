//! Branch and ref models and the branch requests (core create, branch-utils create and delete).

use serde::{Deserialize, Serialize};

use super::string_enum;

string_enum! {
    /// Kind of ref.
    RefType {
        /// A branch (`refs/heads/…`).
        Branch = "BRANCH",
        /// A tag (`refs/tags/…`).
        Tag = "TAG",
    }
}

/// `RestMinimalRef`: what `GET …/default-branch` returns.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct MinimalRef {
    /// Full ref id, e.g. `refs/heads/main`.
    pub id: String,
    /// Short name, e.g. `main`.
    pub display_id: String,
    /// Branch or tag.
    #[serde(rename = "type")]
    pub ref_type: RefType,
}

/// `RestBranch`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "BranchWire", rename_all = "camelCase")]
#[non_exhaustive]
pub struct Branch {
    /// Full ref id, e.g. `refs/heads/main`.
    pub id: String,
    /// Short name, e.g. `main`.
    pub display_id: String,
    /// Branch or tag.
    #[serde(rename = "type")]
    pub ref_type: RefType,
    /// The commit the branch points at.
    pub latest_commit: Option<String>,
    /// Whether this is the repository's default branch (the specification's `default`; real
    /// servers send `isDefault`: either is read).
    #[serde(rename = "isDefault")]
    pub is_default: bool,
}

/// The wire form of [`Branch`]: both spellings of the default flag, so an answer carrying
/// both does not fail as a duplicate field.
#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct BranchWire {
    id: String,
    display_id: String,
    #[serde(rename = "type")]
    ref_type: RefType,
    latest_commit: Option<String>,
    latest_changeset: Option<String>,
    #[serde(rename = "default")]
    default_flag: Option<bool>,
    is_default: Option<bool>,
}

impl From<BranchWire> for Branch {
    fn from(wire: BranchWire) -> Self {
        Branch {
            id: wire.id,
            display_id: wire.display_id,
            ref_type: wire.ref_type,
            latest_commit: wire.latest_commit.or(wire.latest_changeset),
            is_default: wire.is_default.or(wire.default_flag).unwrap_or(false),
        }
    }
}

string_enum! {
    /// Order of `GET …/branches`.
    BranchOrder {
        /// By name.
        Alphabetical = "ALPHABETICAL",
        /// Most recently modified first.
        Modification = "MODIFICATION",
    }
}

/// Query of `GET …/branches`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BranchQuery {
    /// Server-side **substring** filter on the branch name.
    pub filter_text: Option<String>,
    /// Put exact and prefix matches of `filter_text` first.
    pub boost_matches: Option<bool>,
    /// Sort order.
    pub order_by: Option<BranchOrder>,
    /// Only branches based on this ref.
    pub base: Option<String>,
}

impl BranchQuery {
    /// All branches.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only branches whose name contains `text` (substring match on the server).
    pub fn filter_text(mut self, text: impl Into<String>) -> Self {
        self.filter_text = Some(text.into());
        self
    }

    /// Put exact and prefix matches first.
    pub fn boost_matches(mut self, boost: bool) -> Self {
        self.boost_matches = Some(boost);
        self
    }

    /// Sort order.
    pub fn order_by(mut self, order: BranchOrder) -> Self {
        self.order_by = Some(order);
        self
    }

    pub(crate) fn to_query(&self) -> Vec<(String, String)> {
        let mut query = Vec::new();
        if let Some(text) = &self.filter_text {
            query.push(("filterText".to_owned(), text.clone()));
        }
        if let Some(boost) = self.boost_matches {
            query.push(("boostMatches".to_owned(), boost.to_string()));
        }
        if let Some(order) = &self.order_by {
            query.push(("orderBy".to_owned(), order.as_str().to_owned()));
        }
        if let Some(base) = &self.base {
            query.push(("base".to_owned(), base.clone()));
        }
        query
    }
}

/// Body of branch creation: core `POST …/branches` (`{name, startPoint, message?}`) and
/// branch-utils `POST …/branches` (`{name, startPoint}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct NewBranch {
    /// Branch name (short or `refs/heads/…`).
    pub name: String,
    /// Commit id or ref to start from.
    pub start_point: String,
    /// Message (core endpoint only; ignored by branch-utils).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl NewBranch {
    /// A branch `name` starting at `start_point` (a commit id or ref).
    pub fn new(name: impl Into<String>, start_point: impl Into<String>) -> Self {
        NewBranch {
            name: name.into(),
            start_point: start_point.into(),
            message: None,
        }
    }

    /// Message recorded with the branch creation (core endpoint only).
    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }
}

/// Body of branch-utils `DELETE …/branches`: `{name, endPoint?, dryRun?}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DeleteBranch {
    /// Branch to delete; [`DeleteBranch::new`] qualifies short names as `refs/heads/…`.
    pub name: String,
    /// Only delete if the branch still points at this commit (optimistic delete; 400 otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_point: Option<String>,
    /// Check permissions without deleting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
}

impl DeleteBranch {
    /// Delete branch `name` (short names are qualified as `refs/heads/<name>`).
    pub fn new(name: &str) -> Self {
        DeleteBranch {
            name: crate::encode::branch_ref(name),
            end_point: None,
            dry_run: None,
        }
    }

    /// Only delete when the branch still points at `commit`.
    pub fn end_point(mut self, commit: impl Into<String>) -> Self {
        self.end_point = Some(commit.into());
        self
    }

    /// Only check that the deletion would be allowed (a cheap REPO_WRITE probe).
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = Some(dry_run);
        self
    }
}
