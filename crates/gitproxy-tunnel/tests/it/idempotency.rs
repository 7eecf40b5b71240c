//! Idempotent replay: a mutating call retried with its key after a forced disconnect does the work once.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use gitproxy_tunnel::{ErrorCode, OpCall, OpError, Operation, Router};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, Notify};

use crate::support::{agent_config, start_agent, start_hub, wait_state, Pki, TENANT, WAIT};

#[derive(Debug, Serialize, Deserialize)]
struct CreatePr {
    branch: String,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Created {
    id: u32,
}

impl Operation for CreatePr {
    const NAME: &'static str = "test.pull-request.create";
    const MUTATING: bool = true;
    type Response = Created;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_after_a_forced_disconnect_does_the_work_once() {
    let pki = Pki::new("idempotency ca").expect("ca");
    let hub = start_hub(&pki).await;
    let executions = Arc::new(AtomicU32::new(0));
    let release = Arc::new(Notify::new());
    let (started_tx, mut started_rx) = mpsc::unbounded_channel::<()>();
    let router = {
        let executions = executions.clone();
        let release = release.clone();
        Router::new().op(move |_op: CreatePr| {
            let executions = executions.clone();
            let release = release.clone();
            let started_tx = started_tx.clone();
            async move {
                let id = executions.fetch_add(1, Ordering::SeqCst) + 1;
                let _ = started_tx.send(());
                release.notified().await;
                Ok::<_, OpError>(Created { id })
            }
        })
    };
    let agent = start_agent(
        &hub,
        agent_config(&pki, hub.local_addr(), "replayer"),
        router,
        2,
    )
    .await;
    let mut state = agent.state();

    let op = CreatePr {
        branch: "fix/cve-1".into(),
    };
    let first = OpCall::new(&op)
        .expect("call")
        .idempotency_key("pr-fix-cve-1");
    let mut first_call = Box::pin(hub.send(TENANT, first));
    tokio::select! {
        res = &mut first_call => panic!("returned before the disconnect: {res:?}"),
        started = tokio::time::timeout(WAIT, started_rx.recv()) => { started.expect("started"); }
    }
    // Forced disconnect while the work is in progress: every connection of the agent is closed.
    assert_eq!(hub.disconnect(TENANT, "replayer"), 2);
    // The work goes on (keyed operations run to completion on the agent); let it finish.
    release.notify_one();
    // The first call either failed over by itself (same key, onto a reconnected connection, getting the
    // stored result) or failed with a retryable error: both are fine, the work ran once either way.
    match tokio::time::timeout(WAIT, first_call)
        .await
        .expect("first call ends")
    {
        Ok(reply) => assert_eq!(
            reply.json::<Created>().await.expect("json"),
            Created { id: 1 }
        ),
        Err(err) => assert!(err.is_retryable(), "{err}"),
    }
    wait_state(&mut state, "reconnected", |s| {
        s.connected() == 2 && s.connections.iter().all(|c| c.backoffs > 0)
    })
    .await;
    hub.wait_ready(TENANT, 2, WAIT).await.expect("back");

    // The cloud retries with the same key: the stored result comes back, the work is not redone.
    let retry = OpCall::new(&op)
        .expect("call")
        .idempotency_key("pr-fix-cve-1");
    let reply = hub.send(TENANT, retry).await.expect("replay");
    assert!(reply.replayed, "served from the idempotency store");
    assert_eq!(
        reply.json::<Created>().await.expect("json"),
        Created { id: 1 }
    );
    assert_eq!(executions.load(Ordering::SeqCst), 1);

    // Same key, different body: a conflict, not a silent replay.
    let other = OpCall::new(&CreatePr {
        branch: "other".into(),
    })
    .expect("call")
    .idempotency_key("pr-fix-cve-1");
    let err = hub.send(TENANT, other).await.expect_err("conflict");
    assert_eq!(err.code(), Some(ErrorCode::IdempotencyConflict));

    // A new logical call (the hub picks a fresh key) does new work.
    let second = CreatePr {
        branch: "fix/cve-2".into(),
    };
    let pending = hub.call(TENANT, &second);
    let (res, ()) = tokio::join!(pending, async {
        started_rx.recv().await.expect("second start");
        release.notify_one();
    });
    assert_eq!(res.expect("second create"), Created { id: 2 });
    assert_eq!(executions.load(Ordering::SeqCst), 2);
    agent.shutdown().await;
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_while_the_first_run_is_in_progress_waits_for_it() {
    let pki = Pki::new("idempotency wait ca").expect("ca");
    let hub = start_hub(&pki).await;
    let executions = Arc::new(AtomicU32::new(0));
    let release = Arc::new(Notify::new());
    let router = {
        let executions = executions.clone();
        let release = release.clone();
        Router::new().op(move |_op: CreatePr| {
            let executions = executions.clone();
            let release = release.clone();
            async move {
                let id = executions.fetch_add(1, Ordering::SeqCst) + 1;
                release.notified().await;
                Ok::<_, OpError>(Created { id })
            }
        })
    };
    let agent = start_agent(
        &hub,
        agent_config(&pki, hub.local_addr(), "waiter"),
        router,
        2,
    )
    .await;
    let op = CreatePr { branch: "b".into() };
    let a = hub.send(
        TENANT,
        OpCall::new(&op).expect("call").idempotency_key("same-key"),
    );
    let b = hub.send(
        TENANT,
        OpCall::new(&op).expect("call").idempotency_key("same-key"),
    );
    let release_when_running = async {
        while executions.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        release.notify_one();
    };
    let (a, b, ()) = tokio::join!(a, b, release_when_running);
    let (a, b) = (a.expect("a"), b.expect("b"));
    assert_eq!(
        a.json::<Created>().await.expect("a json"),
        Created { id: 1 }
    );
    assert_eq!(
        b.json::<Created>().await.expect("b json"),
        Created { id: 1 }
    );
    assert_eq!(executions.load(Ordering::SeqCst), 1);

    // A mutating operation without a key is refused with a structured error.
    let err = hub
        .send(
            TENANT,
            OpCall::raw(CreatePr::NAME, "application/json", r#"{"branch":"x"}"#),
        )
        .await
        .expect_err("key required");
    assert_eq!(err.code(), Some(ErrorCode::IdempotencyKeyRequired));
    agent.shutdown().await;
    hub.shutdown().await;
}
