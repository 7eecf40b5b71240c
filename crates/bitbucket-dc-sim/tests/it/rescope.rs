//! Rescoping and merge bookkeeping the way the real server reports them: a merged pull request keeps the
//! target's pre-merge tip, RESCOPED activities list only the pull request's own commits, and the optional
//! rescope delay makes rescoping asynchronous (with the 409s clients meet meanwhile).

use std::time::Duration;

use bitbucket_dc_sim::Simulator;
use http::Method;
use serde_json::{json, Value};

use crate::support::{call, get, repo_path, seed, start, ALICE};

async fn open(sim: &Simulator, from: &str, to: &str) -> Value {
    let created = call(Method::POST, &repo_path("service", "pull-requests"))
        .bearer(ALICE)
        .xsrf()
        .json(json!({
            "title": format!("{from} into {to}"),
            "fromRef": {"id": format!("refs/heads/{from}")},
            "toRef": {"id": format!("refs/heads/{to}")},
        }))
        .send(sim)
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    created.json()
}

async fn pr(sim: &Simulator, id: u64) -> Value {
    get(&repo_path("service", &format!("pull-requests/{id}")))
        .bearer(ALICE)
        .send(sim)
        .await
        .json()
}

#[tokio::test]
async fn a_merged_pull_request_keeps_the_targets_pre_merge_tip() {
    let sim = start().await;
    open(&sim, "feature", "main").await;
    let main_before = sim.branch_tip("PRJ", "service", "main").expect("main");
    let merged = call(
        Method::POST,
        &repo_path("service", "pull-requests/1/merge?version=0"),
    )
    .bearer(ALICE)
    .xsrf()
    .send(&sim)
    .await;
    assert_eq!(merged.status, 200, "{}", merged.text());
    let main_after = sim.branch_tip("PRJ", "service", "main").expect("main");
    assert_ne!(main_after, main_before);
    assert_eq!(merged.json()["toRef"]["latestCommit"], main_before.as_str());
    let again = pr(&sim, 1).await;
    assert_eq!(again["state"], "MERGED");
    assert_eq!(again["toRef"]["latestCommit"], main_before.as_str());
    // With the pre-merge tip the merged pull request still lists its own commit.
    let commits = get(&repo_path("service", "pull-requests/1/commits"))
        .bearer(ALICE)
        .send(&sim)
        .await
        .json();
    assert_eq!(commits["size"], 1, "{commits}");
}

#[tokio::test]
async fn rescope_activities_list_only_the_pull_requests_own_commits() {
    let sim = start().await;
    open(&sim, "feature", "main").await;
    let target_commit = sim
        .commit_file(
            "PRJ",
            "service",
            "main",
            "m.txt",
            "m\n",
            "main work",
            "alice",
        )
        .await
        .expect("commit on main");
    // Bring main into feature with a merge commit (a pull request from main to feature, merged).
    open(&sim, "main", "feature").await;
    sim.merge_pull_request("PRJ", "service", 2, "alice")
        .await
        .expect("merge main into feature");
    let feature = sim
        .branch_tip("PRJ", "service", "feature")
        .expect("feature");
    let activities = get(&repo_path("service", "pull-requests/1/activities"))
        .bearer(ALICE)
        .send(&sim)
        .await
        .json();
    let rescoped = activities["values"]
        .as_array()
        .expect("values")
        .iter()
        .find(|a| a["action"] == "RESCOPED" && a["fromHash"] == feature.as_str())
        .cloned()
        .expect("a RESCOPED activity for the merge into feature");
    let added: Vec<&str> = rescoped["added"]["commits"]
        .as_array()
        .expect("added")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert_eq!(added, vec![feature.as_str()], "{rescoped}");
    assert_eq!(rescoped["added"]["total"], 1);
    assert!(!added.contains(&target_commit.as_str()));
    assert_eq!(rescoped["removed"]["total"], 0);
}

#[tokio::test]
async fn a_rescope_delay_makes_rescoping_asynchronous() {
    let sim = seed()
        .rescope_delay(Duration::from_millis(200))
        .start()
        .await
        .expect("simulator starts");
    let created = open(&sim, "feature", "main").await;
    let old_tip = created["fromRef"]["latestCommit"]
        .as_str()
        .expect("tip")
        .to_owned();
    let new_tip = sim
        .commit_file("PRJ", "service", "feature", "x.txt", "x\n", "more", "alice")
        .await
        .expect("push");
    // The branch moved at once; the pull request has not been rescoped yet.
    assert_eq!(
        sim.branch_tip("PRJ", "service", "feature").as_deref(),
        Some(new_tip.as_str())
    );
    let stale = pr(&sim, 1).await;
    assert_eq!(stale["fromRef"]["latestCommit"], old_tip.as_str());
    assert_eq!(stale["version"], 0);

    tokio::time::timeout(Duration::from_secs(30), sim.settle_rescopes())
        .await
        .expect("the rescope lands");
    let fresh = pr(&sim, 1).await;
    assert_eq!(fresh["fromRef"]["latestCommit"], new_tip.as_str());
    assert_eq!(fresh["version"], 1);

    // A client acting on the version it read before the rescope landed meets a 409.
    let update = call(Method::PUT, &repo_path("service", "pull-requests/1"))
        .bearer(ALICE)
        .xsrf()
        .json(json!({"version": 0, "title": "renamed"}))
        .send(&sim)
        .await;
    assert_eq!(update.status, 409, "{}", update.text());
    assert_eq!(update.json()["errors"][0]["currentVersion"], 1);
}
