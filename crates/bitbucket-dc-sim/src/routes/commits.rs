//! Commits: list (`until`/`since`/`path`), get by SHA only, a commit's changes, and compare changes/commits.

use serde_json::Value;

use crate::git::is_hex_id;
use crate::render;
use crate::rest::{ok, ApiError, ApiResult, Ctx, PageReq, RepoRef, DEFAULT_LIMIT, MAX_LIMIT};
use crate::state::{full_branch, Level};

/// Resolves an `at`-style revision (commit id, short or full ref; default branch when absent) to a commit.
/// Returns (commit id, the revision as given or the default branch's ref id).
pub(crate) async fn resolve_at(
    ctx: &Ctx,
    repo: &RepoRef,
    at: Option<&str>,
) -> Result<(String, String), ApiError> {
    let revision = at
        .map(str::to_owned)
        .unwrap_or_else(|| full_branch(&repo.default_branch));
    let initialized = ctx.state().repo(repo.id).is_some_and(|r| r.initialized);
    if !initialized {
        return Err(ApiError::no_such_commit(&revision, &repo.slug));
    }
    match ctx.shared.git.resolve_commit(&repo.path, &revision).await? {
        Some(sha) => Ok((sha, revision)),
        None => Err(ApiError::no_such_commit(&revision, &repo.slug)),
    }
}

fn render_all(ctx: &Ctx, commits: &[crate::git::CommitInfo]) -> Vec<Value> {
    let state = ctx.state();
    commits
        .iter()
        .map(|c| render::commit(&state, c, &ctx.shared.links))
        .collect()
}

pub(crate) async fn list(ctx: &Ctx) -> ApiResult {
    let repo = ctx.repo(Level::Read)?;
    let page = PageReq::from_query(&ctx.query, DEFAULT_LIMIT, MAX_LIMIT);
    let until = ctx.query.value("until");
    let empty = ctx.state().repo(repo.id).is_none_or(|r| r.is_empty());
    if empty && until.is_none() {
        return ok(&page.page(Vec::new()));
    }
    let (until, _) = resolve_at(ctx, &repo, until).await?;
    let since = match ctx.query.value("since") {
        Some(since) => Some(resolve_at(ctx, &repo, Some(since)).await?.0),
        None => None,
    };
    let exclude: Vec<&str> = since.iter().map(String::as_str).collect();
    let path = ctx.query.value("path").map(|p| p.trim_matches('/'));
    let commits = ctx
        .shared
        .git
        .log(
            &repo.path,
            &[&until],
            &exclude,
            path,
            page.start,
            page.limit + 1,
        )
        .await?;
    ok(&page.page_window(render_all(ctx, &commits)))
}

pub(crate) async fn get(ctx: &Ctx) -> ApiResult {
    let repo = ctx.repo(Level::Read)?;
    let id = ctx.param("commitId");
    let initialized = ctx.state().repo(repo.id).is_some_and(|r| r.initialized);
    if !is_hex_id(id) || !initialized {
        return Err(ApiError::no_such_commit(id, &repo.slug));
    }
    let Some(commit) = ctx.shared.git.commit(&repo.path, id).await? else {
        return Err(ApiError::no_such_commit(id, &repo.slug));
    };
    let state = ctx.state();
    ok(&render::commit(&state, &commit, &ctx.shared.links))
}

pub(crate) async fn changes(ctx: &Ctx) -> ApiResult {
    let repo = ctx.repo(Level::Read)?;
    let id = ctx.param("commitId");
    let initialized = ctx.state().repo(repo.id).is_some_and(|r| r.initialized);
    if !is_hex_id(id) || !initialized {
        return Err(ApiError::no_such_commit(id, &repo.slug));
    }
    let git = &ctx.shared.git;
    let Some(commit) = git.commit(&repo.path, id).await? else {
        return Err(ApiError::no_such_commit(id, &repo.slug));
    };
    let since = match ctx.query.value("since") {
        Some(since) => Some(resolve_at(ctx, &repo, Some(since)).await?.0),
        None => commit.parents.first().cloned(),
    };
    let list = match since {
        Some(parent) => git.diff(&repo.path, &parent, &commit.id).await?,
        None => git.root_changes(&repo.path, &commit.id).await?,
    };
    let page = PageReq::from_query(&ctx.query, DEFAULT_LIMIT, MAX_LIMIT);
    let mut value = page.page(list.iter().map(render::change).collect());
    value["fromHash"] = serde_json::json!(commit.parents.first());
    value["toHash"] = serde_json::json!(commit.id);
    ok(&value)
}

async fn compare_pair(ctx: &Ctx, repo: &RepoRef) -> Result<(String, String), ApiError> {
    let (from, _) = resolve_at(ctx, repo, ctx.query.value("from")).await?;
    let (to, _) = resolve_at(ctx, repo, ctx.query.value("to")).await?;
    Ok((from, to))
}

pub(crate) async fn compare_changes(ctx: &Ctx) -> ApiResult {
    let repo = ctx.repo(Level::Read)?;
    let (from, to) = compare_pair(ctx, &repo).await?;
    let git = &ctx.shared.git;
    let base = git
        .merge_base(&repo.path, &to, &from)
        .await?
        .unwrap_or_else(|| to.clone());
    let list = git.diff(&repo.path, &base, &from).await?;
    let page = PageReq::from_query(&ctx.query, DEFAULT_LIMIT, MAX_LIMIT);
    ok(&page.page(list.iter().map(render::change).collect()))
}

pub(crate) async fn compare_commits(ctx: &Ctx) -> ApiResult {
    let repo = ctx.repo(Level::Read)?;
    let (from, to) = compare_pair(ctx, &repo).await?;
    let page = PageReq::from_query(&ctx.query, DEFAULT_LIMIT, MAX_LIMIT);
    let commits = ctx
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
    ok(&page.page_window(render_all(ctx, &commits)))
}
