//! Shared helpers: a standard seed and a small raw HTTP client over hyper-util.

use std::time::Duration;

use bitbucket_dc_sim::{Permission, RepoSeed, Simulator, UserSeed};
use bytes::Bytes;
use http::{HeaderMap, Method, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

pub(crate) const ALICE: &str = "alice-token";
pub(crate) const BOB: &str = "bob-token";
pub(crate) const CAROL: &str = "carol-token";

/// Project `PRJ` with `service` (files + a feature branch), `empty`, and `archived`; `alice` has
/// PROJECT_WRITE, `bob` REPO_READ on `service`, `carol` nothing; `admin` is a system admin.
pub(crate) fn seed() -> bitbucket_dc_sim::SimulatorBuilder {
    Simulator::builder()
        .user(
            UserSeed::new("alice")
                .display_name("Alice A")
                .email("alice@example.com")
                .token(ALICE)
                .password("alice-pw"),
        )
        .user(UserSeed::new("bob").token(BOB))
        .user(UserSeed::new("carol").token(CAROL))
        .user(UserSeed::new("admin").token("admin-token").admin(true))
        .repo(
            RepoSeed::new("PRJ", "service")
                .name("Service")
                .file("README.md", "# service\n")
                .file("Cargo.toml", "[package]\nname = \"service\"\n")
                .file("src/main.rs", "fn main() {}\n")
                .branch_file("feature", "README.md", "# service\n\nfeature work\n")
                .branch("same-as-main"),
        )
        .repo(RepoSeed::new("PRJ", "empty"))
        .repo(
            RepoSeed::new("PRJ", "archived")
                .file("a.txt", "a\n")
                .archived(true),
        )
        .grant_project("alice", "PRJ", Permission::ProjectWrite)
        .grant_repo("bob", "PRJ", "service", Permission::RepoRead)
}

pub(crate) async fn start() -> Simulator {
    seed().start().await.expect("simulator starts")
}

/// A response with its body read.
#[derive(Debug)]
pub(crate) struct Resp {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Resp {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|err| {
            panic!(
                "body is not json ({err}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The first error's exception name.
    pub(crate) fn exception(&self) -> String {
        self.json()["errors"][0]["exceptionName"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    }
}

/// A request builder.
#[derive(Debug)]
pub(crate) struct Call {
    method: Method,
    path: String,
    headers: Vec<(String, String)>,
    body: Option<(String, Vec<u8>)>,
}

pub(crate) fn call(method: Method, path: &str) -> Call {
    Call {
        method,
        path: path.to_owned(),
        headers: Vec::new(),
        body: None,
    }
}

pub(crate) fn get(path: &str) -> Call {
    call(Method::GET, path)
}

impl Call {
    pub(crate) fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    pub(crate) fn basic(self, user: &str, secret: &str) -> Self {
        use base64::Engine as _;
        let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}"));
        self.header("authorization", &format!("Basic {encoded}"))
    }

    pub(crate) fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// `X-Atlassian-Token: no-check`.
    pub(crate) fn xsrf(self) -> Self {
        self.header("x-atlassian-token", "no-check")
    }

    pub(crate) fn json(mut self, value: Value) -> Self {
        self.body = Some((
            "application/json".into(),
            serde_json::to_vec(&value).expect("json"),
        ));
        self
    }

    pub(crate) fn body(mut self, content_type: &str, bytes: Vec<u8>) -> Self {
        self.body = Some((content_type.into(), bytes));
        self
    }

    /// A multipart/form-data body of text fields.
    pub(crate) fn multipart(self, fields: &[(&str, &str)]) -> Self {
        let boundary = "simboundary7d2";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        self.body(&format!("multipart/form-data; boundary={boundary}"), body)
    }

    pub(crate) async fn send(self, sim: &Simulator) -> Resp {
        self.try_send(sim)
            .await
            .expect("request succeeds at the HTTP level")
    }

    pub(crate) async fn try_send(self, sim: &Simulator) -> Result<Resp, String> {
        let client: Client<HttpConnector, Full<Bytes>> =
            Client::builder(TokioExecutor::new()).build_http();
        let url = sim
            .base_url()
            .join(self.path.trim_start_matches('/'))
            .expect("url");
        let mut builder = Request::builder().method(self.method).uri(url.as_str());
        for (k, v) in &self.headers {
            builder = builder.header(k, v);
        }
        let body = match self.body {
            Some((ct, bytes)) => {
                builder = builder.header("content-type", ct);
                Full::new(Bytes::from(bytes))
            }
            None => Full::new(Bytes::new()),
        };
        let request = builder.body(body).expect("request");
        let response = tokio::time::timeout(Duration::from_secs(30), client.request(request))
            .await
            .map_err(|_| "timed out".to_owned())?
            .map_err(|err| format!("{err:?}"))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|err| format!("body: {err:?}"))?
            .to_bytes();
        Ok(Resp {
            status,
            headers,
            body,
        })
    }
}

/// `rest/api/1.0/projects/PRJ/repos/<repo>/<tail>`.
pub(crate) fn repo_path(repo: &str, tail: &str) -> String {
    if tail.is_empty() {
        format!("rest/api/1.0/projects/PRJ/repos/{repo}")
    } else {
        format!("rest/api/1.0/projects/PRJ/repos/{repo}/{tail}")
    }
}

/// Runs git with a private, empty configuration and returns stdout, panicking with stderr on failure.
pub(crate) fn git(dir: &std::path::Path, args: &[&str]) -> String {
    let out = git_output(dir, args);
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

pub(crate) fn git_output(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_AUTHOR_NAME", "Tester")
        .env("GIT_AUTHOR_EMAIL", "tester@example.com")
        .env("GIT_COMMITTER_NAME", "Tester")
        .env("GIT_COMMITTER_EMAIL", "tester@example.com")
        .env_remove("GIT_DIR")
        .output()
        .expect("git runs")
}
