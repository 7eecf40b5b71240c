//! Failure switches: rate limiting, latency, injected 5xx, dropped connections, and the request log.

use std::time::{Duration, Instant};

use bitbucket_dc_sim::{AuthScheme, RateLimit};
use http::Method;

use crate::support::{call, get, repo_path, start, ALICE, BOB};

#[tokio::test]
async fn per_user_token_bucket_answers_429_with_retry_after() {
    let sim = start().await;
    sim.faults()
        .set_rate_limit(Some(RateLimit::new(2, 0.25).expect("valid")));
    let path = repo_path("service", "");
    assert_eq!(get(&path).bearer(ALICE).send(&sim).await.status, 200);
    assert_eq!(get(&path).bearer(ALICE).send(&sim).await.status, 200);
    let limited = get(&path).bearer(ALICE).send(&sim).await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.header("retry-after"), Some("4"));
    // Another user has their own bucket; anonymous requests are not limited.
    assert_eq!(get(&path).bearer(BOB).send(&sim).await.status, 200);
    assert_eq!(
        get("rest/api/1.0/application-properties")
            .send(&sim)
            .await
            .status,
        200
    );
    sim.faults().set_user_rate_limit("alice", None);
    assert_eq!(get(&path).bearer(ALICE).send(&sim).await.status, 200);
}

#[tokio::test]
async fn injected_failures_and_latency() {
    let sim = start().await;
    sim.faults().fail_next(2, 503, Some(7));
    let path = repo_path("service", "");
    for _ in 0..2 {
        let failed = get(&path).bearer(ALICE).send(&sim).await;
        assert_eq!(failed.status, 503);
        assert_eq!(failed.header("retry-after"), Some("7"));
    }
    assert_eq!(get(&path).bearer(ALICE).send(&sim).await.status, 200);

    sim.faults().fail_matching("/pull-requests", 500, None);
    let matching = get(&repo_path("service", "pull-requests"))
        .bearer(ALICE)
        .send(&sim)
        .await;
    assert_eq!(matching.status, 500);
    assert_eq!(matching.header("retry-after"), None);
    assert_eq!(get(&path).bearer(ALICE).send(&sim).await.status, 200);
    sim.faults().clear();
    assert_eq!(
        get(&repo_path("service", "pull-requests"))
            .bearer(ALICE)
            .send(&sim)
            .await
            .status,
        200
    );

    sim.faults().set_latency(Some(Duration::from_millis(150)));
    let started = Instant::now();
    assert_eq!(get(&path).bearer(ALICE).send(&sim).await.status, 200);
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "{:?}",
        started.elapsed()
    );
    sim.faults().set_latency(None);
}

#[tokio::test]
async fn dropped_connections_fail_mid_response() {
    let sim = start().await;
    sim.faults().drop_next(1);
    let dropped = get(&repo_path("service", ""))
        .bearer(ALICE)
        .try_send(&sim)
        .await;
    assert!(dropped.is_err(), "the body must be cut off: {dropped:?}");
    assert_eq!(
        get(&repo_path("service", ""))
            .bearer(ALICE)
            .send(&sim)
            .await
            .status,
        200
    );
    sim.faults().drop_matching("/raw/");
    assert!(get(&repo_path("service", "raw/README.md"))
        .bearer(ALICE)
        .try_send(&sim)
        .await
        .is_err());
    assert_eq!(
        get(&repo_path("service", "browse/README.md"))
            .bearer(ALICE)
            .send(&sim)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn request_log_records_method_path_query_user_status_and_headers() {
    let sim = start().await;
    get(&repo_path("service", "branches?filterText=main"))
        .bearer(ALICE)
        .send(&sim)
        .await;
    call(
        Method::POST,
        &repo_path("service", "pull-requests/9/decline?version=0"),
    )
    .basic("bob", BOB)
    .xsrf()
    .send(&sim)
    .await;
    get("rest/api/1.0/application-properties")
        .bearer("wrong")
        .send(&sim)
        .await;
    let log = sim.requests();
    assert_eq!(log.len(), 3);
    assert_eq!(log[0].method, "GET");
    assert_eq!(
        log[0].path,
        "/rest/api/1.0/projects/PRJ/repos/service/branches"
    );
    assert_eq!(log[0].query_param("filterText").as_deref(), Some("main"));
    assert_eq!(log[0].user.as_deref(), Some("alice"));
    assert_eq!(log[0].auth, AuthScheme::Bearer);
    assert_eq!(log[0].status, 200);
    assert!(!log[0].has_xsrf_token());
    assert_eq!(log[1].auth, AuthScheme::Basic);
    assert!(log[1].has_xsrf_token());
    assert_eq!(
        log[1].status, 404,
        "bob reads the repository; pull request 9 does not exist"
    );
    assert_eq!(log[2].user, None);
    assert_eq!(log[2].status, 401);
    assert!(
        log.iter().all(|r| r.header("authorization").is_none()),
        "secrets are not logged"
    );
    sim.request_log().clear();
    assert!(sim.requests().is_empty());
}

#[tokio::test]
async fn admin_endpoints_are_off_unless_the_builder_turns_them_on() {
    let sim = start().await;
    let off = get("_sim/faults").send(&sim).await;
    assert_eq!(off.status, 404);
    let sim = crate::support::seed()
        .admin_endpoints(true)
        .start()
        .await
        .expect("simulator starts");
    let set = call(Method::POST, "_sim/faults")
        .json(serde_json::json!({"failMatching": {"pathContains": "/raw/", "status": 502}}))
        .send(&sim)
        .await;
    assert_eq!(set.status, 200, "{}", set.text());
    let raw = get(&repo_path("service", "raw/README.md"))
        .bearer(ALICE)
        .send(&sim)
        .await;
    assert_eq!(raw.status, 502);
    // Admin calls still answer while faults are on, and are not logged.
    let cleared = call(Method::DELETE, "_sim/faults").send(&sim).await;
    assert_eq!(cleared.status, 200);
    let log = get("_sim/requests").send(&sim).await.json();
    assert_eq!(log["size"], 1, "{log}");
    assert_eq!(log["values"][0]["status"], 502);
}
