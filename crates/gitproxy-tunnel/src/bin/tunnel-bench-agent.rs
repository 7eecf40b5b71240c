//! The agent process of `cargo xtask bench tunnel`: a real `Agent` whose operations fetch from the
//! benchmark's origin over HTTP/2, run as its own process so its memory can be measured.
//!
//! Usage: `tunnel-bench-agent <cloud-url> <ca-pem-file> <origin-addr>`, access key in
//! `TUNNEL_BENCH_ACCESS_KEY`. Prints `ready` once the first connection is up, stops when stdin closes.

// A benchmark helper talks to its parent on stdout.
#![allow(clippy::print_stdout)]

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use gitproxy_egress::{CaSource, EgressConnector, ProxyConfig, TrustConfig};
use gitproxy_tunnel::{AccessKey, Agent, AgentConfig, OpError, OpResponse, OpSpec, Router};
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http2::SendRequest;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde::Deserialize;

#[derive(Deserialize)]
struct Big {
    len: u64,
}

#[derive(Deserialize)]
struct Hold {
    ms: u64,
}

/// One HTTP/2 connection to the origin, shared by every operation.
#[derive(Clone)]
struct Origin {
    sender: SendRequest<Empty<Bytes>>,
    authority: String,
}

impl Origin {
    async fn connect(addr: &str) -> Origin {
        let tcp = tokio::net::TcpStream::connect(addr)
            .await
            .expect("origin reachable");
        tcp.set_nodelay(true).expect("nodelay");
        let (sender, conn) = hyper::client::conn::http2::Builder::new(TokioExecutor::new())
            .initial_stream_window_size(1 << 20)
            .initial_connection_window_size(8 << 20)
            .handshake(TokioIo::new(tcp))
            .await
            .expect("origin h2 handshake");
        tokio::spawn(conn);
        Origin {
            sender,
            authority: addr.to_owned(),
        }
    }

    async fn get(&self, path: &str) -> Result<hyper::Response<hyper::body::Incoming>, OpError> {
        let mut sender = self.sender.clone();
        let req = http::Request::get(format!("http://{}{path}", self.authority))
            .body(Empty::new())
            .map_err(|e| OpError::handler_failed(e.to_string()))?;
        sender
            .send_request(req)
            .await
            .map_err(|e| OpError::upstream_failed(format!("origin: {e}"), true))
    }
}

fn router(origin: Origin) -> Router {
    let small = origin.clone();
    let big = origin;
    Router::new()
        .raw(OpSpec::new("bench.small", false), move |_req| {
            let origin = small.clone();
            async move {
                let res = origin.get("/small").await?;
                let body = res
                    .into_body()
                    .collect()
                    .await
                    .map_err(|e| OpError::upstream_failed(e.to_string(), true))?
                    .to_bytes();
                Ok(OpResponse::bytes("application/json", body))
            }
        })
        .raw(OpSpec::new("bench.big", false), move |req| {
            let origin = big.clone();
            async move {
                let op: Big = req.json().await?;
                let res = origin.get(&format!("/big?len={}", op.len)).await?;
                let stream =
                    futures_util::stream::try_unfold(res.into_body(), |mut body| async move {
                        loop {
                            match body.frame().await {
                                None => return Ok(None),
                                Some(Ok(frame)) => {
                                    if let Ok(data) = frame.into_data() {
                                        return Ok(Some((data, body)));
                                    }
                                }
                                Some(Err(e)) => return Err(e),
                            }
                        }
                    });
                Ok(OpResponse::stream("application/octet-stream", stream))
            }
        })
        .raw(OpSpec::new("bench.hold", false), move |req| async move {
            let op: Hold = req.json().await?;
            tokio::time::sleep(Duration::from_millis(op.ms)).await;
            Ok(OpResponse::bytes("application/json", "{}"))
        })
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, ca_file, origin] = args.as_slice() else {
        panic!("usage: tunnel-bench-agent <cloud-url> <ca-pem-file> <origin-addr>");
    };
    let key = std::env::var("TUNNEL_BENCH_ACCESS_KEY").expect("TUNNEL_BENCH_ACCESS_KEY");
    let trust = TrustConfig::builder()
        .without_platform_roots()
        .add_ca(CaSource::pem_file(ca_file))
        .build()
        .expect("trust");
    let connector = EgressConnector::builder(ProxyConfig::direct(), trust)
        .build()
        .expect("connector");
    let config = AgentConfig::builder(
        url,
        AccessKey::new(key).expect("access key"),
        "bench-agent",
        Arc::new(connector),
    )
    .max_concurrent_ops(600)
    .build()
    .expect("agent config");
    let origin = Origin::connect(origin).await;
    let agent = Agent::connect(config, router(origin));
    let mut state = agent.state();
    state
        .wait_for(|s| s.connected() == 2)
        .await
        .expect("agent state");
    println!("ready");
    // Runs until the parent closes our stdin (or dies).
    let _ = tokio::task::spawn_blocking(|| {
        let mut sink = Vec::new();
        let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut sink);
    })
    .await;
    agent.shutdown().await;
}
