//! Shared parts: a seeded simulator, OSV fixtures, an internal CA (gitproxy-test-support's `Pki`), and a way to run the binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use bitbucket_dc_sim::{Permission, RepoSeed, Simulator, UserSeed};
use gitproxy_test_support::Pki;

pub(crate) const PROJECT: &str = "PRJ";
pub(crate) const BOT_TOKEN: &str = "bot-token-0123456789";
pub(crate) const READER_TOKEN: &str = "reader-token-0123456789";

pub(crate) const WEB_PACKAGE: &str = "{\n  \"name\": \"web\",\n  \"version\": \"1.0.0\",\n  \"dependencies\": {\n    \"lodash\": \"4.17.20\"\n  }\n}\n";

const LODASH_OSV: &str = r#"{
  "id": "GHSA-35jh-r3h4-6jhm",
  "aliases": ["CVE-2021-23337"],
  "summary": "Command Injection in lodash",
  "affected": [{
    "package": {"ecosystem": "npm", "name": "lodash"},
    "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "4.17.21"}]}]
  }]
}"#;

/// A test environment: a temp dir with OSV data and a CA file, and a seeded simulator.
pub(crate) struct Env {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) sim: Simulator,
    /// The internal CA the agent is told to trust (`ca.pem`).
    pub(crate) ca: Pki,
}

impl Env {
    /// Simulator with project PRJ (repos `web`, vulnerable, and `docs`), users `bot` (write) and `reader` (read).
    pub(crate) async fn start() -> Env {
        Env::start_with(vec![
            RepoSeed::new(PROJECT, "web").file("package.json", WEB_PACKAGE),
            RepoSeed::new(PROJECT, "docs").file("README.md", "# docs\n"),
        ])
        .await
    }

    /// Like [`Env::start`] with `repos` (in project PRJ) instead of `web` and `docs`.
    pub(crate) async fn start_with(repos: Vec<RepoSeed>) -> Env {
        let mut builder = Simulator::builder()
            .user(UserSeed::new("bot").token(BOT_TOKEN))
            .user(UserSeed::new("reader").token(READER_TOKEN));
        for repo in repos {
            builder = builder.repo(repo);
        }
        let sim = builder
            .grant_project("bot", PROJECT, Permission::ProjectWrite)
            .grant_project("reader", PROJECT, Permission::ProjectRead)
            .start()
            .await
            .expect("simulator starts");
        let dir = tempfile::tempdir().expect("tempdir");
        let osv = dir.path().join("osv").join("npm");
        std::fs::create_dir_all(&osv).expect("osv dir");
        std::fs::write(osv.join("GHSA-35jh-r3h4-6jhm.json"), LODASH_OSV).expect("osv record");
        let ca = Pki::new("gitproxy test ca").expect("ca");
        ca.write_ca(&dir.path().join("ca.pem")).expect("ca file");
        Env { dir, sim, ca }
    }

    /// TLS for a loopback server: a leaf for 127.0.0.1 signed by the test CA.
    pub(crate) fn server_tls(&self) -> Arc<rustls::ServerConfig> {
        self.ca.server_config(&["127.0.0.1"]).expect("server TLS")
    }

    pub(crate) fn osv_dir(&self) -> PathBuf {
        self.dir.path().join("osv")
    }

    pub(crate) fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// Writes `token` to a file, as a Secret mount would.
    pub(crate) fn token_file(&self, name: &str, token: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, format!("{token}\n")).expect("token file");
        path
    }

    /// The binary with a clean environment: simulator URL, project, bot credentials, OSV data, CA.
    pub(crate) fn command(&self, token: &str) -> Command {
        let token_file = self.token_file(&format!("token-{token}"), token);
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_gitproxy"));
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOSTNAME", "gitproxy-test")
            .env("GITPROXY_BITBUCKET_URL", self.sim.base_url().as_str())
            .env("GITPROXY_BITBUCKET_PROJECT", PROJECT)
            .env(
                "GITPROXY_BITBUCKET_USERNAME",
                if token == READER_TOKEN {
                    "reader"
                } else {
                    "bot"
                },
            )
            .env("GITPROXY_BITBUCKET_TOKEN_FILE", &token_file)
            .env("GITPROXY_OSV_DIR", self.osv_dir())
            .env("GITPROXY_CUSTOM_CA_CERT_FILE", self.ca_file())
            .env("GITPROXY_LOG_FORMAT", "json")
            .stdin(Stdio::null());
        cmd
    }
}

/// Runs a command to completion off the async runtime.
pub(crate) async fn output(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("binary runs"))
        .await
        .expect("join")
}

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A local checkout fixture with a vulnerable package.json.
pub(crate) fn checkout(dir: &Path) -> PathBuf {
    let path = dir.join("checkout");
    std::fs::create_dir_all(&path).expect("checkout dir");
    std::fs::write(path.join("package.json"), WEB_PACKAGE).expect("package.json");
    path
}
