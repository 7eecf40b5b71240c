//! Cancelling a call on the cloud side stops the work on the agent: the handler's future is dropped.

use std::time::Duration;

use gitproxy_tunnel::ops::Echo;
use gitproxy_tunnel::{OpCall, OpResponse, OpSpec, Router};
use tokio::sync::{mpsc, oneshot};

use crate::support::{agent_config, start_agent, start_hub, Pki, TENANT, WAIT};

/// Sends on drop: proves the handler's future was dropped.
struct DropSignal(Option<oneshot::Sender<()>>);

impl Drop for DropSignal {
    fn drop(&mut self) {
        if let Some(tx) = self.0.take() {
            let _ = tx.send(());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_call_drops_the_handler_on_the_agent() {
    let pki = Pki::new("cancel ca").expect("ca");
    let hub = start_hub(&pki).await;
    let (started_tx, mut started_rx) = mpsc::unbounded_channel::<oneshot::Receiver<()>>();
    let router = Router::new().raw(OpSpec::new("test.block", false), move |_req| {
        let started_tx = started_tx.clone();
        async move {
            let (dropped_tx, dropped_rx) = oneshot::channel();
            let _signal = DropSignal(Some(dropped_tx));
            let _ = started_tx.send(dropped_rx);
            // Works "forever": only cancellation ends it.
            std::future::pending::<()>().await;
            Ok(OpResponse::bytes("application/json", "{}"))
        }
    });
    let agent = start_agent(
        &hub,
        agent_config(&pki, hub.local_addr(), "canceller").connections(1),
        router,
        1,
    )
    .await;

    let mut call = Box::pin(hub.send(TENANT, OpCall::raw("test.block", "application/json", "{}")));
    let dropped = tokio::select! {
        res = &mut call => panic!("the blocking call returned: {res:?}"),
        started = tokio::time::timeout(WAIT, started_rx.recv()) => {
            started.expect("handler started").expect("channel open")
        }
    };
    // Dropping the call resets its HTTP/2 stream.
    drop(call);
    tokio::time::timeout(WAIT, dropped)
        .await
        .expect("handler future dropped after the cancel")
        .expect("drop signal");

    // The connection survives the reset stream.
    let echo = hub
        .call(
            TENANT,
            &Echo {
                message: "still here".into(),
            },
        )
        .await
        .expect("echo");
    assert_eq!(echo.message, "still here");

    // A call's timeout cancels the same way.
    let err = hub
        .send(
            TENANT,
            OpCall::raw("test.block", "application/json", "{}").timeout(Duration::from_millis(300)),
        )
        .await
        .expect_err("times out");
    // The hub's timeout and the agent's own deadline (the hub sends it along) race; either cancels.
    assert!(
        matches!(
            err.code(),
            Some(
                gitproxy_tunnel::ErrorCode::Timeout | gitproxy_tunnel::ErrorCode::DeadlineExceeded
            )
        ),
        "{err}"
    );
    let dropped = started_rx.recv().await.expect("second start");
    tokio::time::timeout(WAIT, dropped)
        .await
        .expect("dropped after timeout")
        .expect("signal");
    agent.shutdown().await;
    hub.shutdown().await;
}
