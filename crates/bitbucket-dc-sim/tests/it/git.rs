//! Git smart HTTP over `/scm`: clone with Bearer and Basic, push visible through REST, permission checks.

use http::Method;
use serde_json::json;

use crate::support::{call, get, git, git_output, repo_path, start, ALICE, BOB, CAROL};

fn basic_url(sim: &bitbucket_dc_sim::Simulator, user: &str, token: &str, repo: &str) -> String {
    let mut url = sim.clone_url("PRJ", repo);
    url.set_username(user).expect("user");
    url.set_password(Some(token)).expect("password");
    url.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clone_with_bearer_and_basic_then_push_is_visible_through_rest() {
    let sim = start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let bearer_url = sim.clone_url("PRJ", "service").to_string();
    let header = format!("http.extraHeader=Authorization: Bearer {ALICE}");
    let root = dir.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        git(
            &root,
            &["-c", &header, "clone", "--quiet", &bearer_url, "bearer"],
        );
        git(&root.join("bearer"), &["log", "-1", "--format=%H"])
    })
    .await
    .expect("join");
    assert_eq!(Some(out), sim.branch_tip("PRJ", "service", "main"));
    let readme = std::fs::read_to_string(dir.path().join("bearer/README.md")).expect("readme");
    assert_eq!(readme, "# service\n");

    let basic = basic_url(&sim, "alice", ALICE, "service");
    let root = dir.path().to_path_buf();
    let pushed = tokio::task::spawn_blocking(move || {
        git(&root, &["clone", "--quiet", &basic, "basic"]);
        let work = root.join("basic");
        git(&work, &["checkout", "--quiet", "-b", "push/one"]);
        std::fs::write(work.join("pushed.txt"), "from git\n").expect("write");
        git(&work, &["add", "pushed.txt"]);
        git(&work, &["commit", "--quiet", "-m", "Pushed over HTTP"]);
        git(&work, &["push", "--quiet", "origin", "push/one"]);
        git(&work, &["rev-parse", "HEAD"])
    })
    .await
    .expect("join");
    // Visible through REST as soon as the push returns.
    let branches = get(&repo_path("service", "branches?filterText=push/one"))
        .bearer(BOB)
        .send(&sim)
        .await
        .json();
    assert_eq!(branches["values"][0]["latestCommit"], pushed.as_str());
    let raw = get(&repo_path(
        "service",
        "raw/pushed.txt?at=refs%2Fheads%2Fpush%2Fone",
    ))
    .bearer(BOB)
    .send(&sim)
    .await;
    assert_eq!(raw.text(), "from git\n");
    let commit = get(&repo_path("service", &format!("commits/{pushed}")))
        .bearer(BOB)
        .send(&sim)
        .await
        .json();
    assert_eq!(commit["message"], "Pushed over HTTP");
    let pr = call(Method::POST, &repo_path("service", "pull-requests"))
        .bearer(ALICE)
        .xsrf()
        .json(json!({"title": "pushed", "fromRef": {"id": "refs/heads/push/one"}, "toRef": {"id": "refs/heads/main"}}))
        .send(&sim)
        .await;
    assert_eq!(pr.status, 201);
    let logged: Vec<String> = sim
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/scm/"))
        .filter_map(|r| r.user.clone())
        .collect();
    assert!(logged.iter().all(|u| u == "alice") && !logged.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn git_checks_read_and_write_permissions() {
    let sim = start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let reader = basic_url(&sim, "bob", BOB, "service");
    let stranger = basic_url(&sim, "carol", CAROL, "service");
    let anonymous = sim.clone_url("PRJ", "service").to_string();
    let wrong = basic_url(&sim, "bob", "wrong", "service");
    let root = dir.path().to_path_buf();
    let (denied, anon, bad, push) = tokio::task::spawn_blocking(move || {
        let denied = git_output(&root, &["clone", "--quiet", &stranger, "stranger"]);
        let anon = git_output(&root, &["clone", "--quiet", &anonymous, "anon"]);
        let bad = git_output(&root, &["clone", "--quiet", &wrong, "bad"]);
        git(&root, &["clone", "--quiet", &reader, "reader"]);
        let work = root.join("reader");
        std::fs::write(work.join("x.txt"), "x").expect("write");
        git(&work, &["add", "x.txt"]);
        git(&work, &["commit", "--quiet", "-m", "x"]);
        let push = git_output(&work, &["push", "--quiet", "origin", "HEAD:refs/heads/bob"]);
        (denied, anon, bad, push)
    })
    .await
    .expect("join");
    assert!(!denied.status.success());
    assert!(
        String::from_utf8_lossy(&denied.stderr).contains("403"),
        "{}",
        String::from_utf8_lossy(&denied.stderr)
    );
    assert!(!anon.status.success());
    assert!(!bad.status.success());
    assert!(!push.status.success(), "a reader cannot push");
    assert!(sim.branch_tip("PRJ", "service", "bob").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushing_to_an_empty_repository_creates_it() {
    let sim = start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let url = basic_url(&sim, "alice", ALICE, "empty");
    let root = dir.path().to_path_buf();
    let head = tokio::task::spawn_blocking(move || {
        let work = root.join("work");
        std::fs::create_dir_all(&work).expect("mkdir");
        git(&work, &["init", "--quiet", "-b", "main"]);
        std::fs::write(work.join("a.txt"), "a\n").expect("write");
        git(&work, &["add", "a.txt"]);
        git(&work, &["commit", "--quiet", "-m", "first"]);
        git(&work, &["push", "--quiet", &url, "main"]);
        git(&work, &["rev-parse", "HEAD"])
    })
    .await
    .expect("join");
    let legacy = get(&repo_path("empty", "branches/default"))
        .bearer(ALICE)
        .send(&sim)
        .await
        .json();
    assert_eq!(legacy["latestCommit"], head.as_str());
}
