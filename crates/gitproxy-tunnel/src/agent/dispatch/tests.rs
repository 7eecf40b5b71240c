//! Unit tests of the dispatcher: limits, busy, shutdown and idempotency without any network.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use http_body_util::BodyExt;
use tokio::sync::Semaphore;

use super::*;
use crate::config::AgentConfig;
use crate::dial::Connector;
use crate::secret::AccessKey;

struct NoNetwork;

#[async_trait::async_trait]
impl Connector for NoNetwork {
    async fn connect(&self, _uri: &http::Uri) -> std::io::Result<crate::dial::BoxIo> {
        Err(std::io::Error::other("unit tests do not dial"))
    }
}

struct Counting(Arc<AtomicU32>);

#[async_trait]
impl OpHandler for Counting {
    fn operations(&self) -> Vec<OpSpec> {
        vec![
            OpSpec::new("test.mutate", true),
            OpSpec::new("test.read", false),
        ]
    }
    async fn handle(&self, req: OpRequest) -> Result<OpResponse, OpError> {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        let _ = req.bytes().await?;
        OpResponse::json(&n)
    }
}

fn dispatcher(count: Arc<AtomicU32>) -> Arc<Dispatcher> {
    let config = AgentConfig::builder(
        "https://cloud.example",
        AccessKey::new("unit-test-access-key-000000").expect("key"),
        "unit",
        Arc::new(NoNetwork),
    )
    .body_limit("test.read", 8)
    .build()
    .expect("config");
    Arc::new(Dispatcher::new(Arc::new(config), Arc::new(Counting(count))))
}

fn call(name: &str, key: Option<&str>, body: &'static str) -> Call {
    Call {
        name: name.into(),
        idempotency_key: key.map(str::to_owned),
        deadline: None,
        content_type: Some(JSON.into()),
        content_length: None,
        body: full(body),
        connection_index: 0,
    }
}

async fn text(reply: Reply) -> (StatusCode, String) {
    let bytes = reply.body.collect().await.expect("body").to_bytes();
    (reply.status, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test]
async fn structured_errors_for_unknown_oversized_busy_and_draining() {
    let d = dispatcher(Arc::new(AtomicU32::new(0)));
    let limit = Arc::new(Semaphore::new(1));
    let (status, body) = text(d.dispatch(call("nope", None, "{}"), &limit).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        body.contains("unknown_operation") && body.contains("echo"),
        "{body}"
    );

    let (status, body) = text(
        d.dispatch(call("test.read", None, "0123456789"), &limit)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");

    let (status, body) = text(d.dispatch(call("test.mutate", None, "{}"), &limit).await).await;
    assert_eq!(status, StatusCode::PRECONDITION_REQUIRED, "{body}");

    let held = limit.clone().try_acquire_owned().expect("permit");
    let (status, body) = text(d.dispatch(call("test.read", None, "{}"), &limit).await).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let err = ErrorBody::decode(body.as_bytes()).expect("error body");
    assert_eq!(err.code(), ErrorCode::Busy);
    assert!(err.retryable);
    drop(held);

    d.begin_shutdown();
    let (status, body) = text(
        d.dispatch(call("echo", None, "{\"message\":\"x\"}"), &limit)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.contains("shutting_down"));
}

#[tokio::test]
async fn keyed_operations_run_once() {
    let count = Arc::new(AtomicU32::new(0));
    let d = dispatcher(count.clone());
    let limit = Arc::new(Semaphore::new(4));
    let first = d
        .dispatch(call("test.mutate", Some("k1"), "{}"), &limit)
        .await;
    assert!(!first.replay);
    assert_eq!(text(first).await, (StatusCode::OK, "1".to_owned()));
    let again = d
        .dispatch(call("test.mutate", Some("k1"), "{}"), &limit)
        .await;
    assert!(again.replay);
    assert_eq!(text(again).await, (StatusCode::OK, "1".to_owned()));
    assert_eq!(count.load(Ordering::SeqCst), 1);
    let other = d
        .dispatch(call("test.mutate", Some("k2"), "{}"), &limit)
        .await;
    assert_eq!(text(other).await, (StatusCode::OK, "2".to_owned()));
    // The permit of a finished operation is released.
    tokio::time::timeout(Duration::from_secs(5), async {
        while limit.available_permits() < 4 {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("permits back");
}

#[tokio::test]
async fn builtins_answer() {
    let d = dispatcher(Arc::new(AtomicU32::new(0)));
    let limit = Arc::new(Semaphore::new(4));
    let (status, body) = text(
        d.dispatch(call("echo", None, "{\"message\":\"hi\"}"), &limit)
            .await,
    )
    .await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "{\"message\":\"hi\"}")
    );
    let (status, body) = text(
        d.dispatch(
            call("stream.bytes", None, "{\"len\":100000,\"seed\":9}"),
            &limit,
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let _ = body;
    assert!(d.capabilities().iter().any(|c| c == "test.mutate"));
}
