//! Files: raw bytes, browse (file lines or directory children, `type`/`size` probes), recursive file listing and
//! the multipart file-edit commit (`PUT browse/{path}`).

use std::convert::Infallible;

use bytes::Bytes;
use http::{Response, StatusCode};
use serde_json::json;

use super::commits::resolve_at;
use crate::git::EntryKind;
use crate::render;
use crate::rest::{ok, ApiError, ApiResult, Ctx, PageReq, DEFAULT_LIMIT, MAX_LIMIT};
use crate::shared::full;
use crate::state::Level;

/// Browse pages: default and maximum lines per page (Bitbucket's `page.max.source.lines` is 5000).
const BROWSE_DEFAULT: usize = 500;
const BROWSE_MAX_LINES: usize = 5000;

pub(crate) async fn raw(ctx: &Ctx) -> ApiResult {
    let repo = ctx.repo(Level::Read)?;
    let path = ctx.param("path").to_owned();
    let (commit, at) = resolve_at(ctx, &repo, ctx.query.value("at")).await?;
    let Some(bytes) = ctx.shared.git.read_blob(&repo.path, &commit, &path).await? else {
        return Err(ApiError::no_such_path(&path, &at));
    };
    let binary = bytes.iter().take(8000).any(|b| *b == 0);
    let content_type = if binary {
        "application/octet-stream"
    } else {
        "text/plain;charset=UTF-8"
    };
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header(http::header::CONTENT_TYPE, content_type)
        .body(full(bytes))
        .unwrap_or_else(|_| Response::new(full(Vec::new()))))
}

pub(crate) async fn browse(ctx: &Ctx) -> ApiResult {
    let repo = ctx.repo(Level::Read)?;
    let path = ctx.param("path").trim_matches('/').to_owned();
    let (commit, at) = resolve_at(ctx, &repo, ctx.query.value("at")).await?;
    let git = &ctx.shared.git;
    let Some(entry) = git.entry(&repo.path, &commit, &path).await? else {
        return Err(ApiError::no_such_path(&path, &at));
    };
    if ctx.query.flag("size") {
        if entry.kind != EntryKind::File {
            return Err(ApiError::bad_request(format!(
                "\"{path}\" is not a file, so it has no size"
            )));
        }
        return ok(&json!({"size": entry.size.unwrap_or(0)}));
    }
    if ctx.query.flag("type") {
        return ok(&json!({"type": entry.kind.as_str()}));
    }
    match entry.kind {
        EntryKind::File => {
            let bytes = git
                .read_blob(&repo.path, &commit, &path)
                .await?
                .unwrap_or_default();
            let page = PageReq::from_query(&ctx.query, BROWSE_DEFAULT, BROWSE_MAX_LINES);
            let text = String::from_utf8_lossy(&bytes);
            let mut lines: Vec<&str> = text.split('\n').collect();
            if text.ends_with('\n') || text.is_empty() {
                lines.pop();
            }
            let total = lines.len();
            let window: Vec<serde_json::Value> = lines
                .iter()
                .skip(page.start)
                .take(page.limit)
                .map(|l| json!({"text": l.trim_end_matches('\r')}))
                .collect();
            let last = page.start.saturating_add(window.len()) >= total;
            let mut value = json!({
                "lines": window,
                "start": page.start,
                "size": window.len(),
                "isLastPage": last,
                "limit": page.limit,
            });
            if !last {
                value["nextPageStart"] = json!(page.start + page.limit);
            }
            ok(&value)
        }
        EntryKind::Directory => {
            let mut children = git.list_dir(&repo.path, &commit, &path).await?;
            children.sort_by(|a, b| {
                let rank = |e: &crate::git::TreeEntry| u8::from(e.kind != EntryKind::Directory);
                rank(a)
                    .cmp(&rank(b))
                    .then_with(|| a.path.to_lowercase().cmp(&b.path.to_lowercase()))
            });
            let page = PageReq::from_query(&ctx.query, BROWSE_DEFAULT, MAX_LIMIT);
            let values = children
                .iter()
                .map(|child| {
                    let mut value = json!({
                        "path": render::path(&child.path),
                        "contentId": child.oid,
                        "type": child.kind.as_str(),
                    });
                    if let Some(size) = child.size {
                        value["size"] = json!(size);
                    }
                    value
                })
                .collect();
            ok(&json!({
                "path": render::path(&path),
                "revision": at,
                "children": page.page(values),
            }))
        }
        EntryKind::Submodule => {
            ok(&json!({"type": "SUBMODULE", "path": render::path(&path), "revision": at}))
        }
    }
}

pub(crate) async fn list(ctx: &Ctx) -> ApiResult {
    let repo = ctx.repo(Level::Read)?;
    let path = ctx.param("path").trim_matches('/').to_owned();
    let page = PageReq::from_query(&ctx.query, DEFAULT_LIMIT, MAX_LIMIT);
    let empty = ctx.state().repo(repo.id).is_none_or(|r| r.is_empty());
    if empty && ctx.query.value("at").is_none() {
        return ok(&page.page(Vec::new()));
    }
    let (commit, at) = resolve_at(ctx, &repo, ctx.query.value("at")).await?;
    if !path.is_empty() {
        match ctx.shared.git.entry(&repo.path, &commit, &path).await? {
            Some(entry) if entry.kind == EntryKind::Directory => {}
            _ => return Err(ApiError::no_such_path(&path, &at)),
        }
    }
    let files = ctx
        .shared
        .git
        .list_files(&repo.path, &commit, &path)
        .await?;
    ok(&page.page(files.into_iter().map(serde_json::Value::String).collect()))
}

/// The multipart fields of a file edit.
#[derive(Debug, Default)]
struct EditForm {
    content: Option<Vec<u8>>,
    message: Option<String>,
    branch: Option<String>,
    source_commit: Option<String>,
    source_branch: Option<String>,
}

async fn parse_form(ctx: &Ctx, boundary: String) -> Result<EditForm, ApiError> {
    let body = ctx.body.clone();
    let stream = futures_util::stream::once(async move { Ok::<Bytes, Infallible>(body) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut form = EditForm::default();
    loop {
        let field = multipart.next_field().await.map_err(|err| {
            ApiError::bad_request(format!("The multipart body could not be parsed: {err}"))
        })?;
        let Some(field) = field else { break };
        let name = field.name().unwrap_or("").to_owned();
        let bytes = field.bytes().await.map_err(|err| {
            ApiError::bad_request(format!("The multipart body could not be parsed: {err}"))
        })?;
        let text = || String::from_utf8_lossy(&bytes).into_owned();
        match name.as_str() {
            "content" => form.content = Some(bytes.to_vec()),
            "message" => form.message = Some(text()),
            "branch" => form.branch = Some(text()),
            "sourceCommitId" => form.source_commit = Some(text()).filter(|s| !s.trim().is_empty()),
            "sourceBranch" => form.source_branch = Some(text()).filter(|s| !s.trim().is_empty()),
            _ => {}
        }
    }
    Ok(form)
}

pub(crate) async fn edit(ctx: &Ctx) -> ApiResult {
    let content_type = ctx
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let boundary = multer::parse_boundary(&content_type).ok();
    let Some(boundary) = boundary.filter(|_| {
        content_type
            .to_ascii_lowercase()
            .starts_with("multipart/form-data")
    }) else {
        return Ok(Response::builder()
            .status(StatusCode::UNSUPPORTED_MEDIA_TYPE)
            .header(http::header::CONTENT_TYPE, "text/html;charset=UTF-8")
            .body(full(
                "<html><body><h1>HTTP Status 415 - Unsupported Media Type</h1></body></html>",
            ))
            .unwrap_or_else(|_| Response::new(full(Vec::new()))));
    };
    let user = ctx.require_user()?;
    let repo = ctx.writable_repo(Level::Write)?;
    ctx.require_committer()?;
    let form = parse_form(ctx, boundary).await?;
    let Some(branch) = form.branch.filter(|b| !b.trim().is_empty()) else {
        return Err(ApiError::validation(
            "branch",
            "The branch to commit on is required.",
        ));
    };
    let Some(content) = form.content else {
        return Err(ApiError::validation(
            "content",
            "The file content is required.",
        ));
    };
    let edit = crate::ops::FileEdit {
        path: ctx.param("path").to_owned(),
        content,
        branch,
        message: form.message,
        source_commit: form.source_commit,
        source_branch: form.source_branch,
    };
    let commit = crate::ops::edit_file(&ctx.shared, &repo, &user, edit).await?;
    let state = ctx.state();
    ok(&render::commit(&state, &commit, &ctx.shared.links))
}
