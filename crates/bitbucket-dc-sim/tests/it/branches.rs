//! Branches: list/filter, create through both APIs, delete with branch-utils semantics, default branch.

use http::Method;
use serde_json::json;

use crate::support::{call, get, repo_path, start, ALICE, BOB};

fn utils() -> String {
    "rest/branch-utils/1.0/projects/PRJ/repos/service/branches".to_owned()
}

#[tokio::test]
async fn branches_list_filters_and_boosts_exact_matches() {
    let sim = start().await;
    let all = get(&repo_path("service", "branches"))
        .bearer(BOB)
        .send(&sim)
        .await
        .json();
    let names: Vec<&str> = all["values"]
        .as_array()
        .expect("values")
        .iter()
        .filter_map(|b| b["displayId"].as_str())
        .collect();
    assert_eq!(names, vec!["feature", "main", "same-as-main"]);
    let main = &all["values"][1];
    assert_eq!(main["id"], "refs/heads/main");
    assert_eq!(main["isDefault"], true);
    assert_eq!(main["type"], "BRANCH");
    let filtered = get(&repo_path(
        "service",
        "branches?filterText=MAIN&boostMatches=true",
    ))
    .bearer(BOB)
    .send(&sim)
    .await
    .json();
    let names: Vec<&str> = filtered["values"]
        .as_array()
        .expect("values")
        .iter()
        .filter_map(|b| b["displayId"].as_str())
        .collect();
    assert_eq!(names, vec!["main", "same-as-main"]);
}

#[tokio::test]
async fn create_and_delete_branches_with_their_error_codes() {
    let sim = start().await;
    let main = sim.branch_tip("PRJ", "service", "main").expect("main");
    let created = call(Method::POST, &utils())
        .bearer(ALICE)
        .xsrf()
        .json(json!({"name": "release/1.0", "startPoint": "refs/heads/main"}))
        .send(&sim)
        .await;
    assert_eq!(created.status, 201);
    assert_eq!(created.json()["latestCommit"], main.as_str());
    let core = call(Method::POST, &repo_path("service", "branches"))
        .bearer(ALICE)
        .xsrf()
        .json(json!({"name": "core", "startPoint": main}))
        .send(&sim)
        .await;
    assert_eq!(core.status, 200);
    let exists = call(Method::POST, &utils())
        .bearer(ALICE)
        .xsrf()
        .json(json!({"name": "core", "startPoint": "main"}))
        .send(&sim)
        .await;
    assert_eq!(exists.status, 400);
    let invalid = call(Method::POST, &utils())
        .bearer(ALICE)
        .xsrf()
        .json(json!({"name": "bad..name", "startPoint": "main"}))
        .send(&sim)
        .await;
    assert_eq!(invalid.status, 400);
    let overlap = call(Method::POST, &utils())
        .bearer(ALICE)
        .xsrf()
        .json(json!({"name": "release", "startPoint": "main"}))
        .send(&sim)
        .await;
    assert_eq!(overlap.status, 409);
    let overlap_child = call(Method::POST, &utils())
        .bearer(ALICE)
        .xsrf()
        .json(json!({"name": "core/child", "startPoint": "main"}))
        .send(&sim)
        .await;
    assert_eq!(overlap_child.status, 409);
    let reader = call(Method::POST, &utils())
        .bearer(BOB)
        .xsrf()
        .json(json!({"name": "x", "startPoint": "main"}))
        .send(&sim)
        .await;
    assert_eq!(reader.status, 401);

    let wrong_end = call(Method::DELETE, &utils()).bearer(ALICE).xsrf().json(json!({"name": "refs/heads/core", "endPoint": "0123456789012345678901234567890123456789"})).send(&sim).await;
    assert_eq!(wrong_end.status, 400);
    let dry = call(Method::DELETE, &utils())
        .bearer(ALICE)
        .xsrf()
        .json(json!({"name": "refs/heads/core", "dryRun": true}))
        .send(&sim)
        .await;
    assert_eq!(dry.status, 204);
    assert!(sim.branch_tip("PRJ", "service", "core").is_some());
    let deleted = call(Method::DELETE, &utils())
        .bearer(ALICE)
        .xsrf()
        .json(json!({"name": "refs/heads/core", "endPoint": main}))
        .send(&sim)
        .await;
    assert_eq!(deleted.status, 204);
    assert!(sim.branch_tip("PRJ", "service", "core").is_none());
    let absent = call(Method::DELETE, &utils())
        .bearer(ALICE)
        .xsrf()
        .json(json!({"name": "never-existed"}))
        .send(&sim)
        .await;
    assert_eq!(absent.status, 204);
    let default = call(Method::DELETE, &utils())
        .bearer(ALICE)
        .xsrf()
        .json(json!({"name": "main"}))
        .send(&sim)
        .await;
    assert_eq!(default.status, 400);
    let no_body_xsrf = call(Method::DELETE, &utils())
        .bearer(ALICE)
        .send(&sim)
        .await;
    assert_eq!(no_body_xsrf.status, 403);
}

#[tokio::test]
async fn default_branch_can_be_changed_by_an_admin() {
    let sim = start().await;
    let path = repo_path("service", "default-branch");
    let denied = call(Method::PUT, &path)
        .bearer(ALICE)
        .xsrf()
        .json(json!({"id": "refs/heads/feature"}))
        .send(&sim)
        .await;
    assert_eq!(denied.status, 401);
    let changed = call(Method::PUT, &path)
        .bearer("admin-token")
        .xsrf()
        .json(json!({"id": "refs/heads/feature"}))
        .send(&sim)
        .await;
    assert_eq!(changed.status, 204);
    let now = get(&path).bearer(ALICE).send(&sim).await.json();
    assert_eq!(now["displayId"], "feature");
    let raw = get(&repo_path("service", "raw/README.md"))
        .bearer(ALICE)
        .send(&sim)
        .await;
    assert_eq!(raw.text(), "# service\n\nfeature work\n");
}
