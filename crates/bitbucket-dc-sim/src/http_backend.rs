//! Git smart HTTP under `/scm/{project}/{repo}.git` through `git http-backend` as a CGI program, with
//! Bitbucket's permission checks (REPO_READ to fetch, REPO_WRITE to push) and REST-visible pushes.

use std::io;
use std::process::Stdio;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::StreamExt as _;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::{Frame, Incoming};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

use crate::shared::{full, Body, Shared};
use crate::state::{Caller, Level};

/// The parts of a `/scm/...` path.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ScmPath {
    pub(crate) project: String,
    pub(crate) repo: String,
    /// What follows `.git`, e.g. `/info/refs`.
    pub(crate) rest: String,
}

/// Splits `/scm/{project}/{repo}[.git]/{rest}`.
pub(crate) fn parse_scm_path(rel: &str) -> Option<ScmPath> {
    let tail = rel.strip_prefix("/scm/")?;
    let (project, tail) = tail.split_once('/')?;
    let (repo, rest) = match tail.find('/') {
        Some(idx) => (&tail[..idx], &tail[idx..]),
        None => (tail, ""),
    };
    let repo = repo.strip_suffix(".git").unwrap_or(repo);
    let project = percent_encoding::percent_decode_str(project)
        .decode_utf8()
        .ok()?
        .into_owned();
    if project.is_empty() || repo.is_empty() {
        return None;
    }
    Some(ScmPath {
        project,
        repo: repo.to_owned(),
        rest: rest.to_owned(),
    })
}

fn text(status: StatusCode, message: &str) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "text/plain;charset=UTF-8")
        .body(full(message.to_owned()))
        .unwrap_or_else(|_| Response::new(full(Vec::new())))
}

pub(crate) async fn serve(
    shared: Arc<Shared>,
    caller: Option<Caller>,
    req: Request<Incoming>,
    rel: &str,
) -> Response<Body> {
    let Some(scm) = parse_scm_path(rel) else {
        return text(StatusCode::NOT_FOUND, "Repository not found");
    };
    let query = req.uri().query().unwrap_or("").to_owned();
    let is_push = scm.rest == "/git-receive-pack"
        || (scm.rest == "/info/refs" && query.contains("service=git-receive-pack"));
    let needed = if is_push { Level::Write } else { Level::Read };

    let (repo_id, key, slug, archived, level) = {
        let state = shared.state();
        let found = state
            .project(&scm.project)
            .and_then(|p| state.repo_id(&p.key, &scm.repo))
            .and_then(|id| state.repo(id));
        let Some(repo) = found else {
            return text(StatusCode::NOT_FOUND, "Repository not found");
        };
        (
            repo.id,
            repo.project_key.clone(),
            repo.slug.clone(),
            repo.archived,
            state.repo_level(caller.as_ref(), repo),
        )
    };
    match (level, &caller) {
        (Some(have), _) if have >= needed => {}
        (_, None) => return git_challenge(StatusCode::UNAUTHORIZED),
        (Some(_), Some(_)) | (None, Some(_)) => return git_challenge(StatusCode::FORBIDDEN),
    }
    if is_push && archived {
        return text(
            StatusCode::FORBIDDEN,
            "This repository is archived and cannot be pushed to.",
        );
    }
    if let Err(err) = crate::ops::ensure_git(&shared, repo_id).await {
        return text(StatusCode::INTERNAL_SERVER_ERROR, &err.to_string());
    }
    // Pushes hold the repository's write lock until the refs are refreshed.
    let guard = if scm.rest == "/git-receive-pack" {
        let lock = shared.state().repo(repo_id).map(|r| r.write_lock.clone());
        match lock {
            Some(lock) => Some(lock.lock_owned().await),
            None => None,
        }
    } else {
        None
    };

    let path_info = format!("/{}/{}.git{}", key.to_ascii_lowercase(), slug, scm.rest);
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let mut cmd = shared.git.command();
    cmd.arg("-c")
        .arg("http.receivepack=true")
        .arg("-c")
        .arg("http.uploadpack=true")
        .arg("http-backend")
        .env("GIT_PROJECT_ROOT", &shared.repos_root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("PATH_INFO", &path_info)
        .env("REQUEST_METHOD", req.method().as_str())
        .env("QUERY_STRING", &query)
        .env("REMOTE_ADDR", "127.0.0.1")
        .env("SERVER_PROTOCOL", "HTTP/1.1")
        .env(
            "REMOTE_USER",
            caller.as_ref().map(|c| c.user.as_str()).unwrap_or(""),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(ct) = header("content-type") {
        cmd.env("CONTENT_TYPE", ct);
    }
    if let Some(len) = header("content-length") {
        cmd.env("CONTENT_LENGTH", len);
    }
    if let Some(enc) = header("content-encoding") {
        cmd.env("HTTP_CONTENT_ENCODING", enc);
    }
    if let Some(proto) = header("git-protocol") {
        cmd.env("GIT_PROTOCOL", proto);
    }
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(err) => {
            return text(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("could not start git http-backend: {err}"),
            )
        }
    };

    // Stream the request body into the CGI's stdin.
    if let Some(mut stdin) = child.stdin.take() {
        let mut body = req.into_body();
        tokio::spawn(async move {
            while let Some(frame) = body.frame().await {
                let Ok(frame) = frame else { break };
                if let Ok(data) = frame.into_data() {
                    if stdin.write_all(&data).await.is_err() {
                        break;
                    }
                }
            }
            let _ = stdin.shutdown().await;
        });
    }
    if let Some(mut stderr) = child.stderr.take() {
        tokio::spawn(async move {
            let mut buf = Vec::new();
            let _ = stderr.read_to_end(&mut buf).await;
            if !buf.is_empty() {
                tracing::debug!(stderr = %String::from_utf8_lossy(&buf), "git http-backend");
            }
        });
    }
    let Some(mut stdout) = child.stdout.take() else {
        return text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "git http-backend has no stdout",
        );
    };

    // Read the CGI header block.
    let mut head = Vec::new();
    let mut chunk = vec![0u8; 16 * 1024];
    let body_start = loop {
        if let Some(end) = header_end(&head) {
            break end;
        }
        match stdout.read(&mut chunk).await {
            Ok(0) | Err(_) => {
                let _ = child.wait().await;
                return text(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "git http-backend ended before sending headers",
                );
            }
            Ok(n) => head.extend_from_slice(&chunk[..n]),
        }
    };
    let (status, headers) = parse_cgi_headers(&head[..body_start.0]);
    let leftover = Bytes::copy_from_slice(&head[body_start.1..]);

    let (tx, rx) = mpsc::channel::<Result<Bytes, io::Error>>(16);
    let refresh = is_push && scm.rest == "/git-receive-pack";
    let pusher = caller.as_ref().map(|c| c.user.clone());
    tokio::spawn(async move {
        let _guard = guard;
        if !leftover.is_empty() && tx.send(Ok(leftover)).await.is_err() {
            return;
        }
        loop {
            match stdout.read(&mut chunk).await {
                Ok(0) => break,
                Ok(n) => {
                    if tx
                        .send(Ok(Bytes::copy_from_slice(&chunk[..n])))
                        .await
                        .is_err()
                    {
                        break;
                    }
                }
                Err(err) => {
                    let _ = tx.send(Err(err)).await;
                    break;
                }
            }
        }
        let _ = child.wait().await;
        if refresh {
            if let Err(err) = crate::ops::refresh_refs(&shared, repo_id, pusher.as_deref()).await {
                tracing::warn!(error = %err, "could not refresh refs after a push");
            }
        }
        drop(tx);
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    })
    .map(|item| item.map(Frame::data));
    let mut response = Response::new(StreamBody::new(stream).boxed_unsync());
    *response.status_mut() = status;
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            response.headers_mut().append(name, value);
        }
    }
    response
}

/// Finds the blank line ending the CGI headers: (end of headers, start of body).
fn header_end(buf: &[u8]) -> Option<(usize, usize)> {
    if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
        return Some((pos, pos + 4));
    }
    buf.windows(2)
        .position(|w| w == b"\n\n")
        .map(|pos| (pos, pos + 2))
}

/// Parses CGI response headers, turning `Status:` into the HTTP status.
pub(crate) fn parse_cgi_headers(head: &[u8]) -> (StatusCode, Vec<(String, String)>) {
    let text = String::from_utf8_lossy(head);
    let mut status = StatusCode::OK;
    let mut headers = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("status") {
            if let Some(code) = value
                .split_whitespace()
                .next()
                .and_then(|c| c.parse::<u16>().ok())
                .and_then(|c| StatusCode::from_u16(c).ok())
            {
                status = code;
            }
        } else {
            headers.push((name.trim().to_owned(), value.to_owned()));
        }
    }
    (status, headers)
}

/// The plain-text 401 (with the Basic challenge) or 403 git clients get.
pub(crate) fn git_challenge(status: StatusCode) -> Response<Body> {
    let mut builder = Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "text/plain;charset=UTF-8");
    if status == StatusCode::UNAUTHORIZED {
        builder = builder.header(
            http::header::WWW_AUTHENTICATE,
            "Basic realm=\"Atlassian Bitbucket\"",
        );
    }
    let text = if status == StatusCode::UNAUTHORIZED {
        "Authentication failed. Please check your credentials and try again."
    } else {
        "You are not permitted to access this repository."
    };
    builder
        .body(full(text))
        .unwrap_or_else(|_| Response::new(full(Vec::new())))
}

#[cfg(test)]
mod tests;
