//! Merging pull requests: the can-merge check, the merge itself (or an auto-merge request) and the
//! `auto-merge` resource.

use http::StatusCode;
use serde_json::{json, Value};

use super::pull_requests::{pr_key, render_pr, require_open, version_of};
use crate::git::MergeOutcome;
use crate::ops::{self, MergeParams};
use crate::rest::{exc, no_content, ok, ApiError, ApiResult, Ctx};
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
    if body.auto_merge == Some(true) {
        let params = MergeParams {
            message: body.message,
            strategy: body.strategy_id,
            auto_subject: body
                .auto_subject
                .as_ref()
                .and_then(value_flag)
                .unwrap_or(true),
        };
        // Merged or registered, the answer is the pull request as it now stands.
        ops::merge_or_request(&ctx.shared, &repo, key.1, &user, version, params).await?;
    } else {
        ops::merge(
            &ctx.shared,
            &repo,
            key.1,
            &user,
            version,
            body.message,
            body.strategy_id.as_deref(),
        )
        .await?;
    }
    let state = ctx.state();
    ok(&render_pr(ctx, &state, key))
}

/// `true`/`false` sent as a boolean or a string.
fn value_flag(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(flag) => Some(*flag),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// `GET .../auto-merge`: the pending request, or 204 when there is none.
pub(crate) fn get_auto_merge(ctx: &Ctx) -> ApiResult {
    let repo = ctx.repo(Level::Read)?;
    let key = pr_key(ctx, &repo)?;
    let state = ctx.state();
    match state
        .pull_requests
        .get(&key)
        .and_then(|pr| pr.auto_merge.as_ref())
    {
        Some(request) => ok(&ops::render_auto_merge_request(request)),
        None => no_content(),
    }
}

/// `POST .../auto-merge`: tries the pending request now.
pub(crate) async fn try_auto_merge(ctx: &Ctx) -> ApiResult {
    ctx.require_user()?;
    let repo = ctx.writable_repo(Level::Write)?;
    let key = pr_key(ctx, &repo)?;
    {
        let state = ctx.state();
        ops::require_auto_merge(&state, repo.id)?;
        if state
            .pull_requests
            .get(&key)
            .is_none_or(|pr| pr.auto_merge.is_none())
        {
            return Err(ApiError::bad_request(
                "No auto-merge request was submitted for this pull request; merge it with autoMerge first.",
            ));
        }
    }
    let status = ops::attempt_auto_merge(&ctx.shared, repo.id, key.1).await;
    let state = ctx.state();
    ok(&json!({
        "autoMergeProcessingStatus": status.as_str(),
        "pullRequest": render_pr(ctx, &state, key),
    }))
}

/// `DELETE .../auto-merge`: cancels the pending request, if any.
pub(crate) fn cancel_auto_merge(ctx: &Ctx) -> ApiResult {
    let user = ctx.require_user()?;
    let repo = ctx.writable_repo(Level::Write)?;
    let key = pr_key(ctx, &repo)?;
    ops::cancel_auto_merge(&mut ctx.state(), key, &user)?;
    no_content()
}
