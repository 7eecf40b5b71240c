//! `Hub::send` fails over: when the connection carrying a call drops before the answer, the call is sent
//! again on another healthy connection (here another replica of the tenant) and succeeds.

use gitproxy_tunnel::{OpCall, OpResponse, OpSpec, PresenceEvent, Router};
use tokio::sync::mpsc;

use crate::support::{agent_config, start_agent, start_hub, Pki, TENANT, WAIT};

fn replica(name: &'static str, started: Option<mpsc::UnboundedSender<()>>) -> Router {
    Router::new().raw(OpSpec::new("test.who", false), move |_req| {
        let started = started.clone();
        async move {
            if let Some(started) = started {
                // This replica takes the call and never answers: only a failover can complete it.
                let _ = started.send(());
                std::future::pending::<()>().await;
            }
            Ok(OpResponse::bytes("application/json", format!("\"{name}\"")))
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_fails_over_when_its_connection_drops() {
    let pki = Pki::new("failover ca").expect("ca");
    let hub = start_hub(&pki).await;
    let (started_tx, mut started) = mpsc::unbounded_channel();
    let stuck = start_agent(
        &hub,
        agent_config(&pki, hub.local_addr(), "stuck"),
        replica("stuck", Some(started_tx)),
        2,
    )
    .await;
    let healthy = start_agent(
        &hub,
        agent_config(&pki, hub.local_addr(), "healthy"),
        replica("healthy", None),
        4,
    )
    .await;
    let mut events = hub.events();

    // Calls are spread over both replicas; keep calling until one lands on the stuck replica.
    let deadline = tokio::time::Instant::now() + WAIT;
    let pending = loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no call reached the stuck replica"
        );
        let mut call =
            Box::pin(hub.send(TENANT, OpCall::raw("test.who", "application/json", "{}")));
        tokio::select! {
            res = &mut call => {
                let body = res.expect("served by the healthy replica").body.bytes().await.expect("body");
                assert_eq!(&body[..], b"\"healthy\"");
            }
            _ = started.recv() => break call,
        }
    };

    // Its connections drop while the call waits: the hub resends it to the healthy replica.
    assert_eq!(hub.disconnect(TENANT, "stuck"), 2);
    let reply = tokio::time::timeout(WAIT, pending)
        .await
        .expect("failover in time")
        .expect("failed over");
    assert_eq!(reply.agent_id, "healthy");
    assert_eq!(&reply.body.bytes().await.expect("body")[..], b"\"healthy\"");
    let gone = tokio::time::timeout(WAIT, async {
        loop {
            if let Ok(PresenceEvent::Disconnected { agent_id, .. }) = events.recv().await {
                if agent_id == "stuck" {
                    return;
                }
            }
        }
    })
    .await;
    assert!(gone.is_ok(), "presence reported the dropped connections");
    stuck.shutdown().await;
    healthy.shutdown().await;
    hub.shutdown().await;
}
