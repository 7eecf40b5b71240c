//! Unknown operations, malformed bodies, oversized headers and bodies get structured errors, and the
//! connection that carried them survives.

use std::time::Duration;

use gitproxy_tunnel::ops::Echo;
use gitproxy_tunnel::{ErrorCode, OpCall, PresenceEvent, Router};
use http::{HeaderName, HeaderValue};

use crate::support::{agent_config, start_agent, start_hub, Pki, TENANT};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_structured_errors_and_the_connection_survives() {
    let pki = Pki::new("errors ca").expect("ca");
    let hub = start_hub(&pki).await;
    let agent = start_agent(
        &hub,
        agent_config(&pki, hub.local_addr(), "strict")
            .connections(1)
            .body_limit("echo", 1024),
        Router::new(),
        1,
    )
    .await;
    let connected_at = hub.presence(TENANT)[0].connections[0].connected_at;
    let mut events = hub.events();

    let cases: Vec<(OpCall, ErrorCode)> = vec![
        (
            OpCall::raw("no.such.op", "application/json", "{}"),
            ErrorCode::UnknownOperation,
        ),
        (
            OpCall::raw("9starts-with-digit", "application/json", "{}"),
            ErrorCode::BadRequest,
        ),
        (
            OpCall::raw("echo", "application/json", "{\"message\": "),
            ErrorCode::BadRequest,
        ),
        (
            OpCall::raw("echo", "application/json", "[1, 2, 3]"),
            ErrorCode::BadRequest,
        ),
        (
            OpCall::raw("echo", "text/plain", "hello"),
            ErrorCode::UnsupportedMediaType,
        ),
        (
            OpCall::raw(
                "echo",
                "application/json",
                format!("{{\"message\":\"{}\"}}", "x".repeat(4096)),
            ),
            ErrorCode::BodyTooLarge,
        ),
        (
            OpCall::raw("echo", "application/json", "{\"message\":\"hi\"}").header(
                HeaderName::from_static("x-padding"),
                HeaderValue::from_str(&"p".repeat(20 << 10)).expect("header"),
            ),
            ErrorCode::HeadersTooLarge,
        ),
        (
            OpCall::raw("echo", "application/json", "{\"message\":\"hi\"}").header(
                HeaderName::from_static("gitproxy-deadline-ms"),
                HeaderValue::from_static("soon"),
            ),
            ErrorCode::BadRequest,
        ),
    ];
    for (call, expected) in cases {
        let name = call.name().to_owned();
        let err = match hub.send(TENANT, call).await {
            Ok(reply) => panic!("{name} (expecting {expected}) was accepted: {reply:?}"),
            Err(err) => err,
        };
        let body = err
            .op_error()
            .unwrap_or_else(|| panic!("{name}: not structured: {err}"));
        assert_eq!(body.code(), expected, "{name}: {body}");
        assert!(!body.retryable, "{name}: {body}");
        assert!(!body.message.is_empty());
        // The same connection still serves operations.
        let ok = hub
            .call(
                TENANT,
                &Echo {
                    message: "ok".into(),
                },
            )
            .await
            .expect("echo after error");
        assert_eq!(ok.message, "ok");
    }
    assert_eq!(
        hub.presence(TENANT)[0].connections[0].connected_at,
        connected_at
    );
    let disconnects = tokio::time::timeout(Duration::from_millis(100), async {
        loop {
            if let Ok(PresenceEvent::Disconnected { .. }) = events.recv().await {
                return;
            }
        }
    })
    .await;
    assert!(disconnects.is_err(), "no connection was lost");
    assert_eq!(
        agent.state().borrow().connections[0].dials,
        1,
        "never redialed"
    );
    agent.shutdown().await;
    hub.shutdown().await;
}
