//! Benchmark: connect + TLS handshake time, direct vs through a real tinyproxy, in the same run; and
//! reading a 64 MiB answer over TLS through `EgressConnector` vs a bare tokio-rustls stream.
//!
//! Run with `cargo xtask bench egress` (or `cargo bench -p gitproxy-egress --bench egress`).
//! Each iteration opens a fresh connection with `EgressConnector::connect` to a loopback HTTPS
//! server (test-support CA, ECDSA P-256 leaf, TLS 1.3): directly, then through tinyproxy with CONNECT.
//! The two are interleaved so both see the same machine conditions. `EGRESS_BENCH_ITERATIONS`
//! overrides the iteration count (default 300).
//! The second part alternates the two readers over `EGRESS_BENCH_ROUNDS` (default 10) answers of
//! 64 MiB each and reports throughput and the reading thread's CPU seconds per GiB.

// A benchmark reports its figures on the terminal.
#![allow(clippy::print_stdout)]

#[allow(dead_code)]
#[path = "../tests/it/support/server.rs"]
mod server;

use gitproxy_egress::{CaSource, EgressConnector, ProxyConfig, TrustConfig};
use gitproxy_test_support::{Pki, Tinyproxy};
use tokio::time::Instant;

use crate::server::TestServer;

mod stream;

const WARMUP: usize = 20;

fn main() {
    let iterations: usize = std::env::var("EGRESS_BENCH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(run(iterations));
    let rounds: usize = std::env::var("EGRESS_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    runtime.block_on(stream::run(rounds));
}

async fn run(iterations: usize) {
    let ca = Pki::new("Bench Root CA").expect("ca");
    let server = TestServer::https(ca.issue(&["localhost"]).expect("leaf")).await;
    let proxy = Tinyproxy::start().expect("tinyproxy starts");
    let trust = TrustConfig::builder()
        .without_platform_roots()
        .add_ca(CaSource::custom_ca_cert(ca.ca_base64()))
        .build()
        .expect("trust");
    let direct = EgressConnector::builder(ProxyConfig::direct(), trust.clone())
        .build()
        .expect("direct connector");
    let proxied = EgressConnector::builder(
        ProxyConfig::builder()
            .proxy(proxy.url())
            .bypass_loopback(false)
            .build()
            .expect("proxy config"),
        trust,
    )
    .build()
    .expect("proxied connector");
    let uri: http::Uri = format!("https://localhost:{}/", server.port())
        .parse()
        .expect("uri");

    for _ in 0..WARMUP {
        once(&direct, &uri).await;
        once(&proxied, &uri).await;
    }
    let mut direct_times = Vec::with_capacity(iterations);
    let mut proxied_times = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        direct_times.push(once(&direct, &uri).await);
        proxied_times.push(once(&proxied, &uri).await);
    }
    let direct = Summary::of(&mut direct_times);
    let proxied = Summary::of(&mut proxied_times);
    println!("egress: connect + TLS 1.3 handshake to a loopback HTTPS server, {iterations} iterations each (after {WARMUP} warm-up), interleaved");
    println!(
        "  {:<28} {:>10} {:>10} {:>10} {:>10}",
        "", "median", "p90", "mean", "min"
    );
    println!("  {:<28} {direct}", "direct");
    println!("  {:<28} {proxied}", "via tinyproxy (CONNECT)");
    println!(
        "  ratio proxied/direct: median {:.2}x, p90 {:.2}x; CONNECT overhead (median) {:.3} ms",
        proxied.median / direct.median,
        proxied.p90 / direct.p90,
        (proxied.median - direct.median) * 1000.0
    );
}

/// One fresh connection; returns seconds.
async fn once(connector: &EgressConnector, uri: &http::Uri) -> f64 {
    let started = Instant::now();
    let stream = connector.connect(uri).await.expect("connect");
    let elapsed = started.elapsed();
    assert!(stream.is_tls());
    drop(stream);
    elapsed.as_secs_f64()
}

struct Summary {
    median: f64,
    p90: f64,
    mean: f64,
    min: f64,
}

impl Summary {
    fn of(times: &mut [f64]) -> Summary {
        times.sort_by(f64::total_cmp);
        let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
        Summary {
            median: at(0.5),
            p90: at(0.9),
            mean: times.iter().sum::<f64>() / times.len() as f64,
            min: times[0],
        }
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ms = |s: f64| format!("{:.3} ms", s * 1000.0);
        write!(
            f,
            "{:>10} {:>10} {:>10} {:>10}",
            ms(self.median),
            ms(self.p90),
            ms(self.mean),
            ms(self.min)
        )
    }
}
