//! Test support: a tiny scripted HTTP/1.1 server on 127.0.0.1:0 that records every request.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::Notify;

use crate::{Client, Credentials, RetryPolicy};

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) query: Option<String>,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Recorded {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }

    /// The decoded query pairs.
    pub(crate) fn query_pairs(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(self.query.as_deref().unwrap_or("").as_bytes())
            .map(|(key, value)| (key.into_owned(), value.into_owned()))
            .collect()
    }

    pub(crate) fn query_value(&self, key: &str) -> Option<String> {
        self.query_pairs()
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, value)| value)
    }
}

/// A scripted answer.
#[derive(Debug, Clone)]
pub(crate) struct Canned {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    delay: Option<Duration>,
    drop_connection: bool,
}

impl Canned {
    pub(crate) fn status(status: u16) -> Self {
        Canned {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            delay: None,
            drop_connection: false,
        }
    }

    pub(crate) fn json(status: u16, body: serde_json::Value) -> Self {
        Canned::status(status)
            .header("content-type", "application/json;charset=UTF-8")
            .body(serde_json::to_vec(&body).expect("serializable"))
    }

    pub(crate) fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub(crate) fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    pub(crate) fn delay(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }

    /// Close the connection without answering.
    pub(crate) fn dropped() -> Self {
        Canned {
            drop_connection: true,
            ..Canned::status(500)
        }
    }
}

#[derive(Default)]
struct State {
    requests: Mutex<Vec<Recorded>>,
    responses: Mutex<VecDeque<Canned>>,
    arrived: Notify,
}

/// The server; dropped with the test's runtime.
pub(crate) struct TestServer {
    pub(crate) base_url: String,
    state: Arc<State>,
}

impl TestServer {
    pub(crate) async fn start() -> Self {
        Self::start_with_prefix("").await
    }

    /// A server whose base URL carries a context path, e.g. `/bitbucket`.
    pub(crate) async fn start_with_prefix(prefix: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(State::default());
        let accept_state = Arc::clone(&state);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = Arc::clone(&accept_state);
                tokio::spawn(async move {
                    let service = service_fn(move |req| handle(Arc::clone(&state), req));
                    // Errors are dropped connections, some of them deliberate.
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        TestServer {
            base_url: format!("http://{addr}{prefix}"),
            state,
        }
    }

    /// Queues the next answer (answers are used in order; with none left the server answers
    /// 599 so a test notices).
    pub(crate) fn push(&self, canned: Canned) -> &Self {
        self.state
            .responses
            .lock()
            .expect("responses lock")
            .push_back(canned);
        self
    }

    pub(crate) fn requests(&self) -> Vec<Recorded> {
        self.state.requests.lock().expect("requests lock").clone()
    }

    pub(crate) fn only_request(&self) -> Recorded {
        let requests = self.requests();
        assert_eq!(
            requests.len(),
            1,
            "expected exactly one request: {requests:#?}"
        );
        requests.into_iter().next().expect("one request")
    }

    /// A client of this server with Basic credentials and a fast retry policy.
    pub(crate) fn client(&self) -> Client {
        self.builder().build().expect("client builds")
    }

    pub(crate) fn builder(&self) -> crate::ClientBuilder {
        Client::builder(self.base_url.clone())
            .credentials(Credentials::basic("bot", "secret-token").expect("valid"))
            .timeout(Duration::from_secs(10))
            .retry_policy(fast_retries(4))
    }

    /// Waits until at least `n` requests arrived (safety timeout 10 s).
    #[allow(dead_code)]
    pub(crate) async fn wait_for_requests(&self, n: usize) {
        let waiting = async {
            loop {
                let notified = self.state.arrived.notified();
                if self.requests().len() >= n {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(Duration::from_secs(10), waiting)
            .await
            .expect("requests arrive within 10 s");
    }
}

/// A retry policy with millisecond backoff so retry tests stay fast.
pub(crate) fn fast_retries(attempts: u32) -> RetryPolicy {
    RetryPolicy::new(
        attempts,
        Duration::from_millis(5),
        Duration::from_secs(2),
        Duration::from_secs(5),
    )
    .expect("valid policy")
}

async fn handle(
    state: Arc<State>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, std::io::Error> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|collected| collected.to_bytes())
        .unwrap_or_default();
    state
        .requests
        .lock()
        .expect("requests lock")
        .push(Recorded {
            method: parts.method,
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            headers: parts.headers,
            body,
        });
    state.arrived.notify_waiters();
    let canned = state.responses.lock().expect("responses lock").pop_front();
    let Some(canned) = canned else {
        return Ok(Response::builder()
            .status(StatusCode::from_u16(599).expect("valid status"))
            .body(Full::new(Bytes::from_static(b"no canned response left")))
            .expect("valid response"));
    };
    if let Some(delay) = canned.delay {
        tokio::time::sleep(delay).await;
    }
    if canned.drop_connection {
        return Err(std::io::Error::other("deliberately dropped"));
    }
    let mut builder = Response::builder().status(canned.status);
    for (name, value) in &canned.headers {
        builder = builder.header(name, value);
    }
    Ok::<_, std::io::Error>(
        builder
            .body(Full::new(Bytes::from(canned.body)))
            .expect("valid response"),
    )
}
