//! Commits: get by SHA only, list with `until`/`since`/`path`, a commit's changes, and compare
//! commits and changes between refs.

use std::collections::BTreeMap;

use bitbucket_dc::{ChangeType, CommitQuery, Error, NotFoundKind};

use crate::support::{client, rest_log, start, tip, ALICE};

#[tokio::test]
async fn get_by_sha_only() {
    let sim = start().await;
    let commits = client(&sim, ALICE).repo("PRJ", "service").commits();
    let main = tip(&sim, "service", "main");
    let feature = tip(&sim, "service", "feature");

    let commit = commits.get(&feature).await.expect("commit");
    assert_eq!(commit.id, feature);
    assert_eq!(commit.display_id, feature[..11]);
    assert_eq!(commit.parents.len(), 1);
    assert_eq!(commit.parents[0].id, main);
    assert!(commit.author_timestamp > 0);
    assert!(!commit.message.is_empty());
    let abbreviated = commits.get(&feature[..12]).await.expect("abbreviated");
    assert_eq!(abbreviated.id, feature);

    let sent = rest_log(&sim).len();
    for not_a_sha in ["refs/heads/main", "feature", "main", "abc"] {
        let refused = commits.get(not_a_sha).await;
        assert!(
            matches!(refused, Err(Error::InvalidArgument { .. })),
            "{not_a_sha}: {refused:?}"
        );
    }
    assert_eq!(rest_log(&sim).len(), sent, "refused before sending");
    let unknown = commits
        .get("0123456789abcdef0123456789abcdef01234567")
        .await;
    assert!(
        matches!(
            unknown,
            Err(Error::NotFound {
                kind: NotFoundKind::Commit,
                ..
            })
        ),
        "{unknown:?}"
    );
}

#[tokio::test]
async fn list_with_until_since_and_path() {
    let sim = start().await;
    let alice = client(&sim, ALICE);
    let commits = alice.repo("PRJ", "service").commits();
    let main = tip(&sim, "service", "main");
    let feature = tip(&sim, "service", "feature");
    let ids = |list: Vec<bitbucket_dc::Commit>| list.into_iter().map(|c| c.id).collect::<Vec<_>>();

    assert_eq!(
        ids(commits
            .list(&CommitQuery::new())
            .collect_all()
            .await
            .expect("list")),
        [main.as_str()],
        "the default branch when nothing is given"
    );
    assert_eq!(
        ids(commits
            .list(&CommitQuery::new().until("refs/heads/feature"))
            .collect_all()
            .await
            .expect("list")),
        [feature.as_str(), main.as_str()],
        "newest first"
    );
    assert_eq!(
        ids(commits
            .list(&CommitQuery::new().until(&feature).since("main"))
            .collect_all()
            .await
            .expect("list")),
        [feature.as_str()]
    );
    assert_eq!(
        ids(commits
            .list(&CommitQuery::new().until("feature").path("CHANGELOG.md"))
            .collect_all()
            .await
            .expect("list")),
        [feature.as_str()]
    );
    // Resolving a branch tip the documented way.
    let first = commits
        .list(&CommitQuery::new().until("refs/heads/feature"))
        .limit(1)
        .first_page()
        .await
        .expect("first page");
    assert_eq!(first.values.len(), 1);
    assert_eq!(first.values[0].id, feature);
    assert!(!first.is_last_page);
    assert_eq!(first.next_page_start, Some(1));

    let empty = alice
        .repo("PRJ", "empty")
        .commits()
        .list(&CommitQuery::new())
        .collect_all()
        .await
        .expect("an empty repository has no commits");
    assert!(empty.is_empty());
    let unknown = commits
        .list(&CommitQuery::new().until("refs/heads/nope"))
        .collect_all()
        .await;
    assert!(
        matches!(
            unknown,
            Err(Error::NotFound {
                kind: NotFoundKind::Commit,
                ..
            })
        ),
        "{unknown:?}"
    );

    let logged = rest_log(&sim);
    assert_eq!(
        logged[1].query_param("until").as_deref(),
        Some("refs/heads/feature")
    );
    assert!(logged[1]
        .query
        .as_deref()
        .is_some_and(|q| q.contains("until=refs%2Fheads%2Ffeature")));
    assert_eq!(
        logged[3].query_param("path").as_deref(),
        Some("CHANGELOG.md")
    );
}

#[tokio::test]
async fn changes_of_a_commit_and_comparisons() {
    let sim = start().await;
    let commits = client(&sim, ALICE).repo("PRJ", "service").commits();
    let feature = tip(&sim, "service", "feature");
    let kinds = |changes: Vec<bitbucket_dc::Change>| {
        changes
            .into_iter()
            .map(|c| (c.path.as_string(), c.change_type))
            .collect::<BTreeMap<_, _>>()
    };
    let expected = BTreeMap::from([
        ("CHANGELOG.md".to_owned(), ChangeType::Add),
        ("README.md".to_owned(), ChangeType::Modify),
    ]);

    assert_eq!(
        kinds(
            commits
                .changes(&feature)
                .collect_all()
                .await
                .expect("changes")
        ),
        expected
    );
    assert_eq!(
        kinds(
            commits
                .compare_changes("refs/heads/feature", "refs/heads/main")
                .collect_all()
                .await
                .expect("compare changes")
        ),
        expected
    );
    let ahead = commits
        .compare_commits("feature", "main")
        .collect_all()
        .await
        .expect("compare commits");
    assert_eq!(ahead.len(), 1);
    assert_eq!(ahead[0].id, feature);
    let behind = commits
        .compare_commits("refs/heads/main", "refs/heads/feature")
        .collect_all()
        .await
        .expect("compare commits");
    assert!(behind.is_empty());

    let compare = rest_log(&sim)
        .into_iter()
        .find(|r| r.path.ends_with("/compare/changes"))
        .expect("compare was sent");
    assert_eq!(
        compare.query_param("from").as_deref(),
        Some("refs/heads/feature")
    );
    assert_eq!(
        compare.query_param("to").as_deref(),
        Some("refs/heads/main")
    );
}
