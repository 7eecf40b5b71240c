//! Code Insights: reports per commit (PUT/GET/DELETE, list) and their annotations (bulk add, upsert one, list,
//! delete), with Bitbucket's limits (1000 annotations per report).

use http::StatusCode;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::git::is_hex_id;
use crate::rest::{
    check_len, exc, no_content, ok, ApiError, ApiResult, Ctx, PageReq, RepoRef, DEFAULT_LIMIT,
    MAX_LIMIT,
};
use crate::state::{now_ms, Level, Report};

/// Most annotations one report may hold.
const MAX_ANNOTATIONS: usize = 1000;

fn commit(ctx: &Ctx, repo: &RepoRef) -> Result<String, ApiError> {
    let id = ctx.param("commitId");
    if !is_hex_id(id) {
        return Err(ApiError::no_such_commit(id, &repo.slug));
    }
    Ok(id.to_ascii_lowercase())
}

async fn existing_commit(ctx: &Ctx, repo: &RepoRef) -> Result<String, ApiError> {
    let id = commit(ctx, repo)?;
    let initialized = ctx.state().repo(repo.id).is_some_and(|r| r.initialized);
    if !initialized {
        return Err(ApiError::no_such_commit(&id, &repo.slug));
    }
    ctx.shared
        .git
        .resolve_commit(&repo.path, &id)
        .await?
        .ok_or_else(|| ApiError::no_such_commit(&id, &repo.slug))
}

fn no_such_report(key: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        exc::NO_SUCH_REPORT,
        format!("No report with key \"{key}\" exists for this commit."),
    )
}

fn render(report: &Report) -> Value {
    let mut value = report.body.clone();
    value["key"] = json!(report.key);
    value["createdDate"] = json!(report.created);
    value
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReportIn {
    title: Option<String>,
    details: Option<String>,
    result: Option<String>,
    reporter: Option<String>,
    link: Option<String>,
    logo_url: Option<String>,
    data: Option<Vec<Value>>,
    created_date: Option<i64>,
    coverage_provider_key: Option<String>,
}

pub(crate) async fn put(ctx: &Ctx) -> ApiResult {
    let user = ctx.require_user()?;
    let repo = ctx.repo(Level::Read)?;
    let sha = existing_commit(ctx, &repo).await?;
    let key = ctx.param("key").to_owned();
    let body: ReportIn = ctx.json()?;
    let Some(title) = body.title.filter(|t| !t.trim().is_empty()) else {
        return Err(ApiError::validation(
            "title",
            "The report title is required.",
        ));
    };
    check_len("title", Some(&title), 450)?;
    check_len("details", body.details.as_deref(), 2000)?;
    check_len("reporter", body.reporter.as_deref(), 450)?;
    check_len("key", Some(&key), 450)?;
    if let Some(result) = body.result.as_deref() {
        if result != "PASS" && result != "FAIL" {
            return Err(ApiError::validation(
                "result",
                format!("{result} is not a valid result; use PASS or FAIL"),
            ));
        }
    }
    let data = body.data.unwrap_or_default();
    if data.len() > 6 {
        return Err(ApiError::validation(
            "data",
            "A report may carry at most 6 data items.",
        ));
    }
    for item in &data {
        let kind = item.get("type").and_then(Value::as_str).unwrap_or("");
        if !matches!(
            kind,
            "BOOLEAN" | "DATE" | "DURATION" | "LINK" | "NUMBER" | "PERCENTAGE" | "TEXT"
        ) {
            return Err(ApiError::validation(
                "data",
                format!("\"{kind}\" is not a valid data type"),
            ));
        }
        if item
            .get("title")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            return Err(ApiError::validation(
                "data",
                "Every data item needs a title.",
            ));
        }
    }
    let mut out = Map::new();
    out.insert("title".into(), json!(title));
    out.insert("data".into(), json!(data));
    for (name, value) in [
        ("details", body.details),
        ("result", body.result),
        ("reporter", body.reporter),
        ("link", body.link),
        ("logoUrl", body.logo_url),
        ("coverageProviderKey", body.coverage_provider_key),
    ] {
        if let Some(value) = value {
            out.insert(name.into(), json!(value));
        }
    }
    let mut state = ctx.state();
    let map_key = (repo.id, sha, key.clone());
    if let Some(existing) = state.reports.get(&map_key) {
        if existing.author.as_deref().is_some_and(|a| a != user) && repo.level < Level::Admin {
            return Err(ApiError::unauthorised());
        }
    }
    let annotations = state
        .reports
        .remove(&map_key)
        .map(|r| r.annotations)
        .unwrap_or_default();
    let report = Report {
        key,
        body: Value::Object(out),
        created: body.created_date.unwrap_or_else(now_ms),
        author: Some(user),
        annotations,
    };
    let value = render(&report);
    state.reports.insert(map_key, report);
    ok(&value)
}

pub(crate) fn get(ctx: &Ctx) -> ApiResult {
    let repo = ctx.repo(Level::Read)?;
    let sha = commit(ctx, &repo)?;
    let key = ctx.param("key");
    let state = ctx.state();
    let report = state
        .reports
        .get(&(repo.id, sha, key.to_owned()))
        .ok_or_else(|| no_such_report(key))?;
    ok(&render(report))
}

pub(crate) fn list(ctx: &Ctx) -> ApiResult {
    let repo = ctx.repo(Level::Read)?;
    let sha = commit(ctx, &repo)?;
    let page = PageReq::from_query(&ctx.query, DEFAULT_LIMIT, MAX_LIMIT);
    let state = ctx.state();
    let values = state
        .reports
        .iter()
        .filter(|((id, s, _), _)| *id == repo.id && *s == sha)
        .map(|(_, r)| render(r))
        .collect();
    ok(&page.page(values))
}

pub(crate) fn delete(ctx: &Ctx) -> ApiResult {
    let user = ctx.require_user()?;
    let repo = ctx.repo(Level::Read)?;
    let sha = commit(ctx, &repo)?;
    let key = ctx.param("key").to_owned();
    let mut state = ctx.state();
    let map_key = (repo.id, sha, key.clone());
    let Some(report) = state.reports.get(&map_key) else {
        return Err(no_such_report(&key));
    };
    if report.author.as_deref() != Some(user.as_str()) && repo.level < Level::Admin {
        return Err(ApiError::unauthorised());
    }
    state.reports.remove(&map_key);
    no_content()
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AnnotationIn {
    message: Option<String>,
    severity: Option<String>,
    path: Option<String>,
    line: Option<i64>,
    #[serde(rename = "type")]
    kind: Option<String>,
    link: Option<String>,
    external_id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct AnnotationsIn {
    annotations: Option<Vec<AnnotationIn>>,
}

fn annotation(
    report_key: &str,
    input: AnnotationIn,
    external_id: Option<String>,
) -> Result<Value, ApiError> {
    let Some(message) = input.message.filter(|m| !m.trim().is_empty()) else {
        return Err(ApiError::validation(
            "message",
            "Every annotation needs a message.",
        ));
    };
    check_len("message", Some(&message), 2000)?;
    let severity = input.severity.unwrap_or_default();
    if !matches!(severity.as_str(), "LOW" | "MEDIUM" | "HIGH") {
        return Err(ApiError::validation(
            "severity",
            format!("\"{severity}\" is not a valid severity; use LOW, MEDIUM or HIGH"),
        ));
    }
    if let Some(kind) = input.kind.as_deref() {
        if !matches!(kind, "VULNERABILITY" | "CODE_SMELL" | "BUG") {
            return Err(ApiError::validation(
                "type",
                format!("\"{kind}\" is not a valid annotation type"),
            ));
        }
    }
    check_len("path", input.path.as_deref(), 50000)?;
    let external_id = external_id.or(input.external_id);
    check_len("externalId", external_id.as_deref(), 450)?;
    let mut value = json!({
        "reportKey": report_key,
        "message": message,
        "severity": severity,
        "line": input.line.unwrap_or(0).max(0),
    });
    for (name, v) in [
        ("path", input.path),
        ("type", input.kind),
        ("link", input.link),
        ("externalId", external_id),
    ] {
        if let Some(v) = v {
            value[name] = json!(v);
        }
    }
    Ok(value)
}

pub(crate) fn add_annotations(ctx: &Ctx) -> ApiResult {
    ctx.require_user()?;
    let repo = ctx.repo(Level::Read)?;
    let sha = commit(ctx, &repo)?;
    let key = ctx.param("key").to_owned();
    let body: AnnotationsIn = ctx.json()?;
    let incoming = body.annotations.unwrap_or_default();
    let mut state = ctx.state();
    let report = state
        .reports
        .get_mut(&(repo.id, sha, key.clone()))
        .ok_or_else(|| no_such_report(&key))?;
    if report.annotations.len() + incoming.len() > MAX_ANNOTATIONS {
        return Err(ApiError::validation(
            "annotations",
            format!("A report may hold at most {MAX_ANNOTATIONS} annotations; delete some before adding more."),
        ));
    }
    let mut parsed = Vec::with_capacity(incoming.len());
    for input in incoming {
        parsed.push(annotation(&key, input, None)?);
    }
    report.annotations.extend(parsed);
    no_content()
}

pub(crate) fn put_annotation(ctx: &Ctx) -> ApiResult {
    ctx.require_user()?;
    let repo = ctx.repo(Level::Read)?;
    let sha = commit(ctx, &repo)?;
    let key = ctx.param("key").to_owned();
    let external_id = ctx.param("externalId").to_owned();
    let body: AnnotationIn = ctx.json()?;
    let value = annotation(&key, body, Some(external_id.clone()))?;
    let mut state = ctx.state();
    let report = state
        .reports
        .get_mut(&(repo.id, sha, key.clone()))
        .ok_or_else(|| no_such_report(&key))?;
    let existing = report
        .annotations
        .iter()
        .position(|a| a.get("externalId").and_then(Value::as_str) == Some(external_id.as_str()));
    match existing {
        Some(idx) => report.annotations[idx] = value,
        None if report.annotations.len() >= MAX_ANNOTATIONS => {
            return Err(ApiError::validation(
                "annotations",
                format!("A report may hold at most {MAX_ANNOTATIONS} annotations."),
            ))
        }
        None => report.annotations.push(value),
    }
    no_content()
}

pub(crate) fn annotations(ctx: &Ctx) -> ApiResult {
    let repo = ctx.repo(Level::Read)?;
    let sha = commit(ctx, &repo)?;
    let key = ctx.param("key");
    let state = ctx.state();
    let report = state
        .reports
        .get(&(repo.id, sha, key.to_owned()))
        .ok_or_else(|| no_such_report(key))?;
    ok(&json!({"annotations": report.annotations, "totalCount": report.annotations.len()}))
}

pub(crate) fn commit_annotations(ctx: &Ctx) -> ApiResult {
    let repo = ctx.repo(Level::Read)?;
    let sha = commit(ctx, &repo)?;
    let keys: Vec<&str> = ctx
        .query
        .0
        .iter()
        .filter(|(k, _)| k == "key")
        .map(|(_, v)| v.as_str())
        .collect();
    let filter = |name: &str, a: &Value| -> bool {
        let wanted: Vec<&str> = ctx
            .query
            .0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect();
        wanted.is_empty()
            || a.get(name)
                .and_then(Value::as_str)
                .is_some_and(|v| wanted.contains(&v))
    };
    let state = ctx.state();
    let values: Vec<Value> = state
        .reports
        .iter()
        .filter(|((id, s, k), _)| {
            *id == repo.id && *s == sha && (keys.is_empty() || keys.contains(&k.as_str()))
        })
        .flat_map(|(_, r)| r.annotations.iter())
        .filter(|a| {
            filter("path", a)
                && filter("severity", a)
                && filter("type", a)
                && filter("externalId", a)
        })
        .cloned()
        .collect();
    ok(&json!({"annotations": values, "totalCount": values.len()}))
}

pub(crate) fn delete_annotations(ctx: &Ctx) -> ApiResult {
    ctx.require_user()?;
    let repo = ctx.repo(Level::Read)?;
    let sha = commit(ctx, &repo)?;
    let key = ctx.param("key").to_owned();
    let external: Vec<String> = ctx
        .query
        .0
        .iter()
        .filter(|(k, _)| k == "externalId")
        .map(|(_, v)| v.clone())
        .collect();
    let mut state = ctx.state();
    let report = state
        .reports
        .get_mut(&(repo.id, sha, key.clone()))
        .ok_or_else(|| no_such_report(&key))?;
    if external.is_empty() {
        report.annotations.clear();
    } else {
        report.annotations.retain(|a| {
            a.get("externalId")
                .and_then(Value::as_str)
                .is_none_or(|id| !external.iter().any(|e| e == id))
        });
    }
    no_content()
}
