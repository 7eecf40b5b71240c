//! Unit tests of the tunnel reconnect count derived from the agent's state.

use std::time::{Duration, SystemTime};

use crate::{AgentState, ConnectionState, ConnectionStatus, Transport};

use super::Reconnects;

fn conn(index: u32, status: ConnectionStatus, dials: u64) -> ConnectionState {
    ConnectionState {
        index,
        status,
        last_error: None,
        dials,
        backoffs: 0,
    }
}

fn connected(at: SystemTime) -> ConnectionStatus {
    ConnectionStatus::Connected {
        transport: Transport::WebSocket,
        since: at,
    }
}

fn state(connections: Vec<ConnectionState>) -> AgentState {
    AgentState { connections }
}

#[test]
fn first_sessions_are_not_reconnects_and_each_new_session_is_one() {
    let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
    let t1 = t0 + Duration::from_secs(5);
    let t2 = t1 + Duration::from_secs(5);
    let mut r = Reconnects::default();
    let connecting = ConnectionStatus::Connecting { attempt: 0 };
    // Failed dials before the first session are not reconnects.
    assert_eq!(r.observe(&state(vec![conn(0, connecting.clone(), 3)])), 0);
    assert_eq!(
        r.observe(&state(vec![
            conn(0, connected(t0), 4),
            conn(1, connected(t0), 1)
        ])),
        0
    );
    // The same session observed again changes nothing.
    assert_eq!(r.observe(&state(vec![conn(0, connected(t0), 4)])), 0);
    // Connection 0 drops and comes back: one reconnect.
    let waiting = ConnectionStatus::Reconnecting {
        next_attempt_at: t1,
        attempt: 1,
    };
    assert_eq!(r.observe(&state(vec![conn(0, waiting, 4)])), 0);
    assert_eq!(r.observe(&state(vec![conn(0, connected(t1), 7)])), 1);
    // A drop and recovery between two observed states still counts (a new `since`).
    assert_eq!(
        r.observe(&state(vec![
            conn(0, connected(t1), 7),
            conn(1, connected(t2), 2)
        ])),
        2
    );
}
