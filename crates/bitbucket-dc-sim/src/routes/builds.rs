//! Build statuses: the repository-scoped `commits/{sha}/builds` resource and the legacy `/rest/build-status/1.0`
//! endpoints with their stats.

use std::collections::BTreeMap;

use http::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::git::is_hex_id;
use crate::rest::{
    check_len, exc, no_content, ok, ApiError, ApiResult, Ctx, PageReq, DEFAULT_LIMIT,
};
use crate::state::{now_ms, Build, Level, State};

const STATES: &[&str] = &["SUCCESSFUL", "FAILED", "INPROGRESS", "CANCELLED", "UNKNOWN"];

/// The legacy resource returns at most this many (newest) statuses per commit.
const LEGACY_MAX: usize = 100;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BuildIn {
    key: Option<String>,
    state: Option<String>,
    url: Option<String>,
    name: Option<String>,
    description: Option<String>,
    build_number: Option<String>,
    duration: Option<i64>,
    last_updated: Option<i64>,
    parent: Option<String>,
    #[serde(rename = "ref")]
    git_ref: Option<String>,
    test_results: Option<Value>,
}

fn validate(body: &BuildIn) -> Result<(), ApiError> {
    let key = body.key.as_deref().unwrap_or("");
    if key.trim().is_empty() {
        return Err(ApiError::validation(
            "key",
            "The build key must not be blank.",
        ));
    }
    check_len("key", Some(key), 255)?;
    match body.state.as_deref() {
        Some(s) if STATES.contains(&s) => {}
        Some(s) => {
            return Err(ApiError::validation(
                "state",
                format!(
                    "{s} is not a valid build state; use one of {}",
                    STATES.join(", ")
                ),
            ))
        }
        None => {
            return Err(ApiError::validation(
                "state",
                "The build state is required.",
            ))
        }
    }
    let url = body.url.as_deref().unwrap_or("");
    if url.trim().is_empty() {
        return Err(ApiError::validation(
            "url",
            "The build url must not be blank.",
        ));
    }
    check_len("url", Some(url), 450)?;
    check_len("name", body.name.as_deref(), 255)?;
    check_len("buildNumber", body.build_number.as_deref(), 255)?;
    check_len("parent", body.parent.as_deref(), 1024)?;
    check_len("ref", body.git_ref.as_deref(), 1024)?;
    if let Some(r) = body.git_ref.as_deref() {
        if !r.starts_with("refs/") {
            return Err(ApiError::validation(
                "ref",
                format!("{r} is not a valid ref; it must start with refs/"),
            ));
        }
    }
    Ok(())
}

fn upsert(state: &mut State, sha: &str, repo_id: Option<u64>, body: BuildIn) {
    let now = now_ms();
    let updated = body.last_updated.unwrap_or(now);
    let key = body.key.unwrap_or_default();
    let list = state.builds.entry(sha.to_ascii_lowercase()).or_default();
    let created = list
        .iter()
        .position(|b| b.key == key && b.repo_id == repo_id)
        .map(|idx| list.remove(idx).created)
        .unwrap_or(now);
    list.push(Build {
        repo_id,
        key,
        state: body.state.unwrap_or_default(),
        url: body.url.unwrap_or_default(),
        name: body.name,
        description: body.description,
        build_number: body.build_number,
        duration: body.duration,
        parent: body.parent,
        git_ref: body.git_ref,
        test_results: body.test_results,
        created,
        updated,
    });
}

fn render(state: &State, build: &Build) -> Value {
    let mut value = json!({
        "key": build.key,
        "state": build.state,
        "url": build.url,
        "createdDate": build.created,
        "updatedDate": build.updated,
        "dateAdded": build.updated,
    });
    let optional = [
        ("name", build.name.clone().map(Value::String)),
        ("description", build.description.clone().map(Value::String)),
        ("buildNumber", build.build_number.clone().map(Value::String)),
        ("duration", build.duration.map(|d| json!(d))),
        ("parent", build.parent.clone().map(Value::String)),
        ("ref", build.git_ref.clone().map(Value::String)),
        ("testResults", build.test_results.clone()),
    ];
    for (key, v) in optional {
        if let Some(v) = v {
            value[key] = v;
        }
    }
    if let Some(repo) = build.repo_id.and_then(|id| state.repo(id)) {
        value["projectKey"] = json!(repo.project_key);
        value["repositorySlug"] = json!(repo.slug);
    }
    value
}

/// The commit of a repository-scoped build resource must be a commit of the repository.
async fn repo_commit(ctx: &Ctx, repo: &crate::rest::RepoRef) -> Result<String, ApiError> {
    let id = ctx.param("commitId");
    if !is_hex_id(id) {
        return Err(ApiError::validation(
            "commitId",
            format!("{id} is not a valid commit id"),
        ));
    }
    let initialized = ctx.state().repo(repo.id).is_some_and(|r| r.initialized);
    if !initialized {
        return Err(ApiError::no_such_commit(id, &repo.slug));
    }
    ctx.shared
        .git
        .resolve_commit(&repo.path, id)
        .await?
        .ok_or_else(|| ApiError::no_such_commit(id, &repo.slug))
}

pub(crate) async fn add(ctx: &Ctx) -> ApiResult {
    let repo = ctx.repo(Level::Read)?;
    let body: BuildIn = ctx.json()?;
    validate(&body)?;
    let sha = repo_commit(ctx, &repo).await?;
    upsert(&mut ctx.state(), &sha, Some(repo.id), body);
    no_content()
}

fn find<'a>(state: &'a State, sha: &str, repo_id: u64, key: &str) -> Option<&'a Build> {
    let list = state.builds.get(&sha.to_ascii_lowercase())?;
    list.iter()
        .find(|b| b.key == key && b.repo_id == Some(repo_id))
        .or_else(|| list.iter().find(|b| b.key == key && b.repo_id.is_none()))
}

fn no_such_build(key: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        exc::NO_SUCH_BUILD,
        format!("No build status with key \"{key}\" exists for this commit."),
    )
}

pub(crate) fn get(ctx: &Ctx) -> ApiResult {
    let repo = ctx.repo(Level::Read)?;
    let Some(key) = ctx.query.value("key") else {
        return Err(ApiError::validation(
            "key",
            "The key query parameter is required.",
        ));
    };
    let sha = ctx.param("commitId");
    let state = ctx.state();
    let build = find(&state, sha, repo.id, key).ok_or_else(|| no_such_build(key))?;
    ok(&render(&state, build))
}

pub(crate) fn delete(ctx: &Ctx) -> ApiResult {
    let repo = ctx.repo(Level::Admin)?;
    let Some(key) = ctx.query.value("key") else {
        return Err(ApiError::validation(
            "key",
            "The key query parameter is required.",
        ));
    };
    let sha = ctx.param("commitId").to_ascii_lowercase();
    let mut state = ctx.state();
    let list = state.builds.entry(sha).or_default();
    let before = list.len();
    list.retain(|b| !(b.key == key && (b.repo_id == Some(repo.id) || b.repo_id.is_none())));
    if list.len() == before {
        return Err(no_such_build(key));
    }
    no_content()
}

fn full_sha(ctx: &Ctx) -> Result<String, ApiError> {
    let sha = ctx.param("commitId");
    if sha.len() == 40 && is_hex_id(sha) {
        Ok(sha.to_ascii_lowercase())
    } else {
        Err(ApiError::validation(
            "commitId",
            format!("{sha} is not a full 40-character commit id"),
        ))
    }
}

pub(crate) fn legacy_add(ctx: &Ctx) -> ApiResult {
    ctx.require_user()?;
    let sha = full_sha(ctx)?;
    let body: BuildIn = ctx.json()?;
    validate(&body)?;
    upsert(&mut ctx.state(), &sha, None, body);
    no_content()
}

pub(crate) fn legacy_list(ctx: &Ctx) -> ApiResult {
    ctx.require_user()?;
    let sha = full_sha(ctx)?;
    let order = ctx.query.value("orderBy").map(str::to_ascii_uppercase);
    let page = PageReq::from_query(&ctx.query, DEFAULT_LIMIT, LEGACY_MAX);
    let state = ctx.state();
    let mut list: Vec<&Build> = state
        .builds
        .get(&sha)
        .map(|l| l.iter().collect())
        .unwrap_or_default();
    list.sort_by_key(|b| std::cmp::Reverse(b.updated));
    list.truncate(LEGACY_MAX);
    match order.as_deref() {
        Some("OLDEST") => list.reverse(),
        Some("STATUS") => list.sort_by_key(|b| {
            STATES
                .iter()
                .position(|s| *s == b.state)
                .unwrap_or(STATES.len())
        }),
        _ => {}
    }
    let values = list.into_iter().map(|b| render(&state, b)).collect();
    ok(&page.page(values))
}

fn stats_of(list: &[Build]) -> Value {
    let count = |s: &str| list.iter().filter(|b| b.state == s).count();
    json!({
        "successful": count("SUCCESSFUL"),
        "failed": count("FAILED"),
        "inProgress": count("INPROGRESS"),
        "cancelled": count("CANCELLED"),
        "unknown": count("UNKNOWN"),
    })
}

pub(crate) fn stats(ctx: &Ctx) -> ApiResult {
    ctx.require_user()?;
    let sha = ctx.param("commitId").to_ascii_lowercase();
    let state = ctx.state();
    let list = state
        .builds
        .get(&sha)
        .map(Vec::as_slice)
        .unwrap_or_default();
    ok(&stats_of(list))
}

pub(crate) fn stats_many(ctx: &Ctx) -> ApiResult {
    ctx.require_user()?;
    let shas: Vec<String> = ctx.json()?;
    let state = ctx.state();
    let mut out = BTreeMap::new();
    for sha in shas {
        if let Some(list) = state
            .builds
            .get(&sha.to_ascii_lowercase())
            .filter(|l| !l.is_empty())
        {
            out.insert(sha, stats_of(list));
        }
    }
    ok(&json!(out))
}
