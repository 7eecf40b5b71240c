//! Auto-merge: `POST .../merge` with `autoMerge` merges at once or registers a request when a merge check
//! vetoes it; requests are tried again when the target moves (or on `POST .../auto-merge`), voided by new
//! source commits, and cancelled on `DELETE .../auto-merge`. All of it needs the repository's auto-merge
//! setting.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use http::StatusCode;
use serde_json::{json, Map, Value};

use super::merge::{attempt_merge, Outcome};
use super::pull_requests::illegal_state;
use crate::rest::{exc, ApiError, RepoRef};
use crate::shared::Shared;
use crate::state::{now_ms, AutoMergeRequest, Level, PrState, State};

/// How to merge once the checks pass (`RestPullRequestMergeRequest` minus the version).
#[derive(Debug, Clone, Default)]
pub(crate) struct MergeParams {
    pub(crate) message: Option<String>,
    pub(crate) strategy: Option<String>,
    pub(crate) auto_subject: bool,
}

/// What `POST .../merge` with `autoMerge` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Requested {
    Merged,
    /// A merge check vetoed the merge, so an auto-merge request now waits on the pull request.
    Registered,
}

/// `RestAutoMergeProcessingResult.autoMergeProcessingStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Processing {
    Merged,
    Vetoed,
    Stale,
    Unknown,
}

impl Processing {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Merged => "MERGED",
            Self::Vetoed => "VETOED",
            Self::Stale => "STALE",
            Self::Unknown => "UNKNOWN",
        }
    }
}

/// 403 unless the repository's auto-merge setting is on.
pub(crate) fn require_enabled(state: &State, repo_id: u64) -> Result<(), ApiError> {
    if state.repo(repo_id).is_some_and(|r| r.auto_merge) {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        exc::AUTO_MERGE_DISABLED,
        "Auto-merge is not enabled for this repository; a repository administrator can enable it in the repository's pull request settings.",
    ))
}

/// Merges now, or registers an auto-merge request when a merge check vetoes the merge.
pub(crate) async fn merge_or_request(
    shared: &Shared,
    repo: &RepoRef,
    pr_id: u64,
    user: &str,
    version: Option<i64>,
    params: MergeParams,
) -> Result<Requested, ApiError> {
    require_enabled(&shared.state(), repo.id)?;
    let outcome = attempt_merge(
        shared,
        repo,
        pr_id,
        user,
        version,
        params.message.clone(),
        params.strategy.as_deref(),
    )
    .await?;
    if let Outcome::Merged = outcome {
        return Ok(Requested::Merged);
    }
    let key = (repo.id, pr_id);
    let mut state = shared.state();
    let pr = state
        .pull_requests
        .get_mut(&key)
        .ok_or_else(|| ApiError::no_such_pr(&pr_id.to_string()))?;
    if pr.state != PrState::Open {
        return Err(illegal_state(pr_id, pr.state, "merged"));
    }
    // Registering a request leaves the version alone, as on the real server.
    pr.auto_merge = Some(AutoMergeRequest {
        user: user.to_owned(),
        created: now_ms(),
        from_hash: pr.from_commit.clone(),
        to_ref: pr.to_ref.clone(),
        message: params.message,
        strategy: params.strategy,
        auto_subject: params.auto_subject,
    });
    state.add_activity(key, user, "AUTO_MERGE_REQUESTED", Map::new());
    Ok(Requested::Registered)
}

/// [`attempt`] as the simulator's auto-merge retry hook (see `shared::AutoMergeRetry`).
pub(crate) fn retry(
    shared: Arc<Shared>,
    repo_id: u64,
    pr_id: u64,
) -> Pin<Box<dyn Future<Output = ()> + Send>> {
    Box::pin(async move {
        attempt(&shared, repo_id, pr_id).await;
    })
}

/// Tries a pending auto-merge request as its requester; voids it when the source moved since.
pub(crate) async fn attempt(shared: &Shared, repo_id: u64, pr_id: u64) -> Processing {
    let key = (repo_id, pr_id);
    let (repo, request, version) = {
        let mut state = shared.state();
        let Some(repo) = admin_ref(&state, repo_id) else {
            return Processing::Unknown;
        };
        let Some(pr) = state.pull_requests.get(&key) else {
            return Processing::Unknown;
        };
        let (Some(request), PrState::Open) = (pr.auto_merge.clone(), pr.state) else {
            return Processing::Unknown;
        };
        if request.from_hash != pr.from_commit {
            if let Some(pr) = state.pull_requests.get_mut(&key) {
                pr.auto_merge = None;
            }
            state.add_activity(key, &request.user, "AUTO_MERGE_CANCELLED", Map::new());
            return Processing::Stale;
        }
        (repo, request, pr.version)
    };
    let outcome = attempt_merge(
        shared,
        &repo,
        pr_id,
        &request.user,
        Some(version),
        request.message.clone(),
        request.strategy.as_deref(),
    )
    .await;
    match outcome {
        Ok(Outcome::Merged) => Processing::Merged,
        Ok(Outcome::Vetoed(_)) => Processing::Vetoed,
        Err(err) => {
            tracing::debug!(repo_id, pr_id, status = %err.status, "auto-merge attempt failed");
            Processing::Unknown
        }
    }
}

/// Cancels a pending request (no request is fine); 409 when the pull request is not open.
pub(crate) fn cancel(state: &mut State, key: (u64, u64), user: &str) -> Result<(), ApiError> {
    let pr = state
        .pull_requests
        .get_mut(&key)
        .ok_or_else(|| ApiError::no_such_pr(&key.1.to_string()))?;
    if pr.state != PrState::Open {
        return Err(illegal_state(key.1, pr.state, "changed"));
    }
    if pr.auto_merge.take().is_some() {
        state.add_activity(key, user, "AUTO_MERGE_CANCELLED", Map::new());
    }
    Ok(())
}

/// `RestAutoMergeRequest`.
pub(crate) fn render_request(request: &AutoMergeRequest) -> Value {
    let mut value = json!({
        "autoSubject": request.auto_subject,
        "createdDate": request.created,
        "fromHash": request.from_hash,
        "toRefId": request.to_ref,
    });
    if let Some(message) = &request.message {
        value["message"] = json!(message);
    }
    if let Some(strategy) = &request.strategy {
        value["strategyId"] = json!(strategy);
    }
    value
}

/// The repository as an administrator sees it (auto-merge acts for its requester, checked when requested).
fn admin_ref(state: &State, repo_id: u64) -> Option<RepoRef> {
    let repo = state.repo(repo_id)?;
    Some(RepoRef {
        id: repo_id,
        key: repo.project_key.clone(),
        slug: repo.slug.clone(),
        path: repo.path.clone(),
        default_branch: repo.default_branch.clone(),
        archived: repo.archived,
        level: Level::Admin,
    })
}
