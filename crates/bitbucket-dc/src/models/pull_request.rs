//! Pull request models and requests (create, update, list query, merge options).

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::common::{Links, Properties};
use super::repository::Repository;
use super::server::User;
use super::string_enum;
use crate::encode::branch_ref;

string_enum! {
    /// `RestPullRequest.state`.
    PullRequestState {
        /// Open.
        Open = "OPEN",
        /// Declined (can be reopened).
        Declined = "DECLINED",
        /// Merged.
        Merged = "MERGED",
    }
}

/// `RestPullRequestRef`: the source or target of a pull request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct PullRequestRef {
    /// Full ref id, e.g. `refs/heads/fix`.
    pub id: String,
    /// Short name.
    pub display_id: String,
    /// The commit the ref pointed at when last rescoped (updates asynchronously after a push).
    pub latest_commit: Option<String>,
    /// Branch or tag.
    #[serde(rename = "type")]
    pub ref_type: super::branch::RefType,
    /// The repository; absent when the source repository or branch was deleted.
    pub repository: Option<Repository>,
}

string_enum! {
    /// `RestPullRequestParticipant.role`.
    ParticipantRole {
        /// The author.
        Author = "AUTHOR",
        /// A reviewer.
        Reviewer = "REVIEWER",
        /// Someone who commented.
        Participant = "PARTICIPANT",
    }
}

string_enum! {
    /// `RestPullRequestParticipant.status`.
    ParticipantStatus {
        /// Not yet approved.
        Unapproved = "UNAPPROVED",
        /// Needs work.
        NeedsWork = "NEEDS_WORK",
        /// Approved.
        Approved = "APPROVED",
    }
}

/// `RestPullRequestParticipant`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct Participant {
    /// The user.
    pub user: User,
    /// Author, reviewer or participant.
    pub role: ParticipantRole,
    /// Whether they approved.
    pub approved: bool,
    /// Review status.
    pub status: ParticipantStatus,
    /// Last commit they reviewed.
    pub last_reviewed_commit: Option<String>,
}

/// `RestPullRequest`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct PullRequest {
    /// Id, unique within the target repository.
    pub id: i64,
    /// Optimistic-locking version: pass it to every mutation.
    pub version: i64,
    /// Title.
    pub title: String,
    /// Description (Markdown).
    pub description: Option<String>,
    /// Open, declined or merged.
    pub state: PullRequestState,
    /// Whether it is open.
    pub open: bool,
    /// Whether it is closed.
    pub closed: bool,
    /// Whether it is a draft (8.18+).
    pub draft: bool,
    /// Whether it is locked.
    pub locked: bool,
    /// Creation time, epoch milliseconds.
    #[serde(deserialize_with = "super::de::timestamp")]
    pub created_date: i64,
    /// Last update, epoch milliseconds.
    #[serde(deserialize_with = "super::de::timestamp")]
    pub updated_date: i64,
    /// Close time, epoch milliseconds.
    #[serde(deserialize_with = "super::de::timestamp_opt")]
    pub closed_date: Option<i64>,
    /// Source ref.
    pub from_ref: PullRequestRef,
    /// Target ref.
    pub to_ref: PullRequestRef,
    /// The author.
    pub author: Option<Participant>,
    /// Reviewers.
    #[serde(deserialize_with = "super::de::null_default")]
    pub reviewers: Vec<Participant>,
    /// Other participants.
    #[serde(deserialize_with = "super::de::null_default")]
    pub participants: Vec<Participant>,
    /// Links (`self`: web UI).
    pub links: Links,
    /// Server-computed properties (merge result, comment and task counts).
    pub properties: Option<PullRequestProperties>,
}

/// `RestPullRequest.properties`: what the server computed about a pull request, and every
/// other property (plugins add their own), raw.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct PullRequestProperties {
    /// The outcome of the last merge check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merge_result: Option<MergeResult>,
    /// Number of comments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment_count: Option<u64>,
    /// Number of open tasks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open_task_count: Option<u64>,
    /// Number of resolved tasks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved_task_count: Option<u64>,
    /// Every other property, raw.
    #[serde(flatten)]
    pub extra: Properties,
}

/// `properties.mergeResult` of a pull request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct MergeResult {
    /// Clean, conflicted or not computed yet.
    pub outcome: MergeOutcome,
    /// Whether the result is for the current source and target commits.
    pub current: bool,
}

impl PullRequest {
    /// The user names of the reviewers, as [`PullRequestUpdate::reviewers`] expects them.
    pub fn reviewer_names(&self) -> Vec<String> {
        self.reviewers.iter().map(|r| r.user.name.clone()).collect()
    }
}

/// `RestRepositoryHookVeto`: why a merge is not allowed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct MergeVeto {
    /// Short reason.
    pub summary_message: String,
    /// Detailed reason.
    pub detailed_message: String,
}

string_enum! {
    /// `RestPullRequestMergeability.outcome`.
    MergeOutcome {
        /// Merges cleanly.
        Clean = "CLEAN",
        /// Has conflicts.
        Conflicted = "CONFLICTED",
        /// Not computed yet.
        Unknown = "UNKNOWN",
    }
}

/// `GET …/pull-requests/{id}/merge`: whether the pull request can be merged now.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct Mergeability {
    /// Whether it can be merged (missing from the official specification, present in responses).
    pub can_merge: bool,
    /// Whether it has conflicts.
    pub conflicted: bool,
    /// Merge outcome.
    pub outcome: MergeOutcome,
    /// Merge checks that veto the merge.
    #[serde(deserialize_with = "super::de::null_default")]
    pub vetoes: Vec<MergeVeto>,
}

/// A new pull request: `POST …/pull-requests`.
///
/// Branch names are qualified as `refs/heads/…`; reviewers are **user names** (not slugs).
/// Bitbucket does not add default reviewers to pull requests created over REST.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewPullRequest {
    /// Title.
    pub title: String,
    /// Description (Markdown; keep it under about 30000 characters).
    pub description: Option<String>,
    /// Source ref id.
    pub from_ref: String,
    /// Target ref id.
    pub to_ref: String,
    /// Source repository `(project key, slug)` when it differs from the target (forks).
    pub from_repository: Option<(String, String)>,
    /// Reviewer user names.
    pub reviewers: Vec<String>,
    /// Open as a draft (8.18+).
    pub draft: Option<bool>,
}

impl NewPullRequest {
    /// A pull request titled `title` from branch `from` into branch `to` of the same repository.
    pub fn new(title: impl Into<String>, from: &str, to: &str) -> Self {
        NewPullRequest {
            title: title.into(),
            description: None,
            from_ref: branch_ref(from),
            to_ref: branch_ref(to),
            from_repository: None,
            reviewers: Vec::new(),
            draft: None,
        }
    }

    /// The description.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }

    /// Reviewers by user name.
    pub fn reviewers<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.reviewers = names.into_iter().map(Into::into).collect();
        self
    }

    /// Open as a draft.
    pub fn draft(mut self, draft: bool) -> Self {
        self.draft = Some(draft);
        self
    }

    /// The source branch lives in another repository of the same fork network.
    pub fn from_repository(
        mut self,
        project_key: impl Into<String>,
        slug: impl Into<String>,
    ) -> Self {
        self.from_repository = Some((project_key.into(), slug.into()));
        self
    }

    pub(crate) fn to_body(&self, project_key: &str, slug: &str) -> Value {
        let (from_key, from_slug) = match &self.from_repository {
            Some((key, slug)) => (key.as_str(), slug.as_str()),
            None => (project_key, slug),
        };
        let mut body = Map::new();
        body.insert("title".into(), json!(self.title));
        if let Some(description) = &self.description {
            body.insert("description".into(), json!(description));
        }
        body.insert(
            "fromRef".into(),
            json!({"id": self.from_ref, "repository": {"slug": from_slug, "project": {"key": from_key}}}),
        );
        body.insert(
            "toRef".into(),
            json!({"id": self.to_ref, "repository": {"slug": slug, "project": {"key": project_key}}}),
        );
        body.insert("reviewers".into(), reviewers_json(&self.reviewers));
        if let Some(draft) = self.draft {
            body.insert("draft".into(), json!(draft));
        }
        Value::Object(body)
    }
}

fn reviewers_json(names: &[String]) -> Value {
    Value::Array(
        names
            .iter()
            .map(|name| json!({"user": {"name": name}}))
            .collect(),
    )
}

/// An update of a pull request: `PUT …/pull-requests/{id}` with the current `version`.
///
/// Only the fields that are set are sent. Whether omitting `reviewers` clears them is not
/// documented, so [`PullRequestUpdate::from_pull_request`] starts from the current title,
/// description and reviewers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PullRequestUpdate {
    /// The version the update is based on; a stale one gives
    /// [`Error::PullRequestOutOfDate`](crate::Error::PullRequestOutOfDate).
    pub version: i64,
    /// New title.
    pub title: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New reviewer user names.
    pub reviewers: Option<Vec<String>>,
    /// New target branch.
    pub to_ref: Option<String>,
    /// Draft flag.
    pub draft: Option<bool>,
}

impl PullRequestUpdate {
    /// An update based on `version` that changes nothing yet.
    pub fn new(version: i64) -> Self {
        PullRequestUpdate {
            version,
            title: None,
            description: None,
            reviewers: None,
            to_ref: None,
            draft: None,
        }
    }

    /// An update that resends the pull request's current title, description and reviewers.
    pub fn from_pull_request(pr: &PullRequest) -> Self {
        PullRequestUpdate {
            version: pr.version,
            title: Some(pr.title.clone()),
            description: pr.description.clone(),
            reviewers: Some(pr.reviewer_names()),
            to_ref: None,
            draft: None,
        }
    }

    /// Set the title.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Set the description.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }

    /// Set the reviewers (user names).
    pub fn reviewers<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.reviewers = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Retarget to branch `to`.
    pub fn to_branch(mut self, to: &str) -> Self {
        self.to_ref = Some(branch_ref(to));
        self
    }

    /// Set or clear the draft flag.
    pub fn draft(mut self, draft: bool) -> Self {
        self.draft = Some(draft);
        self
    }

    pub(crate) fn to_body(&self) -> Value {
        let mut body = Map::new();
        body.insert("version".into(), json!(self.version));
        if let Some(title) = &self.title {
            body.insert("title".into(), json!(title));
        }
        if let Some(description) = &self.description {
            body.insert("description".into(), json!(description));
        }
        if let Some(reviewers) = &self.reviewers {
            body.insert("reviewers".into(), reviewers_json(reviewers));
        }
        if let Some(to_ref) = &self.to_ref {
            body.insert("toRef".into(), json!({"id": to_ref}));
        }
        if let Some(draft) = self.draft {
            body.insert("draft".into(), json!(draft));
        }
        Value::Object(body)
    }
}

/// Optional body of `POST …/pull-requests/{id}/merge?version=N`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct MergeOptions {
    /// Merge commit message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Merge strategy id, e.g. `no-ff`, `squash`, `ff-only`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strategy_id: Option<String>,
}

impl MergeOptions {
    /// Server defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Merge commit message.
    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }

    /// Merge strategy id.
    pub fn strategy_id(mut self, id: impl Into<String>) -> Self {
        self.strategy_id = Some(id.into());
        self
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.message.is_none() && self.strategy_id.is_none()
    }
}

/// `state` filter of the pull request list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PullRequestStateFilter {
    /// Open (the server default).
    Open,
    /// Declined.
    Declined,
    /// Merged.
    Merged,
    /// Any state.
    All,
}

impl PullRequestStateFilter {
    fn as_str(self) -> &'static str {
        match self {
            Self::Open => "OPEN",
            Self::Declined => "DECLINED",
            Self::Merged => "MERGED",
            Self::All => "ALL",
        }
    }
}

/// `direction` of the pull request list, relative to the `at` ref.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PullRequestDirection {
    /// Pull requests *into* `at` (the server default).
    Incoming,
    /// Pull requests *from* `at`.
    Outgoing,
}

/// `order` of the pull request list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PullRequestOrder {
    /// Newest first (the server default).
    Newest,
    /// Oldest first.
    Oldest,
}

/// Query of `GET …/pull-requests`.
///
/// ```
/// use bitbucket_dc::{PullRequestDirection, PullRequestQuery, PullRequestStateFilter};
/// // "Is there an open PR from my fix branch?"
/// let query = PullRequestQuery::new()
///     .state(PullRequestStateFilter::Open)
///     .direction(PullRequestDirection::Outgoing)
///     .at("fix/cve-2024-1234");
/// assert_eq!(query.at.as_deref(), Some("refs/heads/fix/cve-2024-1234"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PullRequestQuery {
    /// State filter (server default: open).
    pub state: Option<PullRequestStateFilter>,
    /// Direction relative to `at` (server default: incoming).
    pub direction: Option<PullRequestDirection>,
    /// Full ref id the pull requests come from or go to.
    pub at: Option<String>,
    /// Order (server default: newest first).
    pub order: Option<PullRequestOrder>,
    /// Title/description substring filter.
    pub filter_text: Option<String>,
    /// Only drafts or only non-drafts.
    pub draft: Option<bool>,
}

impl PullRequestQuery {
    /// The server defaults: open pull requests, newest first.
    pub fn new() -> Self {
        Self::default()
    }

    /// State filter.
    pub fn state(mut self, state: PullRequestStateFilter) -> Self {
        self.state = Some(state);
        self
    }

    /// Direction relative to `at`.
    pub fn direction(mut self, direction: PullRequestDirection) -> Self {
        self.direction = Some(direction);
        self
    }

    /// Only pull requests from/to this branch; a short name is qualified as `refs/heads/…`.
    pub fn at(mut self, branch: &str) -> Self {
        self.at = Some(branch_ref(branch));
        self
    }

    /// Order.
    pub fn order(mut self, order: PullRequestOrder) -> Self {
        self.order = Some(order);
        self
    }

    /// Title/description substring filter.
    pub fn filter_text(mut self, text: impl Into<String>) -> Self {
        self.filter_text = Some(text.into());
        self
    }

    /// Only drafts (`true`) or only non-drafts (`false`).
    pub fn draft(mut self, draft: bool) -> Self {
        self.draft = Some(draft);
        self
    }

    pub(crate) fn to_query(&self) -> Vec<(String, String)> {
        let mut query = Vec::new();
        if let Some(state) = self.state {
            query.push(("state".to_owned(), state.as_str().to_owned()));
        }
        if let Some(direction) = self.direction {
            let value = match direction {
                PullRequestDirection::Incoming => "INCOMING",
                PullRequestDirection::Outgoing => "OUTGOING",
            };
            query.push(("direction".to_owned(), value.to_owned()));
        }
        if let Some(at) = &self.at {
            query.push(("at".to_owned(), branch_ref(at)));
        }
        if let Some(order) = self.order {
            let value = match order {
                PullRequestOrder::Newest => "NEWEST",
                PullRequestOrder::Oldest => "OLDEST",
            };
            query.push(("order".to_owned(), value.to_owned()));
        }
        if let Some(text) = &self.filter_text {
            query.push(("filterText".to_owned(), text.clone()));
        }
        if let Some(draft) = self.draft {
            query.push(("draft".to_owned(), draft.to_string()));
        }
        query
    }
}
