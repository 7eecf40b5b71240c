//! Pull requests: create, get, list with every filter, update with `version`, the state machine
//! (decline, reopen, can-merge, merge, delete), the 409s of create and of stale versions,
//! participants and approvals, activities, commits and changes.

use bitbucket_dc::{
    ActivityAction, ChangeType, Error, MergeOptions, MergeOutcome, NewPullRequest, NotFoundKind,
    ParticipantRole, ParticipantStatus, PullRequest, PullRequestDirection, PullRequestOrder,
    PullRequestQuery, PullRequestState, PullRequestStateFilter, PullRequestUpdate,
};

use crate::support::{client, rest_log, start, tip, ALICE, BOB};

fn ids(prs: &[PullRequest]) -> Vec<i64> {
    prs.iter().map(|pr| pr.id).collect()
}

#[tokio::test]
async fn create_get_list_and_update() {
    let sim = start().await;
    let alice = client(&sim, ALICE);
    let prs = alice.repo("PRJ", "service").pull_requests();

    let pr = prs
        .create(
            &NewPullRequest::new("Fix CVE-2024-0001", "feature", "main")
                .description("Bumps the vulnerable crate")
                .reviewers(["bob"]),
        )
        .await
        .expect("create");
    assert_eq!(pr.id, 1);
    assert_eq!(pr.version, 0);
    assert_eq!(pr.title, "Fix CVE-2024-0001");
    assert_eq!(
        pr.description.as_deref(),
        Some("Bumps the vulnerable crate")
    );
    assert_eq!(pr.state, PullRequestState::Open);
    assert!(pr.open && !pr.closed && !pr.draft);
    assert_eq!(pr.from_ref.id, "refs/heads/feature");
    assert_eq!(
        pr.from_ref.latest_commit,
        Some(tip(&sim, "service", "feature"))
    );
    assert_eq!(pr.to_ref.id, "refs/heads/main");
    assert_eq!(
        pr.to_ref.repository.as_ref().map(|r| r.slug.as_str()),
        Some("service")
    );
    let author = pr.author.as_ref().expect("author");
    assert_eq!(author.user.name, "alice");
    assert_eq!(author.role, ParticipantRole::Author);
    assert_eq!(pr.reviewer_names(), ["bob"]);
    assert_eq!(pr.reviewers[0].status, ParticipantStatus::Unapproved);
    assert!(pr.created_date > 0);
    assert!(pr.links.web_url().is_some());

    let fetched = prs.get(pr.id).await.expect("get");
    assert_eq!(
        (fetched.id, fetched.version, &fetched.title),
        (1, 0, &pr.title)
    );
    assert_eq!(
        alice
            .repo("PRJ", "service")
            .pull_request(pr.id)
            .get()
            .await
            .expect("get")
            .from_ref,
        pr.from_ref
    );

    let draft = prs
        .create(&NewPullRequest::new("Deep fix", "fix/nested/deep", "main").draft(true))
        .await
        .expect("create draft");
    assert!(draft.draft);
    let list = |query: PullRequestQuery| {
        let prs = prs.clone();
        async move { ids(&prs.list(&query).collect_all().await.expect("list")) }
    };
    assert_eq!(list(PullRequestQuery::new()).await, [2, 1], "newest first");
    assert_eq!(
        list(PullRequestQuery::new().order(PullRequestOrder::Oldest)).await,
        [1, 2]
    );
    assert_eq!(
        list(
            PullRequestQuery::new()
                .direction(PullRequestDirection::Outgoing)
                .at("fix/nested/deep")
        )
        .await,
        [2]
    );
    assert_eq!(
        list(
            PullRequestQuery::new()
                .direction(PullRequestDirection::Incoming)
                .at("refs/heads/main")
        )
        .await,
        [2, 1]
    );
    assert_eq!(list(PullRequestQuery::new().filter_text("cve")).await, [1]);
    assert_eq!(list(PullRequestQuery::new().draft(true)).await, [2]);
    assert_eq!(
        list(PullRequestQuery::new().state(PullRequestStateFilter::Declined)).await,
        Vec::<i64>::new()
    );
    let outgoing = rest_log(&sim)
        .into_iter()
        .find(|r| r.query_param("direction").as_deref() == Some("OUTGOING"))
        .expect("sent");
    assert!(outgoing
        .query
        .as_deref()
        .is_some_and(|q| q.contains("at=refs%2Fheads%2Ffix%2Fnested%2Fdeep")));

    // Updating from the fetched pull request keeps its reviewers.
    let handle = alice.repo("PRJ", "service").pull_request(pr.id);
    assert_eq!(handle.id(), pr.id);
    let updated = handle
        .update(&PullRequestUpdate::from_pull_request(&fetched).title("Fix CVE-2024-0001 (v2)"))
        .await
        .expect("update");
    assert_eq!(updated.version, 1);
    assert_eq!(updated.title, "Fix CVE-2024-0001 (v2)");
    assert_eq!(updated.reviewer_names(), ["bob"]);
    let retargeted = handle
        .update(
            &PullRequestUpdate::from_pull_request(&updated)
                .description("Now into same-as-main")
                .to_branch("same-as-main"),
        )
        .await
        .expect("retarget");
    assert_eq!(retargeted.version, 2);
    assert_eq!(retargeted.to_ref.id, "refs/heads/same-as-main");
    // A bare update sends no reviewers, which the server takes as "no reviewers".
    let bare = handle
        .update(&PullRequestUpdate::new(retargeted.version).draft(true))
        .await
        .expect("bare update");
    assert!(bare.draft);
    assert!(bare.reviewers.is_empty());
    let reviewers = handle
        .update(&PullRequestUpdate::new(bare.version).reviewers(["bob"]))
        .await
        .expect("reviewers");
    assert_eq!(reviewers.reviewer_names(), ["bob"]);
}

#[tokio::test]
async fn create_conflicts_map_to_their_own_variants() {
    let sim = start().await;
    let alice = client(&sim, ALICE);
    let prs = alice.repo("PRJ", "service").pull_requests();
    let first = prs
        .create(&NewPullRequest::new("First", "feature", "main"))
        .await
        .expect("create");

    let duplicate = prs
        .create(&NewPullRequest::new("Again", "refs/heads/feature", "main"))
        .await;
    match duplicate {
        Err(Error::DuplicatePullRequest {
            existing: Some(existing),
            ..
        }) => {
            assert_eq!(existing.id, first.id);
            assert_eq!(existing.version, first.version);
            assert_eq!(existing.title, "First");
        }
        other => panic!("expected a duplicate with the existing pull request, got {other:?}"),
    }
    let empty = prs
        .create(&NewPullRequest::new("Nothing", "same-as-main", "main"))
        .await;
    assert!(
        matches!(empty, Err(Error::EmptyPullRequest { .. })),
        "{empty:?}"
    );
    let reviewers = prs
        .create(
            &NewPullRequest::new("Deep", "fix/nested/deep", "main")
                .reviewers(["nobody", "bob", "carol", "alice"]),
        )
        .await;
    match &reviewers {
        Err(Error::InvalidReviewers { names, .. }) => {
            assert_eq!(names, &["nobody", "carol", "alice"]);
        }
        other => panic!("expected invalid reviewers, got {other:?}"),
    }
    // Dropping the offending names and retrying once works.
    let retried = prs
        .create(
            &NewPullRequest::new("Deep", "fix/nested/deep", "main")
                .from_repository("PRJ", "service")
                .reviewers(["bob"]),
        )
        .await
        .expect("retry without the invalid reviewers");
    assert_eq!(retried.reviewer_names(), ["bob"]);

    // The simulator has no forks: a source in another repository is refused.
    let fork = prs
        .create(&NewPullRequest::new("Fork", "main", "main").from_repository("OTHER", "tools"))
        .await;
    assert!(matches!(fork, Err(Error::BadRequest { .. })), "{fork:?}");
    let same = prs
        .create(&NewPullRequest::new("Same", "feature", "feature"))
        .await;
    assert!(matches!(same, Err(Error::Conflict { .. })), "{same:?}");
    let missing = prs
        .create(&NewPullRequest::new("Missing", "nope", "main"))
        .await;
    assert!(
        matches!(
            missing,
            Err(Error::NotFound {
                kind: NotFoundKind::Branch,
                ..
            })
        ),
        "{missing:?}"
    );
    let archived = alice
        .repo("PRJ", "archived")
        .pull_requests()
        .create(&NewPullRequest::new("Archived", "main", "main"))
        .await;
    assert!(
        matches!(archived, Err(Error::Conflict { .. })),
        "{archived:?}"
    );
}

#[tokio::test]
async fn stale_versions_report_the_current_one() {
    let sim = start().await;
    let alice = client(&sim, ALICE);
    let prs = alice.repo("PRJ", "service").pull_requests();
    let pr = prs
        .create(&NewPullRequest::new("Fix", "feature", "main"))
        .await
        .expect("create");
    let handle = alice.repo("PRJ", "service").pull_request(pr.id);
    let updated = handle
        .update(&PullRequestUpdate::from_pull_request(&pr).title("Fix v2"))
        .await
        .expect("update");
    assert_eq!(updated.version, 1);

    let check = |result: Result<(), Error>, what: &str| match result {
        Err(
            ref err @ Error::PullRequestOutOfDate {
                current_version,
                expected_version,
                ..
            },
        ) => {
            assert_eq!(current_version, Some(1), "{what}");
            assert_eq!(expected_version, Some(0), "{what}");
            assert!(err.to_string().contains("fetch it again"), "{err}");
        }
        other => panic!("{what}: expected an out-of-date error, got {other:?}"),
    };
    check(
        handle
            .update(&PullRequestUpdate::from_pull_request(&pr).title("stale"))
            .await
            .map(drop),
        "update",
    );
    check(handle.decline(0).await.map(drop), "decline");
    check(
        handle.merge(0, &MergeOptions::new()).await.map(drop),
        "merge",
    );
    check(handle.delete(0).await, "delete");
    // Nothing changed.
    let now = handle.get().await.expect("get");
    assert_eq!((now.version, now.state), (1, PullRequestState::Open));
}

#[tokio::test]
async fn decline_reopen_merge_and_delete() {
    let sim = start().await;
    let alice = client(&sim, ALICE);
    let repo = alice.repo("PRJ", "service");
    let main = tip(&sim, "service", "main");
    let feature = tip(&sim, "service", "feature");
    let pr = repo
        .pull_requests()
        .create(&NewPullRequest::new("Fix", "feature", "main"))
        .await
        .expect("create");
    let handle = repo.pull_request(pr.id);

    let mergeable = handle.can_merge().await.expect("can merge");
    assert!(mergeable.can_merge && !mergeable.conflicted);
    assert_eq!(mergeable.outcome, MergeOutcome::Clean);
    assert!(mergeable.vetoes.is_empty());

    let declined = handle.decline(pr.version).await.expect("decline");
    assert_eq!(declined.state, PullRequestState::Declined);
    assert!(declined.closed && !declined.open);
    assert_eq!(declined.version, pr.version + 1);
    let not_open = handle.can_merge().await;
    assert!(
        matches!(not_open, Err(Error::Conflict { .. })),
        "{not_open:?}"
    );
    let twice = handle.decline(declined.version).await;
    assert!(matches!(twice, Err(Error::Conflict { .. })), "{twice:?}");

    let reopened = handle.reopen(declined.version).await.expect("reopen");
    assert_eq!(reopened.state, PullRequestState::Open);
    let merged = handle
        .merge(
            reopened.version,
            &MergeOptions::new().message("Ship the fix"),
        )
        .await
        .expect("merge");
    assert_eq!(merged.state, PullRequestState::Merged);
    let new_main = tip(&sim, "service", "main");
    let merge_commit = repo.commits().get(&new_main).await.expect("merge commit");
    let parents: Vec<&str> = merge_commit.parents.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(parents, [main.as_str(), feature.as_str()]);
    assert!(merge_commit.message.contains("Ship the fix"));
    let merged_again = handle.reopen(merged.version).await;
    assert!(
        matches!(merged_again, Err(Error::Conflict { .. })),
        "{merged_again:?}"
    );

    let actions: Vec<ActivityAction> = handle
        .activities()
        .collect_all()
        .await
        .expect("activities")
        .into_iter()
        .map(|a| a.action)
        .collect();
    assert_eq!(
        actions,
        [
            ActivityAction::Merged,
            ActivityAction::Reopened,
            ActivityAction::Declined,
            ActivityAction::Opened
        ]
    );
    let merged_list = repo
        .pull_requests()
        .list(&PullRequestQuery::new().state(PullRequestStateFilter::Merged))
        .collect_all()
        .await
        .expect("list");
    assert_eq!(ids(&merged_list), [pr.id]);

    // Body-less POSTs pass the XSRF filter because the client always sends the header.
    let state_changes: Vec<_> = rest_log(&sim)
        .into_iter()
        .filter(|r| r.method == "POST" && r.status == 200)
        .collect();
    assert_eq!(state_changes.len(), 3);
    for post in &state_changes {
        assert!(post.has_xsrf_token());
        assert!(post.query_param("version").is_some());
        // decline and reopen carry no body; merge sends its options as JSON.
        let expected = post.path.ends_with("/merge").then_some("application/json");
        assert_eq!(post.header("content-type"), expected, "{}", post.path);
    }

    let other = repo
        .pull_requests()
        .create(&NewPullRequest::new("Deep", "fix/nested/deep", "main"))
        .await
        .expect("create");
    repo.pull_request(other.id)
        .delete(other.version)
        .await
        .expect("delete");
    let gone = repo.pull_requests().get(other.id).await;
    assert!(
        matches!(
            gone,
            Err(Error::NotFound {
                kind: NotFoundKind::PullRequest,
                ..
            })
        ),
        "{gone:?}"
    );
    let delete = rest_log(&sim)
        .into_iter()
        .find(|r| r.method == "DELETE")
        .expect("delete sent");
    assert_eq!(delete.header("content-type"), Some("application/json"));
    assert_eq!(delete.status, 204);
}

#[tokio::test]
async fn merge_vetoes_and_strategies() {
    let sim = start().await;
    let alice = client(&sim, ALICE);
    let repo = alice.repo("PRJ", "service");
    let conflicting = repo
        .pull_requests()
        .create(&NewPullRequest::new("Conflicts", "feature", "main"))
        .await
        .expect("create");
    let fast = repo
        .pull_requests()
        .create(&NewPullRequest::new("Deep", "fix/nested/deep", "main"))
        .await
        .expect("create");
    // main moves on and touches the line the feature branch changed.
    sim.commit_file(
        "PRJ",
        "service",
        "main",
        "README.md",
        "# service\n\nmain work\n",
        "Main work",
        "alice",
    )
    .await
    .expect("commit on main");

    let check = repo
        .pull_request(conflicting.id)
        .can_merge()
        .await
        .expect("can merge");
    assert!(check.conflicted && !check.can_merge);
    assert_eq!(check.outcome, MergeOutcome::Conflicted);
    // The push to the target rescoped the pull request: merge at its current version.
    let current = repo.pull_request(conflicting.id).get().await.expect("get");
    assert!(current.version > conflicting.version);
    let vetoed = repo
        .pull_request(conflicting.id)
        .merge(current.version, &MergeOptions::new())
        .await;
    match vetoed {
        Err(Error::MergeVetoed {
            conflicted, vetoes, ..
        }) => {
            assert!(conflicted);
            assert!(!vetoes.is_empty());
            assert!(!vetoes[0].summary_message.is_empty());
        }
        other => panic!("expected a vetoed merge, got {other:?}"),
    }

    let fast_now = repo.pull_request(fast.id).get().await.expect("get");
    let ff_only = repo
        .pull_request(fast.id)
        .merge(
            fast_now.version,
            &MergeOptions::new().strategy_id("ff-only"),
        )
        .await;
    assert!(
        matches!(
            ff_only,
            Err(Error::MergeVetoed {
                conflicted: false,
                ..
            })
        ),
        "{ff_only:?}"
    );
    let unknown = repo
        .pull_request(fast.id)
        .merge(
            fast_now.version,
            &MergeOptions::new().strategy_id("rebase-no-ff"),
        )
        .await;
    assert!(
        matches!(unknown, Err(Error::BadRequest { .. })),
        "{unknown:?}"
    );
    let before = tip(&sim, "service", "main");
    let squashed = repo
        .pull_request(fast.id)
        .merge(fast_now.version, &MergeOptions::new().strategy_id("squash"))
        .await
        .expect("squash");
    assert_eq!(squashed.state, PullRequestState::Merged);
    let squash_commit = repo
        .commits()
        .get(&tip(&sim, "service", "main"))
        .await
        .expect("commit");
    assert_eq!(squash_commit.parents.len(), 1);
    assert_eq!(squash_commit.parents[0].id, before);
    assert_eq!(
        &repo
            .files()
            .raw("deep.txt", None)
            .await
            .expect("squashed file")[..],
        b"deep\n"
    );
}

#[tokio::test]
async fn participants_reviewers_and_approvals() {
    let sim = start().await;
    let alice = client(&sim, ALICE);
    let bob = client(&sim, BOB);
    let pr = alice
        .repo("PRJ", "service")
        .pull_requests()
        .create(&NewPullRequest::new("Fix", "feature", "main"))
        .await
        .expect("create");
    let as_alice = alice.repo("PRJ", "service").pull_request(pr.id);
    let as_bob = bob.repo("PRJ", "service").pull_request(pr.id);
    let feature = tip(&sim, "service", "feature");

    let added = as_alice.add_reviewer("bob").await.expect("add reviewer");
    assert_eq!(added.user.name, "bob");
    assert_eq!(added.role, ParticipantRole::Reviewer);
    assert!(!added.approved);
    assert_eq!(added.status, ParticipantStatus::Unapproved);
    let participants = as_alice
        .participants()
        .collect_all()
        .await
        .expect("participants");
    let roles: Vec<(String, ParticipantRole)> = participants
        .iter()
        .map(|p| (p.user.name.clone(), p.role.clone()))
        .collect();
    assert!(roles.contains(&("alice".into(), ParticipantRole::Author)));
    assert!(roles.contains(&("bob".into(), ParticipantRole::Reviewer)));

    let approved = as_bob
        .set_review_status("bob", ParticipantStatus::Approved, None)
        .await
        .expect("approve");
    assert!(approved.approved);
    assert_eq!(approved.status, ParticipantStatus::Approved);
    assert_eq!(
        approved.last_reviewed_commit.as_deref(),
        Some(feature.as_str())
    );
    let needs_work = as_bob
        .set_review_status("bob", ParticipantStatus::NeedsWork, Some(&feature))
        .await
        .expect("needs work");
    assert_eq!(needs_work.status, ParticipantStatus::NeedsWork);
    assert!(!needs_work.approved);

    let own = as_alice
        .set_review_status("alice", ParticipantStatus::Approved, None)
        .await;
    assert!(matches!(own, Err(Error::BadRequest { .. })), "{own:?}");
    let for_someone_else = as_bob
        .set_review_status("alice", ParticipantStatus::Approved, None)
        .await;
    assert!(
        matches!(for_someone_else, Err(Error::NoPermission { .. })),
        "{for_someone_else:?}"
    );
    let nobody = as_alice.add_reviewer("nobody").await;
    assert!(
        matches!(
            nobody,
            Err(Error::NotFound {
                kind: NotFoundKind::User,
                ..
            })
        ),
        "{nobody:?}"
    );
    let carol = as_alice.add_reviewer("carol").await;
    assert!(
        matches!(&carol, Err(Error::InvalidReviewers { names, .. }) if names == &["carol"]),
        "{carol:?}"
    );

    as_alice.remove_participant("bob").await.expect("remove");
    let after = as_alice.get().await.expect("get");
    assert!(after.reviewers.is_empty());
    assert_eq!(
        after.version, 2,
        "adding and removing a reviewer bump the version"
    );

    let activities = as_alice
        .activities()
        .collect_all()
        .await
        .expect("activities");
    let actions: Vec<&ActivityAction> = activities.iter().map(|a| &a.action).collect();
    assert_eq!(
        actions,
        [
            &ActivityAction::Updated,
            &ActivityAction::Reviewed,
            &ActivityAction::Approved,
            &ActivityAction::Updated,
            &ActivityAction::Opened
        ]
    );
    assert_eq!(activities[0].removed_reviewers[0].name, "bob");
    assert_eq!(activities[3].added_reviewers[0].name, "bob");
    assert_eq!(activities[2].user.name, "bob");
}

#[tokio::test]
async fn commits_and_changes_follow_a_rescope() {
    let sim = start().await;
    let alice = client(&sim, ALICE);
    let pr = alice
        .repo("PRJ", "service")
        .pull_requests()
        .create(&NewPullRequest::new("Fix", "feature", "main"))
        .await
        .expect("create");
    let handle = alice.repo("PRJ", "service").pull_request(pr.id);
    let commits = handle.commits().collect_all().await.expect("commits");
    assert_eq!(commits.len(), 1);
    assert_eq!(commits[0].id, tip(&sim, "service", "feature"));
    let changes: Vec<(String, ChangeType)> = handle
        .changes()
        .collect_all()
        .await
        .expect("changes")
        .into_iter()
        .map(|c| (c.path.as_string(), c.change_type))
        .collect();
    assert_eq!(changes.len(), 2);
    assert!(changes.contains(&("CHANGELOG.md".into(), ChangeType::Add)));
    assert!(changes.contains(&("README.md".into(), ChangeType::Modify)));

    // A push to the source branch rescopes the pull request.
    let pushed = sim
        .commit_file(
            "PRJ", "service", "feature", "NEW.md", "new\n", "More", "alice",
        )
        .await
        .expect("commit");
    let rescoped = handle.get().await.expect("get");
    assert_eq!(
        rescoped.from_ref.latest_commit.as_deref(),
        Some(pushed.as_str())
    );
    assert!(rescoped.version > pr.version);
    assert_eq!(
        handle.commits().collect_all().await.expect("commits").len(),
        2
    );
    assert_eq!(
        handle.changes().collect_all().await.expect("changes").len(),
        3
    );
}
