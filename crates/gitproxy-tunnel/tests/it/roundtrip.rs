//! Operations round-trip over the tunnel; registration and presence show what the agent declared.

use std::time::Duration;

use gitproxy_tunnel::ops::{AgentInfo, Echo};
use gitproxy_tunnel::{OpError, Operation, Router, Transport};
use serde::{Deserialize, Serialize};

use crate::support::{agent_config, start_agent, start_hub, Pki, TENANT, WAIT};

#[derive(Debug, Serialize, Deserialize)]
struct Add {
    a: i64,
    b: i64,
}

impl Operation for Add {
    const NAME: &'static str = "math.add";
    type Response = i64;
}

fn router() -> Router {
    Router::new().op(|add: Add| async move {
        add.a
            .checked_add(add.b)
            .ok_or_else(|| OpError::bad_request("overflow"))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_round_trip_and_presence_shows_the_agent() {
    let pki = Pki::new("roundtrip ca").expect("ca");
    let hub = start_hub(&pki).await;
    let agent = start_agent(
        &hub,
        agent_config(&pki, hub.local_addr(), "agent-a").version("1.2.3"),
        router(),
        2,
    )
    .await;

    let echo = hub
        .call(
            TENANT,
            &Echo {
                message: "hello tunnel".into(),
            },
        )
        .await
        .expect("echo");
    assert_eq!(echo.message, "hello tunnel");
    assert_eq!(
        hub.call(TENANT, &Add { a: 40, b: 2 }).await.expect("add"),
        42
    );
    let err = hub
        .call(TENANT, &Add { a: i64::MAX, b: 1 })
        .await
        .expect_err("overflow is a structured error");
    assert_eq!(err.code(), Some(gitproxy_tunnel::ErrorCode::BadRequest));

    let info = hub.call(TENANT, &AgentInfo {}).await.expect("info");
    assert_eq!(info.agent_id, "agent-a");
    assert_eq!(info.version, "1.2.3");
    for name in ["agent.info", "echo", "math.add", "stream.bytes"] {
        assert!(
            info.capabilities.iter().any(|c| c == name),
            "{name} missing"
        );
    }

    let presence = hub.presence(TENANT);
    assert_eq!(presence.len(), 1);
    assert_eq!(presence[0].agent_id, "agent-a");
    assert_eq!(presence[0].version, "1.2.3");
    assert_eq!(presence[0].connections.len(), 2, "default is 2 connections");
    assert!(presence[0]
        .connections
        .iter()
        .all(|c| c.transport == Transport::WebSocket));
    assert_eq!(agent.state().borrow().connected(), 2);

    // Latency is measured by the hub's control pings, the first right after registration.
    let measured = tokio::time::timeout(WAIT, async {
        loop {
            if let Some(latency) = hub.presence(TENANT)[0].latency {
                return latency;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("latency measured");
    assert!(measured < Duration::from_secs(5));
    assert!(hub.presence("other-tenant").is_empty());

    agent.shutdown().await;
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_replicas_of_a_tenant_share_the_load() {
    let pki = Pki::new("replicas ca").expect("ca");
    let hub = start_hub(&pki).await;
    let a = start_agent(
        &hub,
        agent_config(&pki, hub.local_addr(), "replica-a"),
        Router::new(),
        2,
    )
    .await;
    let b = start_agent(
        &hub,
        agent_config(&pki, hub.local_addr(), "replica-b"),
        Router::new(),
        4,
    )
    .await;
    let mut seen = std::collections::HashSet::new();
    let info = AgentInfo {};
    let calls = (0..64).map(|_| hub.call(TENANT, &info));
    for info in futures_util::future::join_all(calls).await {
        seen.insert(info.expect("info").agent_id);
    }
    assert_eq!(seen.len(), 2, "both replicas served calls: {seen:?}");
    a.shutdown().await;
    b.shutdown().await;
    hub.shutdown().await;
}
