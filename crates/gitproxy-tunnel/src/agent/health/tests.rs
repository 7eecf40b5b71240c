//! Unit tests of the health derived from the agent's states.

use std::time::{Duration, SystemTime};

use crate::{AgentState, ConnectionState, ConnectionStatus, Transport};

use super::{Health, HealthTracker};

fn conn(index: u32, status: ConnectionStatus, last_error: Option<&str>) -> ConnectionState {
    ConnectionState {
        index,
        status,
        last_error: last_error.map(str::to_owned),
        dials: 1,
        backoffs: 0,
    }
}

fn connected(at: SystemTime) -> ConnectionStatus {
    ConnectionStatus::Connected {
        transport: Transport::WebSocket,
        since: at,
    }
}

fn expected(connected: u64, connections: u64, reconnects: u64) -> Health {
    Health {
        connected,
        connections,
        reconnects,
    }
}

#[test]
fn health_counts_ready_configured_and_reconnected_connections() {
    let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
    let t1 = t0 + Duration::from_secs(5);
    let connecting = ConnectionStatus::Connecting { attempt: 0 };
    let mut tracker = HealthTracker::default();
    let state = |connections| AgentState { connections };
    let health = tracker.observe(&state(vec![
        conn(0, connecting.clone(), Some("refused")),
        conn(1, connecting.clone(), None),
    ]));
    assert_eq!(health, expected(0, 2, 0));
    assert!(!health.is_ready());
    let health = tracker.observe(&state(vec![
        conn(0, connected(t0), Some("refused")),
        conn(1, connecting.clone(), None),
    ]));
    assert_eq!(health, expected(1, 2, 0));
    assert!(health.is_ready());
    let health = tracker.observe(&state(vec![
        conn(0, connected(t1), Some("lost")),
        conn(1, connected(t1), None),
    ]));
    assert_eq!(health, expected(2, 2, 1));
}
