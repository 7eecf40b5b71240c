//! Auto-merge: `POST .../merge` with `autoMerge` (403 while the repository's setting is off, a request when a
//! merge check vetoes the merge) and the `auto-merge` resource (get, try, cancel).

use std::time::Duration;

use http::Method;
use serde_json::{json, Value};

use crate::support::{call, get, repo_path, start, ALICE, BOB};

/// A pull request from `clash` to `main` that conflicts (both changed README.md); returns its version.
async fn conflicting_pull_request(sim: &bitbucket_dc_sim::Simulator) -> i64 {
    sim.commit_file(
        "PRJ",
        "service",
        "clash",
        "README.md",
        "clash\n",
        "clash",
        "alice",
    )
    .await
    .expect("commit on clash");
    let created = call(Method::POST, &repo_path("service", "pull-requests"))
        .bearer(ALICE)
        .xsrf()
        .json(json!({
            "title": "Clash",
            "fromRef": {"id": "refs/heads/clash"},
            "toRef": {"id": "refs/heads/main"},
        }))
        .send(sim)
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    sim.commit_file(
        "PRJ",
        "service",
        "main",
        "README.md",
        "main moved\n",
        "move main",
        "alice",
    )
    .await
    .expect("commit on main");
    let pr = sim.pull_request("PRJ", "service", 1).expect("pr");
    pr["version"].as_i64().expect("version")
}

async fn auto_merge(sim: &bitbucket_dc_sim::Simulator, version: i64) -> crate::support::Resp {
    call(
        Method::POST,
        &repo_path(
            "service",
            &format!("pull-requests/1/merge?version={version}"),
        ),
    )
    .bearer(ALICE)
    .xsrf()
    .json(json!({"autoMerge": true}))
    .send(sim)
    .await
}

fn actions(activities: &Value) -> Vec<String> {
    activities["values"]
        .as_array()
        .expect("values")
        .iter()
        .filter_map(|a| a["action"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn auto_merge_is_refused_while_the_repository_setting_is_off() {
    let sim = start().await;
    let version = conflicting_pull_request(&sim).await;
    let refused = auto_merge(&sim, version).await;
    assert_eq!(refused.status, 403, "{}", refused.text());
    let tried = call(
        Method::POST,
        &repo_path("service", "pull-requests/1/auto-merge"),
    )
    .bearer(ALICE)
    .xsrf()
    .send(&sim)
    .await;
    assert_eq!(tried.status, 403);
    let pr = sim.pull_request("PRJ", "service", 1).expect("pr");
    assert_eq!(pr["state"], "OPEN");
}

#[tokio::test]
async fn a_vetoed_auto_merge_registers_a_request_that_merges_once_the_checks_pass() {
    let sim = start().await;
    sim.set_auto_merge("PRJ", "service", true).expect("setting");
    let version = conflicting_pull_request(&sim).await;
    let clash = sim.branch_tip("PRJ", "service", "clash").expect("clash");

    let none = get(&repo_path("service", "pull-requests/1/auto-merge"))
        .bearer(BOB)
        .send(&sim)
        .await;
    assert_eq!(none.status, 204);
    let nothing_to_try = call(
        Method::POST,
        &repo_path("service", "pull-requests/1/auto-merge"),
    )
    .bearer(ALICE)
    .xsrf()
    .send(&sim)
    .await;
    assert_eq!(nothing_to_try.status, 400);

    let registered = auto_merge(&sim, version).await;
    assert_eq!(registered.status, 200, "{}", registered.text());
    let pr = registered.json();
    assert_eq!(pr["state"], "OPEN");
    assert_eq!(
        pr["version"], version,
        "requesting auto-merge keeps the version"
    );
    let request = get(&repo_path("service", "pull-requests/1/auto-merge"))
        .bearer(BOB)
        .send(&sim)
        .await;
    assert_eq!(request.status, 200);
    let request = request.json();
    assert_eq!(request["fromHash"], clash.as_str());
    assert_eq!(request["toRefId"], "refs/heads/main");
    assert_eq!(request["autoSubject"], true);
    assert!(request["createdDate"].is_i64());
    let activities = get(&repo_path("service", "pull-requests/1/activities"))
        .bearer(BOB)
        .send(&sim)
        .await
        .json();
    assert_eq!(actions(&activities)[0], "AUTO_MERGE_REQUESTED");

    let still_vetoed = call(
        Method::POST,
        &repo_path("service", "pull-requests/1/auto-merge"),
    )
    .bearer(ALICE)
    .xsrf()
    .send(&sim)
    .await
    .json();
    assert_eq!(still_vetoed["autoMergeProcessingStatus"], "VETOED");
    assert_eq!(still_vetoed["pullRequest"]["state"], "OPEN");

    // Main goes back to the README the clash branch started from: the conflict is gone, and the target
    // moving makes the simulator try the request again.
    sim.commit_file(
        "PRJ",
        "service",
        "main",
        "README.md",
        "# service\n",
        "revert",
        "alice",
    )
    .await
    .expect("revert main");
    tokio::time::timeout(Duration::from_secs(30), sim.settle_rescopes())
        .await
        .expect("the auto-merge attempt finishes");
    let pr = sim.pull_request("PRJ", "service", 1).expect("pr");
    assert_eq!(pr["state"], "MERGED", "{pr}");
    let after = get(&repo_path("service", "pull-requests/1/auto-merge"))
        .bearer(BOB)
        .send(&sim)
        .await;
    assert_eq!(
        after.status, 204,
        "a merged pull request has no request left"
    );
}

#[tokio::test]
async fn auto_merge_requests_can_be_cancelled_and_new_source_commits_void_them() {
    let sim = start().await;
    sim.set_auto_merge("PRJ", "service", true).expect("setting");
    let version = conflicting_pull_request(&sim).await;
    assert_eq!(auto_merge(&sim, version).await.status, 200);
    let cancelled = call(
        Method::DELETE,
        &repo_path("service", "pull-requests/1/auto-merge"),
    )
    .bearer(ALICE)
    .xsrf()
    .json(json!({}))
    .send(&sim)
    .await;
    assert_eq!(cancelled.status, 204, "{}", cancelled.text());
    let gone = get(&repo_path("service", "pull-requests/1/auto-merge"))
        .bearer(BOB)
        .send(&sim)
        .await;
    assert_eq!(gone.status, 204);

    assert_eq!(auto_merge(&sim, version).await.status, 200);
    sim.commit_file(
        "PRJ", "service", "clash", "more.txt", "more\n", "more", "alice",
    )
    .await
    .expect("push to the source");
    let gone = get(&repo_path("service", "pull-requests/1/auto-merge"))
        .bearer(BOB)
        .send(&sim)
        .await;
    assert_eq!(gone.status, 204, "new source commits void the request");
    let activities = get(&repo_path("service", "pull-requests/1/activities"))
        .bearer(BOB)
        .send(&sim)
        .await
        .json();
    let actions = actions(&activities);
    assert_eq!(actions[0], "AUTO_MERGE_CANCELLED", "{actions:?}");
    assert!(
        actions
            .iter()
            .filter(|a| *a == "AUTO_MERGE_CANCELLED")
            .count()
            == 2
    );
}

#[tokio::test]
async fn auto_merge_merges_at_once_when_nothing_vetoes() {
    let sim = start().await;
    sim.set_auto_merge("PRJ", "service", true).expect("setting");
    let created = call(Method::POST, &repo_path("service", "pull-requests"))
        .bearer(ALICE)
        .xsrf()
        .json(json!({
            "title": "Feature",
            "fromRef": {"id": "refs/heads/feature"},
            "toRef": {"id": "refs/heads/main"},
        }))
        .send(&sim)
        .await;
    assert_eq!(created.status, 201);
    let merged = auto_merge(&sim, 0).await;
    assert_eq!(merged.status, 200, "{}", merged.text());
    assert_eq!(merged.json()["state"], "MERGED");
}
