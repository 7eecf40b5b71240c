//! Error paths shared by every area: bad credential vs no permission (both 401), the XSRF filter,
//! every kind of 404, rate limiting with `Retry-After`, 5xx, dropped connections, timeouts,
//! undecodable and oversized bodies, and secrets kept out of errors and `Debug` output.

use std::time::Duration;

use bitbucket_dc::{
    BuildState, Client, Credentials, Error, FileEdit, NewBuildStatus, NewPullRequest, NotFoundKind,
    PullRequestQuery, RetryPolicy, DEFAULT_USER_AGENT,
};
use bitbucket_dc_sim::{Permission, RateLimit};
use http::{Method, StatusCode};
use serde_json::Value;

use crate::support::{base, builder, client, raw, rest_log, start, tip, ALICE, BOB, CAROL};

/// A client of `sim` with `token` that never retries.
fn no_retries(sim: &bitbucket_dc_sim::Simulator, token: &str) -> Client {
    builder(sim, token)
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("client")
}

#[tokio::test]
async fn bad_credential_and_no_permission_are_distinct_401s() {
    let sim = start().await;
    let secret = "wrong-token-value-1234";

    let bearer = client(&sim, secret).whoami().await;
    let err = bearer.expect_err("an unknown token is rejected");
    assert!(
        matches!(err, Error::BadCredential { user: None, .. }),
        "{err:?}"
    );
    assert_eq!(err.status(), Some(StatusCode::UNAUTHORIZED));
    assert!(err
        .exception_name()
        .is_some_and(|n| n.ends_with("IncorrectPasswordAuthenticationException")));
    assert!(!err.is_retryable());
    assert_eq!(
        err.response()
            .and_then(|r| r.errors.first())
            .and_then(|e| e.exception_short_name()),
        Some("IncorrectPasswordAuthenticationException")
    );
    assert!(err
        .to_string()
        .contains("check the username and HTTP access token"));
    // The secret never shows up in errors or Debug output.
    assert!(!err.to_string().contains(secret) && !format!("{err:?}").contains(secret));

    let basic = Client::builder(base(&sim))
        .credentials(Credentials::basic("alice", secret).expect("credentials"))
        .build()
        .expect("client");
    assert!(!format!("{basic:?}").contains(secret));
    let err = basic.whoami().await.expect_err("wrong password");
    assert!(
        matches!(&err, Error::BadCredential { user, .. } if user.as_deref() == Some("alice")),
        "{err:?}"
    );
    assert!(!format!("{err:?}").contains(secret));

    // Revoked tokens and deactivated users are bad credentials too.
    sim.add_token("carol", "carol-second-token", None)
        .expect("token");
    assert!(sim.revoke_token("carol-second-token"));
    let revoked = client(&sim, "carol-second-token").whoami().await;
    assert!(
        matches!(revoked, Err(Error::BadCredential { .. })),
        "{revoked:?}"
    );

    // A valid credential without the permission: 401 as well, but NoPermission.
    let carol = client(&sim, CAROL);
    let err = carol
        .repo("PRJ", "service")
        .get()
        .await
        .expect_err("carol may not read");
    match &err {
        Error::NoPermission { user, response } => {
            assert_eq!(user.as_deref(), Some("carol"));
            assert_eq!(response.status, StatusCode::UNAUTHORIZED);
            assert_eq!(response.authenticated_user.as_deref(), Some("carol"));
            assert!(response
                .message()
                .is_some_and(|m| m.contains("not permitted")));
        }
        other => panic!("expected NoPermission, got {other:?}"),
    }
    assert!(err
        .exception_name()
        .is_some_and(|n| n.ends_with("AuthorisationException")));
    assert!(err
        .to_string()
        .starts_with("user carol is not permitted to GET "));

    // A reader writing, and a token capped below the user's own permission.
    let reader = client(&sim, BOB)
        .repo("PRJ", "service")
        .branches()
        .delete(&bitbucket_dc::DeleteBranch::new("feature"))
        .await;
    assert!(
        matches!(reader, Err(Error::NoPermission { .. })),
        "{reader:?}"
    );
    sim.add_token("alice", "alice-read-only", Some(Permission::RepoRead))
        .expect("token");
    let capped = client(&sim, "alice-read-only");
    capped
        .repo("PRJ", "service")
        .get()
        .await
        .expect("the capped token reads");
    let capped_write = capped
        .repo("PRJ", "service")
        .branches()
        .create(&bitbucket_dc::NewBranch::new("x", "refs/heads/main"))
        .await;
    assert!(
        matches!(&capped_write, Err(Error::NoPermission { user, .. }) if user.as_deref() == Some("alice")),
        "{capped_write:?}"
    );
}

#[tokio::test]
async fn the_simulator_enforces_xsrf_and_the_client_always_passes_it() {
    let sim = start().await;
    let alice = client(&sim, ALICE);
    let pr = alice
        .repo("PRJ", "service")
        .pull_requests()
        .create(&NewPullRequest::new("Fix", "feature", "main"))
        .await
        .expect("create");
    let decline = format!(
        "rest/api/1.0/projects/PRJ/repos/service/pull-requests/{}/decline?version=0",
        pr.id
    );
    let auth = format!("Bearer {ALICE}");

    // A body-less POST without the header is refused with a plain-text 403...
    let refused = raw(
        &sim,
        Method::POST,
        &decline,
        &[("authorization", &auth)],
        None,
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(&refused.body[..], b"XSRF check failed");
    assert!(refused
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/plain")));
    // ...as is a multipart edit...
    let edit = raw(
        &sim,
        Method::PUT,
        "rest/api/1.0/projects/PRJ/repos/service/browse/x.txt",
        &[("authorization", &auth)],
        Some((
            "multipart/form-data; boundary=b",
            b"--b\r\nContent-Disposition: form-data; name=\"branch\"\r\n\r\nmain\r\n--b--\r\n"
                .to_vec(),
        )),
    )
    .await;
    assert_eq!(edit.status, StatusCode::FORBIDDEN);
    assert_eq!(
        alice
            .repo("PRJ", "service")
            .pull_requests()
            .get(pr.id)
            .await
            .expect("get")
            .version,
        0,
        "nothing changed"
    );
    // ...while a JSON body is not a form a browser could forge, and the header lets the POST in.
    let comment = raw(
        &sim,
        Method::POST,
        &format!(
            "rest/api/1.0/projects/PRJ/repos/service/pull-requests/{}/comments",
            pr.id
        ),
        &[("authorization", &auth)],
        Some(("application/json", br#"{"text":"json passes"}"#.to_vec())),
    )
    .await;
    assert_eq!(comment.status, StatusCode::CREATED);
    let accepted = raw(
        &sim,
        Method::POST,
        &decline,
        &[("authorization", &auth), ("x-atlassian-token", "no-check")],
        None,
    )
    .await;
    assert_eq!(accepted.status, StatusCode::OK);

    // The client sends X-Atlassian-Token, Accept and its User-Agent on every request.
    sim.request_log().clear();
    let repo = alice.repo("PRJ", "service");
    repo.get().await.expect("GET");
    let reopened = repo
        .pull_request(pr.id)
        .reopen(1)
        .await
        .expect("body-less POST");
    repo.pull_request(pr.id)
        .decline(reopened.version)
        .await
        .expect("body-less POST");
    repo.files()
        .edit(
            "x.txt",
            &FileEdit::new("main", b"x\n".to_vec()).message("multipart PUT"),
        )
        .await
        .expect("multipart PUT");
    repo.builds()
        .post(
            &tip(&sim, "service", "main"),
            &NewBuildStatus::new("ci", BuildState::Successful, "https://ci/1"),
        )
        .await
        .expect("JSON POST");
    repo.branches()
        .delete(&bitbucket_dc::DeleteBranch::new("same-as-main"))
        .await
        .expect("DELETE");
    let custom = builder(&sim, ALICE)
        .user_agent("gitproxy-agent/1.0")
        .build()
        .expect("client");
    custom.repo("PRJ", "service").get().await.expect("GET");
    let logged = rest_log(&sim);
    assert_eq!(logged.len(), 7);
    for request in &logged {
        assert!(
            request.has_xsrf_token(),
            "{} {}",
            request.method,
            request.path
        );
        assert_eq!(request.header("accept"), Some("application/json"));
        assert!(request.status < 300, "{} {}", request.method, request.path);
    }
    let agents: Vec<&str> = logged
        .iter()
        .filter_map(|r| r.header("user-agent"))
        .collect();
    assert_eq!(agents[..6], [DEFAULT_USER_AGENT; 6]);
    assert_eq!(agents[6], "gitproxy-agent/1.0");
}

#[tokio::test]
async fn every_kind_of_not_found() {
    let sim = start().await;
    let alice = client(&sim, ALICE);
    let repo = alice.repo("PRJ", "service");
    let sha = tip(&sim, "service", "main");
    let absent_sha = "0123456789abcdef0123456789abcdef01234567";
    let cases: Vec<(NotFoundKind, Result<(), Error>)> = vec![
        (
            NotFoundKind::Project,
            alice.project("NOPE").get().await.map(drop),
        ),
        (
            NotFoundKind::Repository,
            alice.repo("PRJ", "nope").get().await.map(drop),
        ),
        (
            NotFoundKind::PullRequest,
            repo.pull_requests().get(42).await.map(drop),
        ),
        (
            NotFoundKind::Path,
            repo.files().raw("no/such/file", None).await.map(drop),
        ),
        (
            NotFoundKind::Commit,
            repo.commits().get(absent_sha).await.map(drop),
        ),
        (
            NotFoundKind::Branch,
            repo.pull_requests()
                .create(&NewPullRequest::new("x", "no-such-branch", "main"))
                .await
                .map(drop),
        ),
        (
            NotFoundKind::User,
            alice.users().get("nobody").await.map(drop),
        ),
        (
            NotFoundKind::BuildStatus,
            repo.builds().get(&sha, "no-such-key").await.map(drop),
        ),
        (
            NotFoundKind::InsightReport,
            repo.insights()
                .get_report(&sha, "no.such.report")
                .await
                .map(drop),
        ),
        (
            NotFoundKind::Route,
            alice
                .get_json::<Value>(
                    "/api/latest/projects/PRJ/repos/service/no-such-resource",
                    &[],
                )
                .await
                .map(drop),
        ),
    ];
    for (kind, result) in cases {
        match result {
            Err(Error::NotFound {
                kind: found,
                response,
            }) => {
                assert_eq!(found, kind);
                assert_eq!(response.status, StatusCode::NOT_FOUND);
                // Only the router's answer lacks the JSON envelope; it is kept as text.
                if kind == NotFoundKind::Route {
                    assert!(response.errors.is_empty());
                    assert!(response
                        .body
                        .as_deref()
                        .is_some_and(|b| b.contains("<status-code>404")));
                } else {
                    assert!(response.exception_name().is_some());
                }
            }
            other => panic!("expected {kind} not found, got {other:?}"),
        }
    }
    // The comment kind needs an open pull request.
    let pr = repo
        .pull_requests()
        .create(&NewPullRequest::new("Fix", "feature", "main"))
        .await
        .expect("create");
    let comment = repo.pull_request(pr.id).comments().get(99).await;
    assert!(
        matches!(
            comment,
            Err(Error::NotFound {
                kind: NotFoundKind::Comment,
                ..
            })
        ),
        "{comment:?}"
    );
    let listing = repo.pull_request(42).activities().collect_all().await;
    assert!(
        matches!(
            listing,
            Err(Error::NotFound {
                kind: NotFoundKind::PullRequest,
                ..
            })
        ),
        "{listing:?}"
    );
}

#[tokio::test]
async fn rate_limited_with_retry_after() {
    let sim = start().await;
    sim.faults().set_user_rate_limit(
        "alice",
        Some(RateLimit::new(2, 0.25).expect("a valid rate limit")),
    );
    let alice = no_retries(&sim, ALICE);
    let repo = alice.repo("PRJ", "service");
    repo.get().await.expect("first");
    repo.get().await.expect("second");
    let err = repo.get().await.expect_err("the bucket is empty");
    match &err {
        Error::RateLimited {
            retry_after,
            response,
        } => {
            // An empty bucket refilled at 0.25/s: about 4 s to the next token (less if the
            // machine was slow between the requests).
            assert!(
                retry_after.is_some_and(|d| (1..=4).contains(&d.as_secs())),
                "{retry_after:?}"
            );
            assert_eq!(response.status, StatusCode::TOO_MANY_REQUESTS);
            // The 429 body is plain text, kept as a snippet.
            assert!(response.errors.is_empty());
            assert!(response
                .body
                .as_deref()
                .is_some_and(|b| b.contains("rate limited")));
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
    assert!(err.is_retryable());
    let after = err.retry_after().expect("Retry-After");
    assert!(
        err.to_string()
            .contains(&format!("(retry after {}s)", after.as_secs())),
        "{err}"
    );
    // The bucket is per user: bob is not limited.
    client(&sim, BOB)
        .repo("PRJ", "service")
        .get()
        .await
        .expect("bob has his own bucket");
    let statuses: Vec<u16> = rest_log(&sim).iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 200, 429, 200]);
}

#[tokio::test]
async fn server_errors_dropped_connections_and_timeouts() {
    let sim = start().await;
    let alice = no_retries(&sim, ALICE);
    let repo = alice.repo("PRJ", "service");

    sim.faults().fail_next(1, 500, None);
    let err = repo.get().await.expect_err("500");
    assert!(matches!(err, Error::Server { .. }), "{err:?}");
    assert!(!err.is_retryable());
    assert!(err
        .response()
        .and_then(|r| r.body.as_deref())
        .is_some_and(|b| b.contains("500")));
    sim.faults().fail_next(1, 502, None);
    let err = repo.get().await.expect_err("502");
    assert!(
        matches!(err, Error::Server { .. }) && err.is_retryable(),
        "{err:?}"
    );
    sim.faults().fail_next(1, 503, Some(7));
    let err = repo.get().await.expect_err("503");
    assert!(
        matches!(err, Error::Unavailable { retry_after: Some(after), .. } if after == Duration::from_secs(7)),
        "{err:?}"
    );

    sim.faults().drop_next(1);
    let err = repo.get().await.expect_err("dropped mid-response");
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(err.is_retryable());
    repo.get().await.expect("the next request works");

    sim.faults().set_latency(Some(Duration::from_millis(500)));
    let impatient = builder(&sim, ALICE)
        .retry_policy(RetryPolicy::none())
        .timeout(Duration::from_millis(100))
        .build()
        .expect("client");
    let err = impatient
        .repo("PRJ", "service")
        .get()
        .await
        .expect_err("slow");
    assert!(
        matches!(&err, Error::Timeout { after, .. } if *after == Duration::from_millis(100)),
        "{err:?}"
    );
    assert!(err.is_retryable());
    sim.faults().set_latency(None);

    // Nothing listens on a port just released: a connect error names the target.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let nowhere = Client::builder(format!("http://127.0.0.1:{port}"))
        .retry_policy(RetryPolicy::none())
        .connect_timeout(Duration::from_secs(2))
        .build()
        .expect("client");
    match nowhere.server().properties().await {
        Err(err @ Error::Connect { .. }) => {
            assert!(err.to_string().contains(&format!("127.0.0.1:{port}")));
            assert!(err.is_retryable());
        }
        other => panic!("expected a connect error, got {other:?}"),
    }

    // A success that is not the JSON expected keeps a snippet of the body.
    let err = alice
        .get_json::<Value>("/api/latest/projects/PRJ/repos/service/raw/README.md", &[])
        .await
        .expect_err("raw text is not JSON");
    match err {
        Error::Decode { snippet, .. } => assert_eq!(snippet, "# service"),
        other => panic!("expected a decode error, got {other:?}"),
    }
    let tiny = builder(&sim, ALICE)
        .max_response_bytes(64)
        .build()
        .expect("client");
    let err = tiny
        .repo("PRJ", "service")
        .get()
        .await
        .expect_err("too large");
    assert!(
        matches!(err, Error::ResponseTooLarge { limit: 64, .. }),
        "{err:?}"
    );
    // A file read names its own limit, above or below the client's, and the announced size.
    let readme = tiny.repo("PRJ", "service").files();
    let bytes = readme
        .raw_at_most("README.md", None, 1024)
        .await
        .expect("a file under its own limit is read whatever the client's limit");
    assert_eq!(&bytes[..], b"# service\n");
    let err = readme
        .raw_at_most("README.md", None, 4)
        .await
        .expect_err("over its own limit");
    assert!(
        matches!(
            err,
            Error::ResponseTooLarge {
                limit: 4,
                announced: Some(10),
                ..
            }
        ),
        "{err:?}"
    );
    // Listing errors surface through the stream too.
    sim.faults().fail_next(1, 500, None);
    let listed = repo
        .pull_requests()
        .list(&PullRequestQuery::new())
        .collect_all()
        .await;
    assert!(matches!(listed, Err(Error::Server { .. })), "{listed:?}");
}

#[tokio::test]
async fn the_response_observer_sees_every_attempt_with_its_status() {
    use std::sync::{Arc, Mutex};
    let sim = start().await;
    type Seen = Arc<Mutex<Vec<(Method, Option<u16>)>>>;
    let seen: Seen = Arc::default();
    let sink = seen.clone();
    let observed = builder(&sim, ALICE)
        .on_response(Arc::new(
            move |method: &Method, status: Option<StatusCode>| {
                sink.lock()
                    .expect("observer lock")
                    .push((method.clone(), status.map(|s| s.as_u16())));
            },
        ))
        .build()
        .expect("client");
    assert!(format!("{observed:?}").contains("Client"));
    let repo = observed.repo("PRJ", "service");

    repo.get().await.expect("200");
    assert!(observed.repo("PRJ", "missing").get().await.is_err());
    // A retried 503 is observed per attempt: 503, then the 200 of the retry.
    sim.faults().fail_next(1, 503, None);
    repo.get().await.expect("retried");
    sim.faults().drop_next(1);
    let dropped = Client::builder(base(&sim))
        .credentials(Credentials::bearer(ALICE).expect("token"))
        .retry_policy(RetryPolicy::none())
        .on_response({
            let sink = seen.clone();
            Arc::new(move |method: &Method, status: Option<StatusCode>| {
                sink.lock()
                    .expect("observer lock")
                    .push((method.clone(), status.map(|s| s.as_u16())));
            })
        })
        .build()
        .expect("client");
    assert!(dropped.repo("PRJ", "service").get().await.is_err());

    let seen = seen.lock().expect("observer lock").clone();
    let statuses: Vec<Option<u16>> = seen.iter().map(|(_, s)| *s).collect();
    assert_eq!(
        statuses,
        [Some(200), Some(404), Some(503), Some(200), None],
        "{seen:?}"
    );
    assert!(seen.iter().all(|(m, _)| *m == Method::GET));
}
