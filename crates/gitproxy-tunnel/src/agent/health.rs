//! The agent's health as an embedder exposes it (readiness probe, metrics), derived from its
//! published states, with one log line per transition an operator cares about.

use tokio::task::JoinHandle;

use super::{Agent, AgentState, Reconnects};

/// Ready connections out of configured ones, and reconnects so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Health {
    /// Connections ready for operations.
    pub connected: u64,
    /// Configured connections.
    pub connections: u64,
    /// Connections ready again after their first session (see [`Reconnects`]).
    pub reconnects: u64,
}

impl Health {
    /// Whether at least one connection is ready.
    pub fn is_ready(&self) -> bool {
        self.connected > 0
    }
}

/// Follows successive [`AgentState`]s: their [`Health`], and an info line when the tunnel
/// connects (`tunnel connected`), a warning when it loses its last connection (`tunnel
/// disconnected; reconnecting`) and one per new error (`tunnel connection problem`).
#[derive(Debug, Default)]
pub struct HealthTracker {
    reconnects: Reconnects,
    was_connected: bool,
    last_error: Option<String>,
}

/// What changed in one state, logged by [`Transitions::log`].
#[derive(Debug, Default)]
struct Transitions {
    connected: Option<usize>,
    disconnected: bool,
    error: Option<String>,
}

impl Transitions {
    fn log(self) {
        if let Some(connected) = self.connected {
            tracing::info!(connected, "tunnel connected");
        }
        if self.disconnected {
            tracing::warn!("tunnel disconnected; reconnecting");
        }
        if let Some(error) = self.error.as_deref() {
            tracing::warn!(error, "tunnel connection problem");
        }
    }
}

impl HealthTracker {
    /// Takes in one state, logs what changed, and returns the health.
    pub fn observe(&mut self, state: &AgentState) -> Health {
        let (health, transitions) = self.step(state);
        transitions.log();
        health
    }

    /// The health of one state and what changed, not logged yet.
    fn step(&mut self, state: &AgentState) -> (Health, Transitions) {
        let connected = state.connected();
        let mut transitions = Transitions::default();
        if connected > 0 && !self.was_connected {
            transitions.connected = Some(connected);
        } else if connected == 0 && self.was_connected {
            transitions.disconnected = true;
        }
        self.was_connected = connected > 0;
        let error = state.last_error().map(str::to_owned);
        if error.is_some() && error != self.last_error {
            transitions.error.clone_from(&error);
        }
        self.last_error = error;
        let health = Health {
            connected: connected as u64,
            connections: state.connections.len() as u64,
            reconnects: self.reconnects.observe(state),
        };
        (health, transitions)
    }
}

impl Agent {
    /// Calls `on_health` with the health of every state the agent publishes (the current one
    /// first), logging transitions as [`HealthTracker`] does once `on_health` has taken the
    /// health (so that when `tunnel connected` is logged, a readiness probe fed by `on_health`
    /// already says ready), until the agent is gone or the returned task is aborted. Must be
    /// called inside a tokio runtime.
    pub fn watch_health(
        &self,
        mut on_health: impl FnMut(Health) + Send + 'static,
    ) -> JoinHandle<()> {
        let mut state = self.state();
        tokio::spawn(async move {
            let mut tracker = HealthTracker::default();
            loop {
                let snapshot = state.borrow_and_update().clone();
                let (health, transitions) = tracker.step(&snapshot);
                on_health(health);
                transitions.log();
                if state.changed().await.is_err() {
                    return;
                }
            }
        })
    }
}

#[cfg(test)]
mod tests;
