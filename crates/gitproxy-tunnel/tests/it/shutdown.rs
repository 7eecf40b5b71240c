//! Graceful shutdown: new operations are refused, in-flight ones finish within the deadline, then the
//! connections close.

use std::time::{Duration, Instant};

use gitproxy_tunnel::ops::Echo;
use gitproxy_tunnel::{ConnectionStatus, OpCall, OpResponse, OpSpec, Router};
use tokio::sync::{mpsc, oneshot};

use crate::support::{agent_config, start_agent, start_hub, Pki, TENANT, WAIT};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_in_flight_work_and_refuses_new_work() {
    let pki = Pki::new("shutdown ca").expect("ca");
    let hub = start_hub(&pki).await;
    let (started_tx, mut started_rx) = mpsc::unbounded_channel::<oneshot::Sender<()>>();
    let router = Router::new().raw(OpSpec::new("test.slow", false), move |_req| {
        let started_tx = started_tx.clone();
        async move {
            let (finish_tx, finish_rx) = oneshot::channel();
            let _ = started_tx.send(finish_tx);
            let _ = finish_rx.await;
            Ok(OpResponse::bytes("application/json", "{\"done\":true}"))
        }
    });
    let agent = start_agent(
        &hub,
        agent_config(&pki, hub.local_addr(), "draining").shutdown_deadline(Duration::from_secs(10)),
        router,
        2,
    )
    .await;
    let mut state = agent.state();

    let in_flight = hub.send(TENANT, OpCall::raw("test.slow", "application/json", "{}"));
    let drive = async {
        let finish = tokio::time::timeout(WAIT, started_rx.recv())
            .await
            .expect("started")
            .expect("open");
        let shutting = tokio::spawn(agent.shutdown());
        // Once draining, the agent takes no new operations.
        let refused = tokio::time::timeout(WAIT, async {
            loop {
                match hub
                    .call(
                        TENANT,
                        &Echo {
                            message: "late".into(),
                        },
                    )
                    .await
                {
                    Err(err) => return err,
                    Ok(_) => tokio::task::yield_now().await,
                }
            }
        })
        .await
        .expect("new work refused");
        assert!(refused.is_retryable(), "refusal is retryable: {refused}");
        finish.send(()).expect("handler waiting");
        tokio::time::timeout(WAIT, shutting)
            .await
            .expect("shutdown returns")
            .expect("no panic");
    };
    let (reply, ()) = tokio::join!(in_flight, drive);
    let body = reply
        .expect("in-flight op finished")
        .body
        .bytes()
        .await
        .expect("body");
    assert_eq!(&body[..], b"{\"done\":true}");
    assert!(state
        .borrow_and_update()
        .connections
        .iter()
        .all(|c| c.status == ConnectionStatus::Stopped));
    let gone = tokio::time::timeout(WAIT, async {
        while !hub.presence(TENANT).is_empty() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(gone.is_ok(), "the hub saw the connections close");
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_gives_up_on_work_past_the_deadline() {
    let pki = Pki::new("shutdown deadline ca").expect("ca");
    let hub = start_hub(&pki).await;
    let (started_tx, mut started_rx) = mpsc::unbounded_channel::<()>();
    let router = Router::new().raw(OpSpec::new("test.stuck", false), move |_req| {
        let started_tx = started_tx.clone();
        async move {
            let _ = started_tx.send(());
            std::future::pending::<()>().await;
            Ok(OpResponse::bytes("application/json", "{}"))
        }
    });
    let agent = start_agent(
        &hub,
        agent_config(&pki, hub.local_addr(), "stuck")
            .connections(1)
            .shutdown_deadline(Duration::from_millis(300)),
        router,
        1,
    )
    .await;
    let call = hub.send(TENANT, OpCall::raw("test.stuck", "application/json", "{}"));
    let drive = async {
        tokio::time::timeout(WAIT, started_rx.recv())
            .await
            .expect("started");
        let started = Instant::now();
        agent.shutdown().await;
        started.elapsed()
    };
    let (res, took) = tokio::join!(call, drive);
    assert!(took < Duration::from_secs(5), "shutdown took {took:?}");
    let err = res.expect_err("cut off at the deadline");
    assert!(err.is_retryable(), "{err}");
    hub.shutdown().await;
}
