//! Hub restart: the agent notices, backs off within its policy's bound, and reconnects to the new hub on
//! the same port.

use std::time::{Duration, Instant};

use gitproxy_tunnel::ops::Echo;
use gitproxy_tunnel::{ConnectionStatus, Router};

use crate::support::{
    agent_config, fast_backoff, start_agent, start_hub, start_hub_at, wait_state, Pki, TENANT, WAIT,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_hub_restart_the_agent_reconnects_within_the_backoff_bound() {
    let pki = Pki::new("restart ca").expect("ca");
    let hub = start_hub(&pki).await;
    let addr = hub.local_addr();
    let agent = start_agent(&hub, agent_config(&pki, addr, "survivor"), Router::new(), 2).await;
    let mut state = agent.state();

    hub.shutdown().await;
    let down = wait_state(&mut state, "connections lost", |s| s.connected() == 0).await;
    assert!(
        down.last_error().is_some(),
        "the loss is recorded: {down:?}"
    );
    let restarted_at = Instant::now();
    let hub = start_hub_at(&pki, addr).await;
    hub.wait_ready(TENANT, 2, WAIT)
        .await
        .expect("agent back on the new hub");
    let took = restarted_at.elapsed();

    // After the restart, the pending backoff wait is at most the policy's cap (300 ms here); one more
    // failed attempt can race the bind; the rest is dialing and handshakes, slow on a loaded CI machine.
    // Far below the 1 s to 60 s of the default policy, which a missing reset would fall back to.
    let bound = fast_backoff().max() * 2 + Duration::from_secs(5);
    assert!(took < bound, "reconnect took {took:?}, bound {bound:?}");
    let state_now = agent.state().borrow().clone();
    assert!(
        state_now
            .connections
            .iter()
            .all(|c| c.backoffs >= 1 && c.dials >= 2),
        "{state_now:?}"
    );
    let echo = hub
        .call(
            TENANT,
            &Echo {
                message: "again".into(),
            },
        )
        .await
        .expect("echo");
    assert_eq!(echo.message, "again");
    agent.shutdown().await;
    assert!(matches!(
        agent_state_after(&mut state).await,
        ConnectionStatus::Stopped
    ));
    hub.shutdown().await;
}

async fn agent_state_after(
    state: &mut tokio::sync::watch::Receiver<gitproxy_tunnel::AgentState>,
) -> ConnectionStatus {
    state.borrow_and_update().connections[0].status.clone()
}
