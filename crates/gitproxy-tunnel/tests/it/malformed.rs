//! Malformed envelopes from the wire: the agent answers each with a structured error where it can, drops
//! what it cannot attribute, and keeps its connection (a hand-written cloud plays the long-poll side).

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use gitproxy_egress::ProxyConfig;
use gitproxy_tunnel::{
    AccessKey, Agent, AgentConfig, ConnectionStatus, ErrorBody, ErrorCode, Router, Transport,
};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::sync::mpsc;

use crate::support::{connector, fast_backoff, server_tls, url, wait_state, Pki, KEY, WAIT};

const BATCH: &str = r#"[
    {"id":"bad-1","op":"Not Valid"},
    {"nonsense":true},
    {"id":"ok-1","op":"echo","body":{"message":"hi"}},
    {"id":"bad-2","op":"echo","body":[1,2]},
    {"id":"bad-3","op":"no.such.op","body":{}},
    {"id":"bad-4","op":"echo","idempotency_key":"not a key","body":{}}
]"#;

#[derive(Debug)]
enum Seen {
    Poll(u32),
    Result {
        id: String,
        status: u16,
        body: Bytes,
    },
}

async fn fake_cloud(
    req: Request<Incoming>,
    polls: Arc<AtomicU32>,
    seen: mpsc::UnboundedSender<Seen>,
) -> Response<Full<Bytes>> {
    let respond = |status: StatusCode, body: &str| {
        let mut res = Response::new(Full::new(Bytes::from(body.to_owned())));
        *res.status_mut() = status;
        res
    };
    let query: HashMap<String, String> = req
        .uri()
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    match req.uri().path() {
        // No upgrade here: the agent must fall back to long-poll.
        "/v1/agent/tunnel" => respond(StatusCode::BAD_REQUEST, "{}"),
        "/v1/agent/poll/register" => {
            respond(StatusCode::OK, r#"{"session":"s1","poll_wait_ms":1000}"#)
        }
        "/v1/agent/poll" => {
            let n = polls.fetch_add(1, Ordering::SeqCst) + 1;
            let _ = seen.send(Seen::Poll(n));
            match n {
                1 => respond(StatusCode::OK, BATCH),
                2 => respond(StatusCode::OK, "this is not json"),
                _ => {
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    respond(StatusCode::OK, "[]")
                }
            }
        }
        "/v1/agent/poll/result" => {
            let status = req
                .headers()
                .get("gitproxy-status")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let body = req
                .into_body()
                .collect()
                .await
                .map(|c| c.to_bytes())
                .unwrap_or_default();
            let id = query.get("id").cloned().unwrap_or_default();
            let _ = seen.send(Seen::Result { id, status, body });
            respond(StatusCode::NO_CONTENT, "")
        }
        _ => respond(StatusCode::NOT_FOUND, "{}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_envelopes_get_structured_errors_and_the_connection_survives() {
    let pki = Pki::new("malformed ca").expect("ca");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let acceptor = tokio_rustls::TlsAcceptor::from(server_tls(&pki));
    let polls = Arc::new(AtomicU32::new(0));
    let (seen_tx, mut seen) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, polls, seen_tx) = (acceptor.clone(), polls.clone(), seen_tx.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = hyper::service::service_fn(move |req| {
                    let (polls, seen_tx) = (polls.clone(), seen_tx.clone());
                    async move { Ok::<_, Infallible>(fake_cloud(req, polls, seen_tx).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });

    let config = AgentConfig::builder(
        &url(addr),
        AccessKey::new(KEY).expect("key"),
        "fuzzed",
        connector(&pki, ProxyConfig::direct()),
    )
    .connections(1)
    .backoff(fast_backoff())
    .build()
    .expect("config");
    let agent = Agent::connect(config, Router::new());

    let mut results = HashMap::new();
    let mut max_poll = 0;
    tokio::time::timeout(WAIT, async {
        while results.len() < 5 || max_poll < 4 {
            match seen.recv().await.expect("cloud running") {
                Seen::Poll(n) => max_poll = max_poll.max(n),
                Seen::Result { id, status, body } => {
                    results.insert(id, (status, body));
                }
            }
        }
    })
    .await
    .expect("results for every attributable envelope, and polling continued");

    let error = |id: &str| {
        let (status, body) = &results[id];
        let body = ErrorBody::decode(body).unwrap_or_else(|| panic!("{id}: not an error body"));
        (*status, body.code(), body.retryable)
    };
    assert_eq!(error("bad-1"), (400, ErrorCode::BadRequest, false));
    assert_eq!(error("bad-2"), (400, ErrorCode::BadRequest, false));
    assert_eq!(error("bad-3"), (404, ErrorCode::UnknownOperation, false));
    assert_eq!(error("bad-4"), (400, ErrorCode::BadRequest, false));
    assert_eq!(
        results["ok-1"],
        (200, Bytes::from_static(br#"{"message":"hi"}"#))
    );
    assert_eq!(
        results.len(),
        5,
        "the envelope without an id is dropped: {:?}",
        results.keys()
    );

    // The malformed batch and the non-JSON answer did not cost the connection.
    let mut state = agent.state();
    let now = wait_state(&mut state, "still connected", |s| s.connected() == 1).await;
    assert!(matches!(
        now.connections[0].status,
        ConnectionStatus::Connected {
            transport: Transport::LongPoll,
            ..
        }
    ));
    assert_eq!(
        now.connections[0].dials, 2,
        "one refused upgrade, then one long-poll session"
    );
    agent.shutdown().await;
}
