//! What a pull request holds: its activities, its commits and its changes.

use serde_json::json;

use super::pull_requests::pr_key;
use crate::render;
use crate::rest::{ok, ApiError, ApiResult, Ctx, PageReq, DEFAULT_LIMIT, MAX_LIMIT};
use crate::state::Level;

pub(crate) fn activities(ctx: &Ctx) -> ApiResult {
    let repo = ctx.repo(Level::Read)?;
    let key = pr_key(ctx, &repo)?;
    let page = PageReq::from_query(&ctx.query, DEFAULT_LIMIT, MAX_LIMIT);
    let state = ctx.state();
    let Some(pr) = state.pull_requests.get(&key) else {
        return Err(ApiError::no_such_pr(&key.1.to_string()));
    };
    let values = pr
        .activities
        .iter()
        .rev()
        .filter_map(|a| render::activity(&state, a, ctx.user(), &ctx.shared.links))
        .collect();
    ok(&page.page(values))
}

fn pr_commits(ctx: &Ctx, key: (u64, u64)) -> Result<(String, String), ApiError> {
    let state = ctx.state();
    let pr = state
        .pull_requests
        .get(&key)
        .ok_or_else(|| ApiError::no_such_pr(&key.1.to_string()))?;
    Ok((pr.from_commit.clone(), pr.to_commit.clone()))
}

pub(crate) async fn commits(ctx: &Ctx) -> ApiResult {
    let repo = ctx.repo(Level::Read)?;
    let key = pr_key(ctx, &repo)?;
    let (from, to) = pr_commits(ctx, key)?;
    let page = PageReq::from_query(&ctx.query, DEFAULT_LIMIT, MAX_LIMIT);
    let list = ctx
        .shared
        .git
        .log(
            &repo.path,
            &[&from],
            &[&to],
            None,
            page.start,
            page.limit + 1,
        )
        .await?;
    let state = ctx.state();
    let values = list
        .iter()
        .map(|c| render::commit(&state, c, &ctx.shared.links))
        .collect();
    ok(&page.page_window(values))
}

pub(crate) async fn changes(ctx: &Ctx) -> ApiResult {
    let repo = ctx.repo(Level::Read)?;
    let key = pr_key(ctx, &repo)?;
    let (from, to) = pr_commits(ctx, key)?;
    let git = &ctx.shared.git;
    let base = git
        .merge_base(&repo.path, &to, &from)
        .await?
        .unwrap_or_else(|| to.clone());
    let list = git.diff(&repo.path, &base, &from).await?;
    let page = PageReq::from_query(&ctx.query, DEFAULT_LIMIT, MAX_LIMIT);
    let mut value = page.page(list.iter().map(render::change).collect());
    value["fromHash"] = json!(base);
    value["toHash"] = json!(from);
    ok(&value)
}
