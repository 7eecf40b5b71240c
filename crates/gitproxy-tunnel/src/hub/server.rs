//! The hub's listener: TLS, the HTTP/1.1 endpoints (WebSocket upgrade and long-poll), and the HTTP/2 client
//! it runs over each agent's tunnel (registration, latency probes, liveness).

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::header::{
    AUTHORIZATION, CONNECTION, CONTENT_TYPE, RETRY_AFTER, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY,
    SEC_WEBSOCKET_PROTOCOL, SEC_WEBSOCKET_VERSION, UPGRADE,
};
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::poll::{PollResult, PollState};
use super::registry::{Conn, ConnKind};
use super::HubInner;
use crate::agent::tunnel_params::{CONNECTION_WINDOW, MAX_FRAME, MAX_HEADER_LIST, STREAM_WINDOW};
use crate::handler::{full, Body};
use crate::kill::{KillSwitch, Killable};
use crate::protocol::{
    offers_subprotocol, validate_agent_id, validate_token, ErrorBody, ErrorCode, PollSession,
    Registration, CONTROL_PING, CONTROL_REGISTER, H_AGENT_ID, H_AGENT_VERSION, H_CONNECTION_INDEX,
    H_STATUS, JSON, POLL, POLL_REGISTER, POLL_RESULT, SUBPROTOCOL, TUNNEL_PATH,
};
use crate::secret::AccessKey;
use crate::ws::{accept_key, Role, WsIo};

const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);

/// Bytes read from an agent's socket per system call at most (TLS records are up to 16 KiB).
const READ_BUFFER: usize = 64 << 10;

pub(super) async fn accept_loop(inner: Arc<HubInner>, listener: TcpListener) {
    let tls = tokio_rustls::TlsAcceptor::from(inner.config.tls_with_alpn());
    let mut stop = inner.stop.subscribe();
    loop {
        let accepted = tokio::select! {
            res = listener.accept() => res,
            _ = stop.wait_for(|s| *s) => return,
        };
        let (tcp, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let tls = tls.clone();
        let hub = inner.clone();
        inner.spawn(async move {
            // rustls reads at most 4 KiB per call; one buffered read takes whatever the socket holds.
            let tcp = tokio::io::BufReader::with_capacity(READ_BUFFER, tcp);
            let stream = match tokio::time::timeout(HANDSHAKE_TIMEOUT, tls.accept(tcp)).await {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    tracing::debug!(%peer, error = %e, "tls handshake with an agent failed");
                    return;
                }
                Err(_) => return,
            };
            let service_hub = hub.clone();
            let service = service_fn(move |req| {
                let hub = service_hub.clone();
                async move { Ok::<_, Infallible>(route(&hub, req).await) }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HANDSHAKE_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            if let Err(e) = conn.await {
                tracing::debug!(%peer, error = %e, "agent http connection ended with an error");
            }
        });
    }
}

async fn route(hub: &Arc<HubInner>, req: Request<Incoming>) -> Response<Body> {
    let path = req.uri().path().to_owned();
    let res = match (req.method().clone(), path.as_str()) {
        (Method::GET, TUNNEL_PATH) => upgrade(hub, req).await,
        (Method::POST, POLL_REGISTER) => poll_register(hub, req).await,
        (Method::GET, POLL) => poll(hub, req).await,
        (Method::POST, POLL_RESULT) => poll_result(hub, req).await,
        _ => Err(error(
            StatusCode::NOT_FOUND,
            ErrorCode::UnknownOperation,
            format!("no such endpoint {path:?}; see docs/tunnel-protocol.md"),
        )),
    };
    res.unwrap_or_else(|e| e)
}

fn error(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Response<Body> {
    let body = ErrorBody::new(code, message);
    let mut res = Response::new(full(body.to_json()));
    *res.status_mut() = status;
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(JSON));
    res
}

/// The identity claimed in the agent headers, after the access check.
struct Identity {
    tenant: String,
    agent_id: String,
    index: u32,
}

async fn authenticate(hub: &HubInner, headers: &HeaderMap) -> Result<Identity, Response<Body>> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let agent_id = header(H_AGENT_ID).unwrap_or_default().to_owned();
    validate_agent_id(&agent_id)
        .map_err(|e| error(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, e))?;
    let version = header(H_AGENT_VERSION).unwrap_or_default();
    if version.is_empty() || version.len() > 64 {
        return Err(error(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            format!("{H_AGENT_VERSION} must be 1 to 64 characters"),
        ));
    }
    let index: u32 = header(H_CONNECTION_INDEX)
        .and_then(|v| v.parse().ok())
        .filter(|i| *i < 16)
        .ok_or_else(|| {
            error(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadRequest,
                format!("{H_CONNECTION_INDEX} must be 0 to 15"),
            )
        })?;
    let unauthorized = |msg: &str| error(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized, msg);
    let key = header(AUTHORIZATION.as_str())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| unauthorized("missing bearer access key; set gitproxy.accessKey"))?;
    let key = AccessKey::new(key)
        .map_err(|_| unauthorized("malformed access key; copy it again into gitproxy.accessKey"))?;
    let tenant = hub.check.check(&key, &agent_id).await.map_err(|denied| {
        tracing::warn!(agent_id = %agent_id, status = denied.status, "agent access key refused");
        let status = StatusCode::from_u16(denied.status)
            .ok()
            .filter(|s| *s == StatusCode::FORBIDDEN)
            .unwrap_or(StatusCode::UNAUTHORIZED);
        error(status, ErrorCode::Unauthorized, denied.message)
    })?;
    Ok(Identity {
        tenant,
        agent_id,
        index,
    })
}

fn header_has_token(headers: &HeaderMap, name: http::header::HeaderName, token: &str) -> bool {
    headers.get_all(name).iter().any(|v| {
        v.to_str()
            .map(|s| s.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
            .unwrap_or(false)
    })
}

async fn upgrade(
    hub: &Arc<HubInner>,
    req: Request<Incoming>,
) -> Result<Response<Body>, Response<Body>> {
    let headers = req.headers();
    if !header_has_token(headers, UPGRADE, "websocket")
        || !header_has_token(headers, CONNECTION, "upgrade")
    {
        return Err(error(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            "a websocket upgrade is required on this path (Upgrade: websocket, Connection: Upgrade); the agent falls back to long-poll",
        ));
    }
    if headers
        .get(SEC_WEBSOCKET_VERSION)
        .map(HeaderValue::as_bytes)
        != Some(b"13")
    {
        return Err(error(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            "Sec-WebSocket-Version must be 13",
        ));
    }
    let offered = headers
        .get(SEC_WEBSOCKET_PROTOCOL)
        .is_some_and(|v| offers_subprotocol(v.as_bytes()));
    if !offered {
        let mut res = error(
            StatusCode::UPGRADE_REQUIRED,
            ErrorCode::BadRequest,
            format!("this cloud speaks {SUBPROTOCOL}; upgrade the agent"),
        );
        res.headers_mut().insert(
            SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static(SUBPROTOCOL),
        );
        return Err(res);
    }
    let key = headers
        .get(SEC_WEBSOCKET_KEY)
        .map(|k| accept_key(k.as_bytes()))
        .ok_or_else(|| {
            error(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadRequest,
                "missing Sec-WebSocket-Key",
            )
        })?;
    if *hub.stop.borrow() {
        let mut res = error(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::ShuttingDown,
            "the hub is shutting down; reconnect shortly",
        );
        res.headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from_static("1"));
        return Err(res);
    }
    let identity = authenticate(hub, headers).await?;
    let hub2 = hub.clone();
    hub.spawn(async move {
        match hyper::upgrade::on(req).await {
            Ok(upgraded) => {
                let ws = WsIo::new(TokioIo::new(upgraded), Role::Server);
                attach_tunnel(hub2, identity, ws).await;
            }
            Err(e) => tracing::warn!(error = %e, "websocket upgrade failed"),
        }
    });
    let mut res = Response::new(full(Bytes::new()));
    *res.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = res.headers_mut();
    h.insert(UPGRADE, HeaderValue::from_static("websocket"));
    h.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    h.insert(
        SEC_WEBSOCKET_PROTOCOL,
        HeaderValue::from_static(SUBPROTOCOL),
    );
    if let Ok(v) = HeaderValue::from_str(&key) {
        h.insert(SEC_WEBSOCKET_ACCEPT, v);
    }
    Ok(res)
}

/// Runs the HTTP/2 client over an upgraded tunnel, registers the connection and probes its latency.
async fn attach_tunnel<S>(hub: Arc<HubInner>, identity: Identity, ws: WsIo<S>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let config = &hub.config;
    let mut builder = hyper::client::conn::http2::Builder::new(TokioExecutor::new());
    builder
        .timer(TokioTimer::new())
        .keep_alive_interval(config.ping_interval)
        .keep_alive_timeout(config.ping_timeout)
        .keep_alive_while_idle(true)
        .initial_stream_window_size(STREAM_WINDOW)
        .initial_connection_window_size(CONNECTION_WINDOW)
        .max_frame_size(MAX_FRAME)
        .max_header_list_size(MAX_HEADER_LIST);
    let switch = KillSwitch::new();
    let io = Killable::new(ws, switch.clone());
    let (mut sender, conn) = match builder.handshake::<_, Body>(TokioIo::new(io)).await {
        Ok(pair) => pair,
        Err(e) => {
            tracing::warn!(agent_id = %identity.agent_id, error = %e, "http/2 handshake over the tunnel failed");
            return;
        }
    };
    let (conn_done_tx, conn_done_rx) = oneshot::channel::<String>();
    tokio::spawn(async move {
        let reason = match conn.await {
            Ok(()) => "closed".to_owned(),
            Err(e) => format!("connection error: {e}"),
        };
        let _ = conn_done_tx.send(reason);
    });
    let registration = tokio::time::timeout(HANDSHAKE_TIMEOUT, async {
        let req = Request::post(format!("http://gitproxy-agent{CONTROL_REGISTER}"))
            .body(full(Bytes::new()))
            .map_err(|e| e.to_string())?;
        let res = sender.send_request(req).await.map_err(|e| e.to_string())?;
        if res.status() != StatusCode::OK {
            return Err(format!("registration answered http {}", res.status()));
        }
        let body = Limited::new(res.into_body(), 1 << 20)
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Registration::decode(&body)
    })
    .await
    .unwrap_or_else(|_| Err("registration timed out".to_owned()));
    let registration = match registration {
        Ok(r) if r.agent_id == identity.agent_id && r.connection_index == identity.index => r,
        Ok(_) => {
            tracing::warn!(agent_id = %identity.agent_id, "registration does not match the upgrade headers; closing");
            switch.kill();
            return;
        }
        Err(e) => {
            tracing::warn!(agent_id = %identity.agent_id, error = %e, "agent registration failed; closing");
            switch.kill();
            return;
        }
    };
    let conn = Arc::new(Conn {
        id: hub.next_id(),
        tenant: identity.tenant,
        agent_id: identity.agent_id,
        version: registration.version,
        capabilities: registration.capabilities,
        index: identity.index,
        max_concurrent: registration.max_concurrent_ops.max(1),
        kind: ConnKind::H2(sender.clone()),
        connected_at: SystemTime::now(),
        in_flight: AtomicUsize::new(0),
        latency_us: AtomicU64::new(0),
        closed: AtomicBool::new(false),
        kill: Some(switch),
    });
    hub.registry.insert(conn.clone());
    let interval = config.ping_interval;
    let mut done = conn_done_rx;
    let mut next = Instant::now();
    let reason = loop {
        // Latency probe: one control ping per interval, timed end to end.
        let started = Instant::now();
        if let Ok(req) =
            Request::post(format!("http://gitproxy-agent{CONTROL_PING}")).body(full(Bytes::new()))
        {
            let probe = async {
                let mut sender = sender.clone();
                sender.ready().await.ok()?;
                sender.send_request(req).await.ok()
            };
            tokio::select! {
                res = tokio::time::timeout(config.ping_timeout, probe) => {
                    if let Ok(Some(res)) = res {
                        if res.status() == StatusCode::NO_CONTENT {
                            conn.record_latency(started.elapsed());
                        }
                    }
                }
                reason = &mut done => break reason.unwrap_or_else(|_| "aborted".to_owned()),
            }
        }
        next += interval;
        tokio::select! {
            () = tokio::time::sleep_until(next) => {}
            reason = &mut done => break reason.unwrap_or_else(|_| "aborted".to_owned()),
        }
    };
    hub.registry.remove(&conn, &reason);
}

async fn read_json_body(req: Request<Incoming>, limit: usize) -> Result<Bytes, Response<Body>> {
    Limited::new(req.into_body(), limit)
        .collect()
        .await
        .map(|c| c.to_bytes())
        .map_err(|e| {
            error(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadRequest,
                format!("could not read the request body: {e}"),
            )
        })
}

fn query(req: &Request<Incoming>) -> HashMap<String, String> {
    req.uri()
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default()
}

async fn poll_register(
    hub: &Arc<HubInner>,
    req: Request<Incoming>,
) -> Result<Response<Body>, Response<Body>> {
    let identity = authenticate(hub, req.headers()).await?;
    let body = read_json_body(req, 1 << 20).await?;
    let registration = Registration::decode(&body)
        .map_err(|e| error(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, e))?;
    if registration.agent_id != identity.agent_id || registration.connection_index != identity.index
    {
        return Err(error(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            "registration does not match the agent headers",
        ));
    }
    let session = format!("s{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
    let state = Arc::new(PollState::new(
        session.clone(),
        identity.tenant.clone(),
        registration.max_concurrent_ops.max(1) as usize,
    ));
    let conn = Arc::new(Conn {
        id: hub.next_id(),
        tenant: identity.tenant,
        agent_id: identity.agent_id,
        version: registration.version,
        capabilities: registration.capabilities,
        index: identity.index,
        max_concurrent: registration.max_concurrent_ops.max(1),
        kind: ConnKind::Poll(state.clone()),
        connected_at: SystemTime::now(),
        in_flight: AtomicUsize::new(0),
        latency_us: AtomicU64::new(0),
        closed: AtomicBool::new(false),
        kill: None,
    });
    hub.sessions
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(session.clone(), conn.clone());
    hub.registry.insert(conn.clone());
    let wait = hub.config.poll_wait;
    let reaper_hub = hub.clone();
    hub.spawn(async move {
        loop {
            tokio::time::sleep(wait).await;
            if conn.closed.load(std::sync::atomic::Ordering::SeqCst) || state.idle_for() > wait * 2
            {
                break;
            }
        }
        reaper_hub
            .sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&state.session);
        state.fail_all();
        reaper_hub
            .registry
            .remove(&conn, "long-poll session expired");
    });
    let body = serde_json::to_vec(&PollSession {
        session,
        poll_wait_ms: u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
    })
    .unwrap_or_default();
    let mut res = Response::new(full(body));
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(JSON));
    Ok(res)
}

fn session_of(hub: &HubInner, req: &Request<Incoming>, tenant: &str) -> Option<Arc<PollState>> {
    let session = query(req).get("session").cloned()?;
    let conn = hub
        .sessions
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&session)
        .cloned()?;
    match &conn.kind {
        ConnKind::Poll(state) if state.tenant == tenant && conn.is_usable() => Some(state.clone()),
        _ => None,
    }
}

fn unknown_session() -> Response<Body> {
    error(
        StatusCode::NOT_FOUND,
        ErrorCode::BadRequest,
        "unknown long-poll session; register again",
    )
}

async fn poll(
    hub: &Arc<HubInner>,
    req: Request<Incoming>,
) -> Result<Response<Body>, Response<Body>> {
    let identity = authenticate(hub, req.headers()).await?;
    let state = session_of(hub, &req, &identity.tenant).ok_or_else(unknown_session)?;
    state.touch();
    let envelopes = state.take(hub.config.poll_wait).await;
    state.touch();
    let body = serde_json::to_vec(&envelopes).unwrap_or_else(|_| b"[]".to_vec());
    let mut res = Response::new(full(body));
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(JSON));
    Ok(res)
}

async fn poll_result(
    hub: &Arc<HubInner>,
    req: Request<Incoming>,
) -> Result<Response<Body>, Response<Body>> {
    let identity = authenticate(hub, req.headers()).await?;
    let state = session_of(hub, &req, &identity.tenant).ok_or_else(unknown_session)?;
    state.touch();
    let id = query(&req).get("id").cloned().unwrap_or_default();
    validate_token(&id, 128).map_err(|e| {
        error(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            format!("result id {e}"),
        )
    })?;
    let status = req
        .headers()
        .get(H_STATUS)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u16>().ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let (parts, body) = req.into_parts();
    let (done_tx, done_rx) = oneshot::channel();
    let result = PollResult {
        status,
        headers: parts.headers,
        body,
        done: done_tx,
    };
    if !state.complete(&id, result) {
        return Err(error(
            StatusCode::NOT_FOUND,
            ErrorCode::BadRequest,
            "unknown or already answered operation id",
        ));
    }
    // Answer once the caller has read the streamed body (or dropped it).
    let _ = done_rx.await;
    let mut res = Response::new(full(Bytes::new()));
    *res.status_mut() = StatusCode::NO_CONTENT;
    Ok(res)
}
