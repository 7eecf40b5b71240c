//! Counting reconnects from the agent's published states, for an embedder's metrics.

use std::collections::HashMap;
use std::time::SystemTime;

use super::{AgentState, ConnectionStatus};

/// Counts tunnel reconnects from successive [`AgentState`]s: a connection becoming ready again
/// after its first ready session. Each ready session is told apart by its `since` instant, so a
/// reconnect that happens between two observed states is still counted.
#[derive(Debug, Default)]
pub struct Reconnects {
    /// The `since` of the last ready session seen, per connection index.
    sessions: HashMap<u32, SystemTime>,
    total: u64,
}

impl Reconnects {
    /// Takes in one state and returns the reconnects so far.
    pub fn observe(&mut self, state: &AgentState) -> u64 {
        for conn in &state.connections {
            if let ConnectionStatus::Connected { since, .. } = conn.status {
                match self.sessions.insert(conn.index, since) {
                    Some(previous) if previous != since => self.total += 1,
                    _ => {}
                }
            }
        }
        self.total
    }
}

#[cfg(test)]
mod tests;
