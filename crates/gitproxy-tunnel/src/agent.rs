//! The agent side: [`Agent::connect`] keeps `connections` tunnels to the cloud, serves operations with the
//! embedder's [`OpHandler`], reconnects with backoff and publishes its state for health endpoints.

mod dispatch;
mod health;
mod idempotency;
mod poll;
mod reconnects;
mod tunnel;

pub use health::{Health, HealthTracker};
pub use reconnects::Reconnects;

pub(crate) mod tunnel_params {
    //! HTTP/2 parameters shared by both ends (section 2.2 of the protocol).
    pub(crate) use super::tunnel::{CONNECTION_WINDOW, MAX_FRAME, MAX_HEADER_LIST, STREAM_WINDOW};
}

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::config::AgentConfig;
use crate::error::Error;
use crate::handler::OpHandler;
use crate::protocol::{Registration, PROTOCOL_VERSION};
use dispatch::Dispatcher;

/// How a connection carries operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// WebSocket upgrade with HTTP/2 inside (the primary transport).
    WebSocket,
    /// HTTPS long-poll (the fallback when the upgrade is refused).
    LongPoll,
}

/// The status of one of the agent's connections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionStatus {
    /// Dialing (attempt counted from 0 since the last stable connection).
    Connecting {
        /// Attempt number.
        attempt: u32,
    },
    /// Ready for operations.
    Connected {
        /// The transport in use.
        transport: Transport,
        /// When it became ready.
        since: SystemTime,
    },
    /// Waiting before the next attempt.
    Reconnecting {
        /// When the next attempt starts.
        next_attempt_at: SystemTime,
        /// Attempt number of the next attempt.
        attempt: u32,
    },
    /// A fatal error (wrong access key, unsupported protocol): retried only after a long pause.
    Fatal {
        /// What went wrong, with what to do next.
        error: String,
        /// When the agent tries again.
        next_attempt_at: SystemTime,
    },
    /// Stopped by [`Agent::shutdown`].
    Stopped,
}

/// State of one connection: status, last error and how many times it dialed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionState {
    /// Connection index.
    pub index: u32,
    /// Current status.
    pub status: ConnectionStatus,
    /// The last error, kept after recovery for diagnostics.
    pub last_error: Option<String>,
    /// Dial attempts since the agent started.
    pub dials: u64,
    /// Backoff waits since the agent started (a reconnect asked by the cloud does not wait).
    pub backoffs: u64,
}

/// Observable state of the agent: one entry per connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentState {
    /// Per-connection state, by index.
    pub connections: Vec<ConnectionState>,
}

impl AgentState {
    /// How many connections are ready.
    pub fn connected(&self) -> usize {
        self.connections
            .iter()
            .filter(|c| matches!(c.status, ConnectionStatus::Connected { .. }))
            .count()
    }

    /// Whether every connection is in a fatal state.
    pub fn is_fatal(&self) -> bool {
        !self.connections.is_empty()
            && self
                .connections
                .iter()
                .all(|c| matches!(c.status, ConnectionStatus::Fatal { .. }))
    }

    /// The most recent error of any connection.
    pub fn last_error(&self) -> Option<&str> {
        self.connections
            .iter()
            .find_map(|c| c.last_error.as_deref())
    }
}

/// How a transport session ended.
#[derive(Debug)]
enum Ended {
    /// Stopped by shutdown.
    Stopped,
    /// The cloud asked to reconnect (elsewhere) without backoff.
    GoAway { reconnect_to: Option<String> },
    /// The connection was lost after being ready for `up_for`.
    Lost { up_for: Duration, error: String },
}

struct Shared {
    config: Arc<AgentConfig>,
    dispatcher: Arc<Dispatcher>,
    state: watch::Sender<AgentState>,
    stop: watch::Sender<bool>,
    first_up: watch::Sender<bool>,
}

impl Shared {
    fn update(&self, index: u32, f: impl FnOnce(&mut ConnectionState)) {
        self.state.send_modify(|s| {
            if let Some(c) = s.connections.get_mut(index as usize) {
                f(c);
            }
        });
    }

    fn registration(&self, index: u32) -> Bytes {
        let reg = Registration {
            protocol: PROTOCOL_VERSION,
            agent_id: self.config.agent_id.clone(),
            version: self.config.version.clone(),
            connection_index: index,
            connections: self.config.connections,
            max_concurrent_ops: self.config.max_concurrent_ops,
            capabilities: self.dispatcher.capabilities().to_vec(),
        };
        serde_json::to_vec(&reg).unwrap_or_default().into()
    }

    fn set_connected(&self, index: u32, transport: Transport) {
        self.update(index, |c| {
            c.status = ConnectionStatus::Connected {
                transport,
                since: SystemTime::now(),
            }
        });
        self.first_up.send_replace(true);
    }
}

/// The agent's side of the tunnel. Dropping it without [`Agent::shutdown`] aborts its connections.
pub struct Agent {
    shared: Arc<Shared>,
    state: watch::Receiver<AgentState>,
    tasks: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Agent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agent")
            .field("config", &self.shared.config)
            .field("state", &*self.state.borrow())
            .finish()
    }
}

impl Agent {
    /// Starts the agent's connections (connection 0 first, the others once it is up) and returns at once.
    /// Must be called inside a tokio runtime.
    pub fn connect(config: AgentConfig, handler: impl OpHandler) -> Agent {
        let config = Arc::new(config);
        let dispatcher = Arc::new(Dispatcher::new(config.clone(), Arc::new(handler)));
        let initial = AgentState {
            connections: (0..config.connections)
                .map(|index| ConnectionState {
                    index,
                    status: ConnectionStatus::Connecting { attempt: 0 },
                    last_error: None,
                    dials: 0,
                    backoffs: 0,
                })
                .collect(),
        };
        let (state, state_rx) = watch::channel(initial);
        let shared = Arc::new(Shared {
            config: config.clone(),
            dispatcher,
            state,
            stop: watch::channel(false).0,
            first_up: watch::channel(false).0,
        });
        let tasks = (0..config.connections)
            .map(|index| tokio::spawn(run_connection(shared.clone(), index)))
            .collect();
        tracing::info!(agent_id = %config.agent_id, url = %config.url, connections = config.connections, "tunnel agent starting");
        Agent {
            shared,
            state: state_rx,
            tasks,
        }
    }

    /// A receiver of the agent's state; `changed().await` wakes on every transition.
    pub fn state(&self) -> watch::Receiver<AgentState> {
        self.state.clone()
    }

    /// The operations this agent serves (built-ins and the handler's).
    pub fn capabilities(&self) -> Vec<String> {
        self.shared.dispatcher.capabilities().to_vec()
    }

    /// Graceful shutdown: refuse new operations, finish in-flight ones within the configured deadline,
    /// then close every connection.
    pub async fn shutdown(mut self) {
        tracing::info!(agent_id = %self.shared.config.agent_id, "tunnel agent shutting down");
        self.shared.dispatcher.begin_shutdown();
        self.shared.stop.send_replace(true);
        let deadline = self.shared.config.shutdown_deadline + Duration::from_secs(1);
        for task in std::mem::take(&mut self.tasks) {
            let abort = task.abort_handle();
            if tokio::time::timeout(deadline, task).await.is_err() {
                abort.abort();
            }
        }
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

async fn run_connection(shared: Arc<Shared>, index: u32) {
    let config = shared.config.clone();
    let mut stop = shared.stop.subscribe();
    if index > 0 {
        let mut up = shared.first_up.subscribe();
        tokio::select! {
            _ = up.wait_for(|u| *u) => {}
            () = stopped(&mut stop) => {}
        }
    }
    let mut rng = fastrand::Rng::new();
    let mut attempt: u32 = 0;
    let mut hint: Option<(String, u16)> = None;
    let mut poll_until: Option<Instant> = None;
    loop {
        if *stop.borrow() {
            break;
        }
        shared.update(index, |c| {
            c.status = ConnectionStatus::Connecting { attempt };
            c.dials += 1;
        });
        let (host, port) = hint
            .take()
            .unwrap_or_else(|| (config.host.clone(), config.port));
        let long_poll = poll_until.is_some_and(|t| Instant::now() < t);
        let outcome = if long_poll {
            poll::run(&shared, index, &host, port, &mut stop).await
        } else {
            tunnel::run(&shared, index, &host, port, &mut stop).await
        };
        let mut retry_after = None;
        match outcome {
            Ok(Ended::Stopped) => break,
            Ok(Ended::GoAway { reconnect_to }) => {
                tracing::info!(index, reconnect_to = ?reconnect_to, "cloud asked to reconnect; reconnecting now");
                hint = reconnect_to.as_deref().and_then(parse_hint);
                attempt = 0;
                continue;
            }
            Ok(Ended::Lost { up_for, error }) => {
                tracing::warn!(index, error = %error, up_for = ?up_for, "tunnel connection lost; reconnecting");
                if up_for >= config.backoff.stable_after() {
                    attempt = 0;
                }
                shared.update(index, |c| c.last_error = Some(error));
            }
            Err(err) if err.is_fatal() => {
                let message = err.to_string();
                let next = SystemTime::now() + config.fatal_retry;
                tracing::error!(index, error = %message, retry_in = ?config.fatal_retry, "tunnel cannot connect: fatal error, not retrying until the pause ends");
                shared.update(index, |c| {
                    c.last_error = Some(message.clone());
                    c.status = ConnectionStatus::Fatal {
                        error: message,
                        next_attempt_at: next,
                    };
                });
                tokio::select! {
                    () = tokio::time::sleep(config.fatal_retry) => {}
                    () = stopped(&mut stop) => break,
                }
                attempt = 0;
                continue;
            }
            Err(err @ Error::UpgradeRefused { .. }) => {
                tracing::warn!(index, error = %err, "switching to https long-poll");
                shared.update(index, |c| c.last_error = Some(err.to_string()));
                poll_until = Some(Instant::now() + config.upgrade_retry);
                continue;
            }
            Err(err) => {
                if let Error::Unavailable {
                    retry_after: Some(ra),
                    ..
                } = &err
                {
                    retry_after = Some(*ra);
                }
                tracing::warn!(index, error = %err, "tunnel connection attempt failed");
                shared.update(index, |c| c.last_error = Some(err.to_string()));
            }
        }
        let mut delay = config.backoff.delay(attempt, &mut rng);
        if let Some(ra) = retry_after {
            delay = delay.max(ra.min(config.backoff.max()));
        }
        attempt = attempt.saturating_add(1);
        let next_attempt_at = SystemTime::now() + delay;
        shared.update(index, |c| {
            c.status = ConnectionStatus::Reconnecting {
                next_attempt_at,
                attempt,
            };
            c.backoffs += 1;
        });
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = stopped(&mut stop) => break,
        }
    }
    shared.update(index, |c| c.status = ConnectionStatus::Stopped);
}

fn parse_hint(url: &str) -> Option<(String, u16)> {
    let url = url::Url::parse(url).ok()?;
    if url.scheme() != "https" {
        tracing::warn!(hint = %url, "ignoring a reconnect hint that is not https");
        return None;
    }
    Some((url.host_str()?.to_owned(), url.port_or_known_default()?))
}
