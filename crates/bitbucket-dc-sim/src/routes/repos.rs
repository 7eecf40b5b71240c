//! Projects and repositories: get project, list a project's repositories, get repository, default branch
//! (current and deprecated endpoints) and default reviewers.

use http::StatusCode;
use serde::Deserialize;
use serde_json::json;

use crate::render;
use crate::rest::{
    exc, no_content, ok, ApiError, ApiResult, Ctx, PageReq, DEFAULT_LIMIT, MAX_LIMIT,
};
use crate::state::{display_ref, full_branch, Level};

pub(crate) fn project(ctx: &Ctx) -> ApiResult {
    let key = ctx.param("projectKey");
    let state = ctx.state();
    let project = state
        .project(key)
        .ok_or_else(|| ApiError::no_such_project(key))?;
    if !state.project_visible(ctx.caller.as_ref(), &project.key) {
        return Err(ApiError::unauthorised());
    }
    ok(&render::project(project, &ctx.shared.links))
}

pub(crate) fn project_repos(ctx: &Ctx) -> ApiResult {
    let key = ctx.param("projectKey");
    let page = PageReq::from_query(&ctx.query, DEFAULT_LIMIT, MAX_LIMIT);
    let state = ctx.state();
    let project = state
        .project(key)
        .ok_or_else(|| ApiError::no_such_project(key))?;
    if !state.project_visible(ctx.caller.as_ref(), &project.key) {
        return Err(ApiError::unauthorised());
    }
    let caller = ctx.caller.as_ref();
    let mut repos: Vec<&crate::state::Repo> = state
        .repos
        .values()
        .filter(|r| r.project_key == project.key)
        .filter(|r| state.repo_level(caller, r).is_some())
        .collect();
    repos.sort_by_key(|r| r.name.to_lowercase());
    let total = repos.len();
    let values = repos
        .into_iter()
        .skip(page.start)
        .take(page.limit)
        .map(|r| render::repo(&state, r, ctx.user(), &ctx.shared.links))
        .collect();
    ok(&super::server::page_of(page, values, total))
}

pub(crate) fn repo(ctx: &Ctx) -> ApiResult {
    let repo = ctx.repo(Level::Read)?;
    let state = ctx.state();
    let found = state
        .repo(repo.id)
        .ok_or_else(|| ApiError::no_such_repo(&repo.key, &repo.slug))?;
    ok(&render::repo(&state, found, ctx.user(), &ctx.shared.links))
}

pub(crate) fn default_branch(ctx: &Ctx) -> ApiResult {
    let repo = ctx.repo(Level::Read)?;
    ok(&render::minimal_ref(&full_branch(&repo.default_branch)))
}

/// The deprecated `branches/default`: 204 for an empty repository, 404 when the configured branch is missing.
pub(crate) async fn legacy_default_branch(ctx: &Ctx) -> ApiResult {
    let repo = ctx.repo(Level::Read)?;
    let state = ctx.state();
    let found = state
        .repo(repo.id)
        .ok_or_else(|| ApiError::no_such_repo(&repo.key, &repo.slug))?;
    if found.is_empty() {
        return no_content();
    }
    let full = full_branch(&found.default_branch);
    match found.refs.get(&full) {
        Some(tip) => ok(&render::branch(&full, &tip.sha, true)),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            exc::NO_SUCH_BRANCH,
            format!(
                "The default branch \"{}\" does not exist in repository \"{}\".",
                found.default_branch, found.slug
            ),
        )),
    }
}

#[derive(Debug, Deserialize)]
struct SetDefault {
    id: Option<String>,
}

pub(crate) async fn set_default_branch(ctx: &Ctx) -> ApiResult {
    let repo = ctx.writable_repo(Level::Admin)?;
    let body: SetDefault = ctx.json()?;
    let Some(id) = body.id.filter(|i| !i.trim().is_empty()) else {
        return Err(ApiError::validation("id", "The branch id is required."));
    };
    let short = display_ref(&id).to_owned();
    if !crate::ops::valid_branch_name(&short) {
        return Err(ApiError::validation(
            "id",
            format!("\"{id}\" is not a valid branch name."),
        ));
    }
    crate::ops::set_default_branch(&ctx.shared, repo.id, &short).await?;
    no_content()
}

/// The merge strategies the simulator implements, in Bitbucket's order.
const STRATEGIES: &[(&str, &str, &str, &str)] = &[
    (
        "no-ff",
        "Merge commit",
        "--no-ff",
        "Always create a new merge commit",
    ),
    (
        "ff",
        "Fast-forward",
        "--ff",
        "Fast-forward if possible, otherwise create a new merge commit",
    ),
    (
        "ff-only",
        "Fast-forward only",
        "--ff-only",
        "Only fast-forward; never create a merge commit",
    ),
    (
        "squash",
        "Squash",
        "--squash",
        "Combine all changes into a single commit",
    ),
    (
        "squash-ff-only",
        "Squash, fast-forward only",
        "--squash --ff-only",
        "Combine all changes into a single commit; only when fast-forward is possible",
    ),
];

pub(crate) fn pull_request_settings(ctx: &Ctx) -> ApiResult {
    ctx.repo(Level::Read)?;
    let strategy = |(id, name, flag, description): &(&str, &str, &str, &str)| json!({"id": id, "name": name, "flag": flag, "description": description, "enabled": true});
    ok(&json!({
        "mergeConfig": {
            "defaultStrategy": strategy(&STRATEGIES[0]),
            "strategies": STRATEGIES.iter().map(strategy).collect::<Vec<_>>(),
            "type": "DEFAULT",
            "commitSummaries": 20,
        },
        "requiredAllApprovers": false,
        "requiredAllTasksComplete": false,
        "requiredApprovers": {"count": "0", "enabled": false},
        "requiredApproversDeprecated": 0,
        "requiredSuccessfulBuilds": {"count": "0", "enabled": false},
        "requiredSuccessfulBuildsDeprecated": 0,
    }))
}

pub(crate) fn default_reviewers(ctx: &Ctx) -> ApiResult {
    ctx.repo(Level::Read)?;
    ok(&json!([]))
}
