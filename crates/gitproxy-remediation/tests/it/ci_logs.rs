//! CI job logs against loopback stand-ins that serve the shapes of Jenkins (`consoleText`) and
//! Bamboo (`/rest/api/latest/result/{key}` with `stages` and `logEntries`), each checking its
//! credential: the excerpt reaches the CI-failure comment of a remediation pull request in the
//! simulator; a build URL outside the configured servers is never followed; a refused credential
//! is said in the comment; without a configured server the comment stays as before.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bitbucket_dc::{BuildState, NewBuildStatus};
use bytes::Bytes;
use gitproxy_remediation::ci::{BuildLogs, CiCredential, CiKind, CiServers, HttpBuildLogs};
use gitproxy_remediation::host::{BitbucketDc, BitbucketHost};
use gitproxy_remediation::plan::PlanOptions;
use gitproxy_remediation::policy::Token;
use gitproxy_remediation::remediate::Remediator;
use gitproxy_remediation::Error;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

use crate::branches::{client, lodash_fixed_in, registry, simulator, BOT};

const JENKINS_AUTH: &str = "Basic Y2ktYm90OmplbmtpbnMtYXBpLXRva2VuLTE="; // ci-bot:jenkins-api-token-1
const BAMBOO_AUTH: &str = "Bearer bamboo-pat-1";

/// A Jenkins console log of a failing npm step, as `consoleText` serves it.
const CONSOLE: &str = "Started by an SCM change
Running as SYSTEM
+ npm ci
added 312 packages in 4s
+ npm test

> web@1.0.0 test
> jest

FAIL src/app.test.js
  ● merges the defaults

    TypeError: _.merge is not a function

Tests:       1 failed, 11 passed, 12 total
npm ERR! Test failed.  See above for more details.
using jenkins-api-token-1 for the upload
Finished: FAILURE
";

/// A loopback CI server: fixed answers by path, each behind one `Authorization` value; it
/// records the `Authorization` headers it was sent.
struct CiStandIn {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for CiStandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl CiStandIn {
    async fn start(
        auth: &'static str,
        routes: BTreeMap<String, (String, &'static str)>,
    ) -> CiStandIn {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (routes, log) = (Arc::new(routes), Arc::clone(&seen));
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (routes, log) = (Arc::clone(&routes), Arc::clone(&log));
                tokio::spawn(async move {
                    let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        let given = req
                            .headers()
                            .get(http::header::AUTHORIZATION)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned();
                        log.lock().unwrap().push(given.clone());
                        let res = if given != auth {
                            hyper::Response::builder()
                                .status(401)
                                .body(Full::new(Bytes::new()))
                        } else {
                            match routes.get(req.uri().path()) {
                                Some((body, kind)) => hyper::Response::builder()
                                    .header("content-type", *kind)
                                    .body(Full::new(Bytes::from(body.clone()))),
                                None => hyper::Response::builder()
                                    .status(404)
                                    .body(Full::new(Bytes::new())),
                            }
                        };
                        async move { Ok::<_, Infallible>(res.unwrap()) }
                    });
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        CiStandIn { addr, seen, task }
    }

    fn base(&self, path: &str) -> String {
        format!("http://{}/{path}", self.addr)
    }
}

async fn jenkins() -> CiStandIn {
    let routes = BTreeMap::from([(
        "/jenkins/job/web/job/PR-1/7/consoleText".to_owned(),
        (CONSOLE.to_owned(), "text/plain;charset=UTF-8"),
    )]);
    CiStandIn::start(JENKINS_AUTH, routes).await
}

fn jenkins_logs(ci: &CiStandIn, token: &str) -> HttpBuildLogs<HttpConnector> {
    let servers: CiServers = format!("jenkins={}", ci.base("jenkins/")).parse().unwrap();
    let servers = servers.with_credential(
        CiKind::Jenkins,
        CiCredential::Basic {
            user: "ci-bot".into(),
            token: Token::new(token),
        },
    );
    HttpBuildLogs::new(HttpConnector::new(), servers)
}

#[tokio::test]
async fn a_jenkins_console_log_is_read_with_its_credential_and_excerpted() {
    let ci = jenkins().await;
    let logs = jenkins_logs(&ci, "jenkins-api-token-1");
    let build = ci.base("jenkins/job/web/job/PR-1/7/display/redirect");
    let excerpt = logs
        .excerpt(&build)
        .await
        .unwrap()
        .expect("a configured server");
    assert_eq!(excerpt.command.as_deref(), Some("npm test"));
    assert!(excerpt.lines.contains(&"FAIL src/app.test.js".to_owned()));
    assert!(excerpt
        .lines
        .iter()
        .any(|l| l.contains("TypeError: _.merge is not a function")));
    assert!(
        excerpt
            .lines
            .iter()
            .all(|l| !l.contains("jenkins-api-token-1")),
        "{:?}",
        excerpt.lines
    );
    assert_eq!(*ci.seen.lock().unwrap(), [JENKINS_AUTH]);

    // A build URL elsewhere is not followed, so the credential goes nowhere else.
    let elsewhere = format!("http://{}/other/job/web/7/", ci.addr);
    assert!(logs.excerpt(&elsewhere).await.unwrap().is_none());
    assert!(logs.excerpt("not a url").await.unwrap().is_none());
    assert_eq!(ci.seen.lock().unwrap().len(), 1);

    // A refused credential is an error that says what to check, without the token.
    let wrong = jenkins_logs(&ci, "stale-token");
    let err = wrong.excerpt(&build).await.unwrap_err();
    assert!(matches!(err, Error::CiLog { .. }));
    let text = err.to_string();
    assert!(
        text.contains("401") && text.contains("credential was refused"),
        "{text}"
    );
    assert!(
        text.contains("check the CI server's URL and credentials"),
        "{text}"
    );
    assert!(!text.contains("stale-token"), "{text}");
}

#[tokio::test]
async fn a_bamboo_plan_result_is_read_through_its_failed_job() {
    let plan = serde_json::json!({
        "key": "SEC-WEB-7", "buildState": "Failed", "buildNumber": 7,
        "stages": {"size": 1, "stage": [{"name": "Default Stage", "results": {"size": 2, "result": [
            {"buildResultKey": "SEC-WEB-LINT-7", "buildState": "Successful"},
            {"buildResultKey": "SEC-WEB-JOB1-7", "buildState": "Failed"}
        ]}}]}
    });
    let entry = |line: &str| serde_json::json!({"log": format!("<b>{line}</b>"), "unstyledLog": line, "date": 1733300000000_i64});
    let job = serde_json::json!({
        "key": "SEC-WEB-JOB1-7", "buildState": "Failed",
        "logEntries": {"size": 4, "start-index": 0, "max-result": 4, "logEntry": [
            entry("Running command: cargo test --locked"),
            entry("test parse::reads_the_config ... FAILED"),
            entry("thread 'parse::reads_the_config' panicked at src/parse.rs:12:5:"),
            entry("error: test failed, to rerun pass `--lib`"),
        ]}
    });
    let routes = BTreeMap::from([
        (
            "/bamboo/rest/api/latest/result/SEC-WEB-7".to_owned(),
            (plan.to_string(), "application/json"),
        ),
        (
            "/bamboo/rest/api/latest/result/SEC-WEB-JOB1-7".to_owned(),
            (job.to_string(), "application/json"),
        ),
    ]);
    let ci = CiStandIn::start(BAMBOO_AUTH, routes).await;
    let servers: CiServers = format!("bamboo={}", ci.base("bamboo")).parse().unwrap();
    let logs = HttpBuildLogs::new(
        HttpConnector::new(),
        servers.with_credential(
            CiKind::Bamboo,
            CiCredential::Bearer(Token::new("bamboo-pat-1")),
        ),
    );
    let excerpt = logs
        .excerpt(&ci.base("bamboo/browse/SEC-WEB-7"))
        .await
        .unwrap()
        .expect("a configured server");
    assert_eq!(excerpt.command.as_deref(), Some("cargo test --locked"));
    assert_eq!(
        excerpt.lines,
        [
            "test parse::reads_the_config ... FAILED",
            "thread 'parse::reads_the_config' panicked at src/parse.rs:12:5:",
            "error: test failed, to rerun pass `--lib`",
        ]
    );
    assert_eq!(
        ci.seen.lock().unwrap().len(),
        2,
        "the plan, then its failed job"
    );
    let err = logs
        .excerpt(&ci.base("bamboo/browse/nonsense"))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("is not a Bamboo result key"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ci_failure_comment_quotes_the_job_log_when_a_ci_server_is_configured() {
    let sim = simulator().await;
    let bot = client(&sim, BOT);
    let host = BitbucketDc::new(bot.clone());
    let (db, registry) = (lodash_fixed_in("4.17.21"), registry());
    let ci = jenkins().await;
    let logs = jenkins_logs(&ci, "jenkins-api-token-1");
    let remediator =
        Remediator::new(&host, &db, &registry, PlanOptions::recommended()).with_build_logs(&logs);
    let outcome = remediator.remediate_repo("SEC", "web").await.unwrap();
    let id = outcome.opened[0];
    let pr = &host.pull_requests("SEC", "web", "gitproxy/").await.unwrap()[0];
    let commit = pr.latest_commit.clone().unwrap();
    // One build on the configured Jenkins, one on a server the agent was not given.
    for (key, url) in [
        ("jenkins-web", ci.base("jenkins/job/web/job/PR-1/7/")),
        (
            "other-ci",
            "https://other-ci.example.invalid/builds/3".to_owned(),
        ),
    ] {
        bot.build_status()
            .post(&commit, &NewBuildStatus::new(key, BuildState::Failed, url))
            .await
            .unwrap();
    }
    assert_eq!(remediator.check_ci("SEC", "web").await.unwrap(), [id]);
    let comments = host.comments("SEC", "web", id).await.unwrap();
    let ci_comment = comments
        .iter()
        .find(|c| c.starts_with("**CI failed"))
        .expect("the CI comment");
    assert!(
        ci_comment.contains("The build fails in `npm test` after the upgrade:"),
        "{ci_comment}"
    );
    assert!(
        ci_comment.contains("  FAIL src/app.test.js\n"),
        "{ci_comment}"
    );
    assert!(ci_comment.contains("TypeError: _.merge is not a function"));
    assert!(!ci_comment.contains("jenkins-api-token-1"), "{ci_comment}");
    // The other build is linked as before, and the comment says why it has no excerpt.
    assert!(ci_comment.contains("- [other-ci](https://other-ci.example.invalid/builds/3) failed"));
    assert!(ci_comment.contains("does not make job logs available through its API"));
    // Once per commit, as before.
    assert!(remediator.check_ci("SEC", "web").await.unwrap().is_empty());
    assert_eq!(ci.seen.lock().unwrap().len(), 1);
    sim.shutdown().await;
}
