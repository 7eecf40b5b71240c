//! The hub's registry of live agent connections per tenant, with health, load and presence events.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use tokio::sync::{broadcast, watch};

use super::poll::PollState;
use super::{AgentPresence, ConnectionPresence, PresenceEvent};
use crate::agent::Transport;
use crate::handler::Body;
use crate::kill::KillSwitch;

pub(crate) enum ConnKind {
    H2(hyper::client::conn::http2::SendRequest<Body>),
    Poll(Arc<PollState>),
}

/// One live connection of one agent.
pub(crate) struct Conn {
    pub(crate) id: u64,
    pub(crate) tenant: String,
    pub(crate) agent_id: String,
    pub(crate) version: String,
    pub(crate) capabilities: Vec<String>,
    pub(crate) index: u32,
    pub(crate) max_concurrent: u32,
    pub(crate) kind: ConnKind,
    pub(crate) connected_at: SystemTime,
    pub(crate) in_flight: AtomicUsize,
    /// Exponentially weighted latency in microseconds; 0 until measured.
    pub(crate) latency_us: AtomicU64,
    pub(crate) closed: AtomicBool,
    /// Cuts the tunnel's byte stream (`None` for long-poll sessions).
    pub(crate) kill: Option<Arc<KillSwitch>>,
}

impl Conn {
    pub(crate) fn transport(&self) -> Transport {
        match self.kind {
            ConnKind::H2(_) => Transport::WebSocket,
            ConnKind::Poll(_) => Transport::LongPoll,
        }
    }

    pub(crate) fn is_usable(&self) -> bool {
        if self.closed.load(Ordering::SeqCst) {
            return false;
        }
        match &self.kind {
            ConnKind::H2(sender) => !sender.is_closed(),
            ConnKind::Poll(_) => true,
        }
    }

    pub(crate) fn record_latency(&self, sample: Duration) {
        let sample = u64::try_from(sample.as_micros()).unwrap_or(u64::MAX).max(1);
        let old = self.latency_us.load(Ordering::Relaxed);
        let new = if old == 0 {
            sample
        } else {
            (old * 7 + sample) / 8
        };
        self.latency_us.store(new.max(1), Ordering::Relaxed);
    }

    pub(crate) fn latency(&self) -> Option<Duration> {
        match self.latency_us.load(Ordering::Relaxed) {
            0 => None,
            us => Some(Duration::from_micros(us)),
        }
    }

    /// Closes the connection now (the agent sees the socket close and reconnects with backoff).
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        if let Some(kill) = &self.kill {
            kill.kill();
        }
    }
}

#[derive(Default)]
struct AgentEntry {
    conns: HashMap<u32, Arc<Conn>>,
}

/// Tenants -> agents -> connections.
pub(crate) struct Registry {
    tenants: Mutex<HashMap<String, HashMap<String, AgentEntry>>>,
    version: watch::Sender<u64>,
    events: broadcast::Sender<PresenceEvent>,
}

impl Registry {
    pub(crate) fn new() -> Self {
        Registry {
            tenants: Mutex::new(HashMap::new()),
            version: watch::channel(0).0,
            events: broadcast::channel(1024).0,
        }
    }

    pub(crate) fn events(&self) -> broadcast::Receiver<PresenceEvent> {
        self.events.subscribe()
    }

    pub(crate) fn changes(&self) -> watch::Receiver<u64> {
        self.version.subscribe()
    }

    /// Adds a connection, replacing (and closing) an older one with the same agent id and index.
    pub(crate) fn insert(&self, conn: Arc<Conn>) {
        let old = {
            let mut tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
            tenants
                .entry(conn.tenant.clone())
                .or_default()
                .entry(conn.agent_id.clone())
                .or_default()
                .conns
                .insert(conn.index, conn.clone())
        };
        if let Some(old) = old {
            old.close();
        }
        tracing::info!(tenant = %conn.tenant, agent_id = %conn.agent_id, index = conn.index, transport = ?conn.transport(), "agent connection ready");
        let _ = self.events.send(PresenceEvent::Connected {
            tenant: conn.tenant.clone(),
            agent_id: conn.agent_id.clone(),
            index: conn.index,
            transport: conn.transport(),
        });
        self.version.send_modify(|v| *v += 1);
    }

    /// Removes a connection if it is still the registered one.
    pub(crate) fn remove(&self, conn: &Conn, reason: &str) {
        conn.closed.store(true, Ordering::SeqCst);
        let removed = {
            let mut tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
            let mut removed = false;
            if let Some(agents) = tenants.get_mut(&conn.tenant) {
                if let Some(agent) = agents.get_mut(&conn.agent_id) {
                    if agent
                        .conns
                        .get(&conn.index)
                        .is_some_and(|c| c.id == conn.id)
                    {
                        agent.conns.remove(&conn.index);
                        removed = true;
                    }
                    if agent.conns.is_empty() {
                        agents.remove(&conn.agent_id);
                    }
                }
                if agents.is_empty() {
                    tenants.remove(&conn.tenant);
                }
            }
            removed
        };
        if removed {
            tracing::info!(tenant = %conn.tenant, agent_id = %conn.agent_id, index = conn.index, reason, "agent connection gone");
            let _ = self.events.send(PresenceEvent::Disconnected {
                tenant: conn.tenant.clone(),
                agent_id: conn.agent_id.clone(),
                index: conn.index,
                reason: reason.to_owned(),
            });
            self.version.send_modify(|v| *v += 1);
        }
    }

    /// The least-loaded usable connection of the tenant (optionally of one agent), not in `exclude`,
    /// preferring agents that declared operation `op` (mixed versions during an upgrade).
    pub(crate) fn pick(
        &self,
        tenant: &str,
        agent: Option<&str>,
        op: &str,
        exclude: &[u64],
    ) -> Option<Arc<Conn>> {
        let tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        let agents = tenants.get(tenant)?;
        let mut candidates: Vec<&Arc<Conn>> = agents
            .iter()
            .filter(|(id, _)| agent.is_none_or(|a| a == id.as_str()))
            .flat_map(|(_, entry)| entry.conns.values())
            .filter(|c| !exclude.contains(&c.id) && c.is_usable())
            .collect();
        if candidates
            .iter()
            .any(|c| c.capabilities.iter().any(|n| n == op))
        {
            candidates.retain(|c| c.capabilities.iter().any(|n| n == op));
        }
        if candidates.is_empty() {
            return None;
        }
        // Random start so equal loads spread across connections.
        let start = fastrand::usize(..candidates.len());
        candidates.rotate_left(start);
        candidates
            .into_iter()
            .min_by_key(|c| {
                let load = c.in_flight.load(Ordering::Relaxed) as u64;
                load * 1000 / u64::from(c.max_concurrent.max(1))
            })
            .cloned()
    }

    /// Every connection of one agent (or all agents) of a tenant.
    pub(crate) fn conns(&self, tenant: &str, agent: Option<&str>) -> Vec<Arc<Conn>> {
        let tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        tenants
            .get(tenant)
            .map(|agents| {
                agents
                    .iter()
                    .filter(|(id, _)| agent.is_none_or(|a| a == id.as_str()))
                    .flat_map(|(_, e)| e.conns.values().cloned())
                    .collect()
            })
            .unwrap_or_default()
    }

    pub(crate) fn all(&self) -> Vec<Arc<Conn>> {
        let tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        tenants
            .values()
            .flat_map(|agents| agents.values())
            .flat_map(|e| e.conns.values().cloned())
            .collect()
    }

    pub(crate) fn presence(&self, tenant: &str) -> Vec<AgentPresence> {
        let tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        let Some(agents) = tenants.get(tenant) else {
            return Vec::new();
        };
        let mut out: Vec<AgentPresence> = agents
            .iter()
            .map(|(agent_id, entry)| {
                let mut connections: Vec<ConnectionPresence> = entry
                    .conns
                    .values()
                    .filter(|c| c.is_usable())
                    .map(|c| ConnectionPresence {
                        index: c.index,
                        transport: c.transport(),
                        connected_at: c.connected_at,
                        in_flight: c.in_flight.load(Ordering::Relaxed),
                        latency: c.latency(),
                    })
                    .collect();
                connections.sort_by_key(|c| c.index);
                let any = entry.conns.values().next();
                let latencies: Vec<Duration> =
                    connections.iter().filter_map(|c| c.latency).collect();
                AgentPresence {
                    agent_id: agent_id.clone(),
                    version: any.map(|c| c.version.clone()).unwrap_or_default(),
                    capabilities: any.map(|c| c.capabilities.clone()).unwrap_or_default(),
                    latency: latencies.iter().min().copied(),
                    connections,
                }
            })
            .collect();
        out.sort_by(|a, b| a.agent_id.cmp(&b.agent_id));
        out
    }
}
