//! Reading a large answer over TLS: a stream from `EgressConnector` against a bare tokio-rustls
//! stream over `TcpStream`, alternated in one run, so the connector's cost on the read path shows.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use gitproxy_egress::{CaSource, EgressConnector, ProxyConfig, TrustConfig};
use gitproxy_test_support::{cpu_ticks, Pki, TICKS_PER_SECOND};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::server::streaming_tls;

/// Bytes per answer.
const ANSWER: usize = 64 << 20;

pub(crate) async fn run(rounds: usize) {
    let ca = Pki::new("Bench Stream CA").expect("ca");
    let body = Bytes::from((0..ANSWER).map(|i| (i * 7) as u8).collect::<Vec<u8>>());
    let port = streaming_tls(ca.issue(&["localhost"]).expect("leaf"), body)
        .await
        .port();
    let trust = TrustConfig::builder()
        .without_platform_roots()
        .add_ca(CaSource::custom_ca_cert(ca.ca_base64()))
        .build()
        .expect("trust");
    let connector = EgressConnector::builder(ProxyConfig::direct(), trust)
        .build()
        .expect("connector");
    let bare = tokio_rustls::TlsConnector::from(Arc::new(ca.client_config().expect("config")));
    // The readers run on a thread of their own, so its CPU time is theirs alone.
    let figures = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("reader runtime");
        rt.block_on(async move {
            let uri: http::Uri = format!("https://localhost:{port}/").parse().expect("uri");
            // Warm-up: one answer each.
            read_answer(connector.connect(&uri).await.expect("connect")).await;
            read_answer(bare_connect(&bare, port).await).await;
            let (mut ours, mut theirs) = (Side::default(), Side::default());
            for _ in 0..rounds {
                ours.add(
                    measure(read_answer(connector.connect(&uri).await.expect("connect"))).await,
                );
                theirs.add(measure(read_answer(bare_connect(&bare, port).await)).await);
            }
            (ours, theirs)
        })
    })
    .join()
    .expect("reader thread");
    let (ours, theirs) = figures;
    println!();
    println!("egress: one 64 MiB answer over TLS 1.3 from a loopback server per connection, {rounds} rounds, alternating (after one warm-up each)");
    println!(
        "  {:<44} {:>14} {:>14} {:>16}",
        "", "median MiB/s", "min MiB/s", "reader CPU s/GiB"
    );
    println!("  {:<44} {ours}", "EgressConnector");
    println!("  {:<44} {theirs}", "bare tokio-rustls over TcpStream");
    println!(
        "  ratio EgressConnector / bare: throughput {:.2}, reader CPU per GiB {:.2}",
        ours.median() / theirs.median(),
        ours.cpu_per_gib() / theirs.cpu_per_gib()
    );
}

async fn bare_connect(
    connector: &tokio_rustls::TlsConnector,
    port: u16,
) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    tcp.set_nodelay(true).expect("nodelay");
    let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
    connector.connect(name, tcp).await.expect("handshake")
}

/// Asks for one answer and reads it to the end; returns the byte count.
async fn read_answer<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S) -> usize {
    stream
        .write_all(format!("{ANSWER}\n").as_bytes())
        .await
        .expect("ask");
    stream.flush().await.expect("flush");
    let mut buf = vec![0u8; 64 << 10];
    let mut total = 0;
    loop {
        let n = stream.read(&mut buf).await.expect("read");
        if n == 0 {
            break;
        }
        total += n;
    }
    assert_eq!(total, ANSWER, "the whole answer arrived");
    total
}

/// Seconds and this thread's CPU seconds taken by `read`.
async fn measure(read: impl std::future::Future<Output = usize>) -> (f64, f64) {
    let cpu = thread_cpu();
    let started = Instant::now();
    read.await;
    (started.elapsed().as_secs_f64(), thread_cpu() - cpu)
}

/// This thread's user + system CPU seconds so far (clock ticks of 10 ms).
fn thread_cpu() -> f64 {
    cpu_ticks("thread-self") as f64 / TICKS_PER_SECOND as f64
}

#[derive(Default)]
struct Side {
    seconds: Vec<f64>,
    cpu: f64,
}

impl Side {
    fn add(&mut self, (seconds, cpu): (f64, f64)) {
        self.seconds.push(seconds);
        self.cpu += cpu;
    }

    fn rates(&self) -> Vec<f64> {
        let mut rates: Vec<f64> = self
            .seconds
            .iter()
            .map(|s| ANSWER as f64 / (1 << 20) as f64 / s)
            .collect();
        rates.sort_by(f64::total_cmp);
        rates
    }

    fn median(&self) -> f64 {
        let rates = self.rates();
        rates[rates.len() / 2]
    }

    fn cpu_per_gib(&self) -> f64 {
        let gib = (self.seconds.len() * ANSWER) as f64 / (1u64 << 30) as f64;
        self.cpu / gib
    }
}

impl std::fmt::Display for Side {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:>14.0} {:>14.0} {:>16.2}",
            self.median(),
            self.rates()[0],
            self.cpu_per_gib()
        )
    }
}
