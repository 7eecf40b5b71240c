//! The long-poll fallback, chosen automatically when an intercepting proxy refuses the WebSocket upgrade.
//!
//! The proxy here is a transparent TLS-intercepting proxy (the Zscaler-style middlebox of the design notes):
//! it terminates the agent's TLS with a certificate from the corporate CA the agent was told to trust,
//! forwards each request to the cloud over a fresh TLS connection, and drops hop-by-hop headers such as
//! `Connection` and `Upgrade`, so the upgrade never reaches the cloud.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use gitproxy_egress::ProxyConfig;
use gitproxy_test_support::intercepting_proxy;
use gitproxy_tunnel::ops::{ByteSequenceChecker, Echo, StreamBytes};
use gitproxy_tunnel::{
    AccessKey, Agent, AgentConfig, ConnectionStatus, OpCall, OpError, Operation, Router, Transport,
};
use serde::{Deserialize, Serialize};

use crate::support::{
    connector, fast_backoff, server_tls, start_hub, url, wait_state, Pki, KEY, TENANT, WAIT,
};

#[derive(Debug, Serialize, Deserialize)]
struct Comment {
    text: String,
}

impl Operation for Comment {
    const NAME: &'static str = "test.comment.create";
    const MUTATING: bool = true;
    type Response = u32;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_poll_is_chosen_when_a_proxy_refuses_the_upgrade() {
    let cloud_ca = Pki::new("public cloud ca").expect("ca");
    let corp_ca = Pki::new("corp intercepting ca").expect("ca");
    let hub = start_hub(&cloud_ca).await;
    let proxy = intercepting_proxy(
        server_tls(&corp_ca),
        hub.local_addr(),
        Arc::new(cloud_ca.client_config().expect("client tls")),
    )
    .await
    .expect("intercepting proxy");

    let comments = Arc::new(AtomicU32::new(0));
    let router = {
        let comments = comments.clone();
        Router::new().op(move |_c: Comment| {
            let comments = comments.clone();
            async move { Ok::<_, OpError>(comments.fetch_add(1, Ordering::SeqCst) + 1) }
        })
    };
    // The agent "dials the cloud" and lands on the interception proxy, whose CA it was given.
    let config = AgentConfig::builder(
        &url(proxy),
        AccessKey::new(KEY).expect("key"),
        "poller",
        connector(&corp_ca, ProxyConfig::direct()),
    )
    .backoff(fast_backoff())
    .build()
    .expect("config");
    let agent = Agent::connect(config, router);
    hub.wait_ready(TENANT, 2, WAIT)
        .await
        .expect("connected over long-poll");
    let mut state = agent.state();
    let connected = wait_state(&mut state, "both on long-poll", |s| s.connected() == 2).await;
    for c in &connected.connections {
        assert!(
            matches!(
                c.status,
                ConnectionStatus::Connected {
                    transport: Transport::LongPoll,
                    ..
                }
            ),
            "{c:?}"
        );
        assert!(
            c.last_error
                .as_deref()
                .is_some_and(|e| e.contains("upgrade was refused")),
            "{c:?}"
        );
    }
    assert!(hub.presence(TENANT)[0]
        .connections
        .iter()
        .all(|c| c.transport == Transport::LongPoll));

    // The same operations work: JSON, concurrency, streamed bodies and idempotent mutations.
    let echoes: Vec<Echo> = (0..50)
        .map(|i| Echo {
            message: format!("m{i}"),
        })
        .collect();
    let calls = echoes.iter().map(|e| hub.call(TENANT, e));
    for (i, res) in futures_util::future::join_all(calls)
        .await
        .into_iter()
        .enumerate()
    {
        assert_eq!(res.expect("echo over long-poll").message, format!("m{i}"));
    }
    let len = 8 << 20;
    let mut reply = hub
        .call_stream(TENANT, &StreamBytes { len, seed: 7 })
        .await
        .expect("stream");
    let mut checker = ByteSequenceChecker::new(7, len);
    while let Some(chunk) = reply.body.chunk().await {
        assert!(checker.feed(&chunk.expect("chunk")));
    }
    assert!(checker.is_complete());
    let call = || {
        OpCall::new(&Comment { text: "fix".into() })
            .expect("call")
            .idempotency_key("comment-1")
    };
    let first = hub
        .send(TENANT, call())
        .await
        .expect("first")
        .json::<u32>()
        .await
        .expect("json");
    let again = hub.send(TENANT, call()).await.expect("replay");
    assert!(again.replayed);
    assert_eq!(again.json::<u32>().await.expect("json"), first);
    assert_eq!(comments.load(Ordering::SeqCst), 1);
    let err = hub
        .send(TENANT, OpCall::raw("no.such.op", "application/json", "{}"))
        .await
        .expect_err("unknown");
    assert_eq!(
        err.code(),
        Some(gitproxy_tunnel::ErrorCode::UnknownOperation)
    );
    agent.shutdown().await;
    hub.shutdown().await;
}
