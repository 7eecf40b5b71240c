//! 1,000 concurrent operations over one agent complete with correct results.

use gitproxy_tunnel::ops::Echo;
use gitproxy_tunnel::Router;

use crate::support::{agent_config, start_agent, start_hub, Pki, TENANT};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_operations_complete_correctly() {
    let pki = Pki::new("load ca").expect("ca");
    let hub = start_hub(&pki).await;
    let agent = start_agent(
        &hub,
        agent_config(&pki, hub.local_addr(), "loaded"),
        Router::new(),
        2,
    )
    .await;

    let calls = (0..1000).map(|i| {
        let hub = &hub;
        async move {
            let message = format!("message number {i}");
            let res = hub
                .call(
                    TENANT,
                    &Echo {
                        message: message.clone(),
                    },
                )
                .await;
            (message, res)
        }
    });
    let results = futures_util::future::join_all(calls).await;
    let mut ok = 0;
    for (sent, res) in results {
        let res = res.unwrap_or_else(|e| panic!("call failed: {e}"));
        assert_eq!(res.message, sent);
        ok += 1;
    }
    assert_eq!(ok, 1000);
    // Nothing left in flight once every call returned.
    assert!(hub.presence(TENANT)[0]
        .connections
        .iter()
        .all(|c| c.in_flight == 0));
    agent.shutdown().await;
    hub.shutdown().await;
}
