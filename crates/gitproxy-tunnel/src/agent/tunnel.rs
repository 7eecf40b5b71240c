//! The primary transport: TLS, HTTP/1.1 upgrade to WebSocket, and the agent's HTTP/2 server inside it.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{
    AUTHORIZATION, CONNECTION, CONTENT_TYPE, HOST, RETRY_AFTER, SEC_WEBSOCKET_ACCEPT,
    SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_PROTOCOL, SEC_WEBSOCKET_VERSION, UPGRADE, USER_AGENT,
};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::sync::{mpsc, watch, Semaphore};
use tokio::time::Instant;

use super::dispatch::{Call, Dispatcher, Reply};
use super::{stopped, Ended, Shared, Transport};
use crate::dial::{connect, BoxIo};
use crate::error::Error;
use crate::handler::{full, Body, BoxError};
use crate::protocol::{
    self, ErrorBody, ErrorCode, GoAway, CONTROL_GOAWAY, CONTROL_PING, CONTROL_REGISTER, H_AGENT_ID,
    H_AGENT_VERSION, H_CONNECTION_INDEX, H_DEADLINE_MS, H_IDEMPOTENCY_KEY, H_REPLAY, JSON,
    OPS_PREFIX, SUBPROTOCOL, TUNNEL_PATH,
};
use crate::ws::{accept_key, generate_key, Role, WsIo};

/// HTTP/2 window sizes of section 2.2.
pub(crate) const STREAM_WINDOW: u32 = 1 << 20;
pub(crate) const CONNECTION_WINDOW: u32 = 8 << 20;
pub(crate) const MAX_HEADER_LIST: u32 = 16 << 10;
/// Largest DATA frame the hub accepts: bulk bodies cross in fewer, larger frames.
pub(crate) const MAX_FRAME: u32 = 64 << 10;

pub(super) async fn run(
    shared: &Arc<Shared>,
    index: u32,
    host: &str,
    port: u16,
    stop: &mut watch::Receiver<bool>,
) -> Result<Ended, Error> {
    let config = &shared.config;
    let io = connect(&*config.connector, host, port, config.connect_timeout).await?;
    let upgraded = tokio::time::timeout(
        config.connect_timeout,
        upgrade(shared, io, host, port, index),
    )
    .await
    .map_err(|_| Error::Timeout {
        what: "the websocket upgrade",
        after: config.connect_timeout,
    })??;
    let ws = WsIo::new(TokioIo::new(upgraded), Role::Client);

    let (goaway_tx, mut goaway_rx) = mpsc::channel::<GoAway>(1);
    let ctx = Arc::new(ConnCtx {
        dispatcher: shared.dispatcher.clone(),
        // HTTP/2 enforces the limit (SETTINGS_MAX_CONCURRENT_STREAMS); the semaphore is a safety net with a
        // little headroom, because a stream can close a moment before its response body is released.
        limit: Arc::new(Semaphore::new(config.max_concurrent_ops as usize + 16)),
        index,
        goaway: goaway_tx,
        registration: shared.registration(index),
    });
    let service = service_fn(move |req| {
        let ctx = ctx.clone();
        async move { Ok::<_, Infallible>(serve(req, &ctx).await) }
    });
    let mut builder = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
    builder
        .timer(TokioTimer::new())
        .keep_alive_interval(config.ping_interval)
        .keep_alive_timeout(config.ping_timeout)
        .max_concurrent_streams(config.max_concurrent_ops)
        .initial_stream_window_size(STREAM_WINDOW)
        .initial_connection_window_size(CONNECTION_WINDOW)
        .max_header_list_size(MAX_HEADER_LIST)
        .max_send_buf_size(1 << 20);
    let conn = builder.serve_connection(TokioIo::new(ws), service);
    tokio::pin!(conn);
    shared.set_connected(index, Transport::WebSocket);
    tracing::info!(index, host, port, "tunnel connected (websocket, http/2)");
    let since = Instant::now();

    enum Event {
        Done(Result<(), hyper::Error>),
        Stop,
        GoAway(GoAway),
    }
    let event = tokio::select! {
        res = conn.as_mut() => Event::Done(res),
        () = stopped(stop) => Event::Stop,
        Some(goaway) = goaway_rx.recv() => Event::GoAway(goaway),
    };
    match event {
        Event::Done(res) => Ok(Ended::Lost {
            up_for: since.elapsed(),
            error: match res {
                Ok(()) => "the cloud closed the tunnel".to_owned(),
                Err(e) => format!("tunnel connection failed: {e}"),
            },
        }),
        Event::Stop => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(config.shutdown_deadline, conn.as_mut()).await;
            Ok(Ended::Stopped)
        }
        Event::GoAway(goaway) => {
            tracing::info!(index, reason = %goaway.reason, "cloud sent goaway; draining");
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(config.shutdown_deadline, conn.as_mut()).await;
            Ok(Ended::GoAway {
                reconnect_to: goaway.reconnect_to,
            })
        }
    }
}

/// Sends the upgrade request of section 3 and interprets the answer.
async fn upgrade(
    shared: &Shared,
    io: BoxIo,
    host: &str,
    port: u16,
    index: u32,
) -> Result<hyper::upgrade::Upgraded, Error> {
    let config = &shared.config;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io)).await?;
    tokio::spawn(async move {
        let _ = conn.with_upgrades().await;
    });
    let key = generate_key();
    let mut auth = HeaderValue::try_from(format!("Bearer {}", config.access_key.expose()))
        .map_err(|_| Error::Config("the access key is not a valid header value".into()))?;
    auth.set_sensitive(true);
    let host_header = if port == 443 {
        host.to_owned()
    } else {
        format!("{host}:{port}")
    };
    let request = Request::get(TUNNEL_PATH)
        .header(HOST, host_header)
        .header(CONNECTION, "Upgrade")
        .header(UPGRADE, "websocket")
        .header(SEC_WEBSOCKET_VERSION, "13")
        .header(SEC_WEBSOCKET_KEY, &key)
        .header(SEC_WEBSOCKET_PROTOCOL, SUBPROTOCOL)
        .header(AUTHORIZATION, auth)
        .header(H_AGENT_ID, &config.agent_id)
        .header(H_AGENT_VERSION, &config.version)
        .header(H_CONNECTION_INDEX, index.to_string())
        .header(USER_AGENT, format!("gitproxy/{}", config.version))
        .body(Empty::<Bytes>::new())
        .map_err(|e| Error::Protocol(format!("could not build the upgrade request: {e}")))?;
    let response = sender.send_request(request).await?;
    let status = response.status();
    match status {
        StatusCode::SWITCHING_PROTOCOLS => {
            let accept = response.headers().get(SEC_WEBSOCKET_ACCEPT);
            if accept.map(HeaderValue::as_bytes) != Some(accept_key(key.as_bytes()).as_bytes()) {
                return Err(Error::UpgradeRefused { status: 101 });
            }
            let proto = response.headers().get(SEC_WEBSOCKET_PROTOCOL);
            if proto.map(HeaderValue::as_bytes) != Some(SUBPROTOCOL.as_bytes()) {
                return Err(Error::VersionRejected {
                    offered: SUBPROTOCOL,
                    status: 101,
                });
            }
            Ok(hyper::upgrade::on(response).await?)
        }
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            let message = error_message(response).await;
            Err(Error::Unauthorized {
                status: status.as_u16(),
                message,
            })
        }
        StatusCode::UPGRADE_REQUIRED => Err(Error::VersionRejected {
            offered: SUBPROTOCOL,
            status: status.as_u16(),
        }),
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT => Err(Error::Unavailable {
            status: status.as_u16(),
            retry_after: retry_after(response.headers()),
        }),
        other => Err(Error::UpgradeRefused {
            status: other.as_u16(),
        }),
    }
}

pub(super) fn retry_after(headers: &http::HeaderMap) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// The message of an error body, or a generic one.
pub(super) async fn error_message(response: Response<Incoming>) -> String {
    let body = Limited::new(response.into_body(), 16 << 10)
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    ErrorBody::decode(&body)
        .map(|b| b.message)
        .unwrap_or_else(|| "no explanation given".to_owned())
}

struct ConnCtx {
    dispatcher: Arc<Dispatcher>,
    limit: Arc<Semaphore>,
    index: u32,
    goaway: mpsc::Sender<GoAway>,
    registration: Bytes,
}

async fn serve(req: Request<Incoming>, ctx: &ConnCtx) -> Response<Body> {
    let path = req.uri().path();
    if path == CONTROL_REGISTER {
        return respond(StatusCode::OK, JSON, full(ctx.registration.clone()));
    }
    if path == CONTROL_PING {
        return respond(StatusCode::NO_CONTENT, JSON, full(Bytes::new()));
    }
    if path == CONTROL_GOAWAY {
        let body = Limited::new(req.into_body(), 64 << 10)
            .collect()
            .await
            .map(|c| c.to_bytes());
        return match body
            .ok()
            .and_then(|b| serde_json::from_slice::<GoAway>(&b).ok())
        {
            Some(goaway) => {
                let _ = ctx.goaway.try_send(goaway);
                respond(StatusCode::ACCEPTED, JSON, full(Bytes::new()))
            }
            None => error_response(&ErrorBody::new(
                ErrorCode::BadRequest,
                "malformed goaway body; send {\"reconnect_to\": url or null}",
            )),
        };
    }
    if !path.starts_with(OPS_PREFIX) {
        return error_response(&ErrorBody::new(
            ErrorCode::UnknownOperation,
            format!("no such path {path:?}; operations are POST {OPS_PREFIX}<name>"),
        ));
    }
    match call_from_request(req, ctx.index) {
        Ok(call) => reply_response(ctx.dispatcher.dispatch(call, &ctx.limit).await),
        Err(err) => error_response(&err),
    }
}

fn call_from_request(req: Request<Incoming>, index: u32) -> Result<Call, ErrorBody> {
    if req.method() != Method::POST {
        return Err(ErrorBody::new(
            ErrorCode::MethodNotAllowed,
            format!("operations take POST, not {}", req.method()),
        ));
    }
    let name = protocol::parse_op_path(req.uri().path())?.to_owned();
    let headers = req.headers();
    let idempotency_key = headers
        .get(H_IDEMPOTENCY_KEY)
        .map(|v| protocol::parse_idempotency_key(v.as_bytes()))
        .transpose()?;
    let deadline = headers
        .get(H_DEADLINE_MS)
        .map(|v| protocol::parse_deadline_ms(v.as_bytes()))
        .transpose()?
        .map(Duration::from_millis);
    let content_type = headers
        .get(CONTENT_TYPE)
        .map(|v| {
            v.to_str()
                .map(str::to_owned)
                .map_err(|_| ErrorBody::new(ErrorCode::BadRequest, "content-type is not ascii"))
        })
        .transpose()?;
    let content_length = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    Ok(Call {
        name,
        idempotency_key,
        deadline,
        content_type,
        content_length,
        body: req
            .into_body()
            .map_err(|e| -> BoxError { Box::new(e) })
            .boxed_unsync(),
        connection_index: index,
    })
}

fn respond(status: StatusCode, content_type: &str, body: Body) -> Response<Body> {
    let mut res = Response::new(body);
    *res.status_mut() = status;
    if let Ok(ct) = HeaderValue::from_str(content_type) {
        res.headers_mut().insert(CONTENT_TYPE, ct);
    }
    res
}

fn reply_response(reply: Reply) -> Response<Body> {
    let retryable_busy = reply.status == StatusCode::SERVICE_UNAVAILABLE;
    let mut res = respond(reply.status, &reply.content_type, reply.body);
    if reply.replay {
        res.headers_mut()
            .insert(H_REPLAY, HeaderValue::from_static("true"));
    }
    if retryable_busy {
        res.headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from_static("1"));
    }
    res
}

fn error_response(err: &ErrorBody) -> Response<Body> {
    reply_response(Reply::error(err))
}
