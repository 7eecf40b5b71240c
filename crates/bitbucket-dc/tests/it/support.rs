//! Shared helpers: the standard seed, clients for its users, raw hyper requests and a git runner.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use bitbucket_dc::{Client, ClientBuilder, Credentials, RetryPolicy};
use bitbucket_dc_sim::{LoggedRequest, Permission, ProjectSeed, RepoSeed, Simulator, UserSeed};
use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::rt::TokioExecutor;

/// `alice`: PROJECT_ADMIN on `PRJ` (also her password is [`ALICE_PASSWORD`]).
pub(crate) const ALICE: &str = "alice-token";
/// `alice`'s password, for Basic `alice:password`.
pub(crate) const ALICE_PASSWORD: &str = "alice-pw";
/// `bob`: REPO_READ on `PRJ/service` only.
pub(crate) const BOB: &str = "bob-token";
/// `carol`: a valid user without any permission.
pub(crate) const CAROL: &str = "carol-token";
/// A repository token of `PRJ/service` (REPO_WRITE, Bearer only, no real user behind it).
pub(crate) const REPO_TOKEN: &str = "service-repo-token";

/// Files of `PRJ/service` whose names need percent-encoding, with their exact contents.
pub(crate) const ODD_FILES: &[(&str, &[u8])] = &[
    ("docs/a file with spaces.txt", b"spaces\n"),
    ("docs/hash#tag.md", b"hash\r\nwith crlf\r\n"),
    ("docs/what?.txt", b"question\n"),
    ("docs/100%.txt", b"percent\n"),
    (
        "docs/\u{00fc}nic\u{00f8}de/\u{6587}\u{4ef6}.txt",
        "unicode \u{2713}\n".as_bytes(),
    ),
    ("docs/plus+and&amp.txt", b"plus and ampersand\n"),
];

/// The standard seed:
/// * project `PRJ` ("Project") with `service` (files, the [`ODD_FILES`], branch `feature` one commit
///   ahead, `same-as-main` at the tip of `main`, `fix/nested/deep` with a `/` in its name),
///   `empty` (no commits) and `archived`;
/// * project `OTHER` with `tools`, public;
/// * users `alice` (PROJECT_ADMIN on PRJ), `bob` (REPO_READ on PRJ/service), `carol` (nothing),
///   `admin` (system administrator), and the repository token [`REPO_TOKEN`].
pub(crate) fn seed() -> bitbucket_dc_sim::SimulatorBuilder {
    let mut service = RepoSeed::new("PRJ", "service")
        .name("Service")
        .description("The service")
        .file("README.md", "# service\n")
        .file("Cargo.toml", "[package]\nname = \"service\"\n")
        .file("src/main.rs", "fn main() {}\n")
        .branch_file("feature", "README.md", "# service\n\nfeature work\n")
        .branch_file("feature", "CHANGELOG.md", "- feature\n")
        .branch("same-as-main")
        .branch_file("fix/nested/deep", "deep.txt", "deep\n");
    for (path, content) in ODD_FILES {
        service = service.file(*path, *content);
    }
    Simulator::builder()
        .user(
            UserSeed::new("alice")
                .display_name("Alice Developer")
                .email("alice@example.com")
                .password(ALICE_PASSWORD)
                .token(ALICE),
        )
        .user(
            UserSeed::new("bob")
                .display_name("Bob Reviewer")
                .email("bob@example.com")
                .token(BOB),
        )
        .user(
            UserSeed::new("carol")
                .email("carol@example.com")
                .token(CAROL),
        )
        .user(UserSeed::new("admin").token("admin-token").admin(true))
        .project(
            ProjectSeed::new("PRJ")
                .name("Project")
                .description("Where the services live"),
        )
        .project(ProjectSeed::new("OTHER").name("Other").public(true))
        .repo(service)
        .repo(RepoSeed::new("PRJ", "empty"))
        .repo(
            RepoSeed::new("PRJ", "archived")
                .file("a.txt", "a\n")
                .archived(true),
        )
        .repo(
            RepoSeed::new("OTHER", "tools")
                .file("tool.sh", "#!/bin/sh\n")
                .public(true),
        )
        .grant_project("alice", "PRJ", Permission::ProjectAdmin)
        .grant_repo("bob", "PRJ", "service", Permission::RepoRead)
        .repo_token("PRJ", "service", REPO_TOKEN, Permission::RepoWrite)
}

/// Starts the standard seed on `127.0.0.1:0`.
pub(crate) async fn start() -> Simulator {
    seed().start().await.expect("the simulator starts")
}

/// The simulator's base URL as a string (trailing slash included, as the simulator prints it).
pub(crate) fn base(sim: &Simulator) -> String {
    sim.base_url().as_str().to_owned()
}

/// Retries that keep tests fast: 4 attempts, 10 ms base delay, at most 2 s per wait.
pub(crate) fn fast_retries() -> RetryPolicy {
    RetryPolicy::new(
        4,
        Duration::from_millis(10),
        Duration::from_secs(2),
        Duration::from_secs(5),
    )
    .expect("a valid retry policy")
}

/// A builder for a Bearer client of `sim` with [`fast_retries`] and a 10 s timeout.
pub(crate) fn builder(sim: &Simulator, token: &str) -> ClientBuilder {
    Client::builder(base(sim))
        .credentials(Credentials::bearer(token).expect("a valid token"))
        .retry_policy(fast_retries())
        .timeout(Duration::from_secs(10))
}

/// A Bearer client of `sim`.
pub(crate) fn client(sim: &Simulator, token: &str) -> Client {
    builder(sim, token).build().expect("the client builds")
}

/// The requests below `/rest` the simulator answered so far.
pub(crate) fn rest_log(sim: &Simulator) -> Vec<LoggedRequest> {
    sim.requests()
        .into_iter()
        .filter(|r| r.path.contains("/rest/"))
        .collect()
}

/// The tip of a branch, which must exist.
pub(crate) fn tip(sim: &Simulator, repo: &str, branch: &str) -> String {
    sim.branch_tip("PRJ", repo, branch)
        .unwrap_or_else(|| panic!("branch {branch} of PRJ/{repo} exists"))
}

/// A raw answer.
#[derive(Debug)]
pub(crate) struct RawAnswer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

/// Sends one request with a bare hyper client (no client-crate headers), `path` relative to
/// the base URL.
pub(crate) async fn raw(
    sim: &Simulator,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<(&str, Vec<u8>)>,
) -> RawAnswer {
    let client: HyperClient<_, Full<Bytes>> =
        HyperClient::builder(TokioExecutor::new()).build_http();
    let url = sim.base_url().join(path).expect("a valid path");
    let mut request = Request::builder().method(method).uri(url.as_str());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let body = match body {
        Some((content_type, bytes)) => {
            request = request.header(http::header::CONTENT_TYPE, content_type);
            Full::new(Bytes::from(bytes))
        }
        None => Full::new(Bytes::new()),
    };
    let response = tokio::time::timeout(
        Duration::from_secs(10),
        client.request(request.body(body).expect("a valid request")),
    )
    .await
    .expect("the simulator answers in time")
    .expect("the simulator answers");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("the body arrives")
        .to_bytes();
    RawAnswer {
        status,
        headers,
        body,
    }
}

/// Runs git with a private, empty configuration in `dir` and returns its trimmed stdout; panics
/// with stderr on failure.
pub(crate) fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_output(dir, args);
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Runs git with a private, empty configuration in `dir`.
pub(crate) fn git_output(dir: &Path, args: &[&str]) -> Output {
    Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_AUTHOR_NAME", "Git Tester")
        .env("GIT_AUTHOR_EMAIL", "git-tester@example.com")
        .env("GIT_COMMITTER_NAME", "Git Tester")
        .env("GIT_COMMITTER_EMAIL", "git-tester@example.com")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .output()
        .expect("git runs")
}
