//! Unit tests of the idempotency store: replay, waiting, conflicts, expiry and eviction.

use std::time::Duration;

use bytes::Bytes;

use super::*;

fn stored(body: &'static str) -> Stored {
    Stored {
        status: 200,
        content_type: "application/json".into(),
        body: Bytes::from_static(body.as_bytes()),
    }
}

#[tokio::test(start_paused = true)]
async fn a_completed_key_replays_until_it_expires() {
    let store = IdempotencyStore::new(Duration::from_secs(600), 16);
    let Begin::Run(tx) = store.begin("op", "k", 1) else {
        panic!("first run")
    };
    store.finish("op", "k", &tx, stored("1"));
    assert!(matches!(store.begin("op", "k", 1), Begin::Done(s) if s == stored("1")));
    assert!(matches!(store.begin("op", "k", 2), Begin::Conflict));
    // Another operation name is another key space.
    assert!(matches!(store.begin("other", "k", 2), Begin::Run(_)));
    tokio::time::advance(Duration::from_secs(601)).await;
    assert!(
        matches!(store.begin("op", "k", 1), Begin::Run(_)),
        "window over"
    );
}

#[tokio::test(start_paused = true)]
async fn a_replay_during_the_run_waits_for_its_result() {
    let store = IdempotencyStore::new(Duration::from_secs(600), 16);
    let Begin::Run(tx) = store.begin("op", "k", 1) else {
        panic!("first run")
    };
    let Begin::Wait(mut rx) = store.begin("op", "k", 1) else {
        panic!("must wait")
    };
    store.finish("op", "k", &tx, stored("done"));
    rx.changed().await.expect("result");
    assert_eq!(rx.borrow().clone(), Some(stored("done")));
}

#[tokio::test(start_paused = true)]
async fn an_abandoned_run_is_forgotten() {
    let store = IdempotencyStore::new(Duration::from_secs(600), 16);
    let Begin::Run(tx) = store.begin("op", "k", 1) else {
        panic!("first run")
    };
    store.abandon("op", "k", &tx, stored("err"));
    assert!(matches!(store.begin("op", "k", 1), Begin::Run(_)));
}

#[tokio::test(start_paused = true)]
async fn the_oldest_completed_entries_are_evicted_at_capacity() {
    let store = IdempotencyStore::new(Duration::from_secs(600), 3);
    for key in ["a", "b", "c"] {
        let Begin::Run(tx) = store.begin("op", key, 1) else {
            panic!("run")
        };
        store.finish("op", key, &tx, stored("x"));
        tokio::time::advance(Duration::from_secs(1)).await;
    }
    let Begin::Run(_tx) = store.begin("op", "d", 1) else {
        panic!("run")
    };
    assert_eq!(store.len(), 3);
    assert!(
        matches!(store.begin("op", "a", 1), Begin::Run(_)),
        "oldest evicted"
    );
    assert!(matches!(store.begin("op", "c", 1), Begin::Done(_)));
}
