//! Benchmark: the `bitbucket-dc` client against `bitbucket-dc-sim` on loopback.
//!
//! Run with `cargo xtask bench bitbucket` (or `cargo bench -p bitbucket-dc --bench bitbucket`).
//!
//! (a) Requests per second of a small authenticated GET (`application-properties`) through the
//!     client and through a bare hyper-util client, in alternating rounds of the same run, with
//!     the same headers, concurrency and keep-alive connection pooling; the ratio is printed per
//!     round and for the medians. The client also decodes the JSON body and reads `X-AUSERNAME`;
//!     the bare client only reads the body.
//! (b) The time to page through the 10,000 repositories of one project, with `limit=1000` and
//!     with the client's default limit (100).
//!
//! `BITBUCKET_BENCH_ROUNDS` (default 6) and `BITBUCKET_BENCH_REQUESTS` (per side and round,
//! default 40000) change (a); `BITBUCKET_BENCH_PAGING_RUNS` (default 5) changes (b).

// A benchmark reports its figures on the terminal.
#![allow(clippy::print_stdout)]

use std::time::Duration;

use bitbucket_dc::{Client, Credentials, RetryPolicy, DEFAULT_PAGE_LIMIT, DEFAULT_USER_AGENT};
use bitbucket_dc_sim::{Permission, RepoSeed, Simulator, UserSeed, SIMULATED_VERSION};
use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, USER_AGENT};
use http::{Request, StatusCode, Uri};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tokio::time::Instant;

const TOKEN: &str = "bench-token";
const CONCURRENCY: usize = 8;
const REPOSITORIES: usize = 10_000;
const WARMUP: usize = 500;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|v| *v > 0)
        .unwrap_or(default)
}

fn main() {
    let rounds = env_or("BITBUCKET_BENCH_ROUNDS", 6);
    let requests = env_or("BITBUCKET_BENCH_REQUESTS", 40_000);
    let paging_runs = env_or("BITBUCKET_BENCH_PAGING_RUNS", 5);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(run(rounds, requests, paging_runs));
}

async fn run(rounds: usize, requests: usize, paging_runs: usize) {
    let started = Instant::now();
    let mut builder = Simulator::builder()
        .user(UserSeed::new("bench").token(TOKEN))
        .grant_project("bench", "BENCH", Permission::ProjectRead);
    for n in 0..REPOSITORIES {
        builder = builder.repo(RepoSeed::new("BENCH", format!("repo-{n:05}")));
    }
    let sim = builder.start().await.expect("the simulator starts");
    println!(
        "bitbucket-dc against bitbucket-dc-sim {SIMULATED_VERSION} at {} ({REPOSITORIES} repositories seeded in {:.2} s)",
        sim.base_url(),
        started.elapsed().as_secs_f64()
    );
    println!(
        "client, simulator and bare hyper client share one tokio runtime with 2 worker threads\n"
    );

    let client = Client::builder(sim.base_url().as_str())
        .credentials(Credentials::bearer(TOKEN).expect("token"))
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("client");
    requests_per_second(&sim, &client, rounds, requests).await;
    sim.request_log().clear();
    paging(&sim, &client, paging_runs).await;
    sim.shutdown().await;
}

// === (a) small GET: client vs bare hyper ===

fn bare_client() -> HyperClient<HttpConnector, Full<Bytes>> {
    // The same pool settings and socket options as the client's own plain-HTTP transport.
    let mut http = HttpConnector::new();
    http.set_nodelay(true);
    http.set_connect_timeout(Some(Duration::from_secs(10)));
    HyperClient::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(60))
        .pool_timer(TokioTimer::new())
        .build(http)
}

async fn bare_get(bare: &HyperClient<HttpConnector, Full<Bytes>>, uri: &Uri) {
    let request = Request::get(uri.clone())
        .header(ACCEPT, "application/json")
        .header("x-atlassian-token", "no-check")
        .header(USER_AGENT, DEFAULT_USER_AGENT)
        .header(AUTHORIZATION, format!("Bearer {TOKEN}"))
        .body(Full::new(Bytes::new()))
        .expect("request");
    let response = bare.request(request).await.expect("bare request");
    assert_eq!(response.status(), StatusCode::OK);
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    assert!(!body.is_empty());
}

async fn client_get(client: &Client) {
    let info = client.server().info().await.expect("client request");
    assert_eq!(info.properties.version, SIMULATED_VERSION);
    assert_eq!(info.authenticated_user.as_deref(), Some("bench"));
}

/// Runs `total` requests over [`CONCURRENCY`] tasks; returns requests per second.
async fn measure<F, Fut>(total: usize, one: F) -> f64
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let per_task = total / CONCURRENCY;
    let started = Instant::now();
    let tasks: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let one = one.clone();
            tokio::spawn(async move {
                for _ in 0..per_task {
                    one().await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }
    (per_task * CONCURRENCY) as f64 / started.elapsed().as_secs_f64()
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 0 {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    }
}

async fn requests_per_second(sim: &Simulator, client: &Client, rounds: usize, requests: usize) {
    let bare = bare_client();
    let uri: Uri = format!("{}rest/api/latest/application-properties", sim.base_url())
        .parse()
        .expect("uri");
    let via_client = {
        let client = client.clone();
        move || {
            let client = client.clone();
            async move { client_get(&client).await }
        }
    };
    let via_bare = {
        let bare = bare.clone();
        let uri = uri.clone();
        move || {
            let bare = bare.clone();
            let uri = uri.clone();
            async move { bare_get(&bare, &uri).await }
        }
    };
    measure(WARMUP, via_client.clone()).await;
    measure(WARMUP, via_bare.clone()).await;

    println!(
        "(a) GET /rest/api/latest/application-properties with Bearer auth, {CONCURRENCY} concurrent tasks, pooled keep-alive HTTP/1.1 connections,"
    );
    println!(
        "    {rounds} alternating rounds of {} requests per side (after {WARMUP} warm-up requests each)",
        requests / CONCURRENCY * CONCURRENCY
    );
    println!("    round  client req/s  bare hyper req/s  client/bare");
    let mut client_rates = Vec::with_capacity(rounds);
    let mut bare_rates = Vec::with_capacity(rounds);
    for round in 1..=rounds {
        // Alternate which side goes first so neither always gets the warmer machine.
        let (c, b) = if round % 2 == 1 {
            let c = measure(requests, via_client.clone()).await;
            let b = measure(requests, via_bare.clone()).await;
            (c, b)
        } else {
            let b = measure(requests, via_bare.clone()).await;
            let c = measure(requests, via_client.clone()).await;
            (c, b)
        };
        println!("    {round:>5}  {c:>12.0}  {b:>16.0}  {:>11.3}", c / b);
        client_rates.push(c);
        bare_rates.push(b);
    }
    let c = median(&mut client_rates);
    let b = median(&mut bare_rates);
    println!(
        "    median {c:>11.0}  {b:>16.0}  {:>11.3}   (the client costs {:.2} us more per request at saturation)\n",
        c / b,
        (1.0 / c - 1.0 / b) * 1e6
    );
    let logged = sim.requests();
    assert!(logged.iter().all(|r| r.status == 200));
}

// === (b) paging through 10,000 repositories ===

/// Fetches every page of the project's repositories with the bare client, reading the bodies
/// without decoding them (page starts computed, not read from `nextPageStart`).
async fn bare_pages(bare: &HyperClient<HttpConnector, Full<Bytes>>, base: &str, limit: usize) {
    for start in (0..REPOSITORIES).step_by(limit) {
        let uri: Uri =
            format!("{base}rest/api/latest/projects/BENCH/repos?start={start}&limit={limit}")
                .parse()
                .expect("uri");
        bare_get(bare, &uri).await;
    }
}

async fn paging(sim: &Simulator, client: &Client, runs: usize) {
    println!(
        "(b) page through the {REPOSITORIES} repositories of one project (GET /rest/api/latest/projects/BENCH/repos), {runs} runs each, alternating;"
    );
    println!(
        "    the bare hyper rows fetch the same pages one after the other and only read the bodies (no JSON decoding)"
    );
    println!(
        "    limit          via         pages  median ms  min ms  max ms  repositories/s (median)"
    );
    let bare = bare_client();
    let base = sim.base_url().to_string();
    let limits = [1000, DEFAULT_PAGE_LIMIT as usize];
    // (limit index, client or bare) -> times
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); limits.len() * 2];
    let mut pages = vec![0usize; limits.len() * 2];
    for _ in 0..runs {
        for (idx, limit) in limits.iter().enumerate() {
            sim.request_log().clear();
            let started = Instant::now();
            let repos = client
                .project("BENCH")
                .repositories()
                .limit(*limit as u32)
                .collect_all()
                .await
                .expect("every repository");
            times[idx * 2].push(started.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(repos.len(), REPOSITORIES);
            assert_eq!(repos[0].slug, "repo-00000");
            assert_eq!(repos[REPOSITORIES - 1].slug, "repo-09999");
            pages[idx * 2] = sim.requests().len();

            sim.request_log().clear();
            let started = Instant::now();
            bare_pages(&bare, &base, *limit).await;
            times[idx * 2 + 1].push(started.elapsed().as_secs_f64() * 1000.0);
            pages[idx * 2 + 1] = sim.requests().len();
        }
    }
    for (idx, limit) in limits.iter().enumerate() {
        let label = if *limit == DEFAULT_PAGE_LIMIT as usize {
            format!("{limit} (default)")
        } else {
            limit.to_string()
        };
        for (side, via) in ["client", "bare hyper"].iter().enumerate() {
            let series = &mut times[idx * 2 + side];
            let min = series.iter().copied().fold(f64::INFINITY, f64::min);
            let max = series.iter().copied().fold(0.0, f64::max);
            let med = median(series);
            println!(
                "    {label:<13}  {via:<10}  {:>5}  {med:>9.1}  {min:>6.1}  {max:>6.1}  {:>10.0}",
                pages[idx * 2 + side],
                REPOSITORIES as f64 / (med / 1000.0)
            );
        }
    }
}
