//! Unit tests for model decoding of realistic responses and request body shapes.

use serde_json::json;

use super::*;

fn repository_json() -> serde_json::Value {
    json!({
        "slug": "app",
        "id": 11,
        "name": "App",
        "hierarchyId": "e3c939f9ef4a7fae272e",
        "scmId": "git",
        "state": "AVAILABLE",
        "statusMessage": "Available",
        "forkable": true,
        "project": {
            "key": "PROJ", "id": 1, "name": "Project", "public": false, "type": "NORMAL",
            "links": {"self": [{"href": "https://bb.example.com/projects/PROJ"}]}
        },
        "public": false,
        "archived": false,
        "links": {
            "clone": [
                {"href": "ssh://git@bb.example.com:7999/proj/app.git", "name": "ssh"},
                {"href": "https://bot@bb.example.com/scm/proj/app.git", "name": "http"}
            ],
            "self": [{"href": "https://bb.example.com/projects/PROJ/repos/app/browse"}]
        },
        "partition": 3,
        "someFutureField": {"nested": true}
    })
}

#[test]
fn repository_with_clone_links() {
    let repo: Repository = serde_json::from_value(repository_json()).unwrap();
    assert_eq!(repo.slug, "app");
    assert_eq!(repo.id, 11);
    assert_eq!(repo.state, RepositoryState::Available);
    assert!(repo.is_writable_state());
    assert_eq!(repo.project.key, "PROJ");
    assert_eq!(repo.project.project_type, ProjectType::Normal);
    assert_eq!(
        repo.http_clone_href(),
        Some("https://bot@bb.example.com/scm/proj/app.git")
    );
    assert_eq!(
        repo.ssh_clone_href(),
        Some("ssh://git@bb.example.com:7999/proj/app.git")
    );
    assert_eq!(
        repo.links.web_url(),
        Some("https://bb.example.com/projects/PROJ/repos/app/browse")
    );
    assert!(repo.origin.is_none());
}

#[test]
fn sparse_and_null_fields_decode_leniently() {
    let repo: Repository = serde_json::from_value(json!({
        "slug": "bare", "description": null, "links": {"clone": null}, "state": "SOMETHING_NEW",
        "origin": null
    }))
    .unwrap();
    assert_eq!(repo.slug, "bare");
    assert_eq!(repo.description, None);
    assert!(repo.links.clone.is_empty());
    assert_eq!(repo.state, RepositoryState::Other("SOMETHING_NEW".into()));
    assert!(!repo.is_writable_state());
    assert_eq!(repo.http_clone_href(), None);
    let missing: Repository = serde_json::from_value(json!({})).unwrap();
    assert_eq!(missing.state, RepositoryState::Other(String::new()));
}

#[test]
fn enums_round_trip_and_keep_unknown_values() {
    assert_eq!(
        serde_json::to_value(BuildState::InProgress).unwrap(),
        "INPROGRESS"
    );
    assert_eq!(
        serde_json::from_value::<BuildState>(json!("CANCELLED")).unwrap(),
        BuildState::Cancelled
    );
    let future: ActivityAction = serde_json::from_value(json!("PLUGIN_THING")).unwrap();
    assert_eq!(future, ActivityAction::Other("PLUGIN_THING".into()));
    assert_eq!(serde_json::to_value(&future).unwrap(), "PLUGIN_THING");
    assert_eq!(future.to_string(), "PLUGIN_THING");
    assert_eq!(Permission::from("REPO_WRITE"), Permission::RepoWrite);
    assert_eq!(Permission::RepoWrite.as_str(), "REPO_WRITE");
}

fn pull_request_json() -> serde_json::Value {
    json!({
        "id": 7,
        "version": 2,
        "title": "Fix CVE-2021-44228",
        "description": "Bumps log4j-core",
        "state": "OPEN",
        "open": true,
        "closed": false,
        "draft": false,
        "createdDate": 1700000000000i64,
        "updatedDate": 1700000100000i64,
        "fromRef": {
            "id": "refs/heads/fix/log4j", "displayId": "fix/log4j",
            "latestCommit": "0123456789abcdef0123456789abcdef01234567", "type": "BRANCH",
            "repository": repository_json()
        },
        "toRef": {
            "id": "refs/heads/main", "displayId": "main",
            "latestCommit": "89abcdef0123456789abcdef0123456789abcdef", "type": "BRANCH",
            "repository": repository_json()
        },
        "locked": false,
        "author": {
            "user": {"name": "bot", "emailAddress": "bot@example.com", "id": 3, "displayName": "Bot",
                     "active": true, "slug": "bot", "type": "NORMAL"},
            "role": "AUTHOR", "approved": false, "status": "UNAPPROVED"
        },
        "reviewers": [{
            "user": {"name": "alice", "id": 4, "displayName": "Alice", "active": true, "slug": "alice", "type": "NORMAL"},
            "lastReviewedCommit": "0123456789abcdef0123456789abcdef01234567",
            "role": "REVIEWER", "approved": true, "status": "APPROVED"
        }],
        "participants": [],
        "properties": {"mergeResult": {"outcome": "CLEAN", "current": true}, "resolvedTaskCount": 0, "openTaskCount": 1},
        "links": {"self": [{"href": "https://bb.example.com/projects/PROJ/repos/app/pull-requests/7"}]}
    })
}

#[test]
fn pull_request_decodes() {
    let pr: PullRequest = serde_json::from_value(pull_request_json()).unwrap();
    assert_eq!((pr.id, pr.version), (7, 2));
    assert_eq!(pr.state, PullRequestState::Open);
    assert_eq!(pr.from_ref.display_id, "fix/log4j");
    assert_eq!(pr.from_ref.ref_type, RefType::Branch);
    assert_eq!(pr.to_ref.repository.as_ref().unwrap().slug, "app");
    let author = pr.author.as_ref().unwrap();
    assert_eq!(author.role, ParticipantRole::Author);
    assert_eq!(
        author.user.email_address.as_deref(),
        Some("bot@example.com")
    );
    assert_eq!(pr.reviewers[0].status, ParticipantStatus::Approved);
    assert_eq!(pr.reviewer_names(), ["alice"]);
    assert_eq!(pr.properties.as_ref().unwrap().open_task_count, Some(1));
    assert_eq!(pr.closed_date, None);
}

#[test]
fn activities_with_known_and_unknown_actions() {
    let page: crate::Page<Activity> = serde_json::from_value(json!({
        "size": 3, "limit": 25, "isLastPage": true, "start": 0,
        "values": [
            {
                "id": 101, "createdDate": 1700000200000i64,
                "user": {"name": "alice", "slug": "alice"},
                "action": "COMMENTED", "commentAction": "ADDED",
                "comment": {
                    "id": 17, "version": 0, "text": "### Remediation\n\nlooks good",
                    "author": {"name": "alice"}, "createdDate": 1700000200000i64,
                    "severity": "NORMAL", "state": "OPEN", "comments": [],
                    "permittedOperations": {"editable": true, "deletable": true, "transitionable": true}
                },
                "commentAnchor": {"path": "pom.xml", "line": 42, "lineType": "ADDED", "fileType": "TO", "diffType": "EFFECTIVE"}
            },
            {
                "id": 102, "createdDate": 1700000300000i64, "user": {"name": "bot"},
                "action": "UPDATED", "addedReviewers": [{"name": "carol"}], "removedReviewers": []
            },
            {
                "id": 103, "createdDate": 1700000400000i64, "user": {"name": "ci"},
                "action": "SECURITY_SCAN_FINISHED",
                "scan": {"findings": 3}, "pluginKey": "com.example.scanner"
            }
        ]
    }))
    .unwrap();
    let [commented, updated, unknown] = &page.values[..] else {
        panic!("three activities");
    };
    assert_eq!(commented.action, ActivityAction::Commented);
    assert_eq!(commented.comment_action, Some(CommentAction::Added));
    let comment = commented.comment.as_ref().unwrap();
    assert_eq!((comment.id, comment.version), (17, 0));
    assert!(comment.text.starts_with("### Remediation"));
    assert!(comment.permitted_operations.as_ref().unwrap().editable);
    let anchor = commented.comment_anchor.as_ref().unwrap();
    assert_eq!(anchor.path.as_deref(), Some("pom.xml"));
    assert_eq!(anchor.line, Some(42));
    assert_eq!(anchor.line_type, Some(LineType::Added));
    assert_eq!(updated.added_reviewers[0].name, "carol");
    assert_eq!(
        unknown.action,
        ActivityAction::Other("SECURITY_SCAN_FINISHED".into())
    );
    assert_eq!(unknown.extra["scan"]["findings"], 3);
    assert_eq!(unknown.extra["pluginKey"], "com.example.scanner");
    assert!(!commented.extra.contains_key("comment"));
}

#[test]
fn anchor_path_as_object_or_string() {
    let anchor: Anchor = serde_json::from_value(json!({
        "path": {"components": ["src", "main.rs"], "name": "main.rs", "toString": "src/main.rs"},
        "srcPath": {"components": ["src", "old.rs"]}
    }))
    .unwrap();
    assert_eq!(anchor.path.as_deref(), Some("src/main.rs"));
    assert_eq!(anchor.src_path.as_deref(), Some("src/old.rs"));
    let anchor: Anchor =
        serde_json::from_value(json!({"path": "pom.xml", "srcPath": null})).unwrap();
    assert_eq!(anchor.path.as_deref(), Some("pom.xml"));
    assert_eq!(anchor.src_path, None);
}

#[test]
fn commit_change_and_dir_entry() {
    let commit: Commit = serde_json::from_value(json!({
        "id": "0123456789abcdef0123456789abcdef01234567", "displayId": "0123456789a",
        "author": {"name": "Bot", "emailAddress": "bot@example.com"}, "authorTimestamp": 1700000000000i64,
        "committer": {"name": "Bot", "emailAddress": "bot@example.com"}, "committerTimestamp": 1700000000000i64,
        "message": "Bump log4j", "parents": [{"id": "89abcdef0123456789abcdef0123456789abcdef", "displayId": "89abcdef012"}]
    }))
    .unwrap();
    assert_eq!(commit.parents[0].display_id, "89abcdef012");
    assert_eq!(
        commit.author.email_address.as_deref(),
        Some("bot@example.com")
    );

    let change: Change = serde_json::from_value(json!({
        "contentId": "abc", "fromContentId": "def",
        "path": {"components": ["dir", "a b.txt"], "parent": "dir", "name": "a b.txt", "extension": "txt", "toString": "dir/a b.txt"},
        "executable": false, "percentUnchanged": -1, "type": "MODIFY", "nodeType": "FILE",
        "srcExecutable": false, "properties": {"gitChangeType": "MODIFY"}
    }))
    .unwrap();
    assert_eq!(change.change_type, ChangeType::Modify);
    assert_eq!(change.node_type, Some(EntryType::File));
    assert_eq!(change.path.as_string(), "dir/a b.txt");

    let entry: DirEntry = serde_json::from_value(json!({
        "path": {"components": ["src"], "name": "src"}, "type": "DIRECTORY"
    }))
    .unwrap();
    assert_eq!(entry.entry_type, EntryType::Directory);
    assert_eq!(entry.path.as_string(), "src");
    assert_eq!(entry.size, None);
}

#[test]
fn application_properties_versions() {
    let props: ApplicationProperties = serde_json::from_value(json!({
        "version": "9.4.3", "buildNumber": "9004003", "buildDate": "1718000000000", "displayName": "Bitbucket"
    }))
    .unwrap();
    assert_eq!(props.version_triple(), Some((9, 4, 3)));
    assert!(props.is_at_least(8, 18, 0));
    assert!(props.is_at_least(9, 4, 3));
    assert!(!props.is_at_least(9, 4, 4));
    let mut odd = props.clone();
    odd.version = "10.0".into();
    assert_eq!(odd.version_triple(), Some((10, 0, 0)));
    odd.version = "8.19.1-rc1".into();
    assert_eq!(odd.version_triple(), Some((8, 19, 1)));
    odd.version = "unknown".into();
    assert!(!odd.is_at_least(1, 0, 0));
}

#[test]
fn user_build_and_insight_models() {
    let user: User = serde_json::from_value(json!({
        "name": "svc", "emailAddress": null, "id": 9, "displayName": "Service", "active": true,
        "slug": "svc", "type": "SERVICE", "links": {"self": [{"href": "https://bb/users/svc"}]}
    }))
    .unwrap();
    assert_eq!(user.user_type, UserType::Service);
    assert_eq!(user.email_address, None);

    let status: BuildStatus = serde_json::from_value(json!({
        "key": "ci/unit", "state": "SUCCESSFUL", "url": "https://ci/1", "ref": "refs/heads/main",
        "testResults": {"successful": 10, "failed": 0, "skipped": 1}, "createdDate": 1, "updatedDate": 2,
        "projectKey": "PROJ", "repositorySlug": "app"
    }))
    .unwrap();
    assert_eq!(status.state, BuildState::Successful);
    assert_eq!(status.git_ref.as_deref(), Some("refs/heads/main"));
    assert_eq!(status.test_results.unwrap().skipped, 1);

    let stats: BuildStats = serde_json::from_value(
        json!({"successful": 2, "failed": 1, "inProgress": 3, "cancelled": 0, "unknown": 0}),
    )
    .unwrap();
    assert_eq!((stats.successful, stats.in_progress), (2, 3));

    let report: InsightReport = serde_json::from_value(json!({
        "key": "com.example.vulns", "title": "Vulnerabilities", "result": "FAIL", "createdDate": 1700000000000i64,
        "data": [{"title": "High", "type": "NUMBER", "value": 2}, {"title": "Report", "type": "LINK", "value": {"linktext": "details", "href": "https://x"}}]
    }))
    .unwrap();
    assert_eq!(report.result, Some(ReportResult::Fail));
    assert_eq!(report.data[1].data_type, ReportDataType::Link);
    assert_eq!(report.data[1].value["href"], "https://x");
}

#[test]
fn new_pull_request_body() {
    let body = NewPullRequest::new("Fix", "fix/x", "refs/heads/main")
        .description("desc")
        .reviewers(["alice", "bob"])
        .draft(true)
        .to_body("PROJ", "app");
    assert_eq!(
        body,
        json!({
            "title": "Fix",
            "description": "desc",
            "fromRef": {"id": "refs/heads/fix/x", "repository": {"slug": "app", "project": {"key": "PROJ"}}},
            "toRef": {"id": "refs/heads/main", "repository": {"slug": "app", "project": {"key": "PROJ"}}},
            "reviewers": [{"user": {"name": "alice"}}, {"user": {"name": "bob"}}],
            "draft": true
        })
    );
    let forked = NewPullRequest::new("Fix", "x", "main")
        .from_repository("~BOT", "app-fork")
        .to_body("PROJ", "app");
    assert_eq!(forked["fromRef"]["repository"]["project"]["key"], "~BOT");
    assert_eq!(forked["fromRef"]["repository"]["slug"], "app-fork");
    assert_eq!(forked["reviewers"], json!([]));
    assert!(forked.get("draft").is_none());
    assert!(forked.get("description").is_none());
}

#[test]
fn pull_request_update_body() {
    let pr: PullRequest = serde_json::from_value(pull_request_json()).unwrap();
    let body = PullRequestUpdate::from_pull_request(&pr)
        .title("New title")
        .to_body();
    assert_eq!(
        body,
        json!({
            "version": 2,
            "title": "New title",
            "description": "Bumps log4j-core",
            "reviewers": [{"user": {"name": "alice"}}]
        })
    );
    let minimal = PullRequestUpdate::new(5)
        .to_branch("develop")
        .draft(false)
        .to_body();
    assert_eq!(
        minimal,
        json!({"version": 5, "toRef": {"id": "refs/heads/develop"}, "draft": false})
    );
}

#[test]
fn comment_bodies() {
    assert_eq!(NewComment::new("hi").to_body(), json!({"text": "hi"}));
    assert_eq!(
        NewComment::new("re").reply_to(17).to_body(),
        json!({"text": "re", "parent": {"id": 17}})
    );
    assert_eq!(
        NewComment::new("task").blocker().to_body(),
        json!({"text": "task", "severity": "BLOCKER"})
    );
    let anchored = NewComment::new("here")
        .anchor(
            Anchor::line("pom.xml", 42, LineType::Added, FileType::To).in_diff(
                DiffType::Commit,
                "aaaa",
                "bbbb",
            ),
        )
        .to_body();
    assert_eq!(
        anchored,
        json!({"text": "here", "anchor": {
            "path": "pom.xml", "line": 42, "lineType": "ADDED", "fileType": "TO",
            "diffType": "COMMIT", "fromHash": "aaaa", "toHash": "bbbb"
        }})
    );
    assert_eq!(
        NewComment::new("f").anchor(Anchor::file("a.txt")).to_body(),
        json!({"text": "f", "anchor": {"path": "a.txt", "diffType": "EFFECTIVE"}})
    );
    assert_eq!(
        serde_json::to_value(
            CommentUpdate::new(3)
                .text("t")
                .state(CommentState::Resolved)
        )
        .unwrap(),
        json!({"version": 3, "text": "t", "state": "RESOLVED"})
    );
}

#[test]
fn branch_build_and_insight_request_bodies() {
    assert_eq!(
        serde_json::to_value(DeleteBranch::new("fix/x").end_point("abc").dry_run(true)).unwrap(),
        json!({"name": "refs/heads/fix/x", "endPoint": "abc", "dryRun": true})
    );
    assert_eq!(
        serde_json::to_value(DeleteBranch::new("refs/heads/y")).unwrap(),
        json!({"name": "refs/heads/y"})
    );
    assert_eq!(
        serde_json::to_value(NewBranch::new("fix/x", "refs/heads/main").message("m")).unwrap(),
        json!({"name": "fix/x", "startPoint": "refs/heads/main", "message": "m"})
    );
    assert_eq!(
        serde_json::to_value(
            NewBuildStatus::new("ci", BuildState::Failed, "https://ci/2")
                .name("CI")
                .git_ref("main")
                .test_results(TestResults::new(1, 2, 3))
        )
        .unwrap(),
        json!({"key": "ci", "state": "FAILED", "url": "https://ci/2", "name": "CI",
               "ref": "refs/heads/main", "testResults": {"successful": 1, "failed": 2, "skipped": 3}})
    );
    assert_eq!(
        serde_json::to_value(
            NewInsightReport::new("Vulns")
                .result(ReportResult::Pass)
                .data(ReportData::new("High", ReportDataType::Number, json!(0)))
        )
        .unwrap(),
        json!({"title": "Vulns", "data": [{"title": "High", "type": "NUMBER", "value": 0}], "result": "PASS"})
    );
    assert_eq!(
        serde_json::to_value(
            NewAnnotation::new("CVE", AnnotationSeverity::High)
                .at("pom.xml", 3)
                .annotation_type(AnnotationType::Vulnerability)
                .external_id("cve-1")
        )
        .unwrap(),
        json!({"message": "CVE", "severity": "HIGH", "path": "pom.xml", "line": 3,
               "type": "VULNERABILITY", "externalId": "cve-1"})
    );
}

#[test]
fn query_builders() {
    let query = PullRequestQuery::new()
        .state(PullRequestStateFilter::All)
        .direction(PullRequestDirection::Outgoing)
        .at("fix/x")
        .order(PullRequestOrder::Oldest)
        .filter_text("CVE")
        .draft(false)
        .to_query();
    let expected: Vec<(String, String)> = [
        ("state", "ALL"),
        ("direction", "OUTGOING"),
        ("at", "refs/heads/fix/x"),
        ("order", "OLDEST"),
        ("filterText", "CVE"),
        ("draft", "false"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    assert_eq!(query, expected);

    let users = UserQuery::new()
        .filter("bot@example.com")
        .repo_permission(Permission::RepoRead, "PROJ", "app")
        .global_permission(Permission::LicensedUser)
        .to_query();
    assert_eq!(
        users,
        vec![
            ("filter".to_owned(), "bot@example.com".to_owned()),
            ("permission.1".to_owned(), "REPO_READ".to_owned()),
            ("permission.1.projectKey".to_owned(), "PROJ".to_owned()),
            ("permission.1.repositorySlug".to_owned(), "app".to_owned()),
            ("permission.2".to_owned(), "LICENSED_USER".to_owned()),
        ]
    );

    let repos = RepoSearch::new()
        .permission(Permission::RepoWrite)
        .project_key("PROJ")
        .to_query();
    assert_eq!(
        repos,
        vec![
            ("permission".to_owned(), "REPO_WRITE".to_owned()),
            ("projectkey".to_owned(), "PROJ".to_owned()),
            ("state".to_owned(), "AVAILABLE".to_owned()),
        ]
    );
    let commits = CommitQuery::new()
        .until("refs/heads/main")
        .since("abc")
        .path("pom.xml")
        .to_query();
    assert_eq!(commits.len(), 3);
}

#[test]
fn file_edit_debug_hides_content() {
    let edit = FileEdit::new("main", "super secret content");
    let debug = format!("{edit:?}");
    assert!(debug.contains("content_len: 20"), "{debug}");
    assert!(!debug.contains("super secret"), "{debug}");
}

#[test]
fn branch_default_flag_in_either_spelling() {
    let both: Branch = serde_json::from_value(json!({
        "id": "refs/heads/main", "displayId": "main", "type": "BRANCH",
        "latestCommit": "abc", "latestChangeset": "abc", "isDefault": true, "default": true
    }))
    .unwrap();
    assert!(both.is_default);
    assert_eq!(both.latest_commit.as_deref(), Some("abc"));
    let spec: Branch =
        serde_json::from_value(json!({"id": "refs/heads/main", "default": true})).unwrap();
    assert!(spec.is_default);
    let real: Branch = serde_json::from_value(
        json!({"id": "refs/heads/x", "isDefault": false, "latestChangeset": "def"}),
    )
    .unwrap();
    assert!(!real.is_default);
    assert_eq!(real.latest_commit.as_deref(), Some("def"));
    assert!(
        !serde_json::from_value::<Branch>(json!({}))
            .unwrap()
            .is_default
    );
}

/// 2018-07-05T05:01:10Z in epoch milliseconds.
const JULY_5: i64 = 1_530_766_870_000;

/// The same instant as epoch milliseconds, as Data Center 10 writes it, and as RFC 3339.
fn each_timestamp_form() -> [serde_json::Value; 4] {
    [
        json!(JULY_5),
        json!("2018-07-05T05:01:10+0000"),
        json!("2018-07-05T05:01:10Z"),
        json!("2018-07-05T05:01:10+00:00"),
    ]
}

#[test]
fn commit_timestamps_in_every_form() {
    for stamp in each_timestamp_form() {
        let commit: Commit = serde_json::from_value(json!({
            "id": "0123456789abcdef0123456789abcdef01234567", "displayId": "0123456789a",
            "author": {"name": "Bot", "emailAddress": "bot@example.com"}, "authorTimestamp": stamp,
            "committer": {"name": "Bot", "emailAddress": "bot@example.com"}, "committerTimestamp": stamp,
            "message": "Bump log4j", "parents": []
        }))
        .unwrap_or_else(|err| panic!("a commit with timestamp {stamp} decodes: {err}"));
        assert_eq!(commit.author_timestamp, JULY_5, "{stamp}");
        assert_eq!(commit.committer_timestamp, Some(JULY_5), "{stamp}");
    }
}

#[test]
fn pull_request_dates_in_every_form() {
    for stamp in each_timestamp_form() {
        let mut body = pull_request_json();
        body["createdDate"] = stamp.clone();
        body["updatedDate"] = stamp.clone();
        body["closedDate"] = stamp.clone();
        let pr: PullRequest = serde_json::from_value(body)
            .unwrap_or_else(|err| panic!("a pull request with date {stamp} decodes: {err}"));
        assert_eq!(
            (pr.created_date, pr.updated_date, pr.closed_date),
            (JULY_5, JULY_5, Some(JULY_5)),
            "{stamp}"
        );
    }
}

#[test]
fn comment_activity_build_and_report_dates_in_every_form() {
    for stamp in each_timestamp_form() {
        let activity: Activity = serde_json::from_value(json!({
            "id": 101, "createdDate": stamp, "user": {"name": "alice"}, "action": "COMMENTED",
            "comment": {"id": 17, "version": 0, "text": "hi", "author": {"name": "alice"},
                        "createdDate": stamp, "updatedDate": stamp}
        }))
        .unwrap_or_else(|err| panic!("an activity with date {stamp} decodes: {err}"));
        assert_eq!(activity.created_date, JULY_5, "{stamp}");
        let comment = activity.comment.unwrap();
        assert_eq!(
            (comment.created_date, comment.updated_date),
            (JULY_5, JULY_5)
        );

        let status: BuildStatus = serde_json::from_value(json!({
            "key": "ci", "state": "SUCCESSFUL", "url": "https://ci/1",
            "createdDate": stamp, "updatedDate": stamp, "dateAdded": stamp
        }))
        .unwrap_or_else(|err| panic!("a build status with date {stamp} decodes: {err}"));
        assert_eq!(
            (status.created_date, status.updated_date, status.date_added),
            (Some(JULY_5), Some(JULY_5), Some(JULY_5))
        );

        let report: InsightReport =
            serde_json::from_value(json!({"key": "k", "title": "t", "createdDate": stamp}))
                .unwrap_or_else(|err| panic!("a report with date {stamp} decodes: {err}"));
        assert_eq!(report.created_date, Some(JULY_5));
    }
}

#[test]
fn a_malformed_timestamp_fails_the_decode_with_the_value() {
    let err =
        serde_json::from_value::<Commit>(json!({"authorTimestamp": "last tuesday"})).unwrap_err();
    assert!(err.to_string().contains("last tuesday"), "{err}");
}

/// Decodes `body` as `T`, re-encodes it and decodes that again: nothing may be lost.
fn round_trip<T>(body: serde_json::Value) -> (T, serde_json::Value)
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let decoded: T = serde_json::from_value(body).expect("the body decodes");
    let encoded = serde_json::to_value(&decoded).expect("the model encodes");
    let again: T = serde_json::from_value(encoded.clone()).expect("the encoding decodes");
    assert_eq!(decoded, again);
    (decoded, encoded)
}

#[test]
fn comment_properties_and_orphaned_anchor_are_kept() {
    let (comment, encoded) = round_trip::<Comment>(json!({
        "properties": {"repositoryId": 84, "likedBy": {"total": 2}},
        "id": 42, "version": 1, "text": "Outdated line", "author": {"name": "alice", "slug": "alice"},
        "createdDate": 1530766870000i64, "updatedDate": 1530766870000i64,
        "comments": [], "threadResolved": false, "severity": "NORMAL", "state": "OPEN",
        "anchor": {"fromHash": "aaaa", "toHash": "bbbb", "line": 7, "lineType": "ADDED",
                   "fileType": "TO", "path": "pom.xml", "diffType": "EFFECTIVE", "orphaned": true},
        "permittedOperations": {"editable": true, "transitionable": true, "deletable": true}
    }));
    let properties = comment.properties.as_ref().unwrap();
    assert_eq!(properties.repository_id, Some(84));
    assert_eq!(properties.extra["likedBy"]["total"], 2);
    assert_eq!(comment.anchor.as_ref().unwrap().orphaned, Some(true));
    assert_eq!(encoded["properties"]["repositoryId"], 84);
    assert_eq!(encoded["properties"]["likedBy"]["total"], 2);
    assert_eq!(encoded["anchor"]["orphaned"], true);
    // A request anchor does not send the read-only flag.
    let sent = NewComment::new("x")
        .anchor(Anchor::file("pom.xml"))
        .to_body();
    assert!(sent["anchor"].get("orphaned").is_none(), "{sent}");
}

#[test]
fn personal_project_owner_is_kept() {
    let (project, encoded) = round_trip::<Project>(json!({
        "key": "~ALICE", "id": 3, "name": "Alice Developer", "type": "PERSONAL",
        "owner": {"name": "alice", "emailAddress": "alice@example.com", "id": 5,
                  "displayName": "Alice Developer", "active": true, "slug": "alice", "type": "NORMAL",
                  "links": {"self": [{"href": "https://bb.example.com/users/alice"}]}},
        "links": {"self": [{"href": "https://bb.example.com/users/alice"}]}
    }));
    assert_eq!(project.project_type, ProjectType::Personal);
    let owner = project.owner.as_ref().unwrap();
    assert_eq!((owner.name.as_str(), owner.id), ("alice", 5));
    assert_eq!(owner.display_name, "Alice Developer");
    assert_eq!(encoded["owner"]["slug"], "alice");
    let normal: Project = serde_json::from_value(json!({"key": "PROJ", "type": "NORMAL"})).unwrap();
    assert_eq!(normal.owner, None);
}

#[test]
fn change_conflict_links_and_git_change_type_are_kept() {
    let (change, encoded) = round_trip::<Change>(json!({
        "contentId": "abc", "fromContentId": "def",
        "path": {"components": ["pom.xml"], "name": "pom.xml", "extension": "xml", "toString": "pom.xml"},
        "executable": false, "percentUnchanged": -1, "type": "MODIFY", "nodeType": "FILE",
        "srcExecutable": false,
        "conflict": {
            "ourChange": {"path": {"components": ["pom.xml"], "name": "pom.xml", "toString": "pom.xml"}, "type": "MODIFY"},
            "theirChange": {"path": {"components": ["pom.xml"], "name": "pom.xml", "toString": "pom.xml"},
                            "srcPath": {"components": ["old.xml"], "name": "old.xml", "toString": "old.xml"}, "type": "MOVE"}
        },
        "links": {"self": [{"href": "https://bb.example.com/projects/PROJ/repos/app/commits/abc#pom.xml"}]},
        "properties": {"gitChangeType": "MODIFY", "orphanedComments": 0}
    }));
    let conflict = change.conflict.as_ref().unwrap();
    assert_eq!(
        conflict.our_change.as_ref().unwrap().change_type,
        ChangeType::Modify
    );
    let theirs = conflict.their_change.as_ref().unwrap();
    assert_eq!(theirs.change_type, ChangeType::Move);
    assert_eq!(theirs.src_path.as_ref().unwrap().as_string(), "old.xml");
    assert_eq!(
        change.links.web_url(),
        Some("https://bb.example.com/projects/PROJ/repos/app/commits/abc#pom.xml")
    );
    let properties = change.properties.as_ref().unwrap();
    assert_eq!(properties.git_change_type.as_deref(), Some("MODIFY"));
    assert_eq!(properties.extra["orphanedComments"], 0);
    assert_eq!(change.src_executable, Some(false));
    assert_eq!(encoded["properties"]["gitChangeType"], "MODIFY");
    assert_eq!(encoded["conflict"]["theirChange"]["type"], "MOVE");
}

#[test]
fn pull_request_merge_result_and_counts_are_kept() {
    let mut body = pull_request_json();
    body["properties"] = json!({
        "mergeResult": {"outcome": "CONFLICTED", "current": true},
        "resolvedTaskCount": 2, "commentCount": 5, "openTaskCount": 1,
        "com.example.plugin": {"score": 3}
    });
    let (pr, encoded) = round_trip::<PullRequest>(body);
    let properties = pr.properties.as_ref().unwrap();
    let merge = properties.merge_result.as_ref().unwrap();
    assert_eq!(merge.outcome, MergeOutcome::Conflicted);
    assert!(merge.current);
    assert_eq!(
        (
            properties.comment_count,
            properties.open_task_count,
            properties.resolved_task_count
        ),
        (Some(5), Some(1), Some(2))
    );
    assert_eq!(properties.extra["com.example.plugin"]["score"], 3);
    assert_eq!(
        encoded["properties"]["mergeResult"]["outcome"],
        "CONFLICTED"
    );
    assert_eq!(encoded["properties"]["commentCount"], 5);
}

#[test]
fn commit_authors_that_are_users_keep_the_user_fields() {
    let (commit, encoded) = round_trip::<Commit>(json!({
        "id": "0123456789abcdef0123456789abcdef01234567", "displayId": "0123456789a",
        "author": {"name": "alice", "emailAddress": "alice@example.com", "id": 5,
                   "displayName": "Alice Developer", "active": true, "slug": "alice", "type": "NORMAL",
                   "links": {"self": [{"href": "https://bb.example.com/users/alice"}]}},
        "authorTimestamp": "2018-07-05T05:01:10+0000",
        "committer": {"name": "Git Tester", "emailAddress": "git-tester@example.com"},
        "committerTimestamp": "2018-07-05T05:01:10+0000",
        "message": "Bump log4j", "parents": []
    }));
    let author = &commit.author;
    assert!(author.is_user());
    assert_eq!(author.id, Some(5));
    assert_eq!(author.slug.as_deref(), Some("alice"));
    assert_eq!(author.display_name.as_deref(), Some("Alice Developer"));
    assert_eq!(author.active, Some(true));
    assert_eq!(author.user_type, Some(UserType::Normal));
    assert_eq!(
        author.links.as_ref().unwrap().web_url(),
        Some("https://bb.example.com/users/alice")
    );
    let committer = commit.committer.as_ref().unwrap();
    assert!(!committer.is_user());
    assert_eq!(
        committer.email_address.as_deref(),
        Some("git-tester@example.com")
    );
    assert_eq!(encoded["author"]["displayName"], "Alice Developer");
    // A plain person encodes without user fields.
    assert_eq!(
        encoded["committer"],
        json!({"name": "Git Tester", "emailAddress": "git-tester@example.com"})
    );
    assert_eq!(encoded["authorTimestamp"], JULY_5);
}

#[test]
fn next_page_start_is_kept_on_every_page() {
    let (middle, encoded) = round_trip::<crate::Page<MinimalCommit>>(json!({
        "size": 1, "limit": 1, "isLastPage": false, "start": 0, "nextPageStart": 1,
        "values": [{"id": "a", "displayId": "a"}]
    }));
    assert_eq!(middle.next_page_start, Some(1));
    assert_eq!(encoded["nextPageStart"], 1);
    // Some servers send it on the last page too, or as null.
    let (last, encoded) = round_trip::<crate::Page<MinimalCommit>>(json!({
        "size": 1, "limit": 1, "isLastPage": true, "start": 1, "nextPageStart": 2,
        "values": [{"id": "b", "displayId": "b"}]
    }));
    assert_eq!((last.is_last_page, last.next_page_start), (true, Some(2)));
    assert_eq!(encoded["nextPageStart"], 2);
    let (null, _) = round_trip::<crate::Page<MinimalCommit>>(json!({
        "size": 0, "limit": 25, "isLastPage": true, "start": 0, "nextPageStart": null, "values": []
    }));
    assert_eq!(null.next_page_start, None);
}
