//! Merging pull requests: the can-merge check and the merge itself.

use http::StatusCode;
use serde_json::json;

use super::pull_requests::{pr_key, render_pr, require_open, version_of};
use crate::git::MergeOutcome;
use crate::rest::{exc, ok, ApiError, ApiResult, Ctx};
use crate::state::Level;

pub(crate) async fn can_merge(ctx: &Ctx) -> ApiResult {
    let repo = ctx.repo(Level::Read)?;
    let key = pr_key(ctx, &repo)?;
    let (from, to_ref) = {
        let state = ctx.state();
        let pr = state
            .pull_requests
            .get(&key)
            .ok_or_else(|| ApiError::no_such_pr(&key.1.to_string()))?;
        require_open(pr, "merged")?;
        (pr.from_commit.clone(), pr.to_ref.clone())
    };
    let Some(to) = ctx.shared.git.resolve_commit(&repo.path, &to_ref).await? else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            exc::PR_STATE,
            "The target branch no longer exists.",
        ));
    };
    let conflicted = matches!(
        ctx.shared.git.merge_tree(&repo.path, &to, &from).await?,
        MergeOutcome::Conflicted { .. }
    );
    ok(&json!({
        "canMerge": !conflicted,
        "conflicted": conflicted,
        "outcome": if conflicted { "CONFLICTED" } else { "CLEAN" },
        "vetoes": [],
    }))
}

pub(crate) async fn merge(ctx: &Ctx) -> ApiResult {
    let user = ctx.require_user()?;
    let repo = ctx.writable_repo(Level::Write)?;
    ctx.require_committer()?;
    let key = pr_key(ctx, &repo)?;
    let (version, body) = version_of(ctx)?;
    crate::ops::merge(
        &ctx.shared,
        &repo,
        key.1,
        &user,
        version,
        body.message,
        body.strategy_id.as_deref(),
    )
    .await?;
    let state = ctx.state();
    ok(&render_pr(ctx, &state, key))
}
