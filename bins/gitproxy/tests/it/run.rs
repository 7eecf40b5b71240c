//! `gitproxy run` against a tunnel hub in the test process: readiness, the operation catalogue,
//! metrics, audit lines, and SIGTERM during an operation.

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use gitproxy_remediation::catalogue::{
    Apply, ApplyResult, CheckCi, CloudConnection, ListRepositories, PrStatus, ProjectStatus, Scan,
    TestConnection, OPERATIONS,
};
use gitproxy_remediation::remediate::State;
use gitproxy_test_support::LogWaiter;
use gitproxy_tunnel::ops::AgentInfo;
use gitproxy_tunnel::{AccessKey, ErrorCode, Hub, HubConfig, KeyTable, Operation};
use serde_json::{json, Value};
use tokio::process::{Child, Command};

use crate::support::{Env, BOT_TOKEN, PROJECT};

const TENANT: &str = "acme";
const KEY: &str = "test-access-key-0123456789abcdef";
const WAIT: Duration = Duration::from_secs(30);

async fn hub(env: &Env, addr: SocketAddr) -> Hub {
    let config = HubConfig::builder(env.server_tls())
        .call_timeout(Duration::from_secs(60))
        .build()
        .expect("hub config");
    Hub::bind(
        addr,
        config,
        KeyTable::new().with_key(AccessKey::new(KEY).expect("key"), TENANT),
    )
    .await
    .expect("hub binds")
}

/// The agent process and its stderr lines.
struct Agent {
    child: Child,
    log: LogWaiter,
}

impl Agent {
    fn start(env: &Env, cloud: SocketAddr) -> Agent {
        let mut std_cmd = env.command(BOT_TOKEN);
        std_cmd
            .env(
                "GITPROXY_CLOUD_URL",
                format!("https://127.0.0.1:{}", cloud.port()),
            )
            .env("GITPROXY_ACCESS_KEY", KEY)
            .env("GITPROXY_CONNECTIONS", "1")
            .env("GITPROXY_SHUTDOWN_GRACE", "20s")
            .args(["run", "--listen", "127.0.0.1:0"]);
        let mut cmd = Command::from(std_cmd);
        cmd.stderr(Stdio::piped())
            .stdout(Stdio::null())
            .kill_on_drop(true);
        let mut child = cmd.spawn().expect("agent starts");
        let stderr = child.stderr.take().expect("stderr");
        Agent {
            child,
            log: LogWaiter::spawn("the agent", stderr),
        }
    }

    /// Waits for a log line containing `needle` and returns it.
    async fn wait_line(&mut self, needle: &str) -> String {
        self.log
            .wait_line(needle, WAIT)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    async fn probe_addr(&mut self) -> SocketAddr {
        let line = self.wait_line("probes listening").await;
        let value: Value = serde_json::from_str(&line).expect("json log line");
        value["addr"]
            .as_str()
            .expect("addr")
            .parse()
            .expect("socket addr")
    }

    /// Collects every remaining line until the process exits.
    async fn drain(&mut self) -> Vec<String> {
        self.log.drain(WAIT).await.to_vec()
    }
}

async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    gitproxy_e2e::probe_get(addr, path)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn call<O: Operation>(hub: &Hub, op: O) -> O::Response {
    hub.call(TENANT, &op)
        .await
        .unwrap_or_else(|e| panic!("{} failed: {e}", O::NAME))
}

fn scan(repository: &str) -> Scan {
    Scan {
        repository: repository.into(),
        ..Scan::default()
    }
}

fn apply(repository: &str) -> Apply {
    Apply {
        repository: repository.into(),
        ..Apply::default()
    }
}

fn applied(result: ApplyResult) -> Vec<gitproxy_remediation::remediate::RepoOutcome> {
    match result {
        ApplyResult::Applied(outcomes) => outcomes,
        ApplyResult::Preview(p) => panic!("a preview, not an apply: {p:?}"),
    }
}

/// `gitproxy_bitbucket_requests_total` by status label.
fn bitbucket_calls(metrics: &str) -> std::collections::BTreeMap<String, u64> {
    metrics
        .lines()
        .filter_map(|l| l.strip_prefix("gitproxy_bitbucket_requests_total{status=\""))
        .filter_map(|l| l.split_once("\"} "))
        .map(|(status, n)| (status.to_owned(), n.parse().expect("a count")))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_serves_the_catalogue_through_the_tunnel() {
    let env = Env::start().await;
    // The cloud's port refuses until the hub binds it; held meanwhile so that no other test's
    // server takes it.
    let held = gitproxy_test_support::RefusingPort::new().expect("port");
    let cloud = held.addr();
    let mut agent = Agent::start(&env, cloud);
    let probes = agent.probe_addr().await;
    assert_eq!(get(probes, "/healthz").await.0, 200);
    let (status, body) = get(probes, "/readyz").await;
    assert_eq!(status, 503, "not ready before the tunnel is up: {body}");

    drop(held);
    let hub = hub(&env, cloud).await;
    // The health line, logged once readiness is set; not the connection's own
    // `tunnel connected (websocket, http/2)`, which comes first.
    agent.wait_line("\"message\":\"tunnel connected\",").await;
    hub.wait_ready(TENANT, 1, WAIT)
        .await
        .expect("agent connects");
    assert_eq!(get(probes, "/readyz").await.0, 200);

    let info = call(&hub, AgentInfo {}).await;
    for op in OPERATIONS {
        assert!(
            info.capabilities.iter().any(|c| c == op),
            "{op} missing from {:?}",
            info.capabilities
        );
    }

    let check = call(&hub, TestConnection::default()).await;
    assert!(check.ok, "{check:#?}");
    assert_eq!(check.user.as_deref(), Some("bot"));

    let mut slugs = call(&hub, ListRepositories::default()).await.repositories;
    slugs.sort();
    assert_eq!(slugs, ["docs", "web"]);

    let found = call(&hub, scan("web")).await;
    assert_eq!(found.findings[0].package, "lodash", "{found:#?}");

    // The cloud may not redirect the agent to another server.
    let denied = hub
        .call(
            TENANT,
            &Scan {
                repository: "web".into(),
                connection: Some(CloudConnection {
                    server_url: Some("https://evil.example".into()),
                    project_key: Some(PROJECT.into()),
                    ..CloudConnection::default()
                }),
            },
        )
        .await
        .expect_err("refused");
    assert_eq!(denied.code(), Some(ErrorCode::BadRequest), "{denied}");
    assert!(
        denied.to_string().contains("refused by local policy"),
        "{denied}"
    );

    // Repository names that would change the request path are bad requests, never sent.
    for name in ["", ".", "..", "web/../docs", "a/b"] {
        let refused = hub
            .call(TENANT, &scan(name))
            .await
            .expect_err("invalid repository name");
        assert_eq!(
            refused.code(),
            Some(ErrorCode::BadRequest),
            "{name}: {refused}"
        );
        assert!(
            refused.to_string().contains("repository"),
            "{name}: {refused}"
        );
    }

    let outcome = applied(call(&hub, apply("web")).await);
    assert_eq!(outcome[0].opened, [1], "{outcome:#?}");
    assert!(env.sim.pull_request(PROJECT, "web", 1).is_some());

    let pr_status = call(
        &hub,
        PrStatus {
            repository: "web".into(),
            ..PrStatus::default()
        },
    )
    .await;
    assert_eq!(
        pr_status.remediations[0].pull_request,
        Some(1),
        "{pr_status:#?}"
    );
    assert_eq!(pr_status.remediations[0].state, State::PrOpen);

    // CI fails on the fix: `remediation.check_ci` posts one comment listing the failed build with
    // its link, and a second call for the same commit posts nothing.
    let pr = env
        .sim
        .pull_request(PROJECT, "web", 1)
        .expect("pull request");
    let head = pr["fromRef"]["latestCommit"]
        .as_str()
        .expect("latest commit");
    env.sim
        .post_build_status(
            PROJECT,
            "web",
            head,
            json!({"key": "unit", "name": "unit tests", "state": "FAILED", "url": "https://ci.example/unit/7"}),
        )
        .expect("build status");
    let check_ci = || CheckCi {
        repository: "web".into(),
        ..CheckCi::default()
    };
    let first = call(&hub, check_ci()).await;
    assert_eq!(first.commented, [1], "{first:#?}");
    let second = call(&hub, check_ci()).await;
    assert!(second.commented.is_empty(), "{second:#?}");
    let reader = bitbucket_dc::Client::builder(env.sim.base_url().as_str())
        .credentials(bitbucket_dc::Credentials::bearer(BOT_TOKEN).expect("token"))
        .build()
        .expect("client");
    let comments: Vec<bitbucket_dc::Comment> = reader
        .repo(PROJECT, "web")
        .pull_request(1)
        .activities()
        .collect_all()
        .await
        .expect("activities")
        .into_iter()
        .filter_map(|a| a.comment)
        .collect();
    let ci: Vec<&str> = comments
        .iter()
        .map(|c| c.text.as_str())
        .filter(|t| t.contains("https://ci.example/unit/7"))
        .collect();
    assert_eq!(ci.len(), 1, "{comments:#?}");
    assert!(ci[0].contains("job logs"), "{}", ci[0]);

    let status = call(&hub, ProjectStatus::default()).await;
    assert_eq!(status.remediations.len(), 1, "{status:#?}");

    let (_, metrics) = get(probes, "/metrics").await;
    assert!(
        metrics.contains(
            "gitproxy_operations_total{operation=\"remediation.apply\",outcome=\"ok\"} 1"
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains(
            "gitproxy_operations_total{operation=\"remediation.scan\",outcome=\"denied\"} 1"
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains(
            "gitproxy_operations_total{operation=\"remediation.scan\",outcome=\"error\"} 5"
        ),
        "the invalid repository names are errors of the request: {metrics}"
    );
    assert!(metrics.contains("gitproxy_tunnel_connected 1"), "{metrics}");
    assert!(
        metrics.contains("gitproxy_tunnel_reconnects_total 0\n"),
        "{metrics}"
    );
    // Every Bitbucket call of the agent's client is counted by its real status: exactly what
    // the server answered (not the egress diagnosis's reachability probe nor this test's reads).
    let mut answered = std::collections::BTreeMap::<String, u64>::new();
    let api_calls = env.sim.requests().into_iter().filter(|r| {
        r.headers
            .iter()
            .any(|(k, v)| k == "user-agent" && v.starts_with("gitproxy/"))
    });
    for r in api_calls {
        *answered.entry(r.status.to_string()).or_default() += 1;
    }
    assert!(answered.contains_key("200"), "{answered:?}");
    assert_eq!(bitbucket_calls(&metrics), answered, "{metrics}");
    assert!(metrics
        .contains("gitproxy_operation_duration_seconds_count{operation=\"remediation.scan\"} 7"));

    // Exactly one audit line per operation served (agent.info is the tunnel's built-in).
    let audit = agent
        .wait_line("\"operation\":\"remediation.status\",")
        .await;
    assert!(audit.contains("\"target\":\"audit\""), "{audit}");
    let audit_lines: Vec<String> = agent
        .log
        .seen()
        .iter()
        .filter(|l| l.contains("\"target\":\"audit\""))
        .cloned()
        .collect();
    assert_eq!(audit_lines.len(), 14, "{audit_lines:#?}");
    assert!(audit_lines
        .iter()
        .any(|l| l.contains("\"outcome\":\"denied\"") && l.contains("\"repository\":\"web\"")));
    assert!(agent
        .log
        .seen()
        .iter()
        .all(|l| !l.contains(BOT_TOKEN) && !l.contains(KEY)));

    // The hub drops the agent: it reconnects, and the metric counts exactly that one reconnect.
    let agent_id = hub.presence(TENANT)[0].agent_id.clone();
    assert_eq!(hub.disconnect(TENANT, &agent_id), 1);
    agent.wait_line("tunnel disconnected; reconnecting").await;
    hub.wait_ready(TENANT, 1, WAIT)
        .await
        .expect("agent reconnects");
    let metrics = wait_metrics(probes, "gitproxy_tunnel_reconnects_total 1\n").await;
    assert!(metrics.contains("gitproxy_tunnel_connected 1"), "{metrics}");

    sigterm(&agent.child);
    let status = tokio::time::timeout(WAIT, agent.child.wait())
        .await
        .expect("exits in time")
        .expect("exit status");
    assert_eq!(status.code(), Some(0));
}

/// Reads `/metrics` until it contains `needle` (the agent updates it as its state changes).
async fn wait_metrics(probes: SocketAddr, needle: &str) -> String {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let (_, metrics) = get(probes, "/metrics").await;
        if metrics.contains(needle) {
            return metrics;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no `{needle}` in time: {metrics}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn sigterm(child: &Child) {
    let pid = child.id().expect("running");
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_an_operation_completes_it_and_exits_zero() {
    let env = Env::start().await;
    let hub = hub(&env, "127.0.0.1:0".parse().expect("addr")).await;
    let mut agent = Agent::start(&env, hub.local_addr());
    agent.wait_line("tunnel connected").await;
    hub.wait_ready(TENANT, 1, WAIT)
        .await
        .expect("agent connects");

    // Slow Bitbucket down so the operation is still running when SIGTERM arrives.
    env.sim
        .faults()
        .set_latency(Some(Duration::from_millis(150)));
    let hub = Arc::new(hub);
    let caller = hub.clone();
    let apply = tokio::spawn(async move { applied(call(&caller, apply("web")).await) });
    agent.wait_line("operation started").await;
    sigterm(&agent.child);
    agent.wait_line("shutting down").await;

    let applied = tokio::time::timeout(WAIT, apply)
        .await
        .expect("operation answers")
        .expect("join");
    assert_eq!(applied[0].opened, [1], "{applied:#?}");
    let status = tokio::time::timeout(WAIT, agent.child.wait())
        .await
        .expect("exits in time")
        .expect("exit status");
    assert_eq!(status.code(), Some(0));
    let lines = agent.drain().await;
    assert!(lines
        .iter()
        .any(|l| l.contains("\"target\":\"audit\"") && l.contains("\"outcome\":\"ok\"")));
    // Nothing half-written: the pull request exists with its branch.
    let pr = env
        .sim
        .pull_request(PROJECT, "web", 1)
        .expect("pull request");
    let from = pr["fromRef"]["displayId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(env.sim.branch_tip(PROJECT, "web", &from).is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_cloud_connection_is_advised_about_the_cloud_not_bitbucket() {
    let env = Env::start().await;
    // Held for the whole test, so no other test's server can take the port meanwhile.
    let closed = gitproxy_test_support::RefusingPort::new().expect("port");
    let mut agent = Agent::start(&env, closed.addr());
    let line = agent.wait_line("tunnel connection problem").await;
    assert!(
        line.contains("check the cloud URL https://127.0.0.1:")
            && line.contains("port")
            && line.contains("proxy.httpsProxy"),
        "{line}"
    );
    assert!(!line.contains("7990"), "{line}");
    assert!(!line.contains("Bitbucket"), "{line}");
    agent.child.start_kill().expect("kill");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outcomes_are_audited_as_they_happened_and_throttling_reaches_the_cloud() {
    let env = Env::start().await;
    let hub = hub(&env, "127.0.0.1:0".parse().expect("addr")).await;
    let mut agent = Agent::start(&env, hub.local_addr());
    let probes = agent.probe_addr().await;
    agent.wait_line("tunnel connected").await;
    hub.wait_ready(TENANT, 1, WAIT)
        .await
        .expect("agent connects");

    // Bitbucket throttles longer than the client waits: the cloud gets a retryable
    // upstream_failed with Bitbucket's Retry-After.
    env.sim.faults().fail_matching("/repos", 429, Some(120));
    let err = hub
        .call(TENANT, &ListRepositories::default())
        .await
        .expect_err("rate limited");
    let body = err.op_error().expect("an operation error");
    assert_eq!(body.code(), ErrorCode::UpstreamFailed, "{body}");
    assert!(body.retryable, "{body}");
    assert_eq!(body.retry_after_ms, Some(120_000), "{body}");
    assert!(err.is_retryable());
    env.sim.faults().clear();

    // Bitbucket unavailable through every retry of the client: retryable too.
    env.sim.faults().fail_matching("/repos", 503, None);
    let err = hub
        .call(TENANT, &ListRepositories::default())
        .await
        .expect_err("unavailable");
    let body = err.op_error().expect("an operation error");
    assert_eq!(body.code(), ErrorCode::UpstreamFailed, "{body}");
    assert!(body.retryable, "{body}");
    env.sim.faults().clear();

    // A Test Connection whose checks fail answers its report and is audited `failed`.
    env.sim
        .faults()
        .fail_matching("application-properties", 500, None);
    let report = call(&hub, TestConnection::default()).await;
    assert!(!report.ok, "{report:#?}");
    assert_eq!(
        report.failure().map(|s| s.name.as_str()),
        Some("bitbucket server")
    );
    env.sim.faults().clear();
    let audit = agent
        .wait_line("\"operation\":\"bitbucket.test_connection\"")
        .await;
    assert!(audit.contains("\"outcome\":\"failed\""), "{audit}");

    // A repository of another project is refused by the local policy: `denied`.
    let err = hub
        .call(
            TENANT,
            &Scan {
                repository: "web".into(),
                connection: Some(CloudConnection {
                    project_key: Some("OTHER".into()),
                    ..CloudConnection::default()
                }),
            },
        )
        .await
        .expect_err("other project");
    assert!(!err.is_retryable(), "{err}");
    let audit = agent.wait_line("\"operation\":\"remediation.scan\"").await;
    assert!(audit.contains("\"outcome\":\"denied\""), "{audit}");

    let metrics = wait_metrics(
        probes,
        "gitproxy_operations_total{operation=\"bitbucket.test_connection\",outcome=\"failed\"} 1",
    )
    .await;
    assert!(
        metrics.contains(
            "gitproxy_operations_total{operation=\"bitbucket.list_repositories\",outcome=\"error\"} 2"
        ),
        "{metrics}"
    );
    let throttled: Vec<&String> = agent
        .log
        .collect()
        .iter()
        .filter(|l| l.contains("\"operation\":\"bitbucket.list_repositories\""))
        .collect();
    assert_eq!(throttled.len(), 2, "{throttled:#?}");
    assert!(throttled
        .iter()
        .all(|l| l.contains("\"outcome\":\"error\"")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tunnel_scan_and_status_report_unsupported_files_as_not_clean() {
    let env = Env::start_with(vec![bitbucket_dc_sim::RepoSeed::new(PROJECT, "web")
        .file("package.json", crate::support::WEB_PACKAGE)
        .file("app/mix.lock", "%{}\n")])
    .await;
    let hub = hub(&env, "127.0.0.1:0".parse().expect("addr")).await;
    let mut agent = Agent::start(&env, hub.local_addr());
    agent.wait_line("tunnel connected").await;
    hub.wait_ready(TENANT, 1, WAIT)
        .await
        .expect("agent connects");

    let found = call(&hub, scan("web")).await;
    assert_eq!(found.findings[0].package, "lodash", "{found:#?}");
    assert!(found.is_partly_unsupported(), "{found:#?}");
    assert_eq!(
        found.coverage,
        gitproxy_remediation::scan::Coverage::PartlyUnsupported
    );
    assert_eq!(found.unsupported.len(), 1, "{found:#?}");
    assert_eq!(found.unsupported[0].file, "app/mix.lock");
    assert_eq!(found.unsupported[0].ecosystem, "Hex");

    let status = call(&hub, ProjectStatus::default()).await;
    assert_eq!(status.unsupported.len(), 1, "{status:#?}");
    assert_eq!(status.unsupported[0].repo, "web");
    assert_eq!(status.unsupported[0].file.file, "app/mix.lock");
    assert!(
        status
            .to_markdown()
            .contains("- web: app/mix.lock (Mix lockfile, Hex)"),
        "{}",
        status.to_markdown()
    );

    sigterm(&agent.child);
    let status = tokio::time::timeout(WAIT, agent.child.wait())
        .await
        .expect("exits in time")
        .expect("exit status");
    assert_eq!(status.code(), Some(0));
}
