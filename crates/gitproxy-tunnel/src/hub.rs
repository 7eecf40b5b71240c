//! The cloud side ("hub"): accepts agents over TLS, verifies access keys with a caller-supplied check,
//! tracks live connections per tenant, and sends operations with load balancing and failover.

mod poll;
mod registry;
mod server;

use std::fmt;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderName, HeaderValue, Request, StatusCode};
use http_body::Frame;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use tokio::sync::{broadcast, oneshot, watch};
use tokio::task::JoinSet;

use crate::agent::Transport;
use crate::config::HubConfig;
use crate::error::Error;
use crate::handler::full;
use crate::ops::Operation;
use crate::protocol::{
    ErrorBody, ErrorCode, GoAway, PollEnvelope, CONTROL_GOAWAY, H_DEADLINE_MS, H_IDEMPOTENCY_KEY,
    H_REPLAY, JSON, OPS_PREFIX,
};
use crate::secret::AccessKey;
use registry::{Conn, ConnKind, Registry};

/// Why an access key was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessDenied {
    /// 401 (unknown key) or 403 (known but not allowed).
    pub status: u16,
    /// What the agent's operator should do; never contains the key.
    pub message: String,
}

/// Verifies an agent's access key and maps it to its tenant. Implemented by the cloud.
#[async_trait]
pub trait AccessCheck: Send + Sync + 'static {
    /// The tenant of `key`, or why it is refused.
    async fn check(&self, key: &AccessKey, agent_id: &str) -> Result<String, AccessDenied>;
}

/// A fixed table of access keys and tenants (tests, the demo, small deployments).
#[derive(Debug, Default)]
pub struct KeyTable {
    keys: Vec<(AccessKey, String)>,
}

impl KeyTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds a key for a tenant.
    pub fn with_key(mut self, key: AccessKey, tenant: &str) -> Self {
        self.keys.push((key, tenant.to_owned()));
        self
    }
}

#[async_trait]
impl AccessCheck for KeyTable {
    async fn check(&self, key: &AccessKey, _agent_id: &str) -> Result<String, AccessDenied> {
        let mut found = None;
        for (k, tenant) in &self.keys {
            if k.ct_eq(key.expose()) {
                found = Some(tenant.clone());
            }
        }
        found.ok_or_else(|| AccessDenied {
            status: 401,
            message:
                "unknown access key; copy the key from the cloud console into gitproxy.accessKey"
                    .into(),
        })
    }
}

/// A change in presence.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PresenceEvent {
    /// A connection became ready.
    Connected {
        /// Tenant.
        tenant: String,
        /// Agent id.
        agent_id: String,
        /// Connection index.
        index: u32,
        /// Transport.
        transport: Transport,
    },
    /// A connection went away.
    Disconnected {
        /// Tenant.
        tenant: String,
        /// Agent id.
        agent_id: String,
        /// Connection index.
        index: u32,
        /// Why.
        reason: String,
    },
}

/// One connection of an agent, as presence shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionPresence {
    /// Connection index.
    pub index: u32,
    /// Transport.
    pub transport: Transport,
    /// When it became ready.
    pub connected_at: SystemTime,
    /// Operations in flight.
    pub in_flight: usize,
    /// Smoothed round-trip latency of control pings, once measured.
    pub latency: Option<Duration>,
}

/// One agent replica of a tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentPresence {
    /// Agent id.
    pub agent_id: String,
    /// Agent version.
    pub version: String,
    /// Operations it serves.
    pub capabilities: Vec<String>,
    /// Its ready connections.
    pub connections: Vec<ConnectionPresence>,
    /// Best latency over its connections.
    pub latency: Option<Duration>,
}

/// An operation to send: name, body, idempotency key, timeout.
#[derive(Debug, Clone)]
pub struct OpCall {
    name: String,
    body: Bytes,
    content_type: String,
    mutating: bool,
    idempotency_key: Option<String>,
    timeout: Option<Duration>,
    agent: Option<String>,
    headers: HeaderMap,
}

impl OpCall {
    /// A typed catalogue operation.
    pub fn new<O: Operation>(op: &O) -> Result<Self, Error> {
        let body = serde_json::to_vec(op)
            .map_err(|e| Error::Protocol(format!("could not encode `{}`: {e}", O::NAME)))?;
        Ok(OpCall {
            mutating: O::MUTATING,
            ..Self::raw(O::NAME, JSON, body)
        })
    }

    /// Any operation by name with a raw body.
    pub fn raw(name: &str, content_type: &str, body: impl Into<Bytes>) -> Self {
        OpCall {
            name: name.to_owned(),
            body: body.into(),
            content_type: content_type.to_owned(),
            mutating: false,
            idempotency_key: None,
            timeout: None,
            agent: None,
            headers: HeaderMap::new(),
        }
    }

    /// Marks the call as mutating (the hub adds an idempotency key if none is set).
    pub fn mutating(mut self, mutating: bool) -> Self {
        self.mutating = mutating;
        self
    }

    /// The idempotency key; reuse it to retry the same logical call.
    pub fn idempotency_key(mut self, key: &str) -> Self {
        self.idempotency_key = Some(key.to_owned());
        self
    }

    /// Timeout until the response headers (default: the hub's call timeout); sent as the deadline.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sends only to this agent replica.
    pub fn to_agent(mut self, agent_id: &str) -> Self {
        self.agent = Some(agent_id.to_owned());
        self
    }

    /// Adds a request header (replacing one the hub would set, such as the deadline).
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.append(name, value);
        self
    }

    /// The operation name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// A successful operation's answer; its body streams.
#[derive(Debug)]
pub struct OpReply {
    /// The content type.
    pub content_type: String,
    /// Whether the agent replayed a stored result (idempotency).
    pub replayed: bool,
    /// The agent that answered.
    pub agent_id: String,
    /// The connection that carried it.
    pub connection_index: u32,
    /// The streamed body.
    pub body: OpBody,
}

impl OpReply {
    /// Reads the body as JSON.
    pub async fn json<T: serde::de::DeserializeOwned>(self) -> Result<T, Error> {
        let bytes = self.body.bytes().await?;
        serde_json::from_slice(&bytes).map_err(|e| {
            Error::op(
                ErrorCode::Protocol,
                format!("the agent's response is not the expected json: {e}"),
            )
        })
    }
}

/// Counts an operation as in flight on its connection until dropped.
struct InFlight(Arc<Conn>);

impl InFlight {
    fn new(conn: Arc<Conn>) -> Self {
        conn.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(conn)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The streamed body of an [`OpReply`], with HTTP/2 back-pressure: data arrives as fast as it is read.
pub struct OpBody {
    inner: Incoming,
    guard: Option<InFlight>,
    done: Option<oneshot::Sender<()>>,
}

impl fmt::Debug for OpBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpBody").finish_non_exhaustive()
    }
}

impl OpBody {
    /// The next chunk, or `None` at the end.
    pub async fn chunk(&mut self) -> Option<Result<Bytes, Error>> {
        loop {
            match self.frame().await? {
                Ok(frame) => {
                    if let Ok(data) = frame.into_data() {
                        return Some(Ok(data));
                    }
                }
                Err(e) => return Some(Err(e)),
            }
        }
    }

    /// Reads the whole body.
    pub async fn bytes(self) -> Result<Bytes, Error> {
        Ok(self.collect().await?.to_bytes())
    }

    fn finish(&mut self) {
        self.guard = None;
        if let Some(done) = self.done.take() {
            let _ = done.send(());
        }
    }
}

impl http_body::Body for OpBody {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(None) => {
                self.finish();
                Poll::Ready(None)
            }
            Poll::Ready(Some(Err(e))) => {
                self.finish();
                Poll::Ready(Some(Err(Error::op(
                    ErrorCode::ConnectionLost,
                    format!("the response stream broke: {e}; retry the operation"),
                ))))
            }
            other => other.map(|o| o.map(|r| r.map_err(Error::Http))),
        }
    }
}

pub(crate) struct HubInner {
    config: HubConfig,
    check: Arc<dyn AccessCheck>,
    registry: Registry,
    tasks: Mutex<JoinSet<()>>,
    stop: watch::Sender<bool>,
    next_id: AtomicU64,
    sessions: Mutex<std::collections::HashMap<String, Arc<Conn>>>,
}

impl HubInner {
    fn spawn(&self, task: impl std::future::Future<Output = ()> + Send + 'static) {
        let mut tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
        while tasks.try_join_next().is_some() {}
        tasks.spawn(task);
    }

    fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }
}

/// The cloud side of the tunnel. Dropping it without [`Hub::shutdown`] leaves its tasks running until the
/// runtime ends; call `shutdown` to close every agent connection.
pub struct Hub {
    inner: Arc<HubInner>,
    local_addr: SocketAddr,
}

impl fmt::Debug for Hub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hub")
            .field("local_addr", &self.local_addr)
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl Hub {
    /// Listens on `addr` (TLS) and starts accepting agents.
    pub async fn bind(
        addr: SocketAddr,
        config: HubConfig,
        check: impl AccessCheck,
    ) -> Result<Hub, Error> {
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
            Error::Config(format!(
                "could not listen on {addr}: {e}; choose a free address"
            ))
        })?;
        let local_addr = listener.local_addr()?;
        let inner = Arc::new(HubInner {
            config,
            check: Arc::new(check),
            registry: Registry::new(),
            tasks: Mutex::new(JoinSet::new()),
            stop: watch::channel(false).0,
            next_id: AtomicU64::new(1),
            sessions: Mutex::new(std::collections::HashMap::new()),
        });
        inner.spawn(server::accept_loop(inner.clone(), listener));
        tracing::info!(%local_addr, "tunnel hub listening");
        Ok(Hub { inner, local_addr })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The tenant's agents and their ready connections.
    pub fn presence(&self, tenant: &str) -> Vec<AgentPresence> {
        self.inner.registry.presence(tenant)
    }

    /// A stream of presence changes.
    pub fn events(&self) -> broadcast::Receiver<PresenceEvent> {
        self.inner.registry.events()
    }

    /// Waits until the tenant has at least `n` ready connections.
    pub async fn wait_ready(&self, tenant: &str, n: usize, timeout: Duration) -> Result<(), Error> {
        let mut changes = self.inner.registry.changes();
        let ready = |hub: &Hub| {
            hub.presence(tenant)
                .iter()
                .map(|a| a.connections.len())
                .sum::<usize>()
                >= n
        };
        tokio::time::timeout(timeout, async {
            loop {
                if ready(self) {
                    return Ok(());
                }
                if changes.changed().await.is_err() {
                    return Err(Error::Shutdown);
                }
            }
        })
        .await
        .map_err(|_| Error::Timeout {
            what: "waiting for agent connections",
            after: timeout,
        })?
    }

    /// Sends typed operation `op` to one of the tenant's agents and decodes its JSON response.
    pub async fn call<O: Operation>(&self, tenant: &str, op: &O) -> Result<O::Response, Error> {
        self.send(tenant, OpCall::new(op)?).await?.json().await
    }

    /// Sends typed operation `op` and returns its streamed response.
    pub async fn call_stream<O: Operation>(&self, tenant: &str, op: &O) -> Result<OpReply, Error> {
        self.send(tenant, OpCall::new(op)?).await
    }

    /// Sends an operation: picks the least-loaded ready connection of the tenant and fails over to another
    /// when the connection drops before the response (mutating calls keep their idempotency key, so the
    /// work is done once).
    pub async fn send(&self, tenant: &str, mut call: OpCall) -> Result<OpReply, Error> {
        if call.mutating && call.idempotency_key.is_none() {
            call.idempotency_key = Some(format!(
                "hub-{:016x}{:016x}",
                fastrand::u64(..),
                fastrand::u64(..)
            ));
        }
        let timeout = call.timeout.unwrap_or(self.inner.config.call_timeout);
        let work = async {
            let mut tried = Vec::new();
            let mut last: Option<Error> = None;
            for _ in 0..=self.inner.config.max_failover {
                let Some(conn) =
                    self.inner
                        .registry
                        .pick(tenant, call.agent.as_deref(), &call.name, &tried)
                else {
                    break;
                };
                tried.push(conn.id);
                match send_on(&self.inner, &conn, &call, timeout).await {
                    Ok(reply) => return Ok(reply),
                    Err(err) if failover_worthy(&err) => {
                        tracing::debug!(op = %call.name, agent_id = %conn.agent_id, index = conn.index, error = %err, "failing over");
                        last = Some(err);
                    }
                    Err(err) => return Err(err),
                }
            }
            Err(last.unwrap_or_else(|| {
                Error::op(
                    ErrorCode::NoAgent,
                    format!("no agent of tenant {tenant:?} is connected; check that the agent runs and reaches the cloud"),
                )
            }))
        };
        tokio::time::timeout(timeout, work).await.map_err(|_| {
            Error::op(
                ErrorCode::Timeout,
                format!(
                    "operation `{}` got no response within {timeout:?}",
                    call.name
                ),
            )
        })?
    }

    /// Asks every connection of an agent to reconnect, to `reconnect_to` if given, without backoff.
    /// Returns how many connections were asked.
    pub async fn goaway(
        &self,
        tenant: &str,
        agent_id: &str,
        reconnect_to: Option<&str>,
        reason: &str,
    ) -> usize {
        let body = serde_json::to_vec(&GoAway {
            reconnect_to: reconnect_to.map(str::to_owned),
            reason: reason.to_owned(),
        })
        .unwrap_or_default();
        let mut asked = 0;
        for conn in self.inner.registry.conns(tenant, Some(agent_id)) {
            if let ConnKind::H2(sender) = &conn.kind {
                let mut sender = sender.clone();
                let Ok(req) = Request::post(format!("http://gitproxy-agent{CONTROL_GOAWAY}"))
                    .header(CONTENT_TYPE, JSON)
                    .body(full(body.clone()))
                else {
                    continue;
                };
                if let Ok(res) = sender.send_request(req).await {
                    if res.status() == StatusCode::ACCEPTED {
                        asked += 1;
                        // No new operations go to a draining connection.
                        self.inner.registry.remove(&conn, "goaway");
                    }
                }
            }
        }
        asked
    }

    /// Closes every connection of an agent at once (for example after revoking its key); the agent
    /// reconnects with backoff.
    pub fn disconnect(&self, tenant: &str, agent_id: &str) -> usize {
        let conns = self.inner.registry.conns(tenant, Some(agent_id));
        for conn in &conns {
            conn.close();
            self.inner.registry.remove(conn, "disconnected by the hub");
        }
        conns.len()
    }

    /// Stops accepting, closes every agent connection and ends the hub's tasks.
    pub async fn shutdown(self) {
        self.inner.stop.send_replace(true);
        for conn in self.inner.registry.all() {
            conn.close();
            self.inner.registry.remove(&conn, "hub shutting down");
        }
        let mut tasks =
            std::mem::take(&mut *self.inner.tasks.lock().unwrap_or_else(|e| e.into_inner()));
        tasks.shutdown().await;
        tracing::info!(local_addr = %self.local_addr, "tunnel hub stopped");
    }
}

fn failover_worthy(err: &Error) -> bool {
    matches!(
        err.code(),
        Some(ErrorCode::ConnectionLost | ErrorCode::ShuttingDown | ErrorCode::Busy)
    )
}

async fn send_on(
    inner: &Arc<HubInner>,
    conn: &Arc<Conn>,
    call: &OpCall,
    timeout: Duration,
) -> Result<OpReply, Error> {
    let guard = InFlight::new(conn.clone());
    match &conn.kind {
        ConnKind::H2(sender) => {
            let mut sender = sender.clone();
            let lost = |e: hyper::Error| {
                Error::op(
                    ErrorCode::ConnectionLost,
                    format!("the tunnel connection failed before the response: {e}; the call may be retried"),
                )
            };
            sender.ready().await.map_err(lost)?;
            let mut req = Request::post(format!("http://gitproxy-agent{OPS_PREFIX}{}", call.name))
                .header(CONTENT_TYPE, &call.content_type)
                .header(H_DEADLINE_MS, timeout.as_millis().max(1).to_string());
            if let Some(key) = &call.idempotency_key {
                req = req.header(H_IDEMPOTENCY_KEY, key);
            }
            let mut req = req
                .body(full(call.body.clone()))
                .map_err(|e| Error::Protocol(format!("invalid operation request: {e}")))?;
            for name in call.headers.keys() {
                req.headers_mut().remove(name);
            }
            for (name, value) in &call.headers {
                req.headers_mut().append(name, value.clone());
            }
            let res = sender.send_request(req).await.map_err(lost)?;
            let (parts, body) = res.into_parts();
            finish_reply(conn, parts.status, &parts.headers, body, guard, None).await
        }
        ConnKind::Poll(state) => {
            let id = format!("op-{}", inner.next_id());
            let body: serde_json::Value = if call.content_type.starts_with(JSON) {
                serde_json::from_slice(&call.body).map_err(|e| {
                    Error::op(
                        ErrorCode::BadRequest,
                        format!(
                            "the call's body is not json ({e}); long-poll carries json inputs only"
                        ),
                    )
                })?
            } else {
                return Err(Error::op(
                    ErrorCode::UnsupportedMediaType,
                    "long-poll carries json inputs only; this agent is on the long-poll fallback",
                ));
            };
            let envelope = PollEnvelope {
                id: id.clone(),
                op: call.name.clone(),
                idempotency_key: call.idempotency_key.clone(),
                deadline_ms: Some(
                    u64::try_from(timeout.as_millis())
                        .unwrap_or(u64::MAX)
                        .max(1),
                ),
                content_type: Some(call.content_type.clone()),
                body,
            };
            let result = state.submit(envelope).await?;
            finish_reply(
                conn,
                result.status,
                &result.headers,
                result.body,
                guard,
                Some(result.done),
            )
            .await
        }
    }
}

async fn finish_reply(
    conn: &Arc<Conn>,
    status: StatusCode,
    headers: &HeaderMap,
    body: Incoming,
    guard: InFlight,
    done: Option<oneshot::Sender<()>>,
) -> Result<OpReply, Error> {
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    if status == StatusCode::OK {
        return Ok(OpReply {
            content_type,
            replayed: headers.get(H_REPLAY).is_some_and(|v| v == "true"),
            agent_id: conn.agent_id.clone(),
            connection_index: conn.index,
            body: OpBody {
                inner: body,
                guard: Some(guard),
                done,
            },
        });
    }
    let bytes = Limited::new(body, 64 << 10)
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    if let Some(done) = done {
        let _ = done.send(());
    }
    let error = ErrorBody::decode(&bytes).unwrap_or_else(|| match status {
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => ErrorBody::new(
            ErrorCode::HeadersTooLarge,
            "the request's headers are above the agent's 16 KiB limit; send less header data",
        ),
        other => ErrorBody::new(
            ErrorCode::Protocol,
            format!("the agent answered http {other} without an error body"),
        ),
    });
    Err(Error::Op(error))
}
