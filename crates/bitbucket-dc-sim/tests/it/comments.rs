//! Pull request comments and tasks: general, reply, anchored, versions, deletion rules, blocker comments.

use http::Method;
use serde_json::json;

use crate::support::{call, get, repo_path, start, ALICE, BOB};

async fn open_pr(sim: &bitbucket_dc_sim::Simulator) {
    let created = call(Method::POST, &repo_path("service", "pull-requests"))
        .bearer(ALICE)
        .xsrf()
        .json(json!({"title": "t", "fromRef": {"id": "refs/heads/feature"}, "toRef": {"id": "refs/heads/main"}}))
        .send(sim)
        .await;
    assert_eq!(created.status, 201);
}

fn comments() -> String {
    repo_path("service", "pull-requests/1/comments")
}

#[tokio::test]
async fn comments_reply_anchor_update_and_delete_with_versions() {
    let sim = start().await;
    open_pr(&sim).await;
    let general = call(Method::POST, &comments())
        .bearer(ALICE)
        .xsrf()
        .json(json!({"text": "### Summary\n\nbody"}))
        .send(&sim)
        .await;
    assert_eq!(general.status, 201);
    let general = general.json();
    assert_eq!(general["version"], 0);
    assert_eq!(general["author"]["name"], "alice");
    assert_eq!(general["severity"], "NORMAL");
    let id = general["id"].as_u64().expect("id");

    let reply = call(Method::POST, &comments())
        .bearer(BOB)
        .xsrf()
        .json(json!({"text": "thanks", "parent": {"id": id}}))
        .send(&sim)
        .await;
    assert_eq!(reply.status, 201);
    let reply_id = reply.json()["id"].as_u64().expect("id");
    let anchored = call(Method::POST, &comments())
        .bearer(ALICE)
        .xsrf()
        .json(json!({"text": "bump this", "anchor": {"path": "README.md", "line": 3, "lineType": "ADDED", "fileType": "TO", "diffType": "EFFECTIVE"}}))
        .send(&sim)
        .await;
    assert_eq!(anchored.status, 201, "{}", anchored.text());
    assert_eq!(anchored.json()["anchor"]["path"], "README.md");
    assert_eq!(anchored.json()["anchor"]["line"], 3);
    let by_path = get(&format!("{}?path=README.md", comments()))
        .bearer(BOB)
        .send(&sim)
        .await
        .json();
    assert_eq!(by_path["size"], 1);
    assert_eq!(get(&comments()).bearer(BOB).send(&sim).await.status, 400);

    let fetched = get(&format!("{}/{id}", comments()))
        .bearer(BOB)
        .send(&sim)
        .await
        .json();
    assert_eq!(fetched["comments"][0]["id"], reply_id);

    let activities = get(&repo_path("service", "pull-requests/1/activities"))
        .bearer(BOB)
        .send(&sim)
        .await
        .json();
    let commented: Vec<(&str, u64)> = activities["values"]
        .as_array()
        .expect("values")
        .iter()
        .filter(|a| a["action"] == "COMMENTED")
        .map(|a| {
            (
                a["commentAction"].as_str().unwrap_or(""),
                a["comment"]["id"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        commented,
        vec![("ADDED", id + 2), ("REPLIED", reply_id), ("ADDED", id)]
    );

    let path = format!("{}/{id}", comments());
    let stale = call(Method::PUT, &path)
        .bearer(ALICE)
        .xsrf()
        .json(json!({"version": 5, "text": "x"}))
        .send(&sim)
        .await;
    assert_eq!(
        (stale.status, stale.exception().as_str()),
        (
            409,
            "com.atlassian.bitbucket.comment.CommentOutOfDateException"
        )
    );
    let not_author = call(Method::PUT, &path)
        .bearer(BOB)
        .xsrf()
        .json(json!({"version": 0, "text": "hijack"}))
        .send(&sim)
        .await;
    assert_eq!(not_author.status, 401);
    let updated = call(Method::PUT, &path)
        .bearer(ALICE)
        .xsrf()
        .json(json!({"version": 0, "text": "### Summary\n\nnew"}))
        .send(&sim)
        .await;
    assert_eq!(updated.status, 200);
    assert_eq!(updated.json()["version"], 1);

    let with_replies = call(Method::DELETE, &format!("{path}?version=1"))
        .bearer(ALICE)
        .xsrf()
        .send(&sim)
        .await;
    assert_eq!(with_replies.status, 409);
    let reply_path = format!("{}/{reply_id}", comments());
    let stale_delete = call(Method::DELETE, &format!("{reply_path}?version=3"))
        .bearer(BOB)
        .xsrf()
        .send(&sim)
        .await;
    assert_eq!(stale_delete.status, 409);
    let deleted = call(Method::DELETE, &format!("{reply_path}?version=0"))
        .bearer(BOB)
        .xsrf()
        .send(&sim)
        .await;
    assert_eq!(deleted.status, 204);
    assert_eq!(
        call(Method::DELETE, &format!("{path}?version=1"))
            .bearer(ALICE)
            .xsrf()
            .send(&sim)
            .await
            .status,
        204
    );
    assert_eq!(get(&path).bearer(BOB).send(&sim).await.status, 404);
}

#[tokio::test]
async fn blocker_comments_are_tasks() {
    let sim = start().await;
    open_pr(&sim).await;
    let base = repo_path("service", "pull-requests/1/blocker-comments");
    let task = call(Method::POST, &base)
        .bearer(ALICE)
        .xsrf()
        .json(json!({"text": "update the lockfile"}))
        .send(&sim)
        .await;
    assert_eq!(task.status, 201);
    assert_eq!(task.json()["severity"], "BLOCKER");
    let id = task.json()["id"].as_u64().expect("id");
    call(Method::POST, &comments())
        .bearer(ALICE)
        .xsrf()
        .json(json!({"text": "plain"}))
        .send(&sim)
        .await;
    let list = get(&base).bearer(BOB).send(&sim).await.json();
    assert_eq!(list["size"], 1);
    let resolved = call(Method::PUT, &format!("{base}/{id}"))
        .bearer(BOB)
        .xsrf()
        .json(json!({"version": 0, "state": "RESOLVED"}))
        .send(&sim)
        .await;
    assert_eq!(resolved.status, 200);
    assert_eq!(resolved.json()["state"], "RESOLVED");
    let open = get(&format!("{base}?states=OPEN"))
        .bearer(BOB)
        .send(&sim)
        .await
        .json();
    assert_eq!(open["size"], 0);
    let pr = sim.pull_request("PRJ", "service", 1).expect("pr");
    assert_eq!(pr["properties"]["resolvedTaskCount"], 1);
    assert_eq!(
        call(Method::DELETE, &format!("{base}/{id}?version=1"))
            .bearer(ALICE)
            .xsrf()
            .send(&sim)
            .await
            .status,
        204
    );
}
