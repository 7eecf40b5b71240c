//! Server-wide behaviour: application properties, identity header, auth errors, 404s, paging, XSRF,
//! users, repository search, context paths and lazy seeding of many repositories.

use std::time::{Duration, Instant};

use bitbucket_dc_sim::{Permission, RepoSeed, Simulator, UserSeed};
use http::Method;
use serde_json::json;

use crate::support::{call, get, repo_path, start, ALICE, BOB, CAROL};

#[tokio::test]
async fn application_properties_need_no_auth_and_identify_the_caller() {
    let sim = start().await;
    let anonymous = get("rest/api/1.0/application-properties").send(&sim).await;
    assert_eq!(anonymous.status, 200);
    assert_eq!(anonymous.json()["version"], "9.4.3");
    assert_eq!(
        anonymous.header("content-type"),
        Some("application/json;charset=UTF-8")
    );
    assert_eq!(anonymous.header("x-ausername"), None);
    let alice = get("rest/api/latest/application-properties")
        .bearer(ALICE)
        .send(&sim)
        .await;
    assert_eq!(alice.header("x-ausername"), Some("alice"));
    let basic = get("rest/api/1.0/application-properties")
        .basic("alice", "alice-pw")
        .send(&sim)
        .await;
    assert_eq!(basic.header("x-ausername"), Some("alice"));
}

#[tokio::test]
async fn bad_credentials_and_missing_permissions_are_both_401_with_different_exceptions() {
    let sim = start().await;
    let bad = get(&repo_path("service", ""))
        .bearer("nope")
        .send(&sim)
        .await;
    assert_eq!(bad.status, 401);
    assert_eq!(
        bad.exception(),
        "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException"
    );
    assert_eq!(bad.header("x-ausername"), None);
    let basic_bad = get(&repo_path("service", ""))
        .basic("alice", "wrong")
        .send(&sim)
        .await;
    assert_eq!(basic_bad.status, 401);
    assert_eq!(
        basic_bad.exception(),
        "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException"
    );

    let denied = get(&repo_path("service", ""))
        .bearer(CAROL)
        .send(&sim)
        .await;
    assert_eq!(denied.status, 401);
    assert_eq!(
        denied.exception(),
        "com.atlassian.bitbucket.AuthorisationException"
    );
    assert_eq!(denied.header("x-ausername"), Some("carol"));
    let anonymous = get(&repo_path("service", "")).send(&sim).await;
    assert_eq!(anonymous.status, 401);
    assert_eq!(
        anonymous.exception(),
        "com.atlassian.bitbucket.AuthorisationException"
    );
    // bob reads service but not empty.
    assert_eq!(
        get(&repo_path("service", ""))
            .bearer(BOB)
            .send(&sim)
            .await
            .status,
        200
    );
    assert_eq!(
        get(&repo_path("empty", ""))
            .bearer(BOB)
            .send(&sim)
            .await
            .status,
        401
    );
    // A revoked token becomes a bad credential.
    assert!(sim.revoke_token(BOB));
    let revoked = get(&repo_path("service", "")).bearer(BOB).send(&sim).await;
    assert_eq!(
        revoked.exception(),
        "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException"
    );
}

#[tokio::test]
async fn missing_things_answer_404_with_exception_names_and_unknown_routes_answer_xml() {
    let sim = start().await;
    let project = get("rest/api/1.0/projects/NOPE")
        .bearer(ALICE)
        .send(&sim)
        .await;
    assert_eq!(
        (project.status, project.exception().as_str()),
        (
            404,
            "com.atlassian.bitbucket.project.NoSuchProjectException"
        )
    );
    let repo = get(&repo_path("nope", "")).bearer(ALICE).send(&sim).await;
    assert_eq!(
        (repo.status, repo.exception().as_str()),
        (
            404,
            "com.atlassian.bitbucket.repository.NoSuchRepositoryException"
        )
    );
    assert_eq!(
        repo.json()["errors"][0]["message"],
        "Repository PRJ/nope does not exist."
    );
    let pr = get(&repo_path("service", "pull-requests/99"))
        .bearer(ALICE)
        .send(&sim)
        .await;
    assert_eq!(
        (pr.status, pr.exception().as_str()),
        (
            404,
            "com.atlassian.bitbucket.pull.NoSuchPullRequestException"
        )
    );
    let commit = get(&repo_path(
        "service",
        "commits/0123456789abcdef0123456789abcdef01234567",
    ))
    .bearer(ALICE)
    .send(&sim)
    .await;
    assert_eq!(
        (commit.status, commit.exception().as_str()),
        (404, "com.atlassian.bitbucket.commit.NoSuchCommitException")
    );
    let unknown = get("rest/api/1.0/nothing/here")
        .bearer(ALICE)
        .send(&sim)
        .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.header("content-type"), Some("application/xml"));
    assert!(unknown.text().contains("<status-code>404</status-code>"));
    // A ref with a slash where a commit id goes does not route (like Jersey).
    let slashed = get(&repo_path("service", "commits/feature/x"))
        .bearer(ALICE)
        .send(&sim)
        .await;
    assert_eq!(slashed.header("content-type"), Some("application/xml"));
    let html = get("projects/PRJ").send(&sim).await;
    assert_eq!(html.status, 404);
    assert!(html.text().contains("<html>"));
    let wrong_method = call(Method::PATCH, &repo_path("service", ""))
        .bearer(ALICE)
        .xsrf()
        .send(&sim)
        .await;
    assert_eq!(wrong_method.status, 405);
}

#[tokio::test]
async fn repositories_and_projects_render_like_the_spec() {
    let sim = start().await;
    let repo = get(&repo_path("service", ""))
        .bearer(ALICE)
        .send(&sim)
        .await
        .json();
    assert_eq!(repo["slug"], "service");
    assert_eq!(repo["name"], "Service");
    assert_eq!(repo["scmId"], "git");
    assert_eq!(repo["state"], "AVAILABLE");
    assert_eq!(repo["project"]["key"], "PRJ");
    let host = sim.base_url().host_str().expect("host").to_owned();
    let port = sim.addr().port();
    assert_eq!(
        repo["links"]["clone"][0]["href"],
        format!("http://alice@{host}:{port}/scm/prj/service.git")
    );
    assert_eq!(repo["links"]["clone"][0]["name"], "http");
    assert_eq!(
        repo["links"]["self"][0]["href"],
        format!("http://{host}:{port}/projects/PRJ/repos/service/browse")
    );
    let project = get("rest/api/1.0/projects/PRJ")
        .bearer(BOB)
        .send(&sim)
        .await
        .json();
    assert_eq!(project["key"], "PRJ");
    assert_eq!(project["type"], "NORMAL");
    let list = get("rest/api/1.0/projects/PRJ/repos")
        .bearer(BOB)
        .send(&sim)
        .await
        .json();
    assert_eq!(list["size"], 1, "bob only sees service: {list}");
    let default = get(&repo_path("empty", "default-branch"))
        .bearer(ALICE)
        .send(&sim)
        .await
        .json();
    assert_eq!(
        default,
        json!({"id": "refs/heads/main", "displayId": "main", "type": "BRANCH"})
    );
    let legacy_empty = get(&repo_path("empty", "branches/default"))
        .bearer(ALICE)
        .send(&sim)
        .await;
    assert_eq!(legacy_empty.status, 204);
    let legacy = get(&repo_path("service", "branches/default"))
        .bearer(ALICE)
        .send(&sim)
        .await
        .json();
    assert_eq!(legacy["displayId"], "main");
    assert_eq!(legacy["isDefault"], true);
    assert_eq!(legacy["latestCommit"].as_str().map(str::len), Some(40));
}

#[tokio::test]
async fn users_lookup_and_permission_filters() {
    let sim = start().await;
    let user = get("rest/api/1.0/users/alice")
        .bearer(BOB)
        .send(&sim)
        .await
        .json();
    assert_eq!(user["name"], "alice");
    assert_eq!(user["emailAddress"], "alice@example.com");
    assert_eq!(user["displayName"], "Alice A");
    assert_eq!(
        get("rest/api/1.0/users/ghost")
            .bearer(BOB)
            .send(&sim)
            .await
            .status,
        404
    );
    assert_eq!(get("rest/api/1.0/users/alice").send(&sim).await.status, 401);
    let writers = get("rest/api/1.0/users?permission.1=REPO_WRITE&permission.1.projectKey=PRJ&permission.1.repositorySlug=service")
        .bearer(BOB)
        .send(&sim)
        .await
        .json();
    let names: Vec<&str> = writers["values"]
        .as_array()
        .expect("page")
        .iter()
        .filter_map(|u| u["name"].as_str())
        .collect();
    assert_eq!(names, vec!["admin", "alice"]);
    let filtered = get("rest/api/1.0/users?filter=ali&permission.1=REPO_READ&permission.1.projectKey=PRJ&permission.1.repositorySlug=service")
        .bearer(BOB)
        .send(&sim)
        .await
        .json();
    assert_eq!(filtered["size"], 1);
    let invalid = get("rest/api/1.0/users?permission.1=REPO_FLY&permission.1.projectKey=PRJ")
        .bearer(BOB)
        .send(&sim)
        .await;
    assert_eq!(invalid.status, 400);
    let no_repo = get("rest/api/1.0/users?permission.1=REPO_READ&permission.1.projectKey=PRJ")
        .bearer(BOB)
        .send(&sim)
        .await;
    assert_eq!(no_repo.status, 400);
}

#[tokio::test]
async fn repository_search_honours_permission_project_and_archived_filters() {
    let sim = start().await;
    let slugs = |v: serde_json::Value| -> Vec<String> {
        v["values"]
            .as_array()
            .expect("page")
            .iter()
            .filter_map(|r| r["slug"].as_str().map(str::to_owned))
            .collect()
    };
    let alice = get("rest/api/1.0/repos?permission=REPO_WRITE&state=AVAILABLE&projectkey=prj")
        .bearer(ALICE)
        .send(&sim)
        .await
        .json();
    assert_eq!(slugs(alice), vec!["empty", "service"]);
    let bob_write = get("rest/api/1.0/repos?permission=REPO_WRITE")
        .bearer(BOB)
        .send(&sim)
        .await
        .json();
    assert!(slugs(bob_write).is_empty());
    let bob_read = get("rest/api/1.0/repos?permission=REPO_READ")
        .bearer(BOB)
        .send(&sim)
        .await
        .json();
    assert_eq!(slugs(bob_read), vec!["service"]);
    let archived = get("rest/api/1.0/repos?archived=ARCHIVED")
        .bearer(ALICE)
        .send(&sim)
        .await
        .json();
    assert_eq!(slugs(archived), vec!["archived"]);
    let named = get("rest/api/1.0/repos?name=SERVICE")
        .bearer(ALICE)
        .send(&sim)
        .await
        .json();
    assert_eq!(slugs(named), vec!["service"]);
    assert_eq!(
        get("rest/api/1.0/repos?permission=PROJECT_READ")
            .bearer(ALICE)
            .send(&sim)
            .await
            .status,
        400
    );
    assert!(slugs(get("rest/api/1.0/repos").send(&sim).await.json()).is_empty());
}

#[tokio::test]
async fn paging_caps_limit_and_walks_pages_with_next_page_start() {
    let mut builder = Simulator::builder()
        .user(UserSeed::new("alice").token(ALICE))
        .grant_project("alice", "MANY", Permission::ProjectRead);
    for i in 0..23 {
        builder = builder.repo(RepoSeed::new("MANY", format!("repo-{i:02}")));
    }
    let sim = builder.start().await.expect("start");
    let mut start = 0;
    let mut seen = Vec::new();
    loop {
        let page = get(&format!(
            "rest/api/1.0/projects/MANY/repos?limit=10&start={start}"
        ))
        .bearer(ALICE)
        .send(&sim)
        .await
        .json();
        assert_eq!(page["limit"], 10);
        assert_eq!(page["start"], start);
        for repo in page["values"].as_array().expect("values") {
            seen.push(repo["slug"].as_str().expect("slug").to_owned());
        }
        if page["isLastPage"] == true {
            assert!(page.get("nextPageStart").is_none());
            break;
        }
        start = page["nextPageStart"].as_u64().expect("next");
    }
    assert_eq!(seen.len(), 23);
    assert_eq!(seen[0], "repo-00");
    assert_eq!(seen[22], "repo-22");
    let capped = get("rest/api/1.0/repos?limit=5000")
        .bearer(ALICE)
        .send(&sim)
        .await
        .json();
    assert_eq!(capped["limit"], 1000);
    assert_eq!(capped["size"], 23);
    assert_eq!(capped["isLastPage"], true);
}

#[tokio::test]
async fn xsrf_check_refuses_form_and_bodiless_mutations_without_the_header() {
    let sim = start().await;
    let path = repo_path("service", "pull-requests/1/decline?version=0");
    let refused = call(Method::POST, &path).bearer(ALICE).send(&sim).await;
    assert_eq!(refused.status, 403);
    assert_eq!(refused.text(), "XSRF check failed");
    assert!(refused
        .header("content-type")
        .is_some_and(|c| c.starts_with("text/plain")));
    let form = call(Method::PUT, &repo_path("service", "browse/x.txt"))
        .bearer(ALICE)
        .multipart(&[("branch", "main"), ("content", "x")])
        .send(&sim)
        .await;
    assert_eq!(form.status, 403);
    // With the header the request reaches the resource (404: no such pull request).
    let passed = call(Method::POST, &path)
        .bearer(ALICE)
        .xsrf()
        .send(&sim)
        .await;
    assert_eq!(passed.status, 404);
    // A JSON body passes without the header.
    let json_body = call(Method::POST, &repo_path("service", "pull-requests"))
        .bearer(ALICE)
        .json(json!({"title": "t", "fromRef": {"id": "refs/heads/feature"}, "toRef": {"id": "refs/heads/main"}}))
        .send(&sim)
        .await;
    assert_eq!(json_body.status, 201);
    let log = sim.requests();
    let xsrf: Vec<bool> = log
        .iter()
        .filter(|r| r.method == "POST")
        .map(|r| r.has_xsrf_token())
        .collect();
    assert_eq!(xsrf, vec![false, true, false]);
}

#[tokio::test]
async fn repositories_and_users_can_be_added_at_runtime() {
    let sim = start().await;
    sim.add_user(UserSeed::new("dave").token("dave-token"))
        .expect("user");
    sim.add_repo(RepoSeed::new("NEW", "fresh").file("a.txt", "a\n"))
        .await
        .expect("repo");
    sim.grant_repo("dave", "NEW", "fresh", Permission::RepoWrite)
        .expect("grant");
    let raw = get("rest/api/1.0/projects/NEW/repos/fresh/raw/a.txt")
        .bearer("dave-token")
        .send(&sim)
        .await;
    assert_eq!(raw.text(), "a\n");
    assert!(sim.add_repo(RepoSeed::new("NEW", "fresh")).await.is_err());
    sim.set_default_branch("NEW", "fresh", "develop")
        .await
        .expect("default");
    let legacy = get("rest/api/1.0/projects/NEW/repos/fresh/branches/default")
        .bearer("dave-token")
        .send(&sim)
        .await;
    assert_eq!(
        legacy.status, 404,
        "the configured default does not exist in a non-empty repository"
    );
    sim.set_archived("NEW", "fresh", true).expect("archive");
    let edit = call(
        Method::PUT,
        "rest/api/1.0/projects/NEW/repos/fresh/browse/b.txt",
    )
    .bearer("dave-token")
    .xsrf()
    .multipart(&[("branch", "main"), ("content", "b")])
    .send(&sim)
    .await;
    assert_eq!(edit.status, 409);
    sim.revoke_repo("dave", "NEW", "fresh");
    assert_eq!(
        get("rest/api/1.0/projects/NEW/repos/fresh")
            .bearer("dave-token")
            .send(&sim)
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn project_and_repository_tokens_are_bearer_only_bots_that_cannot_commit() {
    let sim = crate::support::seed()
        .project_token("PRJ", "project-token", Permission::ProjectWrite)
        .repo_token("PRJ", "service", "repo-token", Permission::RepoRead)
        .start()
        .await
        .expect("start");
    let repo = get(&repo_path("service", ""))
        .bearer("project-token")
        .send(&sim)
        .await;
    assert_eq!(repo.status, 200);
    let bot = repo.header("x-ausername").expect("bot identity").to_owned();
    let user = get(&format!("rest/api/1.0/users/{bot}"))
        .bearer("project-token")
        .send(&sim)
        .await
        .json();
    assert_eq!(user["type"], "SERVICE");
    let basic = get(&repo_path("service", ""))
        .basic(&bot, "project-token")
        .send(&sim)
        .await;
    assert_eq!(
        basic.exception(),
        "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException"
    );
    let edit = call(Method::PUT, &repo_path("service", "browse/x.txt"))
        .bearer("project-token")
        .xsrf()
        .multipart(&[("branch", "main"), ("content", "x")])
        .send(&sim)
        .await;
    assert_eq!(edit.status, 403);
    let pr = call(Method::POST, &repo_path("service", "pull-requests"))
        .bearer("project-token")
        .json(json!({"title": "t", "fromRef": {"id": "refs/heads/feature"}, "toRef": {"id": "refs/heads/main"}}))
        .send(&sim)
        .await;
    assert_eq!(pr.status, 201, "tokens may open pull requests");
    let merge = call(
        Method::POST,
        &repo_path("service", "pull-requests/1/merge?version=0"),
    )
    .bearer("project-token")
    .xsrf()
    .send(&sim)
    .await;
    assert_eq!(merge.status, 403);
    assert_eq!(
        get(&repo_path("service", ""))
            .bearer("repo-token")
            .send(&sim)
            .await
            .status,
        200
    );
    assert_eq!(
        get(&repo_path("empty", ""))
            .bearer("repo-token")
            .send(&sim)
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn debug_output_never_shows_secrets() {
    let sim = start().await;
    let text = format!("{sim:?}");
    for secret in [ALICE, BOB, "alice-pw", "admin-token"] {
        assert!(!text.contains(secret), "{secret} leaked into {text}");
    }
    assert!(text.contains("redacted"));
}

#[tokio::test]
async fn context_path_prefixes_every_url() {
    let sim = crate::support::seed()
        .context_path("/bitbucket")
        .start()
        .await
        .expect("start");
    assert!(sim.base_url().as_str().ends_with("/bitbucket/"));
    let repo = get(&repo_path("service", ""))
        .bearer(ALICE)
        .send(&sim)
        .await
        .json();
    let href = repo["links"]["clone"][0]["href"].as_str().expect("href");
    assert!(href.contains("/bitbucket/scm/prj/service.git"), "{href}");
    assert!(sim.requests()[0]
        .path
        .starts_with("/bitbucket/rest/api/1.0/"));
}

#[tokio::test]
async fn ten_thousand_repositories_seed_lazily_and_page_quickly() {
    let started = Instant::now();
    let mut builder = Simulator::builder()
        .user(UserSeed::new("bot").token("bot-token"))
        .grant_project("bot", "BIG", Permission::ProjectWrite);
    for i in 0..10_000 {
        builder = builder.repo(RepoSeed::new("BIG", format!("r{i:05}")));
    }
    let sim = builder.start().await.expect("start");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "seeding took {:?}",
        started.elapsed()
    );
    let mut start = 0;
    let mut count = 0;
    loop {
        let page = get(&format!(
            "rest/api/1.0/repos?permission=REPO_WRITE&limit=1000&start={start}"
        ))
        .bearer("bot-token")
        .send(&sim)
        .await
        .json();
        count += page["size"].as_u64().expect("size");
        if page["isLastPage"] == true {
            break;
        }
        start = page["nextPageStart"].as_u64().expect("next");
    }
    assert_eq!(count, 10_000);
    // An empty repository comes to life on first use.
    let path = sim
        .repo_path("BIG", "r09999")
        .await
        .expect("lazily created");
    assert!(path.join("HEAD").exists());
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
}
