//! Build statuses (repository-scoped and legacy, with stats) and Code Insights reports and annotations.

use http::Method;
use serde_json::json;

use crate::support::{call, get, repo_path, start, ALICE, BOB};

#[tokio::test]
async fn repository_scoped_builds_upsert_by_key_and_validate() {
    let sim = start().await;
    let sha = sim.branch_tip("PRJ", "service", "feature").expect("tip");
    let path = repo_path("service", &format!("commits/{sha}/builds"));
    let post = |body: serde_json::Value| call(Method::POST, &path).bearer(BOB).xsrf().json(body);
    let ok = post(json!({"key": "ci", "state": "INPROGRESS", "url": "https://ci.example/1", "ref": "refs/heads/feature"})).send(&sim).await;
    assert_eq!(ok.status, 204, "{}", ok.text());
    let again = post(
        json!({"key": "ci", "state": "SUCCESSFUL", "url": "https://ci.example/1", "name": "CI"}),
    )
    .send(&sim)
    .await;
    assert_eq!(again.status, 204);
    let one = get(&format!("{path}?key=ci"))
        .bearer(BOB)
        .send(&sim)
        .await
        .json();
    assert_eq!(one["state"], "SUCCESSFUL");
    assert_eq!(one["name"], "CI");
    assert_eq!(one["projectKey"], "PRJ");
    assert_eq!(one["repositorySlug"], "service");
    assert_eq!(
        get(&format!("{path}?key=other"))
            .bearer(BOB)
            .send(&sim)
            .await
            .status,
        404
    );
    assert_eq!(get(&path).bearer(BOB).send(&sim).await.status, 400);
    let long_key = "k".repeat(256);
    for (body, context) in [
        (json!({"key": "", "state": "FAILED", "url": "u"}), "key"),
        (
            json!({"key": long_key, "state": "FAILED", "url": "u"}),
            "key",
        ),
        (json!({"key": "k", "state": "GREEN", "url": "u"}), "state"),
        (json!({"key": "k", "state": "FAILED", "url": ""}), "url"),
        (
            json!({"key": "k", "state": "FAILED", "url": "u".repeat(451)}),
            "url",
        ),
        (
            json!({"key": "k", "state": "FAILED", "url": "u", "ref": "feature"}),
            "ref",
        ),
    ] {
        let bad = post(body).send(&sim).await;
        assert_eq!(bad.status, 400);
        assert_eq!(bad.json()["errors"][0]["context"], context);
    }
    let unknown = call(
        Method::POST,
        &repo_path(
            "service",
            "commits/0123456789012345678901234567890123456789/builds",
        ),
    )
    .bearer(BOB)
    .xsrf()
    .json(json!({"key": "k", "state": "FAILED", "url": "u"}))
    .send(&sim)
    .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(
        call(Method::DELETE, &format!("{path}?key=ci"))
            .bearer(BOB)
            .xsrf()
            .send(&sim)
            .await
            .status,
        401
    );
    assert_eq!(
        call(Method::DELETE, &format!("{path}?key=ci"))
            .bearer("admin-token")
            .xsrf()
            .send(&sim)
            .await
            .status,
        204
    );
}

#[tokio::test]
async fn legacy_build_status_and_stats() {
    let sim = start().await;
    let sha = sim.branch_tip("PRJ", "service", "main").expect("tip");
    let legacy = format!("rest/build-status/1.0/commits/{sha}");
    for (key, state) in [("a", "SUCCESSFUL"), ("b", "FAILED"), ("c", "INPROGRESS")] {
        let posted = call(Method::POST, &legacy)
            .bearer(ALICE)
            .xsrf()
            .json(json!({"key": key, "state": state, "url": format!("https://ci/{key}")}))
            .send(&sim)
            .await;
        assert_eq!(posted.status, 204);
    }
    sim.post_build_status(
        "PRJ",
        "service",
        &sha,
        json!({"key": "d", "state": "SUCCESSFUL", "url": "https://ci/d"}),
    )
    .expect("handle");
    let page = get(&format!("{legacy}?limit=2"))
        .bearer(ALICE)
        .send(&sim)
        .await
        .json();
    assert_eq!(page["size"], 2);
    assert_eq!(page["isLastPage"], false);
    let stats = get(&format!("rest/build-status/1.0/commits/stats/{sha}"))
        .bearer(ALICE)
        .send(&sim)
        .await
        .json();
    assert_eq!(
        stats,
        json!({"successful": 2, "failed": 1, "inProgress": 1, "cancelled": 0, "unknown": 0})
    );
    let many = call(Method::POST, "rest/build-status/1.0/commits/stats")
        .bearer(ALICE)
        .xsrf()
        .json(json!([sha, "0123456789012345678901234567890123456789"]))
        .send(&sim)
        .await
        .json();
    assert_eq!(many.as_object().expect("map").len(), 1);
    assert_eq!(many[&sha]["failed"], 1);
    let short = call(Method::POST, "rest/build-status/1.0/commits/abc123")
        .bearer(ALICE)
        .xsrf()
        .json(json!({"key": "k", "state": "FAILED", "url": "u"}))
        .send(&sim)
        .await;
    assert_eq!(short.status, 400);
    let anonymous = call(Method::POST, &legacy)
        .xsrf()
        .json(json!({"key": "k", "state": "FAILED", "url": "u"}))
        .send(&sim)
        .await;
    assert_eq!(anonymous.status, 401);
    assert_eq!(sim.build_statuses(&sha).len(), 4);
}

#[tokio::test]
async fn insights_reports_and_annotations() {
    let sim = start().await;
    let sha = sim.branch_tip("PRJ", "service", "feature").expect("tip");
    let base = format!("rest/insights/1.0/projects/PRJ/repos/service/commits/{sha}/reports");
    let report = call(Method::PUT, &format!("{base}/com.example.vulns"))
        .bearer(ALICE)
        .xsrf()
        .json(json!({"title": "Vulnerabilities", "result": "FAIL", "reporter": "gitproxy", "data": [{"title": "Critical", "type": "NUMBER", "value": 2}]}))
        .send(&sim)
        .await;
    assert_eq!(report.status, 200, "{}", report.text());
    assert_eq!(report.json()["key"], "com.example.vulns");
    assert_eq!(report.json()["result"], "FAIL");
    let invalid = call(Method::PUT, &format!("{base}/k2"))
        .bearer(ALICE)
        .xsrf()
        .json(json!({"data": []}))
        .send(&sim)
        .await;
    assert_eq!(invalid.status, 400);
    let annotations = format!("{base}/com.example.vulns/annotations");
    let added = call(Method::POST, &annotations)
        .bearer(ALICE)
        .xsrf()
        .json(json!({"annotations": [
            {"message": "time 0.1.45 is vulnerable", "severity": "HIGH", "path": "Cargo.toml", "line": 3, "type": "VULNERABILITY", "externalId": "v1"},
            {"message": "file level", "severity": "LOW"}
        ]}))
        .send(&sim)
        .await;
    assert_eq!(added.status, 204);
    let listed = get(&annotations).bearer(BOB).send(&sim).await.json();
    assert_eq!(listed["annotations"].as_array().map(Vec::len), Some(2));
    assert_eq!(listed["annotations"][0]["reportKey"], "com.example.vulns");
    let too_many: Vec<serde_json::Value> = (0..999)
        .map(|i| json!({"message": format!("m{i}"), "severity": "LOW"}))
        .collect();
    let over = call(Method::POST, &annotations)
        .bearer(ALICE)
        .xsrf()
        .json(json!({"annotations": too_many}))
        .send(&sim)
        .await;
    assert_eq!(over.status, 400, "1001 annotations exceed the limit");
    assert_eq!(
        call(Method::DELETE, &format!("{annotations}?externalId=v1"))
            .bearer(ALICE)
            .xsrf()
            .send(&sim)
            .await
            .status,
        204
    );
    assert_eq!(
        get(&annotations).bearer(BOB).send(&sim).await.json()["annotations"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let reports = get(&base).bearer(BOB).send(&sim).await.json();
    assert_eq!(reports["size"], 1);
    assert_eq!(
        call(Method::DELETE, &format!("{base}/com.example.vulns"))
            .bearer(ALICE)
            .xsrf()
            .send(&sim)
            .await
            .status,
        204
    );
    assert_eq!(
        get(&format!("{base}/com.example.vulns"))
            .bearer(BOB)
            .send(&sim)
            .await
            .status,
        404
    );
}
