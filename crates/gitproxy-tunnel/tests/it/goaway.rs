//! GOAWAY with a hint: the cloud moves an agent to another hub, which it reaches at once, without backoff.

use gitproxy_tunnel::ops::AgentInfo;
use gitproxy_tunnel::Router;

use crate::support::{agent_config, start_agent, start_hub, url, Pki, TENANT, WAIT};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn goaway_with_a_hint_moves_the_agent_without_backoff() {
    let pki = Pki::new("goaway ca").expect("ca");
    let old = start_hub(&pki).await;
    let new = start_hub(&pki).await;
    let agent = start_agent(
        &old,
        agent_config(&pki, old.local_addr(), "mover"),
        Router::new(),
        2,
    )
    .await;
    let asked = old
        .goaway(TENANT, "mover", Some(&url(new.local_addr())), "rebalancing")
        .await;
    assert_eq!(asked, 2);
    new.wait_ready(TENANT, 2, WAIT)
        .await
        .expect("agent moved to the new hub");
    let info = new
        .call(TENANT, &AgentInfo {})
        .await
        .expect("served by the new hub");
    assert_eq!(info.agent_id, "mover");
    let state = agent.state().borrow().clone();
    assert!(
        state.connections.iter().all(|c| c.backoffs == 0),
        "a cloud-requested reconnect does not back off: {state:?}"
    );
    assert!(
        old.presence(TENANT).is_empty(),
        "the old hub no longer routes to it"
    );
    agent.shutdown().await;
    old.shutdown().await;
    new.shutdown().await;
}
