//! One isolated world per test: two CAs (a "public" one for the cloud, an internal one for
//! Bitbucket), the simulator at `https://localhost:PORT`, the hub at `https://127.0.0.1:PORT`, and a
//! tinyproxy that reaches the cloud but cannot reach internal hosts (`localhost` goes to a dead
//! upstream, so tinyproxy answers 502 as a real egress proxy does for an internal server).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use bitbucket_dc_sim::Simulator;
use gitproxy_e2e::{
    demo_osv_dir, demo_simulator, fixture_osv_dir, free_port, gitproxy_binary, gitproxy_command,
    AgentProcess, Cloud, Pki, Tinyproxy, TinyproxyOptions, DEMO_PROJECT, WRITER, WRITER_TOKEN,
};
use gitproxy_remediation::catalogue::{Apply, ApplyResult, CheckReport, CheckStage, Scan, Status};
use gitproxy_remediation::remediate::RepoOutcome;

/// The safety net of every wait (events are awaited; this only bounds a hang).
pub(crate) const WAIT: Duration = Duration::from_secs(30);

/// How the agent is configured in one scenario.
#[derive(Debug, Clone)]
pub(crate) struct Setup {
    /// `NO_PROXY` (the Helm value `proxy.noProxy`).
    pub(crate) no_proxy: String,
    /// Whether the internal CA is given as `customCaCert`.
    pub(crate) custom_ca: bool,
    /// `GITPROXY_REGISTRIES` (the Helm values `registries.*`); empty: none.
    pub(crate) registries: String,
    /// The Bitbucket user and token.
    pub(crate) user: &'static str,
    /// The token.
    pub(crate) token: &'static str,
    /// The OSV directory (`GITPROXY_OSV_DIR`); none: the world's.
    pub(crate) osv: Option<PathBuf>,
    /// More environment variables, such as `GITPROXY_ADVISORY_STORE_DIR`.
    pub(crate) env: Vec<(&'static str, String)>,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            no_proxy: "localhost".to_owned(),
            custom_ca: true,
            registries: String::new(),
            user: WRITER,
            token: WRITER_TOKEN,
            osv: None,
            env: Vec::new(),
        }
    }
}

pub(crate) struct World {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) public_ca: Pki,
    pub(crate) internal_ca: Pki,
    pub(crate) sim: Simulator,
    pub(crate) cloud: Cloud,
    pub(crate) proxy: Tinyproxy,
    binary: PathBuf,
    osv: PathBuf,
}

impl World {
    /// A world whose OSV data is the shipped npm and Maven records only.
    pub(crate) async fn start() -> World {
        World::start_with(false).await
    }

    /// A world whose OSV data also has the real crates.io, Go and PyPI archives of `../shared/osv`.
    pub(crate) async fn start_with_shared_osv() -> World {
        World::start_with(true).await
    }

    async fn start_with(shared_osv: bool) -> World {
        let binary = gitproxy_binary().unwrap_or_else(|e| panic!("{e}"));
        let dir = tempfile::tempdir().expect("temp dir");
        let osv = if shared_osv {
            let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/osv");
            demo_osv_dir(&shared, dir.path()).expect("osv data")
        } else {
            fixture_osv_dir(dir.path()).expect("osv records")
        };
        let public_ca = Pki::new("e2e public root").expect("public ca");
        public_ca
            .write_ca(&dir.path().join("public-roots.pem"))
            .expect("roots file");
        let internal_ca = Pki::new("Corp Internal CA").expect("internal ca");
        let leaf = internal_ca.issue(&["localhost"]).expect("bitbucket cert");
        let sim = demo_simulator()
            .tls(leaf.cert_pem(), leaf.key_pem())
            .start()
            .await
            .expect("simulator starts");
        let cloud = Cloud::start(&public_ca, "127.0.0.1:0".parse().expect("addr"))
            .await
            .expect("hub starts");
        // The proxy reaches the internet (the cloud at 127.0.0.1) but not internal hosts: requests
        // for `localhost` go to an upstream nobody listens on, and tinyproxy answers 502.
        let dead = SocketAddr::from(([127, 0, 0, 1], free_port().expect("port")));
        let proxy = Tinyproxy::start_with(&TinyproxyOptions {
            upstream_for: vec![(dead, "localhost".to_owned())],
            ..TinyproxyOptions::default()
        })
        .expect("tinyproxy starts");
        World {
            dir,
            public_ca,
            internal_ca,
            sim,
            cloud,
            proxy,
            binary,
            osv,
        }
    }

    /// The Bitbucket Server URL as a customer types it: a host name, here one that resolves to loopback.
    pub(crate) fn bitbucket_url(&self) -> String {
        format!("https://localhost:{}/", self.sim.addr().port())
    }

    /// The binary configured like the Helm chart does: proxy, noProxy, customCaCert (single-line
    /// base64), local Bitbucket credentials from a Secret file, OSV data.
    pub(crate) fn command(&self, setup: &Setup) -> Command {
        let token_file = self.dir.path().join(format!("token-{}", setup.user));
        std::fs::write(&token_file, format!("{}\n", setup.token)).expect("token file");
        let mut cmd = gitproxy_command(&self.binary);
        cmd.env("HTTPS_PROXY", self.proxy.url())
            .env("NO_PROXY", &setup.no_proxy)
            .env("GITPROXY_PROXY_LOOPBACK", "true")
            .env("SSL_CERT_FILE", self.dir.path().join("public-roots.pem"))
            .env("GITPROXY_BITBUCKET_URL", self.bitbucket_url())
            .env("GITPROXY_BITBUCKET_USERNAME", setup.user)
            .env("GITPROXY_BITBUCKET_TOKEN_FILE", &token_file)
            .env("GITPROXY_BITBUCKET_PROJECT", DEMO_PROJECT)
            .env("GITPROXY_OSV_DIR", setup.osv.as_ref().unwrap_or(&self.osv))
            .env("GITPROXY_LOG_FORMAT", "json")
            .envs(setup.env.iter().map(|(k, v)| (k, v)));
        if !setup.registries.is_empty() {
            cmd.env("GITPROXY_REGISTRIES", &setup.registries);
        }
        if setup.custom_ca {
            cmd.env("GITPROXY_CUSTOM_CA_CERT", self.internal_ca.ca_base64());
        }
        cmd
    }

    /// `gitproxy run` connected to the hub through the proxy; returns once the tunnel is up.
    pub(crate) async fn agent(&self, setup: &Setup) -> AgentProcess {
        let mut cmd = self.command(setup);
        cmd.env("GITPROXY_CLOUD_URL", self.cloud.url())
            .env("GITPROXY_ACCESS_KEY", self.cloud.access_key())
            .env("GITPROXY_CONNECTIONS", "1")
            .env("GITPROXY_SHUTDOWN_GRACE", "20s")
            .args(["run", "--listen", "127.0.0.1:0"]);
        let mut agent = AgentProcess::spawn(cmd).expect("agent starts");
        agent
            .wait_line("tunnel connected", WAIT)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        self.cloud
            .wait_agent(WAIT)
            .await
            .expect("hub sees the agent");
        agent
    }

    /// `gitproxy check [--json]`: exit code and stdout.
    pub(crate) async fn check(&self, setup: &Setup, json: bool) -> (Option<i32>, String) {
        let mut cmd = self.command(setup);
        cmd.arg("check");
        if json {
            cmd.arg("--json");
        }
        let out = tokio::task::spawn_blocking(move || cmd.output().expect("check runs"))
            .await
            .expect("join");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    }
}

impl World {
    /// A file at the tip of `branch`, read back through the REST API (trusting the internal CA).
    pub(crate) async fn read_file(&self, repo: &str, branch: &str, path: &str) -> String {
        let tls = self.internal_ca.client_config().expect("client tls");
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_only()
            .enable_http1()
            .build();
        let client = bitbucket_dc::Client::builder(self.bitbucket_url())
            .credentials(
                bitbucket_dc::Credentials::basic(WRITER, WRITER_TOKEN).expect("credentials"),
            )
            .connector(connector)
            .build()
            .expect("client");
        let raw = client
            .repo(DEMO_PROJECT, repo)
            .files()
            .raw(path, Some(branch))
            .await
            .unwrap_or_else(|e| panic!("{path} on {branch}: {e}"));
        String::from_utf8(raw.to_vec()).expect("utf-8")
    }
}

/// The first failed stage of a Test Connection report.
pub(crate) fn failed_stage(report: &CheckReport) -> &CheckStage {
    report
        .failure()
        .unwrap_or_else(|| panic!("no failed stage in {report:#?}"))
}

/// The stage `name` of a Test Connection report.
pub(crate) fn stage<'a>(report: &'a CheckReport, name: &str) -> &'a CheckStage {
    report
        .stages
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no stage {name} in {report:#?}"))
}

/// Whether `stage` passed.
pub(crate) fn passed(stage: &CheckStage) -> bool {
    stage.status == Status::Pass
}

/// `remediation.scan` of `repository`.
pub(crate) fn scan(repository: &str) -> Scan {
    Scan {
        repository: repository.into(),
        ..Scan::default()
    }
}

/// `remediation.apply` of `repository`.
pub(crate) fn apply(repository: &str) -> Apply {
    Apply {
        repository: repository.into(),
        ..Apply::default()
    }
}

/// The outcomes of an apply that was not a dry run.
pub(crate) fn outcomes(result: ApplyResult) -> Vec<RepoOutcome> {
    match result {
        ApplyResult::Applied(outcomes) => outcomes,
        ApplyResult::Preview(p) => panic!("a preview, not an apply: {p:?}"),
    }
}
