//! Pull requests: creation and its conflicts, listing, optimistic locking, state machine, merge over real git,
//! activities, participants and rescoping after pushes.

use http::Method;
use serde_json::{json, Value};

use crate::support::{call, get, repo_path, start, ALICE, BOB};

fn pr_body(from: &str, to: &str) -> Value {
    json!({
        "title": format!("Merge {from}"),
        "description": "Bumps a dependency",
        "fromRef": {"id": format!("refs/heads/{from}"), "repository": {"slug": "service", "project": {"key": "PRJ"}}},
        "toRef": {"id": format!("refs/heads/{to}"), "repository": {"slug": "service", "project": {"key": "PRJ"}}},
    })
}

async fn create(sim: &bitbucket_dc_sim::Simulator, body: Value) -> crate::support::Resp {
    call(Method::POST, &repo_path("service", "pull-requests"))
        .bearer(ALICE)
        .xsrf()
        .json(body)
        .send(sim)
        .await
}

#[tokio::test]
async fn create_answers_201_and_the_four_conflicts() {
    let sim = start().await;
    let created = create(&sim, pr_body("feature", "main")).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let pr = created.json();
    assert_eq!(pr["id"], 1);
    assert_eq!(pr["version"], 0);
    assert_eq!(pr["state"], "OPEN");
    assert_eq!(pr["open"], true);
    assert_eq!(pr["author"]["user"]["name"], "alice");
    assert_eq!(pr["author"]["role"], "AUTHOR");
    assert_eq!(pr["fromRef"]["displayId"], "feature");
    assert_eq!(
        pr["fromRef"]["latestCommit"],
        sim.branch_tip("PRJ", "service", "feature")
            .expect("tip")
            .as_str()
    );
    assert_eq!(pr["toRef"]["repository"]["slug"], "service");

    let duplicate = create(&sim, pr_body("feature", "main")).await;
    assert_eq!(
        (duplicate.status, duplicate.exception().as_str()),
        (
            409,
            "com.atlassian.bitbucket.pull.DuplicatePullRequestException"
        )
    );
    assert_eq!(
        duplicate.json()["errors"][0]["existingPullRequest"]["id"],
        1
    );

    let empty = create(&sim, pr_body("same-as-main", "main")).await;
    assert_eq!(
        (empty.status, empty.exception().as_str()),
        (
            409,
            "com.atlassian.bitbucket.pull.EmptyPullRequestException"
        )
    );

    let same = create(&sim, pr_body("main", "main")).await;
    assert_eq!(same.status, 409);

    let mut with_reviewers = pr_body("feature", "same-as-main");
    with_reviewers["reviewers"] = json!([{"user": {"name": "bob"}}, {"user": {"name": "ghost"}}]);
    let reviewers = create(&sim, with_reviewers).await;
    assert_eq!(
        (reviewers.status, reviewers.exception().as_str()),
        (
            409,
            "com.atlassian.bitbucket.pull.InvalidPullRequestReviewersException"
        )
    );
    let error = &reviewers.json()["errors"][0];
    assert_eq!(error["reviewerErrors"][0]["context"], "ghost");
    assert_eq!(error["validReviewers"][0]["name"], "bob");

    let missing = create(&sim, pr_body("nope", "main")).await;
    assert_eq!(missing.status, 404);
    let no_title = create(
        &sim,
        json!({"fromRef": {"id": "refs/heads/feature"}, "toRef": {"id": "refs/heads/main"}}),
    )
    .await;
    assert_eq!(no_title.status, 400);
    let archived = call(Method::POST, &repo_path("archived", "pull-requests"))
        .bearer(ALICE)
        .xsrf()
        .json(pr_body("main", "x"))
        .send(&sim)
        .await;
    assert_eq!(archived.status, 409);
}

#[tokio::test]
async fn list_filters_by_state_direction_at_and_text() {
    let sim = start().await;
    assert_eq!(create(&sim, pr_body("feature", "main")).await.status, 201);
    sim.commit_file(
        "PRJ",
        "service",
        "other",
        "o.txt",
        "o\n",
        "other work",
        "alice",
    )
    .await
    .expect("commit");
    assert_eq!(create(&sim, pr_body("other", "main")).await.status, 201);
    let ids = |v: Value| -> Vec<u64> {
        v["values"]
            .as_array()
            .expect("values")
            .iter()
            .filter_map(|p| p["id"].as_u64())
            .collect()
    };
    let list = |q: &str| {
        get(&repo_path("service", &format!("pull-requests{q}")))
            .bearer(BOB)
            .send(&sim)
    };
    assert_eq!(ids(list("").await.json()), vec![2, 1]);
    assert_eq!(ids(list("?order=OLDEST").await.json()), vec![1, 2]);
    assert_eq!(
        ids(list("?direction=OUTGOING&at=refs%2Fheads%2Ffeature")
            .await
            .json()),
        vec![1]
    );
    assert_eq!(
        ids(list("?direction=INCOMING&at=refs%2Fheads%2Fmain")
            .await
            .json()),
        vec![2, 1]
    );
    assert!(
        ids(list("?direction=OUTGOING&at=feature").await.json()).is_empty(),
        "at must be fully qualified"
    );
    assert_eq!(ids(list("?filterText=OTHER").await.json()), vec![2]);
    assert_eq!(
        ids(list("?username.1=alice&role.1=AUTHOR").await.json()),
        vec![2, 1]
    );
    sim.decline_pull_request("PRJ", "service", 1, "alice")
        .expect("decline");
    assert_eq!(ids(list("").await.json()), vec![2]);
    assert_eq!(ids(list("?state=DECLINED").await.json()), vec![1]);
    assert_eq!(ids(list("?state=ALL").await.json()), vec![2, 1]);
    assert_eq!(list("?state=WEIRD").await.status, 400);
}

#[tokio::test]
async fn update_needs_the_current_version_and_bumps_it() {
    let sim = start().await;
    create(&sim, pr_body("feature", "main")).await;
    let path = repo_path("service", "pull-requests/1");
    let stale = call(Method::PUT, &path)
        .bearer(ALICE)
        .xsrf()
        .json(json!({"version": 7, "title": "New"}))
        .send(&sim)
        .await;
    assert_eq!(
        (stale.status, stale.exception().as_str()),
        (
            409,
            "com.atlassian.bitbucket.pull.PullRequestOutOfDateException"
        )
    );
    assert_eq!(stale.json()["errors"][0]["currentVersion"], 0);
    assert_eq!(stale.json()["errors"][0]["expectedVersion"], 7);
    let updated = call(Method::PUT, &path)
        .bearer(ALICE)
        .xsrf()
        .json(json!({"version": 0, "title": "New title", "description": "d2", "reviewers": [{"user": {"name": "bob"}}]}))
        .send(&sim)
        .await;
    assert_eq!(updated.status, 200, "{}", updated.text());
    let pr = updated.json();
    assert_eq!(pr["version"], 1);
    assert_eq!(pr["title"], "New title");
    assert_eq!(pr["reviewers"][0]["user"]["name"], "bob");
    assert_eq!(pr["reviewers"][0]["status"], "UNAPPROVED");
    let again = call(Method::PUT, &path)
        .bearer(ALICE)
        .xsrf()
        .json(json!({"version": 0, "title": "x"}))
        .send(&sim)
        .await;
    assert_eq!(again.status, 409);
    let stranger = call(Method::PUT, &path)
        .bearer(BOB)
        .xsrf()
        .json(json!({"version": 1, "title": "mine"}))
        .send(&sim)
        .await;
    assert_eq!(stranger.status, 401);
    let activities = get(&repo_path("service", "pull-requests/1/activities"))
        .bearer(BOB)
        .send(&sim)
        .await
        .json();
    assert_eq!(activities["values"][0]["action"], "UPDATED");
    assert_eq!(activities["values"][0]["addedReviewers"][0]["name"], "bob");
    assert_eq!(activities["values"][1]["action"], "OPENED");
}

#[tokio::test]
async fn decline_reopen_state_machine_with_versions() {
    let sim = start().await;
    create(&sim, pr_body("feature", "main")).await;
    let post = |tail: &str| {
        call(
            Method::POST,
            &repo_path("service", &format!("pull-requests/1/{tail}")),
        )
        .bearer(ALICE)
        .xsrf()
    };
    let stale = post("decline?version=3").send(&sim).await;
    assert_eq!(stale.status, 409);
    let no_version = post("decline").send(&sim).await;
    assert_eq!(
        no_version.exception(),
        "com.atlassian.bitbucket.pull.PullRequestOutOfDateException"
    );
    let reopen_open = post("reopen?version=0").send(&sim).await;
    assert_eq!(
        (reopen_open.status, reopen_open.exception().as_str()),
        (
            409,
            "com.atlassian.bitbucket.pull.IllegalPullRequestStateException"
        )
    );
    let declined = post("decline?version=0").send(&sim).await;
    assert_eq!(declined.status, 200);
    assert_eq!(declined.json()["state"], "DECLINED");
    assert_eq!(declined.json()["version"], 1);
    assert!(declined.json()["closedDate"].is_i64());
    let twice = post("decline?version=1").send(&sim).await;
    assert_eq!(twice.status, 409);
    let can_merge = get(&repo_path("service", "pull-requests/1/merge"))
        .bearer(ALICE)
        .send(&sim)
        .await;
    assert_eq!(can_merge.status, 409);
    let reopened = post("reopen?version=1").send(&sim).await;
    assert_eq!(reopened.json()["state"], "OPEN");
    assert_eq!(reopened.json()["version"], 2);
    let actions: Vec<String> = get(&repo_path("service", "pull-requests/1/activities"))
        .bearer(ALICE)
        .send(&sim)
        .await
        .json()["values"]
        .as_array()
        .expect("values")
        .iter()
        .filter_map(|a| a["action"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(actions, vec!["REOPENED", "DECLINED", "OPENED"]);
}

#[tokio::test]
async fn merge_creates_a_real_merge_commit_on_the_target() {
    let sim = start().await;
    create(&sim, pr_body("feature", "main")).await;
    let main_before = sim.branch_tip("PRJ", "service", "main").expect("main");
    let feature = sim
        .branch_tip("PRJ", "service", "feature")
        .expect("feature");
    let check = get(&repo_path("service", "pull-requests/1/merge"))
        .bearer(BOB)
        .send(&sim)
        .await
        .json();
    assert_eq!(
        check,
        json!({"canMerge": true, "conflicted": false, "outcome": "CLEAN", "vetoes": []})
    );
    let reader = call(
        Method::POST,
        &repo_path("service", "pull-requests/1/merge?version=0"),
    )
    .bearer(BOB)
    .xsrf()
    .send(&sim)
    .await;
    assert_eq!(reader.status, 401);
    let merged = call(
        Method::POST,
        &repo_path("service", "pull-requests/1/merge?version=0"),
    )
    .bearer(ALICE)
    .xsrf()
    .send(&sim)
    .await;
    assert_eq!(merged.status, 200, "{}", merged.text());
    assert_eq!(merged.json()["state"], "MERGED");
    let main_after = sim.branch_tip("PRJ", "service", "main").expect("main");
    assert_ne!(main_after, main_before);
    let commit = get(&repo_path("service", &format!("commits/{main_after}")))
        .bearer(BOB)
        .send(&sim)
        .await
        .json();
    let parents: Vec<&str> = commit["parents"]
        .as_array()
        .expect("parents")
        .iter()
        .filter_map(|p| p["id"].as_str())
        .collect();
    assert_eq!(parents, vec![main_before.as_str(), feature.as_str()]);
    assert!(commit["message"]
        .as_str()
        .expect("message")
        .starts_with("Merge pull request #1 in PRJ/service from feature to main"));
    let raw = get(&repo_path("service", "raw/README.md"))
        .bearer(BOB)
        .send(&sim)
        .await;
    assert_eq!(raw.text(), "# service\n\nfeature work\n");
    let activity = get(&repo_path("service", "pull-requests/1/activities"))
        .bearer(BOB)
        .send(&sim)
        .await
        .json();
    assert_eq!(activity["values"][0]["action"], "MERGED");
    assert_eq!(activity["values"][0]["commit"]["id"], main_after.as_str());
}

#[tokio::test]
async fn merge_strategies_fast_forward_and_squash() {
    let sim = start().await;
    let settings = get(&repo_path("service", "settings/pull-requests"))
        .bearer(BOB)
        .send(&sim)
        .await
        .json();
    assert_eq!(settings["mergeConfig"]["defaultStrategy"]["id"], "no-ff");
    create(&sim, pr_body("feature", "main")).await;
    let feature = sim
        .branch_tip("PRJ", "service", "feature")
        .expect("feature");
    let merge = |version: u64, body: Value| {
        call(
            Method::POST,
            &repo_path(
                "service",
                &format!("pull-requests/1/merge?version={version}"),
            ),
        )
        .bearer(ALICE)
        .xsrf()
        .json(body)
    };
    let unknown = merge(0, json!({"strategyId": "octopus"})).send(&sim).await;
    assert_eq!(unknown.status, 400);
    let ff = merge(0, json!({"strategyId": "ff-only"})).send(&sim).await;
    assert_eq!(ff.status, 200, "{}", ff.text());
    assert_eq!(
        sim.branch_tip("PRJ", "service", "main"),
        Some(feature),
        "fast-forwarded"
    );

    sim.commit_file("PRJ", "service", "sq", "s.txt", "s\n", "squash me", "alice")
        .await
        .expect("commit");
    sim.commit_file(
        "PRJ",
        "service",
        "main",
        "m.txt",
        "m\n",
        "main moves",
        "alice",
    )
    .await
    .expect("commit");
    create(&sim, pr_body("sq", "main")).await;
    let not_ff = call(
        Method::POST,
        &repo_path("service", "pull-requests/2/merge?version=0"),
    )
    .bearer(ALICE)
    .xsrf()
    .json(json!({"strategyId": "ff-only"}))
    .send(&sim)
    .await;
    assert_eq!(
        (not_ff.status, not_ff.exception().as_str()),
        (
            409,
            "com.atlassian.bitbucket.pull.PullRequestMergeVetoedException"
        )
    );
    let main_before = sim.branch_tip("PRJ", "service", "main").expect("main");
    let squashed = call(
        Method::POST,
        &repo_path("service", "pull-requests/2/merge?version=0"),
    )
    .bearer(ALICE)
    .xsrf()
    .json(json!({"strategyId": "squash"}))
    .send(&sim)
    .await;
    assert_eq!(squashed.status, 200, "{}", squashed.text());
    let tip = sim.branch_tip("PRJ", "service", "main").expect("main");
    let commit = get(&repo_path("service", &format!("commits/{tip}")))
        .bearer(BOB)
        .send(&sim)
        .await
        .json();
    assert_eq!(
        commit["parents"],
        json!([{"id": main_before, "displayId": &main_before[..11]}])
    );
    assert_eq!(
        get(&repo_path("service", "raw/s.txt"))
            .bearer(BOB)
            .send(&sim)
            .await
            .text(),
        "s\n"
    );
}

#[tokio::test]
async fn conflicting_pull_requests_cannot_merge() {
    let sim = start().await;
    sim.commit_file(
        "PRJ",
        "service",
        "clash",
        "README.md",
        "clash branch\n",
        "clash",
        "alice",
    )
    .await
    .expect("commit");
    create(&sim, pr_body("clash", "main")).await;
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
    .expect("commit");
    let pr = sim.pull_request("PRJ", "service", 1).expect("pr");
    assert_eq!(
        pr["version"], 1,
        "the target moved, so the pull request was rescoped"
    );
    let check = get(&repo_path("service", "pull-requests/1/merge"))
        .bearer(ALICE)
        .send(&sim)
        .await
        .json();
    assert_eq!(check["canMerge"], false);
    assert_eq!(check["conflicted"], true);
    assert_eq!(check["outcome"], "CONFLICTED");
    let merge = call(
        Method::POST,
        &repo_path("service", "pull-requests/1/merge?version=1"),
    )
    .bearer(ALICE)
    .xsrf()
    .send(&sim)
    .await;
    assert_eq!(
        (merge.status, merge.exception().as_str()),
        (
            409,
            "com.atlassian.bitbucket.pull.PullRequestMergeVetoedException"
        )
    );
}

#[tokio::test]
async fn pushes_rescope_and_branch_deletion_declines() {
    let sim = start().await;
    create(&sim, pr_body("feature", "main")).await;
    let new_tip = sim
        .commit_file(
            "PRJ",
            "service",
            "feature",
            "more.txt",
            "more\n",
            "more work",
            "bob",
        )
        .await;
    // bob cannot push through REST permissions, but runtime handles act as any user.
    let new_tip = new_tip.expect("commit");
    let pr = get(&repo_path("service", "pull-requests/1"))
        .bearer(ALICE)
        .send(&sim)
        .await
        .json();
    assert_eq!(pr["fromRef"]["latestCommit"], new_tip.as_str());
    assert_eq!(pr["version"], 1);
    let activities = get(&repo_path("service", "pull-requests/1/activities"))
        .bearer(ALICE)
        .send(&sim)
        .await
        .json();
    assert_eq!(activities["values"][0]["action"], "RESCOPED");
    assert_eq!(activities["values"][0]["fromHash"], new_tip.as_str());
    assert_eq!(activities["values"][0]["added"]["total"], 1);
    sim.delete_branch("PRJ", "service", "feature")
        .await
        .expect("delete");
    let pr = get(&repo_path("service", "pull-requests/1"))
        .bearer(ALICE)
        .send(&sim)
        .await
        .json();
    assert_eq!(pr["state"], "DECLINED");
}

#[tokio::test]
async fn participants_can_be_listed_added_and_approve() {
    let sim = start().await;
    create(&sim, pr_body("feature", "main")).await;
    let path = repo_path("service", "pull-requests/1/participants");
    let added = call(Method::POST, &path)
        .bearer(ALICE)
        .xsrf()
        .json(json!({"user": {"name": "bob"}, "role": "REVIEWER"}))
        .send(&sim)
        .await;
    assert_eq!(added.status, 200, "{}", added.text());
    assert_eq!(added.json()["role"], "REVIEWER");
    let author = call(Method::POST, &path)
        .bearer(ALICE)
        .xsrf()
        .json(json!({"user": {"name": "bob"}, "role": "AUTHOR"}))
        .send(&sim)
        .await;
    assert_eq!(author.status, 400);
    let approve = call(Method::PUT, &format!("{path}/bob"))
        .bearer(BOB)
        .xsrf()
        .json(json!({"status": "APPROVED"}))
        .send(&sim)
        .await;
    assert_eq!(approve.status, 200);
    assert_eq!(approve.json()["approved"], true);
    let list = get(&path).bearer(BOB).send(&sim).await.json();
    let roles: Vec<(&str, &str)> = list["values"]
        .as_array()
        .expect("values")
        .iter()
        .map(|p| {
            (
                p["user"]["name"].as_str().unwrap_or(""),
                p["role"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(roles, vec![("alice", "AUTHOR"), ("bob", "REVIEWER")]);
    let pr = sim.pull_request("PRJ", "service", 1).expect("pr");
    assert_eq!(pr["version"], 1);
    assert_eq!(pr["reviewers"][0]["status"], "APPROVED");
}
