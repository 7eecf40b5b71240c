//! Pull request comments and blocker comments (tasks): add general/reply/anchored, get, list, update and delete
//! with `version`.

use http::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::render;
use crate::rest::{
    created, exc, no_content, ok, ApiError, ApiResult, Ctx, PageReq, RepoRef, DEFAULT_LIMIT,
    MAX_LIMIT,
};
use crate::state::{now_ms, Level};

#[derive(Debug, Deserialize)]
struct ParentIn {
    id: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CommentIn {
    version: Option<i64>,
    text: Option<String>,
    parent: Option<ParentIn>,
    anchor: Option<Value>,
    severity: Option<String>,
    state: Option<String>,
}

fn pr_key(ctx: &Ctx, repo: &RepoRef) -> Result<(u64, u64), ApiError> {
    let raw = ctx.param("pullRequestId");
    let id: u64 = raw.parse().map_err(|_| ApiError::no_such_pr(raw))?;
    if ctx.state().pull_requests.contains_key(&(repo.id, id)) {
        Ok((repo.id, id))
    } else {
        Err(ApiError::no_such_pr(raw))
    }
}

fn no_such_comment(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        exc::NO_SUCH_COMMENT,
        format!("Comment {id} does not exist."),
    )
}

fn comment_id(ctx: &Ctx, key: (u64, u64)) -> Result<u64, ApiError> {
    let raw = ctx.param("commentId");
    let id: u64 = raw.parse().map_err(|_| no_such_comment(raw))?;
    let state = ctx.state();
    match state.comments.get(&id) {
        Some(c) if c.repo_id == key.0 && c.pr_id == key.1 => Ok(id),
        _ => Err(no_such_comment(raw)),
    }
}

/// Normalizes an anchor: `path` as a string, `diffType` defaulted, hashes filled from the pull request.
fn normalize_anchor(anchor: Value, from_hash: &str, to_hash: &str) -> Result<Value, ApiError> {
    let Value::Object(mut map) = anchor else {
        return Err(ApiError::validation(
            "anchor",
            "The anchor must be an object.",
        ));
    };
    let as_path = |v: &Value| -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Object(o) => o.get("toString").and_then(Value::as_str).map(str::to_owned),
            _ => None,
        }
    };
    let Some(path) = map.get("path").and_then(as_path).filter(|p| !p.is_empty()) else {
        return Err(ApiError::validation(
            "anchor.path",
            "An anchored comment needs a path.",
        ));
    };
    map.insert("path".into(), json!(path));
    if let Some(src) = map.get("srcPath").and_then(as_path) {
        map.insert("srcPath".into(), json!(src));
    }
    let diff_type = map
        .get("diffType")
        .and_then(Value::as_str)
        .unwrap_or("EFFECTIVE")
        .to_ascii_uppercase();
    if !matches!(diff_type.as_str(), "EFFECTIVE" | "RANGE" | "COMMIT") {
        return Err(ApiError::validation(
            "anchor.diffType",
            format!("{diff_type} is not a valid diff type"),
        ));
    }
    map.insert("diffType".into(), json!(diff_type));
    if let Some(line) = map.get("line") {
        if !line.is_u64() {
            return Err(ApiError::validation(
                "anchor.line",
                "The line must be a positive number.",
            ));
        }
        let line_type = map
            .get("lineType")
            .and_then(Value::as_str)
            .unwrap_or("CONTEXT")
            .to_ascii_uppercase();
        if !matches!(line_type.as_str(), "ADDED" | "REMOVED" | "CONTEXT") {
            return Err(ApiError::validation(
                "anchor.lineType",
                format!("{line_type} is not a valid line type"),
            ));
        }
        map.insert("lineType".into(), json!(line_type));
        let file_type = map
            .get("fileType")
            .and_then(Value::as_str)
            .unwrap_or(if line_type == "REMOVED" { "FROM" } else { "TO" })
            .to_ascii_uppercase();
        map.insert("fileType".into(), json!(file_type));
    }
    if diff_type == "EFFECTIVE" {
        map.insert("fromHash".into(), json!(to_hash));
        map.insert("toHash".into(), json!(from_hash));
    }
    map.insert("orphaned".into(), json!(false));
    Ok(Value::Object(map))
}

pub(crate) fn add(ctx: &Ctx, blocker: bool) -> ApiResult {
    let user = ctx.require_user()?;
    let repo = ctx.writable_repo(Level::Read)?;
    let key = pr_key(ctx, &repo)?;
    let body: CommentIn = ctx.json()?;
    let Some(text) = body.text.filter(|t| !t.trim().is_empty()) else {
        return Err(ApiError::validation(
            "text",
            "The comment text is required.",
        ));
    };
    let severity = if blocker {
        "BLOCKER".to_owned()
    } else {
        match body
            .severity
            .as_deref()
            .map(str::to_ascii_uppercase)
            .as_deref()
        {
            None | Some("NORMAL") => "NORMAL".to_owned(),
            Some("BLOCKER") => "BLOCKER".to_owned(),
            Some(other) => {
                return Err(ApiError::validation(
                    "severity",
                    format!("{other} is not a valid severity"),
                ))
            }
        }
    };
    let comment_state = match body
        .state
        .as_deref()
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        Some("PENDING") => "PENDING",
        _ => "OPEN",
    };
    let mut state = ctx.state();
    let parent = match body.parent.and_then(|p| p.id) {
        Some(id) => match state.comments.get(&id) {
            Some(c) if c.repo_id == key.0 && c.pr_id == key.1 => Some(id),
            _ => return Err(no_such_comment(&id.to_string())),
        },
        None => None,
    };
    let anchor = match body.anchor {
        Some(anchor) if parent.is_none() => {
            let pr = state
                .pull_requests
                .get(&key)
                .ok_or_else(|| ApiError::no_such_pr(&key.1.to_string()))?;
            Some(normalize_anchor(anchor, &pr.from_commit, &pr.to_commit)?)
        }
        _ => None,
    };
    let id = crate::ops::add_comment(
        &mut state,
        key,
        &user,
        text,
        parent,
        anchor,
        &severity,
        comment_state,
    );
    let comment = state
        .comments
        .get(&id)
        .ok_or_else(|| no_such_comment(&id.to_string()))?;
    created(&render::comment(
        &state,
        comment,
        ctx.user(),
        &ctx.shared.links,
    ))
}

pub(crate) fn get(ctx: &Ctx) -> ApiResult {
    let repo = ctx.repo(Level::Read)?;
    let key = pr_key(ctx, &repo)?;
    let id = comment_id(ctx, key)?;
    let state = ctx.state();
    let comment = state
        .comments
        .get(&id)
        .ok_or_else(|| no_such_comment(&id.to_string()))?;
    ok(&render::comment(
        &state,
        comment,
        ctx.user(),
        &ctx.shared.links,
    ))
}

pub(crate) fn list(ctx: &Ctx, blocker: bool) -> ApiResult {
    let repo = ctx.repo(Level::Read)?;
    let key = pr_key(ctx, &repo)?;
    let path = ctx.query.value("path");
    if !blocker && path.is_none() {
        return Err(ApiError::validation("path", "A path is required to list comments; use the activities resource for general comments."));
    }
    let states: Vec<String> = ctx
        .query
        .0
        .iter()
        .filter(|(k, _)| k == "state" || k == "states")
        .flat_map(|(_, v)| {
            v.split(',')
                .map(|s| s.trim().to_ascii_uppercase())
                .collect::<Vec<_>>()
        })
        .filter(|s| !s.is_empty())
        .collect();
    let page = PageReq::from_query(&ctx.query, DEFAULT_LIMIT, MAX_LIMIT);
    let state = ctx.state();
    let values: Vec<Value> = state
        .comments
        .values()
        .filter(|c| c.repo_id == key.0 && c.pr_id == key.1 && c.parent.is_none())
        .filter(|c| !blocker || c.severity == "BLOCKER")
        .filter(|c| {
            path.is_none_or(|p| {
                c.anchor
                    .as_ref()
                    .and_then(|a| a.get("path"))
                    .and_then(Value::as_str)
                    == Some(p)
            })
        })
        .filter(|c| states.is_empty() || states.contains(&c.state))
        .map(|c| render::comment(&state, c, ctx.user(), &ctx.shared.links))
        .collect();
    if blocker && ctx.query.flag("count") {
        return ok(&json!({"count": values.len()}));
    }
    ok(&page.page(values))
}

fn stale(current: i64, expected: i64) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        exc::COMMENT_OUT_OF_DATE,
        format!(
            "You are attempting to modify a comment based on out-of-date information. The current version is {current} but you supplied {expected}."
        ),
    )
    .field("currentVersion", json!(current))
    .field("expectedVersion", json!(expected))
}

pub(crate) fn update(ctx: &Ctx) -> ApiResult {
    let user = ctx.require_user()?;
    let repo = ctx.writable_repo(Level::Read)?;
    let key = pr_key(ctx, &repo)?;
    let id = comment_id(ctx, key)?;
    let body: CommentIn = ctx.json()?;
    let mut state = ctx.state();
    let comment = state
        .comments
        .get(&id)
        .ok_or_else(|| no_such_comment(&id.to_string()))?;
    let expected = body.version.unwrap_or(-1);
    if comment.version != expected {
        return Err(stale(comment.version, expected));
    }
    let is_author = comment.author == user;
    if let Some(text) = &body.text {
        if text.trim().is_empty() {
            return Err(ApiError::validation(
                "text",
                "The comment text cannot be blank.",
            ));
        }
        if *text != comment.text && !is_author {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                exc::AUTHORISATION,
                "Only the author of a comment may edit its text.",
            ));
        }
    }
    let severity = match body
        .severity
        .as_deref()
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        None => None,
        Some(s @ ("NORMAL" | "BLOCKER")) => Some(s.to_owned()),
        Some(other) => {
            return Err(ApiError::validation(
                "severity",
                format!("{other} is not a valid severity"),
            ))
        }
    };
    let new_state = match body
        .state
        .as_deref()
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        None => None,
        Some(s @ ("OPEN" | "RESOLVED" | "PENDING")) => Some(s.to_owned()),
        Some(other) => {
            return Err(ApiError::validation(
                "state",
                format!("{other} is not a valid state"),
            ))
        }
    };
    if let Some(comment) = state.comments.get_mut(&id) {
        if let Some(text) = body.text {
            comment.text = text;
        }
        if let Some(severity) = severity {
            comment.severity = severity;
        }
        if let Some(new_state) = new_state {
            comment.resolved = (new_state == "RESOLVED").then(|| (now_ms(), user.clone()));
            comment.state = new_state;
        }
        comment.version += 1;
        comment.updated = now_ms();
    }
    let comment = state
        .comments
        .get(&id)
        .ok_or_else(|| no_such_comment(&id.to_string()))?;
    ok(&render::comment(
        &state,
        comment,
        ctx.user(),
        &ctx.shared.links,
    ))
}

pub(crate) fn delete(ctx: &Ctx) -> ApiResult {
    let user = ctx.require_user()?;
    let repo = ctx.writable_repo(Level::Read)?;
    let key = pr_key(ctx, &repo)?;
    let id = comment_id(ctx, key)?;
    let expected = match ctx.query.value("version") {
        Some(v) => v
            .trim()
            .parse::<i64>()
            .map_err(|_| ApiError::validation("version", format!("{v} is not a valid version")))?,
        None => -1,
    };
    let mut state = ctx.state();
    let comment = state
        .comments
        .get(&id)
        .ok_or_else(|| no_such_comment(&id.to_string()))?;
    if !(comment.author == user || repo.level >= Level::Admin) {
        return Err(ApiError::unauthorised());
    }
    if comment.version != expected {
        return Err(stale(comment.version, expected));
    }
    if !comment.replies.is_empty() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            exc::COMMENT_DELETION,
            "This comment has replies which must be deleted first.",
        ));
    }
    let parent = comment.parent;
    state.comments.remove(&id);
    if let Some(parent) = parent.and_then(|p| state.comments.get_mut(&p)) {
        parent.replies.retain(|r| *r != id);
    }
    no_content()
}
