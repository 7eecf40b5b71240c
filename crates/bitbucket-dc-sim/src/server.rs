//! The hyper server: accept loop (plain or TLS), authentication, fault switches, XSRF check, routing to REST
//! handlers or git smart HTTP, identity headers and the request log; the simulator-only admin endpoints are
//! dispatched before all of that.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::{Frame, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use crate::admin;
use crate::faults::{AuthScheme, LoggedRequest, Verdict};
use crate::http_backend::git_challenge;
use crate::rest::{ApiError, Ctx, Query};
use crate::shared::{full, Body, Shared};
use crate::state::{Caller, State};

/// The most a REST request body may carry.
const MAX_BODY: usize = 64 * 1024 * 1024;
/// The outcome of checking the `Authorization` header.
#[derive(Debug, Clone)]
pub(crate) enum Auth {
    Anonymous,
    User(Caller),
    Bad,
}

pub(crate) fn authenticate(state: &State, headers: &HeaderMap) -> (Auth, AuthScheme) {
    let Some(value) = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return (Auth::Anonymous, AuthScheme::None);
    };
    let value = value.trim();
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        let auth = match state.tokens.get(rest) {
            Some(token) if state.user(&token.user).is_some_and(|u| u.active) => {
                Auth::User(Caller {
                    user: token.user.clone(),
                    cap: token.cap,
                })
            }
            _ => Auth::Bad,
        };
        return (auth, AuthScheme::Bearer);
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest)
            .ok()
            .and_then(|b| String::from_utf8(b).ok());
        let Some((name, secret)) = decoded.as_deref().and_then(|d| d.split_once(':')) else {
            return (Auth::Bad, AuthScheme::Basic);
        };
        let user = state.user(name).or_else(|| {
            state
                .users
                .values()
                .find(|u| u.name.eq_ignore_ascii_case(name))
        });
        let Some(user) = user.filter(|u| u.active) else {
            return (Auth::Bad, AuthScheme::Basic);
        };
        if user.password.as_deref() == Some(secret) {
            return (
                Auth::User(Caller {
                    user: user.name.clone(),
                    cap: None,
                }),
                AuthScheme::Basic,
            );
        }
        return match state.tokens.get(secret) {
            Some(token) if token.user == user.name && !token.bearer_only => (
                Auth::User(Caller {
                    user: user.name.clone(),
                    cap: token.cap,
                }),
                AuthScheme::Basic,
            ),
            _ => (Auth::Bad, AuthScheme::Basic),
        };
    }
    (Auth::Bad, AuthScheme::Other)
}

/// Runs the accept loop until `shutdown` flips; connection tasks are aborted on the way out.
pub(crate) async fn serve(
    shared: Arc<Shared>,
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    break;
                }
            }
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else { continue };
                let shared = shared.clone();
                let tls = tls.clone();
                connections.spawn(async move {
                    let _ = stream.set_nodelay(true);
                    match tls {
                        Some(acceptor) => match acceptor.accept(stream).await {
                            Ok(stream) => serve_connection(shared, TokioIo::new(stream), peer).await,
                            Err(err) => tracing::debug!(%peer, error = %err, "tls handshake failed"),
                        },
                        None => serve_connection(shared, TokioIo::new(stream), peer).await,
                    }
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
}

async fn serve_connection<I>(shared: Arc<Shared>, io: I, peer: SocketAddr)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = service_fn(move |req| {
        let shared = shared.clone();
        async move { Ok::<_, Infallible>(handle(shared, req, peer).await) }
    });
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    if let Err(err) = builder.serve_connection(io, service).await {
        tracing::debug!(%peer, error = %err, "connection ended with an error");
    }
}

async fn handle(shared: Arc<Shared>, req: Request<Incoming>, peer: SocketAddr) -> Response<Body> {
    if let Some(rel) = strip_context(&shared.context_path, req.uri().path()) {
        if admin::is_admin(&shared, peer, rel) {
            return serve_admin(&shared, req).await;
        }
    }
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().map(str::to_owned);
    let headers = req.headers().clone();

    if let Some(latency) = shared.faults.latency() {
        tokio::time::sleep(latency).await;
    }
    let (auth, scheme) = authenticate(&shared.state(), &headers);
    let caller = match &auth {
        Auth::User(caller) => Some(caller.clone()),
        _ => None,
    };

    let mut response = match shared.faults.verdict(&path) {
        Verdict::Fail(failure) => injected_failure(failure.status, failure.retry_after),
        Verdict::Pass => route(&shared, req, &auth, &path).await,
    };

    if let Some(caller) = &caller {
        if let Ok(value) = HeaderValue::from_str(&caller.user) {
            response.headers_mut().insert("x-ausername", value);
        }
        if let Some(user) = shared.state().user(&caller.user) {
            if let Ok(value) = HeaderValue::from_str(&user.id.to_string()) {
                response.headers_mut().insert("x-auserid", value);
            }
        }
    }
    let request_id = shared.next_request_id();
    if let Ok(value) = HeaderValue::from_str(&format!("sim{request_id}x1")) {
        response.headers_mut().insert("x-arequestid", value);
    }

    shared.log.push(LoggedRequest {
        method: method.to_string(),
        path: path.clone(),
        query,
        user: caller.map(|c| c.user),
        status: response.status().as_u16(),
        auth: scheme,
        headers: headers
            .iter()
            .filter(|(name, _)| {
                *name != http::header::AUTHORIZATION && *name != http::header::COOKIE
            })
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
    });

    if shared.faults.take_drop(&path) {
        return cut_off(response).await;
    }
    response
}

async fn route(
    shared: &Arc<Shared>,
    req: Request<Incoming>,
    auth: &Auth,
    path: &str,
) -> Response<Body> {
    let Some(rel) = strip_context(&shared.context_path, path) else {
        return html_not_found();
    };
    let rel = rel.to_owned();
    let is_rest = rel.starts_with("/rest/");
    let is_scm = rel.starts_with("/scm/");
    if !is_rest && !is_scm {
        return html_not_found();
    }
    let caller = match auth {
        Auth::Bad => {
            if is_scm {
                return git_challenge(StatusCode::UNAUTHORIZED);
            }
            return ApiError::new(
                StatusCode::UNAUTHORIZED,
                "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException",
                "Authentication failed. Please check your credentials and try again.",
            )
            .into_response();
        }
        Auth::Anonymous => None,
        Auth::User(caller) => Some(caller.clone()),
    };
    if let Some(caller) = &caller {
        if let Err(wait) = shared.faults.take_token(&caller.user) {
            return rate_limited(wait);
        }
    }
    if is_scm {
        return crate::http_backend::serve(shared.clone(), caller, req, &rel).await;
    }
    rest(shared, req, caller, &rel).await
}

async fn rest(
    shared: &Arc<Shared>,
    req: Request<Incoming>,
    caller: Option<Caller>,
    rel: &str,
) -> Response<Body> {
    let full_uri = format!("{}{}", shared.links.base(), rel);
    let rest_path = &rel["/rest".len()..];
    let matched = match crate::routes::find(req.method(), rest_path) {
        crate::routes::Match::Found(found) => found,
        crate::routes::Match::MethodNotAllowed(allowed) => {
            return Response::builder()
                .status(StatusCode::METHOD_NOT_ALLOWED)
                .header(http::header::ALLOW, allowed.join(","))
                .body(full(Vec::new()))
                .unwrap_or_else(|_| Response::new(full(Vec::new())));
        }
        crate::routes::Match::NotFound => return xml_not_found(&full_uri),
    };
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return ApiError::bad_request("the request body could not be read or is too large")
                .into_response()
        }
    };
    if needs_xsrf_check(&parts.method, &parts.headers, &body) {
        return Response::builder()
            .status(StatusCode::FORBIDDEN)
            .header(http::header::CONTENT_TYPE, "text/plain;charset=UTF-8")
            .body(full("XSRF check failed"))
            .unwrap_or_else(|_| Response::new(full(Vec::new())));
    }
    let ctx = Ctx {
        shared: shared.clone(),
        caller,
        params: matched.params,
        query: Query::parse(parts.uri.query()),
        headers: parts.headers,
        body,
    };
    match crate::routes::call(matched.handler, ctx).await {
        Ok(response) => response,
        Err(err) => err.into_response(),
    }
}

/// The admin endpoints: no authentication, faults or request log (they must work while faults are on).
async fn serve_admin(shared: &Shared, req: Request<Incoming>) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let rel = strip_context(&shared.context_path, parts.uri.path()).unwrap_or("/");
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => Bytes::new(),
    };
    admin::serve(shared, &parts.method, rel, parts.uri.query(), &body)
}

/// Bitbucket's XSRF filter: a mutating request without `X-Atlassian-Token: no-check` is refused when its
/// content type is one a browser form could send (or absent), or when it has no body at all.
pub(crate) fn needs_xsrf_check(method: &Method, headers: &HeaderMap, body: &[u8]) -> bool {
    if !matches!(
        *method,
        Method::POST | Method::PUT | Method::DELETE | Method::PATCH
    ) {
        return false;
    }
    let has_token = headers
        .get("x-atlassian-token")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            // Atlassian's filter also accepts the older spelling.
            let v = v.trim();
            v.eq_ignore_ascii_case("no-check") || v.eq_ignore_ascii_case("nocheck")
        });
    if has_token {
        return false;
    }
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    let simple = match content_type.as_deref() {
        None | Some("") => true,
        Some(ct) => matches!(
            ct,
            "application/x-www-form-urlencoded" | "multipart/form-data" | "text/plain"
        ),
    };
    simple || body.is_empty()
}

fn strip_context<'a>(context: &str, path: &'a str) -> Option<&'a str> {
    if context.is_empty() {
        return Some(path);
    }
    let rest = path.strip_prefix(context)?;
    (rest.is_empty() || rest.starts_with('/')).then_some(rest)
}

fn html_not_found() -> Response<Body> {
    Response::builder()
        .status(StatusCode::NOT_FOUND)
        .header(http::header::CONTENT_TYPE, "text/html;charset=UTF-8")
        .body(full(
            "<!DOCTYPE html><html><head><title>Page not found - Bitbucket</title></head>\
             <body><h1>Page not found</h1></body></html>",
        ))
        .unwrap_or_else(|_| Response::new(full(Vec::new())))
}

/// What Jersey answers for a URI no resource matches.
fn xml_not_found(uri: &str) -> Response<Body> {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><status><status-code>404</status-code>\
         <message>null for uri: {}</message></status>",
        uri.replace('&', "&amp;").replace('<', "&lt;")
    );
    Response::builder()
        .status(StatusCode::NOT_FOUND)
        .header(http::header::CONTENT_TYPE, "application/xml")
        .body(full(body))
        .unwrap_or_else(|_| Response::new(full(Vec::new())))
}

fn rate_limited(wait: u64) -> Response<Body> {
    Response::builder()
        .status(StatusCode::TOO_MANY_REQUESTS)
        .header(http::header::RETRY_AFTER, wait.to_string())
        .header(http::header::CONTENT_TYPE, "text/plain;charset=UTF-8")
        .body(full(format!(
            "You have been rate limited. Please try again in {wait} seconds."
        )))
        .unwrap_or_else(|_| Response::new(full(Vec::new())))
}

fn injected_failure(status: u16, retry_after: Option<u64>) -> Response<Body> {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let mut builder = Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "text/html;charset=UTF-8");
    if let Some(wait) = retry_after {
        builder = builder.header(http::header::RETRY_AFTER, wait.to_string());
    }
    builder
        .body(full(format!(
            "<html><body><h1>{} {}</h1><p>Injected by the simulator.</p></body></html>",
            status.as_u16(),
            status.canonical_reason().unwrap_or("Error")
        )))
        .unwrap_or_else(|_| Response::new(full(Vec::new())))
}

/// Sends the head and half of the body, then fails the body so hyper drops the connection.
async fn cut_off(response: Response<Body>) -> Response<Body> {
    let (mut parts, body) = response.into_parts();
    let bytes = body
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    // Promise the whole body, deliver part of it.
    let promised = bytes.len().max(2);
    parts.headers.insert(
        http::header::CONTENT_LENGTH,
        HeaderValue::from(promised as u64),
    );
    parts.headers.remove(http::header::TRANSFER_ENCODING);
    let half = bytes.slice(..bytes.len() / 2);
    let frames: Vec<Result<Frame<Bytes>, io::Error>> = vec![
        Ok(Frame::data(half)),
        Err(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "connection dropped by the simulator",
        )),
    ];
    let stream = futures_util::stream::iter(frames);
    let body = http_body_util::StreamBody::new(stream).boxed_unsync();
    Response::from_parts(parts, body)
}

#[cfg(test)]
mod tests;
