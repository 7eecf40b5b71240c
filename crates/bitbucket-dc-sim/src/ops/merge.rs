//! Merging a pull request with a real merge (or fast-forward, or squash) commit.

use http::StatusCode;
use serde_json::{json, Map};

use super::pull_requests::{check_pr_version, illegal_state};
use super::repo::{ensure_git, signature};
use super::rescope::refresh_refs;
use crate::git::MergeOutcome;
use crate::rest::{exc, ApiError, RepoRef};
use crate::shared::Shared;
use crate::state::{display_ref, now_ms, PrState};

/// Merges a pull request into its target branch with a real merge commit; a veto (conflicts, no
/// fast-forward possible) is a 409 `PullRequestMergeVetoedException`.
pub(crate) async fn merge(
    shared: &Shared,
    repo: &RepoRef,
    pr_id: u64,
    user: &str,
    version: Option<i64>,
    message: Option<String>,
    strategy: Option<&str>,
) -> Result<(), ApiError> {
    match attempt_merge(shared, repo, pr_id, user, version, message, strategy).await? {
        Outcome::Merged => Ok(()),
        Outcome::Vetoed(veto) => Err(veto),
    }
}

/// What a merge attempt that did not fail outright came to.
#[derive(Debug)]
pub(crate) enum Outcome {
    Merged,
    /// A merge check refused it (the 409 a plain merge answers); auto-merge registers a request instead.
    Vetoed(ApiError),
}

/// [`merge`], telling a veto apart from other failures.
pub(crate) async fn attempt_merge(
    shared: &Shared,
    repo: &RepoRef,
    pr_id: u64,
    user: &str,
    version: Option<i64>,
    message: Option<String>,
    strategy: Option<&str>,
) -> Result<Outcome, ApiError> {
    let key = (repo.id, pr_id);
    let path = ensure_git(shared, repo.id).await?;
    let lock = shared
        .state()
        .repo(repo.id)
        .map(|r| r.write_lock.clone())
        .ok_or_else(|| ApiError::no_such_repo(&repo.key, &repo.slug))?;
    let _guard = lock.lock().await;
    let (from_ref, to_ref, from_commit, title) = {
        let state = shared.state();
        let pr = state
            .pull_requests
            .get(&key)
            .ok_or_else(|| ApiError::no_such_pr(&pr_id.to_string()))?;
        if pr.state != PrState::Open {
            return Err(illegal_state(pr_id, pr.state, "merged"));
        }
        check_pr_version(&state, key, version, Some(user), &shared.links)?;
        (
            pr.from_ref.clone(),
            pr.to_ref.clone(),
            pr.from_commit.clone(),
            pr.title.clone(),
        )
    };
    let Some(to_tip) = shared.git.resolve_commit(&path, &to_ref).await? else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            exc::PR_STATE,
            "The target branch no longer exists.",
        ));
    };
    let strategy = strategy
        .map(str::to_ascii_lowercase)
        .unwrap_or_else(|| "no-ff".to_owned());
    if !matches!(
        strategy.as_str(),
        "no-ff" | "ff" | "ff-only" | "squash" | "squash-ff-only"
    ) {
        return Err(ApiError::validation(
            "strategyId",
            format!("The merge strategy \"{strategy}\" is not enabled for this repository; use no-ff, ff, ff-only, squash or squash-ff-only."),
        ));
    }
    let fast_forward = shared.git.is_ancestor(&path, &to_tip, &from_commit).await?;
    if strategy.ends_with("ff-only") && !fast_forward {
        return Ok(Outcome::Vetoed(ApiError::new(
            StatusCode::CONFLICT,
            exc::PR_MERGE_VETOED,
            "Merging the pull request has been vetoed.",
        )
        .field("conflicted", json!(false))
        .field(
            "vetoes",
            json!([{
                "summaryMessage": "Fast-forward is not possible",
                "detailedMessage": format!("{} is not based on the tip of {}; rebase it first.", display_ref(&from_ref), display_ref(&to_ref)),
            }]),
        )));
    }
    let header = format!(
        "Merge pull request #{pr_id} in {}/{} from {} to {}",
        repo.key,
        repo.slug,
        display_ref(&from_ref),
        display_ref(&to_ref)
    );
    let body = message
        .filter(|m| !m.trim().is_empty())
        .unwrap_or_else(|| format!("* commit '{from_commit}':\n  {title}"));
    let signature = signature(&shared.state(), user);
    let merge_commit = if fast_forward && (strategy == "ff" || strategy == "ff-only") {
        from_commit.clone()
    } else {
        let tree = match shared.git.merge_tree(&path, &to_tip, &from_commit).await? {
            MergeOutcome::Clean { tree } => tree,
            MergeOutcome::Conflicted { paths } => {
                return Ok(Outcome::Vetoed(ApiError::new(
                    StatusCode::CONFLICT,
                    exc::PR_MERGE_VETOED,
                    "Merging the pull request has been vetoed.",
                )
                .field("conflicted", json!(true))
                .field(
                    "vetoes",
                    json!([{
                        "summaryMessage": "The pull request has conflicts",
                        "detailedMessage": format!("Resolve the conflicts in {} before merging.", paths.join(", ")),
                    }]),
                )))
            }
        };
        let (parents, text): (Vec<&str>, String) = if strategy.starts_with("squash") {
            (vec![&to_tip], format!("{title}\n\n{body}\n"))
        } else {
            (vec![&to_tip, &from_commit], format!("{header}\n\n{body}\n"))
        };
        shared
            .git
            .commit_tree(&path, &tree, &parents, &text, &signature)
            .await?
    };
    if !shared
        .git
        .update_ref(&path, &to_ref, &merge_commit, Some(&to_tip))
        .await?
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            exc::PR_OUT_OF_DATE,
            "The target branch moved while merging; fetch the pull request and retry.",
        ));
    }
    let info = shared.git.commit(&path, &merge_commit).await?;
    {
        let mut state = shared.state();
        let now = now_ms();
        if let Some(pr) = state.pull_requests.get_mut(&key) {
            pr.state = PrState::Merged;
            pr.closed = Some(now);
            pr.updated = now;
            pr.version += 1;
            pr.merge_commit = Some(merge_commit.clone());
            // The target's tip before the merge, as the real server reports `toRef.latestCommit`.
            pr.to_commit = to_tip.clone();
            pr.auto_merge = None;
        }
        let mut extra = Map::new();
        if let Some(info) = &info {
            extra.insert(
                "commit".into(),
                crate::render::commit(&state, info, &shared.links),
            );
        }
        state.add_activity(key, user, "MERGED", extra);
    }
    refresh_refs(shared, repo.id, Some(user)).await?;
    Ok(Outcome::Merged)
}
