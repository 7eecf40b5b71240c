//! What the agent's embedder implements: the [`OpHandler`] trait, its request and response types, and a
//! typed [`Router`] that dispatches catalogue operations by name.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::{Stream, TryStreamExt};
use http_body::Frame;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, StreamBody};

use crate::ops::Operation;
use crate::protocol::{ErrorBody, ErrorCode, JSON};

pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// The body type flowing through the agent.
pub(crate) type Body = UnsyncBoxBody<Bytes, BoxError>;

pub(crate) fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// One operation as the handler sees it: name, idempotency key, deadline and a size-limited body.
pub struct OpRequest {
    pub(crate) name: String,
    pub(crate) idempotency_key: Option<String>,
    pub(crate) deadline: Option<Duration>,
    pub(crate) content_type: Option<String>,
    pub(crate) connection_index: u32,
    pub(crate) body: Body,
}

impl fmt::Debug for OpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpRequest")
            .field("name", &self.name)
            .field("idempotency_key", &self.idempotency_key)
            .field("deadline", &self.deadline)
            .field("content_type", &self.content_type)
            .field("connection_index", &self.connection_index)
            .finish_non_exhaustive()
    }
}

impl OpRequest {
    /// The operation name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The idempotency key of a mutating operation.
    pub fn idempotency_key(&self) -> Option<&str> {
        self.idempotency_key.as_deref()
    }
    /// The caller's remaining budget, if it sent one.
    pub fn deadline(&self) -> Option<Duration> {
        self.deadline
    }
    /// The request's content type.
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }
    /// The index of the connection that carried the request.
    pub fn connection_index(&self) -> u32 {
        self.connection_index
    }

    /// Reads the whole body (bounded by the operation's body limit).
    pub async fn bytes(self) -> Result<Bytes, OpError> {
        collect(self.body).await
    }

    /// Reads the body as a JSON document of type `T`.
    pub async fn json<T: serde::de::DeserializeOwned>(self) -> Result<T, OpError> {
        if let Some(ct) = &self.content_type {
            if !ct.starts_with(JSON) {
                return Err(OpError::new(
                    ErrorCode::UnsupportedMediaType,
                    format!(
                        "operation `{}` takes {JSON}, not {ct:?}; send a json body",
                        self.name
                    ),
                ));
            }
        }
        let name = self.name.clone();
        let bytes = collect(self.body).await?;
        let bytes = if bytes.is_empty() {
            Bytes::from_static(b"{}")
        } else {
            bytes
        };
        serde_json::from_slice(&bytes).map_err(|e| {
            OpError::new(
                ErrorCode::BadRequest,
                format!("malformed body for operation `{name}`: {e}; send the request type of the catalogue"),
            )
        })
    }

    /// The body as a stream of chunks, for operations with streamed inputs.
    pub fn into_body_stream(self) -> impl Stream<Item = Result<Bytes, OpError>> + Send + 'static {
        futures_util::stream::try_unfold(self.body, |mut body| async move {
            loop {
                match body.frame().await {
                    None => return Ok(None),
                    Some(Ok(frame)) => {
                        if let Ok(data) = frame.into_data() {
                            return Ok(Some((data, body)));
                        }
                    }
                    Some(Err(e)) => return Err(body_error(e)),
                }
            }
        })
    }
}

async fn collect(body: Body) -> Result<Bytes, OpError> {
    body.collect()
        .await
        .map(|c| c.to_bytes())
        .map_err(body_error)
}

fn body_error(e: BoxError) -> OpError {
    if e.is::<http_body_util::LengthLimitError>() {
        OpError::new(
            ErrorCode::BodyTooLarge,
            "request body is above this operation's limit; send less or raise the agent's body limit",
        )
    } else {
        OpError::new(
            ErrorCode::BadRequest,
            format!("could not read the request body: {e}"),
        )
    }
}

/// What a handler answers: a JSON document or a streamed body.
pub struct OpResponse {
    pub(crate) content_type: String,
    pub(crate) body: Body,
    pub(crate) len: Option<usize>,
}

impl fmt::Debug for OpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpResponse")
            .field("content_type", &self.content_type)
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl OpResponse {
    /// A JSON response.
    pub fn json<T: serde::Serialize>(value: &T) -> Result<Self, OpError> {
        let bytes = serde_json::to_vec(value).map_err(|e| {
            OpError::new(
                ErrorCode::Internal,
                format!("could not encode the response: {e}"),
            )
        })?;
        Ok(Self::bytes(JSON, bytes))
    }

    /// A complete body with a content type.
    pub fn bytes(content_type: &str, bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        OpResponse {
            content_type: content_type.to_owned(),
            len: Some(bytes.len()),
            body: full(bytes),
        }
    }

    /// A streamed body: chunks flow with HTTP/2 back-pressure, the stream is polled only as fast as the
    /// cloud reads. An error ends the stream with a reset.
    pub fn stream<S, E>(content_type: &str, stream: S) -> Self
    where
        S: Stream<Item = Result<Bytes, E>> + Send + 'static,
        E: Into<BoxError> + 'static,
    {
        let body = StreamBody::new(stream.map_ok(Frame::data).map_err(Into::into));
        OpResponse {
            content_type: content_type.to_owned(),
            len: None,
            body: body.boxed_unsync(),
        }
    }
}

/// A structured operation failure: code, message and retryability (section 6.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpError(pub(crate) ErrorBody);

impl OpError {
    /// An error with the code's default retryability.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        OpError(ErrorBody::new(code, message))
    }
    /// The handler failed (not retryable unless set).
    pub fn handler_failed(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::HandlerFailed, message)
    }
    /// The handler's upstream (e.g. Bitbucket) failed.
    pub fn upstream_failed(message: impl Into<String>, retryable: bool) -> Self {
        Self::new(ErrorCode::UpstreamFailed, message).with_retryable(retryable)
    }
    /// The request was malformed.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, message)
    }
    /// Overrides retryability.
    pub fn with_retryable(mut self, retryable: bool) -> Self {
        self.0.retryable = retryable;
        self
    }
    /// Tells the caller how long to wait before retrying (`retry_after_ms`), e.g. an upstream's
    /// `Retry-After`.
    pub fn with_retry_after(mut self, after: std::time::Duration) -> Self {
        self.0.retry_after_ms = Some(u64::try_from(after.as_millis()).unwrap_or(u64::MAX));
        self
    }
    /// The wire body.
    pub fn body(&self) -> &ErrorBody {
        &self.0
    }
}

impl fmt::Display for OpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for OpError {}

/// An operation the handler serves: its name and whether it mutates (and so needs an idempotency key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpSpec {
    pub(crate) name: String,
    pub(crate) mutating: bool,
}

impl OpSpec {
    /// A spec; the name is validated when the agent starts.
    pub fn new(name: &str, mutating: bool) -> Self {
        OpSpec {
            name: name.to_owned(),
            mutating,
        }
    }
    /// The spec of a typed catalogue operation.
    pub fn of<O: Operation>() -> Self {
        Self::new(O::NAME, O::MUTATING)
    }
    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Whether it mutates.
    pub fn is_mutating(&self) -> bool {
        self.mutating
    }
}

/// Serves operations on the agent. The agent drops the future of `handle` when the cloud cancels a
/// non-mutating operation, which stops its work.
#[async_trait]
pub trait OpHandler: Send + Sync + 'static {
    /// The operations this handler serves (the agent adds its built-ins: `agent.info`, `echo`,
    /// `stream.bytes`). Requests for other names are rejected before `handle` is called.
    fn operations(&self) -> Vec<OpSpec>;
    /// Serves one operation.
    async fn handle(&self, request: OpRequest) -> Result<OpResponse, OpError>;
}

type RouteFn =
    Arc<dyn Fn(OpRequest) -> BoxFuture<'static, Result<OpResponse, OpError>> + Send + Sync>;

/// An [`OpHandler`] that dispatches by name to typed or raw functions.
#[derive(Default)]
pub struct Router {
    routes: HashMap<String, (OpSpec, RouteFn)>,
}

impl fmt::Debug for Router {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&String> = self.routes.keys().collect();
        names.sort();
        f.debug_struct("Router")
            .field("operations", &names)
            .finish()
    }
}

impl Router {
    /// An empty router.
    pub fn new() -> Self {
        Self::default()
    }

    /// Serves typed operation `O` with `f`: the JSON body is decoded into `O`, the result encoded as JSON.
    pub fn op<O, F, Fut>(mut self, f: F) -> Self
    where
        O: Operation,
        F: Fn(O) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<O::Response, OpError>> + Send + 'static,
    {
        let f = Arc::new(f);
        let route: RouteFn = Arc::new(move |req: OpRequest| {
            let f = f.clone();
            Box::pin(async move {
                let op: O = req.json().await?;
                let res = f(op).await?;
                OpResponse::json(&res)
            })
        });
        self.routes
            .insert(O::NAME.to_owned(), (OpSpec::of::<O>(), route));
        self
    }

    /// Serves `spec` with a function over the raw request (streamed inputs or outputs).
    pub fn raw<F, Fut>(mut self, spec: OpSpec, f: F) -> Self
    where
        F: Fn(OpRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<OpResponse, OpError>> + Send + 'static,
    {
        let route: RouteFn = Arc::new(move |req| Box::pin(f(req)));
        self.routes.insert(spec.name.clone(), (spec, route));
        self
    }
}

#[async_trait]
impl OpHandler for Router {
    fn operations(&self) -> Vec<OpSpec> {
        self.routes.values().map(|(spec, _)| spec.clone()).collect()
    }

    async fn handle(&self, request: OpRequest) -> Result<OpResponse, OpError> {
        match self.routes.get(&request.name) {
            Some((_, route)) => route(request).await,
            None => Err(OpError::new(
                ErrorCode::UnknownOperation,
                format!("operation `{}` is not served by this agent", request.name),
            )),
        }
    }
}
