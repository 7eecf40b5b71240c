//! Retries: idempotent requests are retried on 429 and 503 honouring `Retry-After`, on 502 and on
//! dropped connections; non-idempotent `POST`s never; the file-edit `PUT` only when the server
//! rejected it; the policy's attempt and wait bounds hold.

use std::time::Duration;

use bitbucket_dc::{
    BuildState, Error, FileEdit, NewBuildStatus, NewComment, NewPullRequest, PullRequestUpdate,
    RetryPolicy,
};
use bitbucket_dc_sim::RateLimit;
use tokio::time::Instant;

use crate::support::{builder, client, rest_log, start, tip, ALICE};

/// Statuses of the logged requests whose path ends with `suffix`.
fn statuses(sim: &bitbucket_dc_sim::Simulator, suffix: &str) -> Vec<u16> {
    rest_log(sim)
        .into_iter()
        .filter(|r| r.path.ends_with(suffix))
        .map(|r| r.status)
        .collect()
}

#[tokio::test]
async fn rate_limited_gets_wait_for_retry_after_then_succeed() {
    let sim = start().await;
    // One request per burst, refilled at 1/s: a second request within the second gets a 429
    // with "Retry-After: 1", and one second later the bucket holds a token again.
    sim.faults()
        .set_user_rate_limit("alice", Some(RateLimit::new(1, 1.0).expect("limit")));
    let alice = client(&sim, ALICE);
    let repo = alice.repo("PRJ", "service");
    repo.get().await.expect("the first request uses the burst");

    let started = Instant::now();
    let fetched = repo.get().await.expect("retried after the 429");
    let waited = started.elapsed();
    assert_eq!(fetched.slug, "service");
    assert_eq!(statuses(&sim, "/repos/service"), [200, 429, 200]);
    assert!(
        waited >= Duration::from_secs(1),
        "Retry-After: 1 was honoured, waited {waited:?}"
    );
    assert!(
        waited < Duration::from_secs(5),
        "no extra backoff, waited {waited:?}"
    );
}

#[tokio::test]
async fn unavailable_gets_are_retried_with_retry_after_and_backoff() {
    let sim = start().await;
    let alice = client(&sim, ALICE);
    let repo = alice.repo("PRJ", "service");

    sim.faults().fail_next(1, 503, Some(1));
    let started = Instant::now();
    repo.get().await.expect("retried after the 503");
    let waited = started.elapsed();
    assert!(waited >= Duration::from_secs(1), "waited {waited:?}");
    assert!(waited < Duration::from_secs(5), "waited {waited:?}");
    assert_eq!(statuses(&sim, "/repos/service"), [503, 200]);

    // Without Retry-After the jittered backoff (10 ms base here) applies; 502 and dropped
    // connections are retried the same way.
    sim.request_log().clear();
    sim.faults().fail_next(2, 503, None);
    repo.get().await.expect("two 503s then success");
    sim.faults().fail_next(1, 502, None);
    repo.get().await.expect("a 502 then success");
    sim.faults().drop_next(1);
    repo.get().await.expect("a dropped connection then success");
    assert_eq!(
        statuses(&sim, "/repos/service"),
        // The dropped response had started as a 200 before the connection was cut.
        [503, 503, 200, 502, 200, 200, 200]
    );
}

#[tokio::test]
async fn attempts_and_waits_are_bounded() {
    let sim = start().await;
    let policy = RetryPolicy::new(
        3,
        Duration::from_millis(5),
        Duration::from_secs(2),
        Duration::from_secs(4),
    )
    .expect("policy");
    assert_eq!(policy.max_attempts(), 3);
    assert_eq!(policy.base_delay(), Duration::from_millis(5));
    assert_eq!(policy.max_delay(), Duration::from_secs(2));
    assert_eq!(policy.max_total_wait(), Duration::from_secs(4));
    // Full jitter below a doubling cap that stops at max_delay.
    assert_eq!(policy.backoff_cap(1), Duration::from_millis(5));
    assert_eq!(policy.backoff_cap(3), Duration::from_millis(20));
    assert_eq!(policy.backoff_cap(30), Duration::from_secs(2));
    let alice = builder(&sim, ALICE)
        .retry_policy(policy)
        .build()
        .expect("client");
    let repo = alice.repo("PRJ", "service");

    sim.faults().fail_next(10, 503, Some(0));
    let err = repo.get().await.expect_err("still unavailable");
    assert!(matches!(err, Error::Unavailable { .. }), "{err:?}");
    assert_eq!(statuses(&sim, "/repos/service"), [503, 503, 503]);
    sim.faults().clear();

    // A Retry-After longer than the policy's longest wait ends retrying at once.
    sim.request_log().clear();
    sim.faults().fail_next(1, 429, Some(60));
    let started = Instant::now();
    let err = repo.get().await.expect_err("asked to wait a minute");
    assert!(
        matches!(err, Error::RateLimited { retry_after: Some(after), .. } if after == Duration::from_secs(60)),
        "{err:?}"
    );
    // It did not sit out the minute (a loaded machine gets generous slack).
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(statuses(&sim, "/repos/service"), [429]);

    // 4xx answers other than 429 are final.
    sim.request_log().clear();
    let missing = alice.repo("PRJ", "nope").get().await;
    assert!(matches!(missing, Err(Error::NotFound { .. })));
    assert_eq!(statuses(&sim, "/repos/nope"), [404]);
}

#[tokio::test]
async fn non_idempotent_posts_are_never_retried() {
    let sim = start().await;
    let alice = client(&sim, ALICE);
    let repo = alice.repo("PRJ", "service");

    sim.faults().fail_next(1, 503, Some(0));
    let create = repo
        .pull_requests()
        .create(&NewPullRequest::new("Fix", "feature", "main"))
        .await;
    assert!(
        matches!(create, Err(Error::Unavailable { .. })),
        "{create:?}"
    );
    assert_eq!(statuses(&sim, "/pull-requests"), [503]);
    assert!(sim.pull_request("PRJ", "service", 1).is_none());

    let pr = repo
        .pull_requests()
        .create(&NewPullRequest::new("Fix", "feature", "main"))
        .await
        .expect("create");
    let handle = repo.pull_request(pr.id);
    sim.faults().fail_next(1, 429, Some(0));
    let comment = handle.comments().add(&NewComment::new("hi")).await;
    assert!(
        matches!(comment, Err(Error::RateLimited { .. })),
        "{comment:?}"
    );
    assert_eq!(statuses(&sim, "/comments"), [429]);
    sim.faults().fail_next(1, 503, Some(0));
    let decline = handle.decline(pr.version).await;
    assert!(
        matches!(decline, Err(Error::Unavailable { .. })),
        "{decline:?}"
    );
    assert_eq!(statuses(&sim, "/decline"), [503]);
    sim.faults().fail_next(1, 503, Some(0));
    let build = repo
        .builds()
        .post(
            &tip(&sim, "service", "main"),
            &NewBuildStatus::new("ci", BuildState::Successful, "https://ci/1"),
        )
        .await;
    assert!(matches!(build, Err(Error::Unavailable { .. })), "{build:?}");
    assert_eq!(statuses(&sim, "/builds"), [503]);

    // The read-only stats POST is retried like a GET.
    sim.faults().fail_next(1, 503, Some(0));
    let stats = alice
        .build_status()
        .stats_many(&[&tip(&sim, "service", "main")])
        .await
        .expect("stats retried");
    assert!(stats.is_empty());
    assert_eq!(statuses(&sim, "/commits/stats"), [503, 200]);

    // A versioned PUT is idempotent and retried.
    sim.faults().fail_next(1, 502, None);
    let updated = handle
        .update(&PullRequestUpdate::from_pull_request(&pr).title("Fix v2"))
        .await
        .expect("update retried");
    assert_eq!(updated.version, 1);
    assert_eq!(
        statuses(&sim, &format!("/pull-requests/{}", pr.id)),
        [502, 200]
    );
}

#[tokio::test]
async fn file_edits_are_retried_only_when_the_server_rejected_them() {
    let sim = start().await;
    let files = client(&sim, ALICE).repo("PRJ", "service").files();
    let main = tip(&sim, "service", "main");

    sim.faults().fail_next(1, 503, Some(0));
    let commit = files
        .edit(
            "README.md",
            &FileEdit::new("main", b"# edited\n".to_vec()).source_commit_id(&main),
        )
        .await
        .expect("retried after the 503");
    assert_eq!(statuses(&sim, "/browse/README.md"), [503, 200]);

    // A 502 may have come after the commit was made: no retry.
    sim.faults().fail_next(1, 502, None);
    let err = files
        .edit(
            "README.md",
            &FileEdit::new("main", b"# again\n".to_vec()).source_commit_id(&commit.id),
        )
        .await
        .expect_err("502 is final for an edit");
    assert!(matches!(err, Error::Server { .. }), "{err:?}");
    assert_eq!(statuses(&sim, "/browse/README.md"), [503, 200, 502]);
    assert_eq!(tip(&sim, "service", "main"), commit.id);
}
