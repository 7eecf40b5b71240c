//! Unit tests for the handlers: each call's method, encoded path, query and body, and how
//! answers map to results, against a scripted loopback server.

use http::Method;
use serde_json::json;

use crate::testutil::{Canned, TestServer};
use crate::*;

const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

fn last_page(values: serde_json::Value) -> Canned {
    let size = values.as_array().map_or(0, Vec::len);
    Canned::json(
        200,
        json!({"values": values, "size": size, "limit": 100, "start": 0, "isLastPage": true}),
    )
}

fn pr_json(id: i64, version: i64) -> serde_json::Value {
    json!({"id": id, "version": version, "title": "t", "state": "OPEN"})
}

#[tokio::test]
async fn server_users_and_repository_search() {
    let server = TestServer::start().await;
    server
        .push(Canned::json(
            200,
            json!({"name": "john doe", "slug": "john-doe"}),
        ))
        .push(last_page(json!([{"name": "alice"}])))
        .push(last_page(
            json!([{"slug": "app", "project": {"key": "PROJ"}}]),
        ))
        .push(last_page(
            json!([{"slug": "other", "project": {"key": "PROJ"}}]),
        ));
    let client = server.client();
    let user = client.users().get("john doe").await.unwrap();
    assert_eq!(user.slug, "john-doe");
    let users = client
        .users()
        .list(
            &UserQuery::new()
                .filter("ali")
                .repo_permission(Permission::RepoWrite, "PROJ", "app"),
        )
        .collect_all()
        .await
        .unwrap();
    assert_eq!(users[0].name, "alice");
    let repos = client
        .repositories()
        .search(
            &RepoSearch::new()
                .permission(Permission::RepoWrite)
                .project_key("PROJ"),
        )
        .collect_all()
        .await
        .unwrap();
    assert_eq!(repos[0].slug, "app");
    let can_write = client
        .repositories()
        .has_permission("PROJ", "app", Permission::RepoWrite)
        .await
        .unwrap();
    assert!(!can_write);

    let requests = server.requests();
    assert_eq!(requests[0].path, "/rest/api/latest/users/john%20doe");
    assert_eq!(requests[1].path, "/rest/api/latest/users");
    assert_eq!(requests[1].query_value("filter").as_deref(), Some("ali"));
    assert_eq!(
        requests[1].query_value("permission.1").as_deref(),
        Some("REPO_WRITE")
    );
    assert_eq!(
        requests[1]
            .query_value("permission.1.projectKey")
            .as_deref(),
        Some("PROJ")
    );
    assert_eq!(
        requests[1]
            .query_value("permission.1.repositorySlug")
            .as_deref(),
        Some("app")
    );
    assert_eq!(requests[2].path, "/rest/api/latest/repos");
    assert_eq!(
        requests[2].query_value("permission").as_deref(),
        Some("REPO_WRITE")
    );
    assert_eq!(
        requests[2].query_value("projectkey").as_deref(),
        Some("PROJ")
    );
    assert_eq!(
        requests[2].query_value("state").as_deref(),
        Some("AVAILABLE")
    );
    assert_eq!(requests[3].query_value("state"), None);
}

#[tokio::test]
async fn projects_repositories_and_default_branches() {
    let server = TestServer::start().await;
    server
        .push(Canned::json(200, json!({"key": "~JDOE", "type": "PERSONAL"})))
        .push(last_page(json!([{"slug": "a"}, {"slug": "b"}])))
        .push(Canned::json(200, json!({"slug": "my repo"})))
        .push(Canned::json(200, json!({"id": "refs/heads/main", "displayId": "main", "type": "BRANCH"})))
        .push(Canned::status(204))
        .push(Canned::json(
            200,
            json!({"id": "refs/heads/main", "displayId": "main", "latestCommit": SHA, "default": true}),
        ));
    let client = server.client();
    let project = client.project("~JDOE").get().await.unwrap();
    assert_eq!(project.project_type, ProjectType::Personal);
    let repos = client
        .project("~JDOE")
        .repositories()
        .collect_all()
        .await
        .unwrap();
    assert_eq!(repos.len(), 2);
    let repo = client.project("~JDOE").repo("my repo");
    assert_eq!(repo.get().await.unwrap().slug, "my repo");
    assert_eq!(repo.default_branch().await.unwrap().display_id, "main");
    assert_eq!(repo.default_branch_legacy().await.unwrap(), None);
    let branch = repo.default_branch_legacy().await.unwrap().unwrap();
    assert!(branch.is_default);
    assert_eq!(branch.latest_commit.as_deref(), Some(SHA));

    let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        [
            "/rest/api/latest/projects/~JDOE",
            "/rest/api/latest/projects/~JDOE/repos",
            "/rest/api/latest/projects/~JDOE/repos/my%20repo",
            "/rest/api/latest/projects/~JDOE/repos/my%20repo/default-branch",
            "/rest/api/latest/projects/~JDOE/repos/my%20repo/branches/default",
            "/rest/api/latest/projects/~JDOE/repos/my%20repo/branches/default",
        ]
    );
}

#[tokio::test]
async fn find_branch_matches_display_id_exactly() {
    let server = TestServer::start().await;
    // filterText is a substring match: the server returns look-alikes first.
    server
        .push(last_page(json!([
            {"id": "refs/heads/fix/cve-1-old", "displayId": "fix/cve-1-old"},
            {"id": "refs/heads/old/fix/cve-1", "displayId": "old/fix/cve-1"},
            {"id": "refs/heads/fix/cve-1", "displayId": "fix/cve-1", "latestCommit": SHA}
        ])))
        .push(last_page(
            json!([{"id": "refs/heads/fix/cve-10", "displayId": "fix/cve-10"}]),
        ));
    let branches = server.client().repo("PROJ", "app").branches();
    let found = branches
        .find("refs/heads/fix/cve-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.display_id, "fix/cve-1");
    assert_eq!(found.latest_commit.as_deref(), Some(SHA));
    assert!(branches.find("fix/cve-1").await.unwrap().is_none());
    let requests = server.requests();
    assert_eq!(
        requests[0].path,
        "/rest/api/latest/projects/PROJ/repos/app/branches"
    );
    assert_eq!(
        requests[0].query_value("filterText").as_deref(),
        Some("fix/cve-1")
    );
    assert_eq!(
        requests[0].query_value("boostMatches").as_deref(),
        Some("true")
    );
    assert!(requests[0]
        .query
        .as_deref()
        .unwrap()
        .contains("filterText=fix%2Fcve-1"));
}

#[tokio::test]
async fn branch_create_and_delete_endpoints() {
    let server = TestServer::start().await;
    server
        .push(Canned::json(
            200,
            json!({"id": "refs/heads/a", "displayId": "a"}),
        ))
        .push(Canned::json(
            201,
            json!({"id": "refs/heads/b", "displayId": "b"}),
        ))
        .push(Canned::status(204));
    let branches = server.client().repo("PROJ", "app").branches();
    branches
        .create(&NewBranch::new("a", SHA).message("why"))
        .await
        .unwrap();
    let created = branches
        .create_with_branch_utils(&NewBranch::new("b", "refs/heads/main").message("ignored"))
        .await
        .unwrap();
    assert_eq!(created.display_id, "b");
    branches
        .delete(&DeleteBranch::new("b").end_point(SHA).dry_run(false))
        .await
        .unwrap();
    let requests = server.requests();
    assert_eq!(requests[0].method, Method::POST);
    assert_eq!(
        requests[0].path,
        "/rest/api/latest/projects/PROJ/repos/app/branches"
    );
    assert_eq!(
        requests[0].json(),
        json!({"name": "a", "startPoint": SHA, "message": "why"})
    );
    assert_eq!(
        requests[1].path,
        "/rest/branch-utils/latest/projects/PROJ/repos/app/branches"
    );
    assert_eq!(
        requests[1].json(),
        json!({"name": "b", "startPoint": "refs/heads/main"})
    );
    assert_eq!(requests[2].method, Method::DELETE);
    assert_eq!(
        requests[2].path,
        "/rest/branch-utils/latest/projects/PROJ/repos/app/branches"
    );
    assert_eq!(
        requests[2].json(),
        json!({"name": "refs/heads/b", "endPoint": SHA, "dryRun": false})
    );
}

#[tokio::test]
async fn file_reads_encode_paths_and_at() {
    let server = TestServer::start().await;
    let bytes: &[u8] = b"a,b\r\nc,d\r\n\xff";
    server
        .push(Canned::status(200).header("content-type", "text/plain").body(bytes))
        .push(last_page(json!(["pom.xml", "src/main/a b.rs"])))
        .push(Canned::json(200, json!({
            "path": {"components": ["src"], "name": "src"}, "revision": "main",
            "children": {"size": 1, "limit": 500, "start": 0, "isLastPage": true,
                         "values": [{"path": {"components": ["main"], "name": "main"}, "type": "DIRECTORY"}]}
        })))
        .push(Canned::json(200, json!({
            "lines": [{"text": "line 1"}, {"text": "line 2"}], "start": 0, "size": 2, "isLastPage": true
        })))
        .push(Canned::json(200, json!({"lines": [{"text": "x"}], "start": 0, "size": 1, "isLastPage": true})));
    let files = server.client().repo("PROJ", "app").files();
    let raw = files
        .raw("dir/a #1?.csv", Some("refs/heads/feature/a&b"))
        .await
        .unwrap();
    assert_eq!(&raw[..], bytes);
    let listed = files.list("", Some(SHA)).collect_all().await.unwrap();
    assert_eq!(listed, ["pom.xml", "src/main/a b.rs"]);
    let children = files.directory("src", None).collect_all().await.unwrap();
    assert_eq!(children[0].entry_type, EntryType::Directory);
    let lines = files.lines("README.md", None).collect_all().await.unwrap();
    assert_eq!(lines, ["line 1", "line 2"]);
    // Browsing a file as a directory is a decode error, not an empty listing.
    let err = files
        .directory("README.md", None)
        .collect_all()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");

    let requests = server.requests();
    assert_eq!(
        requests[0].path,
        "/rest/api/latest/projects/PROJ/repos/app/raw/dir/a%20%231%3F.csv"
    );
    assert_eq!(
        requests[0].query_value("at").as_deref(),
        Some("refs/heads/feature/a&b")
    );
    assert!(requests[0]
        .query
        .as_deref()
        .unwrap()
        .contains("at=refs%2Fheads%2Ffeature%2Fa%26b"));
    assert_eq!(
        requests[1].path,
        "/rest/api/latest/projects/PROJ/repos/app/files"
    );
    assert_eq!(requests[1].query_value("at").as_deref(), Some(SHA));
    assert_eq!(
        requests[2].path,
        "/rest/api/latest/projects/PROJ/repos/app/browse/src"
    );
    assert_eq!(
        requests[3].path,
        "/rest/api/latest/projects/PROJ/repos/app/browse/README.md"
    );
    // An invalid path never reaches the server.
    let err = files.raw("../etc/passwd", None).await.unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }));
    let err = files.list("a/../b", None).collect_all().await.unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
    let err = files.directory("./x", None).first_page().await.unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
    assert_eq!(server.requests().len(), 5);
}

#[tokio::test]
async fn file_edit_is_a_multipart_put_and_unmodified_is_matchable() {
    let server = TestServer::start().await;
    server
        .push(Canned::json(200, json!({"id": SHA, "displayId": "0123456", "message": "Bump"})))
        .push(Canned::json(409, json!({"errors": [{
            "message": "The content provided is the same as what already exists. No change was committed.",
            "exceptionName": "com.atlassian.bitbucket.content.FileContentUnmodifiedException"
        }]})));
    let files = server.client().repo("PROJ", "app").files();
    let edit = FileEdit::new("fix/x", "<project/>\n")
        .message("Bump")
        .source_commit_id(SHA)
        .source_branch("main");
    let commit = files.edit("sub dir/pom.xml", &edit).await.unwrap();
    assert_eq!(commit.id, SHA);
    let err = files.edit("sub dir/pom.xml", &edit).await.unwrap_err();
    assert!(
        matches!(err, Error::FileContentUnmodified { .. }),
        "{err:?}"
    );
    let request = &server.requests()[0];
    assert_eq!(request.method, Method::PUT);
    assert_eq!(
        request.path,
        "/rest/api/latest/projects/PROJ/repos/app/browse/sub%20dir/pom.xml"
    );
    let content_type = request.header("content-type").unwrap();
    assert!(content_type.starts_with("multipart/form-data; boundary="));
    let body = String::from_utf8_lossy(&request.body);
    assert!(body.contains("name=\"sourceCommitId\"\r\n\r\n0123456789abcdef"));
    assert!(body.contains("filename=\"pom.xml\""));
    assert!(body.contains("<project/>\n"));
}

#[tokio::test]
async fn commits_get_list_and_compare() {
    let server = TestServer::start().await;
    server
        .push(Canned::json(200, json!({"id": SHA})))
        .push(last_page(json!([{"id": SHA}])))
        .push(last_page(
            json!([{"path": {"toString": "pom.xml"}, "type": "MODIFY"}]),
        ));
    let commits = server.client().repo("PROJ", "app").commits();
    // Refs are refused before any request.
    let err = commits.get("refs/heads/main").await.unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
    assert_eq!(commits.get(SHA).await.unwrap().id, SHA);
    let list = commits
        .list(
            &CommitQuery::new()
                .until("refs/heads/main")
                .since("abc")
                .path("pom.xml"),
        )
        .collect_all()
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    let changes = commits
        .compare_changes("refs/heads/fix", "refs/heads/main")
        .collect_all()
        .await
        .unwrap();
    assert_eq!(changes[0].change_type, ChangeType::Modify);
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(
        requests[0].path,
        format!("/rest/api/latest/projects/PROJ/repos/app/commits/{SHA}")
    );
    assert_eq!(
        requests[1].query_value("until").as_deref(),
        Some("refs/heads/main")
    );
    assert_eq!(requests[1].query_value("since").as_deref(), Some("abc"));
    assert_eq!(requests[1].query_value("path").as_deref(), Some("pom.xml"));
    assert_eq!(
        requests[2].path,
        "/rest/api/latest/projects/PROJ/repos/app/compare/changes"
    );
    assert_eq!(
        requests[2].query_value("from").as_deref(),
        Some("refs/heads/fix")
    );
    assert_eq!(
        requests[2].query_value("to").as_deref(),
        Some("refs/heads/main")
    );
}

#[tokio::test]
async fn pull_request_lifecycle_requests() {
    let server = TestServer::start().await;
    server
        .push(Canned::json(201, pr_json(7, 0)))
        .push(last_page(json!([pr_json(7, 0)])))
        .push(Canned::json(200, pr_json(7, 0)))
        .push(Canned::json(200, pr_json(7, 1)))
        .push(Canned::json(200, pr_json(7, 2)))
        .push(Canned::json(200, pr_json(7, 3)))
        .push(Canned::json(200, json!({"canMerge": false, "conflicted": true, "outcome": "CONFLICTED",
                                     "vetoes": [{"summaryMessage": "conflicts", "detailedMessage": "d"}]})))
        .push(Canned::json(200, pr_json(7, 4)))
        .push(Canned::json(200, pr_json(7, 5)))
        .push(last_page(json!([{"id": 1, "action": "OPENED"}])))
        .push(last_page(json!([{"user": {"name": "alice"}, "role": "REVIEWER"}])));
    let repo = server.client().repo("PROJ", "app");
    let prs = repo.pull_requests();
    let created = prs
        .create(&NewPullRequest::new("Fix", "fix/x", "main").reviewers(["alice"]))
        .await
        .unwrap();
    assert_eq!(created.id, 7);
    prs.list(
        &PullRequestQuery::new()
            .state(PullRequestStateFilter::Open)
            .direction(PullRequestDirection::Outgoing)
            .at("fix/x")
            .filter_text("a&b"),
    )
    .collect_all()
    .await
    .unwrap();
    prs.get(7).await.unwrap();
    let pr = repo.pull_request(7);
    assert_eq!(
        pr.update(&PullRequestUpdate::new(0).title("New"))
            .await
            .unwrap()
            .version,
        1
    );
    assert_eq!(pr.decline(1).await.unwrap().version, 2);
    assert_eq!(pr.reopen(2).await.unwrap().version, 3);
    let mergeability = pr.can_merge().await.unwrap();
    assert!(!mergeability.can_merge);
    assert_eq!(mergeability.outcome, MergeOutcome::Conflicted);
    pr.merge(3, &MergeOptions::new()).await.unwrap();
    pr.merge(4, &MergeOptions::new().strategy_id("squash").message("m"))
        .await
        .unwrap();
    let activities = pr.activities().collect_all().await.unwrap();
    assert_eq!(activities[0].action, ActivityAction::Opened);
    let participants = pr.participants().collect_all().await.unwrap();
    assert_eq!(participants[0].role, ParticipantRole::Reviewer);

    let requests = server.requests();
    let base = "/rest/api/latest/projects/PROJ/repos/app/pull-requests";
    let summary: Vec<(String, String)> = requests
        .iter()
        .map(|r| (r.method.to_string(), r.path.clone()))
        .collect();
    let expect = |m: &str, p: &str| (m.to_owned(), format!("{base}{p}"));
    assert_eq!(
        summary,
        vec![
            expect("POST", ""),
            expect("GET", ""),
            expect("GET", "/7"),
            expect("PUT", "/7"),
            expect("POST", "/7/decline"),
            expect("POST", "/7/reopen"),
            expect("GET", "/7/merge"),
            expect("POST", "/7/merge"),
            expect("POST", "/7/merge"),
            expect("GET", "/7/activities"),
            expect("GET", "/7/participants"),
        ]
    );
    assert_eq!(requests[0].json()["fromRef"]["id"], "refs/heads/fix/x");
    assert_eq!(
        requests[0].json()["reviewers"],
        json!([{"user": {"name": "alice"}}])
    );
    assert_eq!(
        requests[1].query_value("at").as_deref(),
        Some("refs/heads/fix/x")
    );
    assert_eq!(
        requests[1].query_value("direction").as_deref(),
        Some("OUTGOING")
    );
    assert_eq!(requests[1].query_value("state").as_deref(), Some("OPEN"));
    assert_eq!(
        requests[1].query_value("filterText").as_deref(),
        Some("a&b")
    );
    assert_eq!(requests[3].json(), json!({"version": 0, "title": "New"}));
    assert_eq!(requests[4].query_value("version").as_deref(), Some("1"));
    assert!(requests[4].body.is_empty());
    assert_eq!(requests[5].query_value("version").as_deref(), Some("2"));
    assert_eq!(requests[7].query_value("version").as_deref(), Some("3"));
    assert!(requests[7].body.is_empty());
    assert_eq!(
        requests[8].json(),
        json!({"strategyId": "squash", "message": "m"})
    );
}

#[tokio::test]
async fn pull_request_conflicts_are_typed() {
    let server = TestServer::start().await;
    server.push(Canned::json(409, json!({"errors": [{
        "message": "You are attempting to modify a pull request based on out-of-date information.",
        "exceptionName": "com.atlassian.bitbucket.pull.PullRequestOutOfDateException",
        "currentVersion": 4, "expectedVersion": 1
    }]})));
    let err = server
        .client()
        .repo("PROJ", "app")
        .pull_request(7)
        .decline(1)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::PullRequestOutOfDate {
                current_version: Some(4),
                expected_version: Some(1),
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn comments_and_blocker_comments() {
    let server = TestServer::start().await;
    let comment = |id: i64, version: i64| json!({"id": id, "version": version, "text": "t", "severity": "NORMAL", "state": "OPEN"});
    server
        .push(Canned::json(201, comment(1, 0)))
        .push(Canned::json(201, comment(2, 0)))
        .push(Canned::json(200, comment(1, 0)))
        .push(Canned::json(200, comment(1, 1)))
        .push(Canned::status(204))
        .push(Canned::json(
            201,
            json!({"id": 3, "version": 0, "severity": "BLOCKER"}),
        ))
        .push(last_page(
            json!([{"id": 3, "severity": "BLOCKER", "state": "OPEN"}]),
        ))
        .push(Canned::status(204))
        .push(last_page(json!([comment(2, 0)])));
    let pr = server.client().repo("PROJ", "app").pull_request(7);
    pr.comments()
        .add(&NewComment::new("general"))
        .await
        .unwrap();
    pr.comments()
        .add(&NewComment::new("line").anchor(Anchor::line(
            "src/a b.rs",
            3,
            LineType::Context,
            FileType::From,
        )))
        .await
        .unwrap();
    pr.comments().get(1).await.unwrap();
    let updated = pr
        .comments()
        .update(1, &CommentUpdate::new(0).text("edited"))
        .await
        .unwrap();
    assert_eq!(updated.version, 1);
    pr.comments().delete(1, 1).await.unwrap();
    let task = pr
        .blocker_comments()
        .add(&NewComment::new("do it"))
        .await
        .unwrap();
    assert_eq!(task.severity, CommentSeverity::Blocker);
    assert!(pr.blocker_comments().is_blocker());
    let tasks = pr.blocker_comments().list().collect_all().await.unwrap();
    assert_eq!(tasks.len(), 1);
    pr.blocker_comments().delete(3, 0).await.unwrap();
    let on_file = pr
        .comments()
        .list_for_path("src/a b.rs")
        .collect_all()
        .await
        .unwrap();
    assert_eq!(on_file.len(), 1);

    let requests = server.requests();
    let base = "/rest/api/latest/projects/PROJ/repos/app/pull-requests/7";
    assert_eq!(requests[0].path, format!("{base}/comments"));
    assert_eq!(requests[0].json(), json!({"text": "general"}));
    assert_eq!(
        requests[1].json()["anchor"],
        json!({"path": "src/a b.rs", "line": 3, "lineType": "CONTEXT", "fileType": "FROM", "diffType": "EFFECTIVE"})
    );
    assert_eq!(requests[2].path, format!("{base}/comments/1"));
    assert_eq!(requests[3].method, Method::PUT);
    assert_eq!(requests[3].json(), json!({"version": 0, "text": "edited"}));
    assert_eq!(requests[4].method, Method::DELETE);
    assert_eq!(requests[4].path, format!("{base}/comments/1"));
    assert_eq!(requests[4].query_value("version").as_deref(), Some("1"));
    assert_eq!(requests[5].path, format!("{base}/blocker-comments"));
    assert_eq!(requests[6].path, format!("{base}/blocker-comments"));
    assert_eq!(requests[7].path, format!("{base}/blocker-comments/3"));
    assert_eq!(requests[7].query_value("version").as_deref(), Some("0"));
    assert_eq!(
        requests[8].query_value("path").as_deref(),
        Some("src/a b.rs")
    );
}

#[tokio::test]
async fn build_statuses_repo_scoped_and_legacy() {
    let server = TestServer::start().await;
    server
        .push(Canned::status(204))
        .push(Canned::json(
            200,
            json!({"key": "ci/unit", "state": "INPROGRESS", "url": "https://ci/1"}),
        ))
        .push(Canned::status(204))
        .push(last_page(
            json!([{"key": "ci", "state": "SUCCESSFUL", "url": "u", "dateAdded": 1}]),
        ))
        .push(Canned::json(
            200,
            json!({"successful": 1, "failed": 0, "inProgress": 0, "cancelled": 0, "unknown": 0}),
        ))
        .push(Canned::json(200, json!({SHA: {"successful": 2}})));
    let client = server.client();
    let builds = client.repo("PROJ", "app").builds();
    let status =
        NewBuildStatus::new("ci/unit", BuildState::InProgress, "https://ci/1").git_ref("fix/x");
    builds.post(SHA, &status).await.unwrap();
    let got = builds.get(SHA, "ci/unit").await.unwrap();
    assert_eq!(got.state, BuildState::InProgress);
    let legacy = client.build_status();
    legacy.post(SHA, &status).await.unwrap();
    let listed = legacy.list(SHA).collect_all().await.unwrap();
    assert_eq!(listed[0].date_added, Some(1));
    assert_eq!(legacy.stats(SHA).await.unwrap().successful, 1);
    let many = legacy.stats_many(&[SHA]).await.unwrap();
    assert_eq!(many[SHA].successful, 2);
    assert!(legacy.stats_many(&[]).await.unwrap().is_empty());

    let requests = server.requests();
    assert_eq!(requests.len(), 6);
    let scoped = format!("/rest/api/latest/projects/PROJ/repos/app/commits/{SHA}/builds");
    assert_eq!(
        (requests[0].method.as_str(), requests[0].path.as_str()),
        ("POST", scoped.as_str())
    );
    assert_eq!(requests[0].json()["ref"], "refs/heads/fix/x");
    assert_eq!(requests[1].path, scoped);
    assert_eq!(requests[1].query_value("key").as_deref(), Some("ci/unit"));
    assert_eq!(
        requests[2].path,
        format!("/rest/build-status/latest/commits/{SHA}")
    );
    assert_eq!(
        requests[3].path,
        format!("/rest/build-status/latest/commits/{SHA}")
    );
    assert_eq!(
        requests[4].path,
        format!("/rest/build-status/latest/commits/stats/{SHA}")
    );
    assert_eq!(requests[5].method, Method::POST);
    assert_eq!(requests[5].path, "/rest/build-status/latest/commits/stats");
    assert_eq!(requests[5].json(), json!([SHA]));
}

#[tokio::test]
async fn insights_reports_and_annotations() {
    let server = TestServer::start().await;
    server
        .push(Canned::json(200, json!({"key": "com.example.vulns", "title": "Vulns", "result": "FAIL"})))
        .push(Canned::json(200, json!({"key": "com.example.vulns", "title": "Vulns"})))
        .push(Canned::status(204))
        .push(Canned::json(200, json!({"annotations": [{"message": "CVE", "severity": "HIGH", "line": 3, "path": "pom.xml"}]})))
        .push(Canned::status(204))
        .push(Canned::status(204))
        .push(Canned::status(204));
    let insights = server.client().repo("PROJ", "app").insights();
    let key = "com.example.vulns";
    let report = insights
        .put_report(
            SHA,
            key,
            &NewInsightReport::new("Vulns").result(ReportResult::Fail),
        )
        .await
        .unwrap();
    assert_eq!(report.result, Some(ReportResult::Fail));
    insights.get_report(SHA, key).await.unwrap();
    insights
        .add_annotations(
            SHA,
            key,
            &[NewAnnotation::new("CVE", AnnotationSeverity::High).at("pom.xml", 3)],
        )
        .await
        .unwrap();
    let annotations = insights.annotations(SHA, key).await.unwrap();
    assert_eq!(annotations[0].severity, AnnotationSeverity::High);
    insights
        .delete_annotations(SHA, key, Some("cve-1"))
        .await
        .unwrap();
    insights.delete_annotations(SHA, key, None).await.unwrap();
    insights.delete_report(SHA, key).await.unwrap();

    let requests = server.requests();
    let report_path = format!(
        "/rest/insights/latest/projects/PROJ/repos/app/commits/{SHA}/reports/com.example.vulns"
    );
    let summary: Vec<(String, String)> = requests
        .iter()
        .map(|r| (r.method.to_string(), r.path.clone()))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("PUT".to_owned(), report_path.clone()),
            ("GET".to_owned(), report_path.clone()),
            ("POST".to_owned(), format!("{report_path}/annotations")),
            ("GET".to_owned(), format!("{report_path}/annotations")),
            ("DELETE".to_owned(), format!("{report_path}/annotations")),
            ("DELETE".to_owned(), format!("{report_path}/annotations")),
            ("DELETE".to_owned(), report_path),
        ]
    );
    assert_eq!(
        requests[0].json(),
        json!({"title": "Vulns", "data": [], "result": "FAIL"})
    );
    assert_eq!(
        requests[2].json(),
        json!({"annotations": [{"message": "CVE", "severity": "HIGH", "path": "pom.xml", "line": 3}]})
    );
    assert_eq!(
        requests[4].query_value("externalId").as_deref(),
        Some("cve-1")
    );
    assert_eq!(requests[5].query, None);
}

#[tokio::test]
async fn escape_hatch_get_json() {
    let server = TestServer::start().await;
    server.push(Canned::json(
        200,
        json!({"requiredApprovers": {"enabled": false}}),
    ));
    let value: serde_json::Value = server
        .client()
        .get_json(
            &format!(
                "/api/latest/projects/{}/repos/app/settings/pull-requests",
                encode::segment("PROJ")
            ),
            &[("x", "a b")],
        )
        .await
        .unwrap();
    assert_eq!(value["requiredApprovers"]["enabled"], false);
    let request = server.only_request();
    assert_eq!(
        request.path,
        "/rest/api/latest/projects/PROJ/repos/app/settings/pull-requests"
    );
    assert_eq!(request.query.as_deref(), Some("x=a%20b"));
}

#[tokio::test]
async fn participants_pr_delete_and_pr_diffs() {
    let server = TestServer::start().await;
    server
        .push(Canned::json(200, json!({"user": {"name": "carol", "slug": "carol"}, "role": "REVIEWER"})))
        .push(Canned::json(200, json!({"user": {"slug": "carol"}, "role": "REVIEWER", "approved": true, "status": "APPROVED"})))
        .push(Canned::status(204))
        .push(last_page(json!([{"id": SHA}])))
        .push(last_page(json!([{"path": {"toString": "pom.xml"}, "type": "MODIFY"}])))
        .push(Canned::status(204));
    let pr = server.client().repo("PROJ", "app").pull_request(7);
    let added = pr.add_reviewer("carol").await.unwrap();
    assert_eq!(added.role, ParticipantRole::Reviewer);
    let approved = pr
        .set_review_status("carol", ParticipantStatus::Approved, Some(SHA))
        .await
        .unwrap();
    assert!(approved.approved);
    pr.remove_participant("carol").await.unwrap();
    assert_eq!(pr.commits().collect_all().await.unwrap()[0].id, SHA);
    assert_eq!(
        pr.changes().collect_all().await.unwrap()[0]
            .path
            .as_string(),
        "pom.xml"
    );
    pr.delete(3).await.unwrap();

    let requests = server.requests();
    let base = "/rest/api/latest/projects/PROJ/repos/app/pull-requests/7";
    assert_eq!(requests[0].method, Method::POST);
    assert_eq!(requests[0].path, format!("{base}/participants"));
    assert_eq!(
        requests[0].json(),
        json!({"user": {"name": "carol"}, "role": "REVIEWER"})
    );
    assert_eq!(requests[1].method, Method::PUT);
    assert_eq!(requests[1].path, format!("{base}/participants/carol"));
    assert_eq!(
        requests[1].json(),
        json!({"status": "APPROVED", "lastReviewedCommit": SHA})
    );
    assert_eq!(requests[2].method, Method::DELETE);
    assert_eq!(requests[2].path, format!("{base}/participants/carol"));
    assert_eq!(requests[3].path, format!("{base}/commits"));
    assert_eq!(requests[4].path, format!("{base}/changes"));
    assert_eq!(requests[5].method, Method::DELETE);
    assert_eq!(requests[5].path, base);
    assert_eq!(requests[5].json(), json!({"version": 3}));
}

#[tokio::test]
async fn projects_default_branch_reviewers_commit_changes_and_more() {
    let server = TestServer::start().await;
    server
        .push(last_page(json!([{"key": "PROJ"}])))
        .push(Canned::status(204))
        .push(Canned::json(
            200,
            json!([{"name": "alice", "slug": "alice"}]),
        ))
        .push(last_page(
            json!([{"path": {"toString": "a"}, "type": "ADD"}]),
        ))
        .push(last_page(json!([{"id": SHA}])))
        .push(Canned::status(204))
        .push(last_page(
            json!([{"key": "com.example.vulns", "title": "Vulns"}]),
        ))
        .push(Canned::status(204));
    let client = server.client();
    let projects = client
        .projects(
            &ProjectSearch::new()
                .name("Proj")
                .permission(Permission::ProjectWrite),
        )
        .collect_all()
        .await
        .unwrap();
    assert_eq!(projects[0].key, "PROJ");
    let repo = client.repo("PROJ", "app");
    repo.set_default_branch("develop").await.unwrap();
    let reviewers = repo
        .default_reviewers(11, 12, "fix/#1", "main")
        .await
        .unwrap();
    assert_eq!(reviewers[0].name, "alice");
    repo.commits().changes(SHA).collect_all().await.unwrap();
    repo.commits()
        .compare_commits("refs/heads/fix", "refs/heads/main")
        .collect_all()
        .await
        .unwrap();
    repo.builds().delete(SHA, "ci/unit").await.unwrap();
    let reports = repo.insights().reports(SHA).collect_all().await.unwrap();
    assert_eq!(reports[0].key, "com.example.vulns");
    repo.insights()
        .put_annotation(
            SHA,
            "com.example.vulns",
            "cve/1",
            &NewAnnotation::new("CVE", AnnotationSeverity::Low),
        )
        .await
        .unwrap();

    let requests = server.requests();
    assert_eq!(requests[0].path, "/rest/api/latest/projects");
    assert_eq!(requests[0].query_value("name").as_deref(), Some("Proj"));
    assert_eq!(
        requests[0].query_value("permission").as_deref(),
        Some("PROJECT_WRITE")
    );
    assert_eq!(requests[1].method, Method::PUT);
    assert_eq!(
        requests[1].path,
        "/rest/api/latest/projects/PROJ/repos/app/default-branch"
    );
    assert_eq!(requests[1].json(), json!({"id": "refs/heads/develop"}));
    assert_eq!(
        requests[2].path,
        "/rest/default-reviewers/latest/projects/PROJ/repos/app/reviewers"
    );
    assert_eq!(
        requests[2].query_value("sourceRepoId").as_deref(),
        Some("11")
    );
    assert_eq!(
        requests[2].query_value("targetRepoId").as_deref(),
        Some("12")
    );
    assert_eq!(
        requests[2].query_value("sourceRefId").as_deref(),
        Some("refs/heads/fix/#1")
    );
    assert!(requests[2]
        .query
        .as_deref()
        .unwrap()
        .contains("sourceRefId=refs%2Fheads%2Ffix%2F%231"));
    assert_eq!(
        requests[2].query_value("targetRefId").as_deref(),
        Some("refs/heads/main")
    );
    assert_eq!(
        requests[3].path,
        format!("/rest/api/latest/projects/PROJ/repos/app/commits/{SHA}/changes")
    );
    assert_eq!(
        requests[4].path,
        "/rest/api/latest/projects/PROJ/repos/app/compare/commits"
    );
    assert_eq!(
        requests[4].query_value("from").as_deref(),
        Some("refs/heads/fix")
    );
    assert_eq!(requests[5].method, Method::DELETE);
    assert_eq!(requests[5].query_value("key").as_deref(), Some("ci/unit"));
    assert_eq!(
        requests[6].path,
        format!("/rest/insights/latest/projects/PROJ/repos/app/commits/{SHA}/reports")
    );
    assert_eq!(requests[7].method, Method::PUT);
    assert_eq!(
        requests[7].path,
        format!("/rest/insights/latest/projects/PROJ/repos/app/commits/{SHA}/reports/com.example.vulns/annotations/cve%2F1")
    );
    assert_eq!(
        requests[7].json(),
        json!({"message": "CVE", "severity": "LOW"})
    );
}
