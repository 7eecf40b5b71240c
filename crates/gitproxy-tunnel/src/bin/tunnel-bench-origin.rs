//! The origin of `cargo xtask bench tunnel`: an HTTP/2 (h2c) server in its own process, as Bitbucket is,
//! serving a small JSON document and a lazily generated streamed body to the direct client, the agent and
//! Snyk Broker alike.
//!
//! Usage: `tunnel-bench-origin`. Prints `listening <addr>` once bound, stops when stdin closes.

// A benchmark helper talks to its parent on stdout.
#![allow(clippy::print_stdout)]

use std::convert::Infallible;

use bytes::Bytes;
use gitproxy_tunnel::ops::ByteSequence;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper_util::rt::{TokioExecutor, TokioIo};

/// The body of `/big` when the request names no length.
const BIG: u64 = 64 << 20;
/// About the size of a Bitbucket project page entry, as in the Snyk Broker figures of peers.md.
const SMALL_BODY: &str = r#"{"key":"PRJ","id":1,"name":"Project","description":"bench project","public":false,"type":"NORMAL","links":{"self":[{"href":"http://bb/projects/PRJ"}]},"pad":"xxxx"}"#;

type OriginBody = http_body_util::combinators::UnsyncBoxBody<Bytes, std::io::Error>;

fn origin_response(req: &http::Request<Incoming>) -> http::Response<OriginBody> {
    let path = req.uri().path();
    let len = req
        .uri()
        .query()
        .and_then(|q| q.strip_prefix("len="))
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(BIG);
    // `/big` for direct and tunnel; a lock file "browse" path for Snyk Broker, whose client only relays
    // paths its accept.json allows.
    if path == "/big" || path.ends_with("/package-lock.json") {
        let mut seq = ByteSequence::new(1, len);
        let stream = futures_util::stream::poll_fn(move |_| {
            std::task::Poll::Ready(seq.next_chunk(64 << 10).map(|c| Ok(Frame::data(c))))
        });
        let mut res = http::Response::new(StreamBody::new(stream).boxed_unsync());
        res.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/octet-stream"),
        );
        return res;
    }
    let mut res = http::Response::new(
        http_body_util::Full::new(Bytes::from_static(SMALL_BODY.as_bytes()))
            .map_err(|never| match never {})
            .boxed_unsync(),
    );
    res.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    res
}

#[tokio::main]
async fn main() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let _ = tcp.set_nodelay(true);
            tokio::spawn(async move {
                let service =
                    hyper::service::service_fn(|req: http::Request<Incoming>| async move {
                        Ok::<_, Infallible>(origin_response(&req))
                    });
                let mut builder =
                    hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                builder
                    .http2()
                    .initial_stream_window_size(1 << 20)
                    .initial_connection_window_size(8 << 20);
                let _ = builder.serve_connection(TokioIo::new(tcp), service).await;
            });
        }
    });
    println!("listening {addr}");
    // Runs until the parent closes our stdin (or dies).
    let _ = tokio::task::spawn_blocking(|| {
        let mut sink = Vec::new();
        let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut sink);
    })
    .await;
}
