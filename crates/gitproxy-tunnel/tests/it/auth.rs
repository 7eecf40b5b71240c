//! A wrong access key is fatal: one clear error, a long pause, no reconnect storm; the key never leaks.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use gitproxy_egress::ProxyConfig;
use gitproxy_tunnel::{
    AccessCheck, AccessDenied, AccessKey, Agent, AgentConfig, ConnectionStatus, Hub,
};

use crate::support::{connector, fast_backoff, hub_config, url, wait_state, Pki};

const WRONG: &str = "wrong-access-key-fedcba9876543210";

/// Refuses every key and counts the attempts.
struct Refuse(Arc<AtomicU32>);

#[async_trait]
impl AccessCheck for Refuse {
    async fn check(&self, _key: &AccessKey, _agent_id: &str) -> Result<String, AccessDenied> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Err(AccessDenied {
            status: 401,
            message: "unknown access key".into(),
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_access_key_is_fatal_without_a_reconnect_storm() {
    let pki = Pki::new("auth ca").expect("ca");
    let attempts = Arc::new(AtomicU32::new(0));
    let hub = Hub::bind(
        "127.0.0.1:0".parse().expect("addr"),
        hub_config(&pki),
        Refuse(attempts.clone()),
    )
    .await
    .expect("hub");
    let config = AgentConfig::builder(
        &url(hub.local_addr()),
        AccessKey::new(WRONG).expect("key"),
        "locked-out",
        connector(&pki, ProxyConfig::direct()),
    )
    .backoff(fast_backoff())
    .build()
    .expect("config");
    assert!(
        !format!("{config:?}").contains(WRONG),
        "Debug redacts the key"
    );
    let agent = Agent::connect(config, gitproxy_tunnel::Router::new());
    let mut state = agent.state();
    let fatal = wait_state(&mut state, "fatal", |s| {
        matches!(s.connections[0].status, ConnectionStatus::Fatal { .. })
    })
    .await;
    let ConnectionStatus::Fatal {
        error,
        next_attempt_at,
    } = &fatal.connections[0].status
    else {
        unreachable!("checked above");
    };
    assert!(
        error.contains("access key") && error.contains("gitproxy.accessKey"),
        "{error}"
    );
    assert!(!error.contains(WRONG), "the key never appears in errors");
    assert!(
        *next_attempt_at > SystemTime::now() + Duration::from_secs(240),
        "the next attempt is minutes away, not a tight loop"
    );
    // With a 20 ms backoff a retry loop would have made dozens of attempts by now; a fatal error makes none.
    let within = tokio::time::timeout(Duration::from_millis(500), state.changed()).await;
    assert!(
        within.is_err(),
        "no state change while paused: {:?}",
        *state.borrow()
    );
    assert_eq!(attempts.load(Ordering::SeqCst), 1, "exactly one attempt");
    // The other connection waits for the first one to succeed, so it never dialed.
    assert_eq!(agent.state().borrow().connections[1].dials, 0);
    assert!(!format!("{agent:?}").contains(WRONG));
    agent.shutdown().await;
    hub.shutdown().await;
}
