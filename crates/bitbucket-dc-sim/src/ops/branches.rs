//! Branch creation and deletion with Bitbucket's branch-utils semantics, and git's ref-name rules.

use http::StatusCode;

use super::repo::ensure_git;
use super::rescope::refresh_refs;
use crate::rest::{exc, ApiError, RepoRef};
use crate::shared::Shared;
use crate::state::{display_ref, full_branch, PrState};

/// Git's ref-name rules for a branch's short name.
pub(crate) fn valid_branch_name(name: &str) -> bool {
    !name.is_empty()
        && name != "@"
        && !name.starts_with('/')
        && !name.ends_with('/')
        && !name.ends_with('.')
        && !name.starts_with('-')
        && !name.contains("..")
        && !name.contains("//")
        && !name.contains("@{")
        && !name
            .chars()
            .any(|c| c.is_control() || matches!(c, ' ' | '~' | '^' | ':' | '?' | '*' | '[' | '\\'))
        && name
            .split('/')
            .all(|c| !c.starts_with('.') && !c.ends_with(".lock"))
}

/// Creates a branch at a commit or ref; returns (full ref, commit id).
pub(crate) async fn create_branch(
    shared: &Shared,
    repo: &RepoRef,
    name: &str,
    start_point: Option<&str>,
    actor: &str,
) -> Result<(String, String), ApiError> {
    let short = display_ref(name).to_owned();
    if !valid_branch_name(&short) || name.starts_with("refs/") && !name.starts_with("refs/heads/") {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            exc::INVALID_REF,
            format!("\"{name}\" is not a valid branch name."),
        )
        .context("name"));
    }
    let Some(start_point) = start_point.filter(|s| !s.trim().is_empty()) else {
        return Err(ApiError::validation(
            "startPoint",
            "A start point is required to create a branch.",
        ));
    };
    let path = ensure_git(shared, repo.id).await?;
    let lock = shared
        .state()
        .repo(repo.id)
        .map(|r| r.write_lock.clone())
        .ok_or_else(|| ApiError::no_such_repo(&repo.key, &repo.slug))?;
    let _guard = lock.lock().await;
    let Some(start) = shared.git.resolve_commit(&path, start_point).await? else {
        return Err(ApiError::validation(
            "startPoint",
            format!(
                "Start point \"{start_point}\" does not exist in repository \"{}\".",
                repo.slug
            ),
        ));
    };
    let full = full_branch(&short);
    let (exists, overlap) = {
        let state = shared.state();
        let refs = state
            .repo(repo.id)
            .map(|r| r.refs.clone())
            .unwrap_or_default();
        let exists = refs.contains_key(&full);
        let overlap = refs.keys().find(|existing| {
            existing.starts_with(&format!("{full}/")) || full.starts_with(&format!("{existing}/"))
        });
        (exists, overlap.cloned())
    };
    if exists {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            exc::BRANCH_EXISTS,
            format!(
                "Branch \"{short}\" already exists in repository \"{}\".",
                repo.slug
            ),
        )
        .context("name"));
    }
    if let Some(other) = overlap {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            exc::BRANCH_OVERLAP,
            format!(
                "Branch \"{short}\" cannot be created because it conflicts with the existing branch \"{}\".",
                display_ref(&other)
            ),
        ));
    }
    if !shared.git.update_ref(&path, &full, &start, None).await? {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            exc::BRANCH_OVERLAP,
            format!("Branch \"{short}\" could not be created; it conflicts with an existing ref."),
        ));
    }
    refresh_refs(shared, repo.id, Some(actor)).await?;
    Ok((full, start))
}

/// Deletes a branch with Bitbucket's branch-utils semantics (204 even when absent).
pub(crate) async fn delete_branch(
    shared: &Shared,
    repo: &RepoRef,
    name: &str,
    end_point: Option<&str>,
    dry_run: bool,
    actor: &str,
) -> Result<(), ApiError> {
    let short = display_ref(name).to_owned();
    let full = full_branch(name);
    if short == repo.default_branch {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            exc::DEFAULT_BRANCH_DELETE,
            format!("Branch \"{short}\" is the default branch and cannot be deleted."),
        ));
    }
    let path = ensure_git(shared, repo.id).await?;
    let lock = shared
        .state()
        .repo(repo.id)
        .map(|r| r.write_lock.clone())
        .ok_or_else(|| ApiError::no_such_repo(&repo.key, &repo.slug))?;
    let _guard = lock.lock().await;
    let Some(tip) = shared.git.resolve_commit(&path, &full).await? else {
        return Ok(());
    };
    if let Some(end) = end_point.filter(|e| !e.is_empty()) {
        if !(tip.starts_with(end) && end.len() >= 4) {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                exc::BRANCH_OUT_OF_DATE,
                format!(
                    "Branch \"{short}\" points at {} rather than the expected end point {end}.",
                    crate::render::short(&tip)
                ),
            ));
        }
    }
    if dry_run {
        return Ok(());
    }
    shared.git.delete_ref(&path, &full, &tip).await?;
    refresh_refs(shared, repo.id, Some(actor)).await?;
    // As Bitbucket does, the open pull requests from a deleted branch are declined.
    let mut state = shared.state();
    let open: Vec<(u64, u64)> = state
        .pull_requests
        .range((repo.id, 0)..=(repo.id, u64::MAX))
        .filter(|(_, pr)| pr.state == PrState::Open && pr.from_ref == full)
        .map(|(key, _)| *key)
        .collect();
    let now = crate::state::now_ms();
    for key in open {
        if let Some(pr) = state.pull_requests.get_mut(&key) {
            pr.state = PrState::Declined;
            pr.closed = Some(now);
            pr.updated = now;
            pr.version += 1;
        }
        state.add_activity(key, actor, "DECLINED", serde_json::Map::new());
    }
    Ok(())
}
