//! The agent's operation dispatcher, shared by both transports: limits, concurrency, idempotency, deadlines,
//! built-in operations and the mapping of failures to structured errors.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::StatusCode;
use http_body::{Frame, SizeHint};
use http_body_util::{BodyExt, Limited};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use super::idempotency::{Begin, IdempotencyStore, Stored};
use crate::config::AgentConfig;
use crate::handler::{full, Body, BoxError, OpError, OpHandler, OpRequest, OpResponse, OpSpec};
use crate::ops::{
    AgentInfo, AgentInfoResponse, ByteSequence, Echo, EchoResponse, Operation, StreamBytes,
};
use crate::protocol::{validate_op_name, ErrorBody, ErrorCode, JSON, OCTET_STREAM};

/// Largest response of a mutating operation (it is stored for replays).
const MAX_STORED_RESPONSE: usize = 1 << 20;

/// One incoming operation, transport-independent.
pub(crate) struct Call {
    pub(crate) name: String,
    pub(crate) idempotency_key: Option<String>,
    pub(crate) deadline: Option<Duration>,
    pub(crate) content_type: Option<String>,
    pub(crate) content_length: Option<u64>,
    pub(crate) body: Body,
    pub(crate) connection_index: u32,
}

/// The answer to a call.
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) content_type: String,
    pub(crate) replay: bool,
    pub(crate) body: Body,
}

impl Reply {
    pub(crate) fn error(body: &ErrorBody) -> Self {
        let status = body.code().status();
        Reply {
            status,
            content_type: JSON.to_owned(),
            replay: false,
            body: full(body.to_json()),
        }
    }
}

pub(crate) struct Dispatcher {
    config: Arc<AgentConfig>,
    handler: Arc<dyn OpHandler>,
    specs: HashMap<String, OpSpec>,
    capabilities: Vec<String>,
    idempotency: IdempotencyStore,
    shutting_down: AtomicBool,
    started: Instant,
}

impl Dispatcher {
    pub(crate) fn new(config: Arc<AgentConfig>, handler: Arc<dyn OpHandler>) -> Self {
        let mut specs: HashMap<String, OpSpec> = HashMap::new();
        for spec in handler.operations() {
            if let Err(e) = validate_op_name(&spec.name) {
                tracing::error!(error = %e, "handler declares an invalid operation name; it is not served");
                continue;
            }
            specs.insert(spec.name.clone(), spec);
        }
        for spec in [
            OpSpec::of::<AgentInfo>(),
            OpSpec::of::<Echo>(),
            OpSpec::of::<StreamBytes>(),
        ] {
            specs.insert(spec.name.clone(), spec);
        }
        let mut capabilities: Vec<String> = specs.keys().cloned().collect();
        capabilities.sort();
        Dispatcher {
            idempotency: IdempotencyStore::new(config.idempotency_ttl, config.idempotency_capacity),
            config,
            handler,
            specs,
            capabilities,
            shutting_down: AtomicBool::new(false),
            started: Instant::now(),
        }
    }

    pub(crate) fn capabilities(&self) -> &[String] {
        &self.capabilities
    }

    pub(crate) fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
    }

    pub(crate) fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }

    /// Serves one call. `limit` is the connection's concurrency semaphore.
    pub(crate) async fn dispatch(self: &Arc<Self>, call: Call, limit: &Arc<Semaphore>) -> Reply {
        let name = call.name.clone();
        match self.dispatch_inner(call, limit).await {
            Ok(reply) => reply,
            Err(err) => {
                tracing::debug!(op = %name, code = %err.0.code, "operation failed");
                Reply::error(&err.0)
            }
        }
    }

    async fn dispatch_inner(
        self: &Arc<Self>,
        call: Call,
        limit: &Arc<Semaphore>,
    ) -> Result<Reply, OpError> {
        if self.is_shutting_down() {
            return Err(OpError::new(
                ErrorCode::ShuttingDown,
                "the agent is shutting down; retry, another connection or replica will serve it",
            ));
        }
        let spec = self.specs.get(&call.name).ok_or_else(|| {
            OpError::new(
                ErrorCode::UnknownOperation,
                format!(
                    "operation `{}` is not served by this agent; it serves: {}",
                    call.name,
                    self.capabilities.join(", ")
                ),
            )
        })?;
        let body_limit = self.config.body_limit(&call.name);
        if call.content_length.is_some_and(|len| len > body_limit) {
            return Err(too_large(&call.name, body_limit));
        }
        let key = match (&call.idempotency_key, spec.mutating) {
            (Some(key), true) => Some(key.clone()),
            (None, true) => {
                return Err(OpError::new(
                    ErrorCode::IdempotencyKeyRequired,
                    format!(
                        "operation `{}` mutates and needs a gitproxy-idempotency-key header; generate one per logical call and reuse it on retries",
                        call.name
                    ),
                ))
            }
            (_, false) => None,
        };
        let permit = limit.clone().try_acquire_owned().map_err(|_| {
            OpError::new(
                ErrorCode::Busy,
                format!(
                    "the agent is at its limit of {} concurrent operations on this connection; retry shortly",
                    self.config.max_concurrent_ops
                ),
            )
        })?;
        let timeout = call
            .deadline
            .map_or(self.config.op_timeout, |d| d.min(self.config.op_timeout));
        let request = OpRequest {
            name: call.name,
            idempotency_key: call.idempotency_key,
            deadline: call.deadline,
            content_type: call.content_type,
            connection_index: call.connection_index,
            body: Limited::new(call.body, usize::try_from(body_limit).unwrap_or(usize::MAX))
                .boxed_unsync(),
        };
        match key {
            Some(key) => self.run_keyed(request, key, timeout, permit).await,
            None => {
                let res = tokio::time::timeout(timeout, self.run(request))
                    .await
                    .unwrap_or_else(|_| Err(deadline(timeout)))?;
                Ok(Reply {
                    status: StatusCode::OK,
                    content_type: res.content_type,
                    replay: false,
                    body: Guarded::wrap(res.body, permit),
                })
            }
        }
    }

    async fn run(&self, request: OpRequest) -> Result<OpResponse, OpError> {
        match request.name.as_str() {
            AgentInfo::NAME => OpResponse::json(&AgentInfoResponse {
                agent_id: self.config.agent_id.clone(),
                version: self.config.version.clone(),
                connection_index: request.connection_index,
                capabilities: self.capabilities.clone(),
                uptime_ms: u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX),
            }),
            Echo::NAME => {
                let echo: Echo = request.json().await?;
                OpResponse::json(&EchoResponse {
                    message: echo.message,
                })
            }
            StreamBytes::NAME => {
                let op: StreamBytes = request.json().await?;
                Ok(byte_stream(op))
            }
            _ => self.handler.handle(request).await,
        }
    }

    /// A mutating call: buffered body, stored result, run to completion even if the stream is reset.
    async fn run_keyed(
        self: &Arc<Self>,
        request: OpRequest,
        key: String,
        timeout: Duration,
        permit: OwnedSemaphorePermit,
    ) -> Result<Reply, OpError> {
        let OpRequest {
            name,
            idempotency_key,
            deadline: req_deadline,
            content_type,
            connection_index,
            body,
        } = request;
        let bytes = body.collect().await.map(|c| c.to_bytes()).map_err(|e| {
            if e.is::<http_body_util::LengthLimitError>() {
                too_large(&name, self.config.body_limit(&name))
            } else {
                OpError::bad_request(format!("could not read the request body: {e}"))
            }
        })?;
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        bytes.hash(&mut hasher);
        content_type.hash(&mut hasher);
        let hash = hasher.finish();
        let mut rx = match self.idempotency.begin(&name, &key, hash) {
            Begin::Done(stored) => return Ok(replayed(stored)),
            Begin::Conflict => {
                return Err(OpError::new(
                    ErrorCode::IdempotencyConflict,
                    format!("idempotency key {key:?} was already used for a different `{name}` request; use a new key for a new call"),
                ))
            }
            Begin::Wait(rx) => {
                drop(permit);
                rx
            }
            Begin::Run(tx) => {
                let rx = tx.subscribe();
                let this = self.clone();
                let request = OpRequest {
                    name: name.clone(),
                    idempotency_key,
                    deadline: req_deadline,
                    content_type,
                    connection_index,
                    body: full(bytes),
                };
                // Detached: the work finishes even if the cloud's stream is reset, so a retry finds it.
                tokio::spawn(async move {
                    let _permit = permit;
                    let res = tokio::time::timeout(timeout, this.run(request))
                        .await
                        .unwrap_or_else(|_| Err(deadline(timeout)));
                    let (stored, keep) = match res {
                        Ok(res) => match buffer(res).await {
                            Ok(stored) => (stored, true),
                            Err(e) => (error_stored(&e), false),
                        },
                        Err(e) => {
                            let keep = !e.0.retryable;
                            (error_stored(&e), keep)
                        }
                    };
                    if keep {
                        this.idempotency.finish(&name, &key, &tx, stored);
                    } else {
                        this.idempotency.abandon(&name, &key, &tx, stored);
                    }
                });
                rx
            }
        };
        let stored = loop {
            if let Some(stored) = rx.borrow_and_update().clone() {
                break stored;
            }
            if rx.changed().await.is_err() {
                return Err(OpError::new(
                    ErrorCode::Internal,
                    "the operation's task ended without a result; retry with the same key",
                ));
            }
        };
        Ok(Reply {
            status: StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK),
            content_type: stored.content_type,
            replay: false,
            body: full(stored.body),
        })
    }
}

/// The body of `stream.bytes`, generated lazily: a chunk is made only when HTTP/2 can send it.
fn byte_stream(op: StreamBytes) -> OpResponse {
    let mut seq = ByteSequence::new(op.seed, op.len);
    let stream = futures_util::stream::poll_fn(move |_| {
        std::task::Poll::Ready(seq.next_chunk(64 * 1024).map(Ok::<Bytes, std::io::Error>))
    });
    OpResponse::stream(OCTET_STREAM, stream)
}

fn replayed(stored: Stored) -> Reply {
    Reply {
        status: StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK),
        content_type: stored.content_type,
        replay: true,
        body: full(stored.body),
    }
}

fn error_stored(e: &OpError) -> Stored {
    Stored {
        status: e.0.code().status().as_u16(),
        content_type: JSON.to_owned(),
        body: e.0.to_json().into(),
    }
}

async fn buffer(res: OpResponse) -> Result<Stored, OpError> {
    let too_big = || {
        OpError::new(
            ErrorCode::Internal,
            "the response of a mutating operation must be at most 1 MiB of buffered json",
        )
    };
    let mut body = res.body;
    let mut out = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            OpError::new(
                ErrorCode::HandlerFailed,
                format!("the handler's response body failed: {e}"),
            )
        })?;
        if let Ok(data) = frame.into_data() {
            if out.len() + data.len() > MAX_STORED_RESPONSE {
                return Err(too_big());
            }
            out.extend_from_slice(&data);
        }
    }
    Ok(Stored {
        status: 200,
        content_type: res.content_type,
        body: out.into(),
    })
}

fn too_large(name: &str, limit: u64) -> OpError {
    OpError::new(
        ErrorCode::BodyTooLarge,
        format!("request body of `{name}` is above its limit of {limit} bytes; send less or raise the agent's body limit for this operation"),
    )
}

fn deadline(after: Duration) -> OpError {
    OpError::new(
        ErrorCode::DeadlineExceeded,
        format!("the operation did not finish within {after:?}; retry with a larger deadline"),
    )
}

/// A response body that holds the connection's concurrency permit until it ends or is dropped.
pub(crate) struct Guarded {
    inner: Body,
    permit: Option<OwnedSemaphorePermit>,
}

impl Guarded {
    pub(crate) fn wrap(inner: Body, permit: OwnedSemaphorePermit) -> Body {
        Body::new(Guarded {
            inner,
            permit: Some(permit),
        })
    }
}

impl http_body::Body for Guarded {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let res = Pin::new(&mut self.inner).poll_frame(cx);
        if matches!(res, Poll::Ready(None) | Poll::Ready(Some(Err(_)))) {
            self.permit = None;
        }
        res
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests;
