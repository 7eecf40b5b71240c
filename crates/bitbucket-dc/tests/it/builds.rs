//! Build statuses: the repository-scoped `commits/{sha}/builds` resource (post, get, delete) and
//! the legacy global `/rest/build-status` API with its stats.

use bitbucket_dc::{BuildState, Error, NewBuildStatus, NotFoundKind, TestResults};

use crate::support::{client, rest_log, start, tip, ALICE, BOB};

#[tokio::test]
async fn repository_scoped_build_statuses() {
    let sim = start().await;
    let alice = client(&sim, ALICE);
    let builds = alice.repo("PRJ", "service").builds();
    let sha = tip(&sim, "service", "feature");

    builds
        .post(
            &sha,
            &NewBuildStatus::new(
                "ci/unit",
                BuildState::InProgress,
                "https://ci.example.com/1",
            )
            .name("Unit tests")
            .description("running")
            .build_number("1")
            .duration_ms(1200)
            .git_ref("feature")
            .test_results(TestResults::new(3, 0, 1)),
        )
        .await
        .expect("post");
    let status = builds.get(&sha, "ci/unit").await.expect("get");
    assert_eq!(status.key, "ci/unit");
    assert_eq!(status.state, BuildState::InProgress);
    assert_eq!(status.url, "https://ci.example.com/1");
    assert_eq!(status.name.as_deref(), Some("Unit tests"));
    assert_eq!(status.description.as_deref(), Some("running"));
    assert_eq!(status.build_number.as_deref(), Some("1"));
    assert_eq!(status.duration, Some(1200));
    assert_eq!(status.git_ref.as_deref(), Some("refs/heads/feature"));
    assert_eq!(status.test_results, Some(TestResults::new(3, 0, 1)));
    let created = status.created_date.expect("created date");

    // The same key on the same commit is overwritten.
    builds
        .post(
            &sha,
            &NewBuildStatus::new(
                "ci/unit",
                BuildState::Successful,
                "https://ci.example.com/1",
            ),
        )
        .await
        .expect("overwrite");
    let done = builds.get(&sha, "ci/unit").await.expect("get");
    assert_eq!(done.state, BuildState::Successful);
    assert_eq!(done.created_date, Some(created));
    assert_eq!(sim.build_statuses(&sha).len(), 1);

    // Posting needs only REPO_READ; deleting needs REPO_ADMIN.
    let bob = client(&sim, BOB);
    bob.repo("PRJ", "service")
        .builds()
        .post(
            &sha,
            &NewBuildStatus::new("ci/bob", BuildState::Failed, "https://ci.example.com/2"),
        )
        .await
        .expect("a reader may post");
    let denied = bob
        .repo("PRJ", "service")
        .builds()
        .delete(&sha, "ci/bob")
        .await;
    assert!(
        matches!(denied, Err(Error::NoPermission { .. })),
        "{denied:?}"
    );
    builds.delete(&sha, "ci/bob").await.expect("delete");
    let gone = builds.get(&sha, "ci/bob").await;
    assert!(
        matches!(
            gone,
            Err(Error::NotFound {
                kind: NotFoundKind::BuildStatus,
                ..
            })
        ),
        "{gone:?}"
    );

    let invalid_state = builds
        .post(
            &sha,
            &NewBuildStatus::new("x", BuildState::Other("BROKEN".into()), "https://ci/3"),
        )
        .await;
    assert!(
        matches!(invalid_state, Err(Error::BadRequest { .. })),
        "{invalid_state:?}"
    );
    let blank_key = builds
        .post(
            &sha,
            &NewBuildStatus::new(" ", BuildState::Successful, "https://ci/3"),
        )
        .await;
    assert!(
        matches!(blank_key, Err(Error::BadRequest { .. })),
        "{blank_key:?}"
    );

    let gets: Vec<_> = rest_log(&sim)
        .into_iter()
        .filter(|r| r.method == "GET")
        .collect();
    assert!(gets.iter().all(|r| r.path
        == format!("/rest/api/latest/projects/PRJ/repos/service/commits/{sha}/builds")
        && r.query
            .as_deref()
            .is_some_and(|q| q.starts_with("key=ci%2F"))));
}

#[tokio::test]
async fn legacy_build_status_and_stats() {
    let sim = start().await;
    let alice = client(&sim, ALICE);
    let legacy = alice.build_status();
    let main = tip(&sim, "service", "main");
    let feature = tip(&sim, "service", "feature");

    for (key, state) in [
        ("ci", BuildState::Successful),
        ("lint", BuildState::Failed),
        ("e2e", BuildState::InProgress),
    ] {
        legacy
            .post(
                &main,
                &NewBuildStatus::new(key, state, format!("https://ci/{key}")),
            )
            .await
            .expect("post");
    }
    legacy
        .post(
            &feature,
            &NewBuildStatus::new("ci", BuildState::Successful, "https://ci/f"),
        )
        .await
        .expect("post");

    let mut keys: Vec<String> = legacy
        .list(&main)
        .collect_all()
        .await
        .expect("list")
        .into_iter()
        .map(|s| s.key)
        .collect();
    keys.sort();
    assert_eq!(keys, ["ci", "e2e", "lint"]);

    let stats = legacy.stats(&main).await.expect("stats");
    assert_eq!(
        (
            stats.successful,
            stats.failed,
            stats.in_progress,
            stats.cancelled,
            stats.unknown
        ),
        (1, 1, 1, 0, 0)
    );
    let unknown = "0123456789abcdef0123456789abcdef01234567";
    let many = legacy
        .stats_many(&[&main, &feature, unknown])
        .await
        .expect("stats for many");
    assert_eq!(many.len(), 2, "commits without builds are left out");
    assert_eq!(many[&main].successful, 1);
    assert_eq!(many[&feature].successful, 1);
    let sent = rest_log(&sim).len();
    assert!(legacy.stats_many(&[]).await.expect("nothing").is_empty());
    assert_eq!(rest_log(&sim).len(), sent, "no request for no commits");

    let short = legacy
        .post(
            &main[..12],
            &NewBuildStatus::new("ci", BuildState::Successful, "https://ci"),
        )
        .await;
    assert!(matches!(short, Err(Error::BadRequest { .. })), "{short:?}");

    let paths: Vec<String> = rest_log(&sim)
        .into_iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(paths.contains(&format!("POST /rest/build-status/latest/commits/{main}")));
    assert!(paths.contains(&format!(
        "GET /rest/build-status/latest/commits/stats/{main}"
    )));
    assert!(paths.contains(&"POST /rest/build-status/latest/commits/stats".to_owned()));
}
