//! Repository slugs, project keys and user slugs that would change the request path (`""`, `.`,
//! `..`, names with `/`) are refused with `Error::InvalidPathSegment` before anything reaches
//! the server: the simulator's request log stays empty.

use bitbucket_dc::{BranchQuery, DeleteBranch, Error, FileEdit, NewPullRequest, PullRequestQuery};

use crate::support::{client, rest_log, start, ALICE};

/// Asserts `result` is a refusal naming `what` and `value`.
fn assert_refused<T: std::fmt::Debug>(result: Result<T, Error>, what: &str, value: &str) {
    match result {
        Err(Error::InvalidPathSegment {
            what: refused_what,
            value: refused_value,
            ..
        }) => {
            assert_eq!((refused_what, refused_value.as_str()), (what, value));
        }
        other => panic!("the {what} {value:?} is refused, got {other:?}"),
    }
}

#[tokio::test]
async fn invalid_slugs_and_keys_never_reach_the_server() {
    let sim = start().await;
    let client = client(&sim, ALICE);

    for slug in ["", ".", "..", "service/../empty", "a/b", "/"] {
        let repo = client.repo("PRJ", slug);
        assert_refused(repo.get().await, "repository slug", slug);
        assert_refused(
            repo.pull_requests()
                .create(&NewPullRequest::new("t", "feature", "main"))
                .await,
            "repository slug",
            slug,
        );
        assert_refused(
            repo.files()
                .edit("README.md", &FileEdit::new("main", "x"))
                .await,
            "repository slug",
            slug,
        );
        assert_refused(
            repo.branches().delete(&DeleteBranch::new("feature")).await,
            "repository slug",
            slug,
        );
        assert_refused(
            repo.branches()
                .list(&BranchQuery::new())
                .collect_all()
                .await,
            "repository slug",
            slug,
        );
        assert_refused(
            repo.pull_requests()
                .list(&PullRequestQuery::new())
                .collect_all()
                .await,
            "repository slug",
            slug,
        );
    }
    for key in ["", ".", "..", "PRJ/repos/service"] {
        assert_refused(client.project(key).get().await, "project key", key);
        assert_refused(
            client.project(key).repositories().collect_all().await,
            "project key",
            key,
        );
        assert_refused(client.repo(key, "service").get().await, "project key", key);
    }
    assert_refused(client.users().get("..").await, "user slug", "..");

    assert!(
        rest_log(&sim).is_empty(),
        "no request reached the simulator: {:?}",
        rest_log(&sim)
    );

    // The same handlers with real names do reach it.
    client
        .repo("PRJ", "service")
        .get()
        .await
        .expect("a real slug works");
    assert_eq!(rest_log(&sim).len(), 1);
}
