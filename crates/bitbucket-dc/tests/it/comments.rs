//! Pull request comments (general, replies, anchored to a file or a line, update and delete with
//! `version`) and blocker comments (tasks).

use bitbucket_dc::{
    ActivityAction, Anchor, CommentAction, CommentSeverity, CommentState, CommentUpdate, DiffType,
    Error, FileType, LineType, NewComment, NewPullRequest, NotFoundKind, PullRequestApi,
};
use bitbucket_dc_sim::Simulator;

use crate::support::{client, rest_log, start, tip, ALICE, BOB};

/// Opens `feature` -> `main` as alice and returns the handle as alice and as bob.
async fn open_pull_request(sim: &Simulator) -> (PullRequestApi, PullRequestApi) {
    let alice = client(sim, ALICE);
    let pr = alice
        .repo("PRJ", "service")
        .pull_requests()
        .create(&NewPullRequest::new("Fix", "feature", "main").reviewers(["bob"]))
        .await
        .expect("create");
    (
        alice.repo("PRJ", "service").pull_request(pr.id),
        client(sim, BOB).repo("PRJ", "service").pull_request(pr.id),
    )
}

#[tokio::test]
async fn general_replies_and_anchored_comments() {
    let sim = start().await;
    let (as_alice, as_bob) = open_pull_request(&sim).await;
    let comments = as_alice.comments();
    assert!(!comments.is_blocker());
    let main = tip(&sim, "service", "main");
    let feature = tip(&sim, "service", "feature");

    let general = comments
        .add(&NewComment::new("Fixes 2 vulnerabilities"))
        .await
        .expect("general comment");
    assert_eq!(general.version, 0);
    assert_eq!(general.text, "Fixes 2 vulnerabilities");
    assert_eq!(general.author.name, "alice");
    assert_eq!(general.severity, CommentSeverity::Normal);
    assert_eq!(general.state, CommentState::Open);
    assert_eq!(general.anchor, None);
    let reply = as_bob
        .comments()
        .add(&NewComment::new("Thanks").reply_to(general.id))
        .await
        .expect("reply");
    let thread = comments.get(general.id).await.expect("get");
    assert_eq!(thread.comments.len(), 1);
    assert_eq!(thread.comments[0].id, reply.id);
    assert_eq!(thread.comments[0].author.name, "bob");

    let on_line = comments
        .add(
            &NewComment::new("this line pulls in a vulnerable crate").anchor(Anchor::line(
                "README.md",
                3,
                LineType::Added,
                FileType::To,
            )),
        )
        .await
        .expect("line comment");
    let anchor = on_line.anchor.as_ref().expect("anchor");
    assert_eq!(anchor.path.as_deref(), Some("README.md"));
    assert_eq!(anchor.line, Some(3));
    assert_eq!(anchor.line_type, Some(LineType::Added));
    assert_eq!(anchor.file_type, Some(FileType::To));
    assert_eq!(anchor.diff_type, Some(DiffType::Effective));
    assert_eq!(anchor.to_hash.as_deref(), Some(feature.as_str()));
    let on_file = comments
        .add(
            &NewComment::new("new file")
                .anchor(Anchor::file("CHANGELOG.md").src_path("HISTORY.md")),
        )
        .await
        .expect("file comment");
    assert_eq!(
        on_file.anchor.as_ref().and_then(|a| a.src_path.as_deref()),
        Some("HISTORY.md")
    );
    assert_eq!(
        on_file.anchor.as_ref().and_then(|a| a.line),
        None,
        "a file comment has no line"
    );
    let in_commit = comments
        .add(&NewComment::new("in the commit diff").anchor(
            Anchor::line("README.md", 1, LineType::Context, FileType::From).in_diff(
                DiffType::Commit,
                &main,
                &feature,
            ),
        ))
        .await
        .expect("commit diff comment");
    let anchor = in_commit.anchor.as_ref().expect("anchor");
    assert_eq!(anchor.diff_type, Some(DiffType::Commit));
    assert_eq!(
        (anchor.from_hash.as_deref(), anchor.to_hash.as_deref()),
        (Some(main.as_str()), Some(feature.as_str()))
    );

    let readme: Vec<i64> = comments
        .list_for_path("README.md")
        .collect_all()
        .await
        .expect("list")
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(readme.len(), 2);
    assert!(readme.contains(&on_line.id) && readme.contains(&in_commit.id));
    let changelog = comments
        .list_for_path("CHANGELOG.md")
        .collect_all()
        .await
        .expect("list");
    assert_eq!(changelog[0].id, on_file.id);
    // The server needs a path to list comments; general ones come from the activities.
    let unlisted = comments.list().collect_all().await;
    assert!(
        matches!(unlisted, Err(Error::BadRequest { .. })),
        "{unlisted:?}"
    );
    let commented = as_alice
        .activities()
        .collect_all()
        .await
        .expect("activities")
        .into_iter()
        .find(|a| {
            a.action == ActivityAction::Commented
                && a.comment.as_ref().map(|c| c.id) == Some(general.id)
        })
        .expect("the general comment is an activity");
    assert_eq!(commented.comment_action, Some(CommentAction::Added));

    // Updates and deletes carry the version.
    let edited = comments
        .update(
            general.id,
            &CommentUpdate::new(0).text("Fixes 3 vulnerabilities"),
        )
        .await
        .expect("update");
    assert_eq!(
        (edited.version, edited.text.as_str()),
        (1, "Fixes 3 vulnerabilities")
    );
    let stale = comments
        .update(general.id, &CommentUpdate::new(0).text("stale"))
        .await;
    assert!(
        matches!(&stale, Err(err @ Error::Conflict { .. })
            if err.exception_name().is_some_and(|n| n.ends_with("CommentOutOfDateException"))),
        "{stale:?}"
    );
    let not_author = as_bob
        .comments()
        .update(general.id, &CommentUpdate::new(1).text("bob's words"))
        .await;
    assert!(
        matches!(not_author, Err(Error::NoPermission { .. })),
        "{not_author:?}"
    );
    let resolved = comments
        .update(
            general.id,
            &CommentUpdate::new(1).state(CommentState::Resolved),
        )
        .await
        .expect("resolve");
    assert_eq!(resolved.state, CommentState::Resolved);

    let with_replies = comments.delete(general.id, resolved.version).await;
    assert!(
        matches!(with_replies, Err(Error::Conflict { .. })),
        "{with_replies:?}"
    );
    let stale_delete = as_bob.comments().delete(reply.id, 7).await;
    assert!(
        matches!(stale_delete, Err(Error::Conflict { .. })),
        "{stale_delete:?}"
    );
    as_bob
        .comments()
        .delete(reply.id, reply.version)
        .await
        .expect("delete reply");
    comments
        .delete(general.id, resolved.version)
        .await
        .expect("delete");
    let gone = comments.get(general.id).await;
    assert!(
        matches!(
            gone,
            Err(Error::NotFound {
                kind: NotFoundKind::Comment,
                ..
            })
        ),
        "{gone:?}"
    );
    let deletes: Vec<_> = rest_log(&sim)
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .collect();
    assert_eq!(deletes.len(), 4);
    assert!(deletes.iter().all(|d| d.query_param("version").is_some()));
}

#[tokio::test]
async fn blocker_comments_are_tasks() {
    let sim = start().await;
    let (as_alice, _) = open_pull_request(&sim).await;
    let tasks = as_alice.blocker_comments();
    assert!(tasks.is_blocker());

    let task = tasks
        .add(&NewComment::new("Re-run the build"))
        .await
        .expect("task");
    assert_eq!(task.severity, CommentSeverity::Blocker);
    assert_eq!(task.state, CommentState::Open);
    let flagged = as_alice
        .comments()
        .add(&NewComment::new("Check the lock file").blocker())
        .await
        .expect("blocker through comments");
    assert_eq!(flagged.severity, CommentSeverity::Blocker);
    let plain = as_alice
        .comments()
        .add(&NewComment::new("Just a remark"))
        .await
        .expect("comment");
    let listed = |tasks: bitbucket_dc::CommentsApi| async move {
        let mut ids: Vec<i64> = tasks
            .list()
            .collect_all()
            .await
            .expect("tasks")
            .into_iter()
            .map(|c| c.id)
            .collect();
        ids.sort_unstable();
        ids
    };
    assert_eq!(listed(tasks.clone()).await, [task.id, flagged.id]);

    // A comment becomes a task by changing its severity.
    let converted = as_alice
        .comments()
        .update(
            plain.id,
            &CommentUpdate::new(0).severity(CommentSeverity::Blocker),
        )
        .await
        .expect("convert");
    assert_eq!(converted.severity, CommentSeverity::Blocker);
    assert_eq!(listed(tasks.clone()).await, [task.id, flagged.id, plain.id]);

    let fetched = tasks.get(task.id).await.expect("get task");
    assert_eq!(fetched.text, "Re-run the build");
    let done = tasks
        .update(
            task.id,
            &CommentUpdate::new(0).state(CommentState::Resolved),
        )
        .await
        .expect("resolve");
    assert_eq!(done.state, CommentState::Resolved);
    tasks.delete(task.id, done.version).await.expect("delete");
    assert_eq!(listed(tasks.clone()).await, [flagged.id, plain.id]);
    assert!(rest_log(&sim)
        .iter()
        .filter(|r| r.path.contains("/blocker-comments"))
        .all(|r| r.path.contains("/pull-requests/1/blocker-comments")));
}
