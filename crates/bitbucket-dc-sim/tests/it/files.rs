//! Files and commits: raw bytes, browse, file listing, file-edit commits with their 409s, commits and compare.

use http::Method;
use serde_json::Value;

use crate::support::{call, get, repo_path, start, ALICE, BOB};

fn edit(path: &str, fields: &[(&str, &str)]) -> crate::support::Call {
    call(
        Method::PUT,
        &repo_path("service", &format!("browse/{path}")),
    )
    .bearer(ALICE)
    .xsrf()
    .multipart(fields)
}

#[tokio::test]
async fn raw_browse_and_files_read_the_repository() {
    let sim = start().await;
    let raw = get(&repo_path("service", "raw/Cargo.toml"))
        .bearer(BOB)
        .send(&sim)
        .await;
    assert_eq!(raw.status, 200);
    assert_eq!(raw.text(), "[package]\nname = \"service\"\n");
    let at_branch = get(&repo_path(
        "service",
        "raw/README.md?at=refs%2Fheads%2Ffeature",
    ))
    .bearer(BOB)
    .send(&sim)
    .await;
    assert_eq!(at_branch.text(), "# service\n\nfeature work\n");
    let missing = get(&repo_path("service", "raw/nope.txt"))
        .bearer(BOB)
        .send(&sim)
        .await;
    assert_eq!(
        (missing.status, missing.exception().as_str()),
        (404, "com.atlassian.bitbucket.content.NoSuchPathException")
    );

    let file = get(&repo_path("service", "browse/README.md?at=feature"))
        .bearer(BOB)
        .send(&sim)
        .await
        .json();
    let lines: Vec<&str> = file["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .filter_map(|l| l["text"].as_str())
        .collect();
    assert_eq!(lines, vec!["# service", "", "feature work"]);
    assert_eq!(file["isLastPage"], true);
    let paged = get(&repo_path(
        "service",
        "browse/README.md?at=feature&limit=1&start=1",
    ))
    .bearer(BOB)
    .send(&sim)
    .await
    .json();
    assert_eq!(paged["lines"][0]["text"], "");
    assert_eq!(paged["nextPageStart"], 2);

    let root = get(&repo_path("service", "browse"))
        .bearer(BOB)
        .send(&sim)
        .await
        .json();
    let children: Vec<(&str, &str)> = root["children"]["values"]
        .as_array()
        .expect("children")
        .iter()
        .map(|c| {
            (
                c["path"]["toString"].as_str().unwrap_or(""),
                c["type"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        children,
        vec![
            ("src", "DIRECTORY"),
            ("Cargo.toml", "FILE"),
            ("README.md", "FILE")
        ]
    );
    let head = call(Method::HEAD, &repo_path("service", "browse/README.md"))
        .bearer(BOB)
        .send(&sim)
        .await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    let head_missing = call(Method::HEAD, &repo_path("service", "browse/nope"))
        .bearer(BOB)
        .send(&sim)
        .await;
    assert_eq!(head_missing.status, 404);
    let kind = get(&repo_path("service", "browse/src?type=true"))
        .bearer(BOB)
        .send(&sim)
        .await
        .json();
    assert_eq!(kind["type"], "DIRECTORY");
    let size = get(&repo_path("service", "browse/README.md?size=true"))
        .bearer(BOB)
        .send(&sim)
        .await
        .json();
    assert_eq!(size["size"], 10);

    let files = get(&repo_path("service", "files?limit=1000"))
        .bearer(BOB)
        .send(&sim)
        .await
        .json();
    assert_eq!(
        files["values"],
        serde_json::json!(["Cargo.toml", "README.md", "src/main.rs"])
    );
    let sub = get(&repo_path("service", "files/src"))
        .bearer(BOB)
        .send(&sim)
        .await
        .json();
    assert_eq!(sub["values"], serde_json::json!(["main.rs"]));
    let bad_at = get(&repo_path(
        "service",
        "raw/README.md?at=refs%2Fheads%2Fnope",
    ))
    .bearer(BOB)
    .send(&sim)
    .await;
    assert_eq!(bad_at.status, 404);
}

#[tokio::test]
async fn file_edit_creates_a_real_commit_visible_through_raw_and_commits() {
    let sim = start().await;
    let tip = sim.branch_tip("PRJ", "service", "main").expect("main");
    let created = edit(
        "docs/new.md",
        &[
            ("branch", "main"),
            ("content", "hello\n"),
            ("message", "Add docs"),
        ],
    )
    .send(&sim)
    .await;
    assert_eq!(created.status, 200, "{}", created.text());
    let commit = created.json();
    let id = commit["id"].as_str().expect("id").to_owned();
    assert_eq!(commit["message"], "Add docs");
    assert_eq!(commit["author"]["name"], "alice");
    assert_eq!(commit["author"]["emailAddress"], "alice@example.com");
    assert_eq!(commit["parents"][0]["id"], tip.as_str());
    assert_eq!(
        sim.branch_tip("PRJ", "service", "main").as_deref(),
        Some(id.as_str())
    );
    let raw = get(&repo_path("service", "raw/docs/new.md"))
        .bearer(BOB)
        .send(&sim)
        .await;
    assert_eq!(raw.text(), "hello\n");
    let commits = get(&repo_path("service", "commits?until=main&limit=1"))
        .bearer(BOB)
        .send(&sim)
        .await
        .json();
    assert_eq!(commits["values"][0]["id"], id.as_str());
    assert_eq!(commits["isLastPage"], false);
    let by_id = get(&repo_path("service", &format!("commits/{id}")))
        .bearer(BOB)
        .send(&sim)
        .await
        .json();
    assert_eq!(by_id["message"], "Add docs");
    let changes = get(&repo_path("service", &format!("commits/{id}/changes")))
        .bearer(BOB)
        .send(&sim)
        .await
        .json();
    assert_eq!(changes["values"][0]["path"]["toString"], "docs/new.md");
    assert_eq!(changes["values"][0]["type"], "ADD");

    // Updating needs the source commit, refuses identical content and stale sources.
    let exists = edit("docs/new.md", &[("branch", "main"), ("content", "v2\n")])
        .send(&sim)
        .await;
    assert_eq!(exists.status, 409);
    let same = edit(
        "docs/new.md",
        &[
            ("branch", "main"),
            ("content", "hello\n"),
            ("sourceCommitId", &id),
        ],
    )
    .send(&sim)
    .await;
    assert_eq!(
        (same.status, same.exception().as_str()),
        (
            409,
            "com.atlassian.bitbucket.content.FileContentUnmodifiedException"
        )
    );
    let updated = edit(
        "docs/new.md",
        &[
            ("branch", "refs/heads/main"),
            ("content", "v2\n"),
            ("sourceCommitId", &id),
        ],
    )
    .send(&sim)
    .await;
    assert_eq!(updated.status, 200);
    let stale = edit(
        "docs/new.md",
        &[
            ("branch", "main"),
            ("content", "v3\n"),
            ("sourceCommitId", &id),
        ],
    )
    .send(&sim)
    .await;
    assert_eq!(stale.status, 409);
    assert_eq!(
        stale.exception(),
        "com.atlassian.bitbucket.content.FileOutOfDateException"
    );
    // An unrelated file can still be edited from an older source commit.
    let other = edit(
        "Cargo.toml",
        &[
            ("branch", "main"),
            ("content", "[package]\n"),
            ("sourceCommitId", &tip),
        ],
    )
    .send(&sim)
    .await;
    assert_eq!(other.status, 200);

    let history = get(&repo_path("service", "commits?path=docs/new.md"))
        .bearer(BOB)
        .send(&sim)
        .await
        .json();
    assert_eq!(history["size"], 2);
    let since = get(&repo_path("service", &format!("commits?since={tip}")))
        .bearer(BOB)
        .send(&sim)
        .await
        .json();
    assert_eq!(since["size"], 3);
}

#[tokio::test]
async fn file_edit_can_branch_off_and_rejects_json_and_missing_fields() {
    let sim = start().await;
    let branched = edit(
        "fix.txt",
        &[
            ("branch", "fix/one"),
            ("sourceBranch", "main"),
            ("content", "fix\n"),
            ("message", "Fix"),
        ],
    )
    .send(&sim)
    .await;
    assert_eq!(branched.status, 200, "{}", branched.text());
    let main_tip = sim.branch_tip("PRJ", "service", "main").expect("main");
    assert_eq!(branched.json()["parents"][0]["id"], main_tip.as_str());
    assert!(sim.branch_tip("PRJ", "service", "fix/one").is_some());
    let again = edit(
        "fix.txt",
        &[
            ("branch", "fix/one"),
            ("sourceBranch", "main"),
            ("content", "x"),
        ],
    )
    .send(&sim)
    .await;
    assert_eq!(again.status, 409);
    let json = call(Method::PUT, &repo_path("service", "browse/x.txt"))
        .bearer(ALICE)
        .xsrf()
        .json(serde_json::json!({"content": "x", "branch": "main"}))
        .send(&sim)
        .await;
    assert_eq!(json.status, 415);
    let no_branch = edit("x.txt", &[("content", "x")]).send(&sim).await;
    assert_eq!(no_branch.status, 400);
    assert_eq!(no_branch.json()["errors"][0]["context"], "branch");
    let missing_source = edit(
        "x.txt",
        &[("branch", "b2"), ("sourceBranch", "nope"), ("content", "x")],
    )
    .send(&sim)
    .await;
    assert_eq!(missing_source.status, 404);
    let reader = call(Method::PUT, &repo_path("service", "browse/x.txt"))
        .bearer(BOB)
        .xsrf()
        .multipart(&[("branch", "main"), ("content", "x")])
        .send(&sim)
        .await;
    assert_eq!(reader.status, 401);
    let archived = call(Method::PUT, &repo_path("archived", "browse/x.txt"))
        .bearer(ALICE)
        .xsrf()
        .multipart(&[("branch", "main"), ("content", "x")])
        .send(&sim)
        .await;
    assert_eq!(archived.status, 409);
}

#[tokio::test]
async fn the_first_file_of_an_empty_repository_creates_its_default_branch() {
    let sim = start().await;
    let commits = get(&repo_path("empty", "commits"))
        .bearer(ALICE)
        .send(&sim)
        .await
        .json();
    assert_eq!(commits["size"], 0);
    let created = call(Method::PUT, &repo_path("empty", "browse/README.md"))
        .bearer(ALICE)
        .xsrf()
        .multipart(&[("branch", "main"), ("content", "first\n")])
        .send(&sim)
        .await;
    assert_eq!(created.status, 200, "{}", created.text());
    assert_eq!(created.json()["parents"], serde_json::json!([]));
    let legacy = get(&repo_path("empty", "branches/default"))
        .bearer(ALICE)
        .send(&sim)
        .await;
    assert_eq!(legacy.status, 200);
}

#[tokio::test]
async fn commits_by_ref_name_are_refused_and_compare_lists_the_difference() {
    let sim = start().await;
    let by_ref = get(&repo_path("service", "commits/main"))
        .bearer(BOB)
        .send(&sim)
        .await;
    assert_eq!(by_ref.status, 404);
    assert_eq!(
        by_ref.exception(),
        "com.atlassian.bitbucket.commit.NoSuchCommitException"
    );
    let changes = get(&repo_path(
        "service",
        "compare/changes?from=refs%2Fheads%2Ffeature&to=refs%2Fheads%2Fmain",
    ))
    .bearer(BOB)
    .send(&sim)
    .await
    .json();
    let paths: Vec<&str> = changes["values"]
        .as_array()
        .expect("values")
        .iter()
        .filter_map(|c| c["path"]["toString"].as_str())
        .collect();
    assert_eq!(paths, vec!["README.md"]);
    assert_eq!(changes["values"][0]["type"], "MODIFY");
    let commits = get(&repo_path(
        "service",
        "compare/commits?from=feature&to=main",
    ))
    .bearer(BOB)
    .send(&sim)
    .await
    .json();
    assert_eq!(commits["size"], 1);
    assert_eq!(commits["values"][0]["message"], "Changes on feature");
    let first: Value = get(&repo_path(
        "service",
        "commits?until=refs%2Fheads%2Ffeature",
    ))
    .bearer(BOB)
    .send(&sim)
    .await
    .json();
    assert_eq!(first["size"], 2);
}
