//! Paging as a stream across several pages: `start`/`nextPageStart`, the limit the server
//! echoes, the page cap as an error rather than silent truncation, `pages()`, `first_page()` and
//! `start()`, and laziness (nothing is sent before the stream is polled).

use std::collections::BTreeSet;

use bitbucket_dc::Error;
use bitbucket_dc_sim::{Permission, RepoSeed, Simulator};
use futures_util::{StreamExt as _, TryStreamExt as _};

use crate::support::{builder, client, rest_log, seed, tip, ALICE};

const REPOS: usize = 250;

/// The standard seed plus project `MANY` with [`REPOS`] empty repositories readable by alice.
async fn many_repos() -> Simulator {
    let mut builder = seed();
    for n in 0..REPOS {
        builder = builder.repo(RepoSeed::new("MANY", format!("repo-{n:03}")));
    }
    builder
        .grant_project("alice", "MANY", Permission::ProjectRead)
        .start()
        .await
        .expect("simulator")
}

fn query_values(sim: &Simulator, name: &str) -> Vec<String> {
    rest_log(sim)
        .iter()
        .map(|r| r.query_param(name).unwrap_or_default())
        .collect()
}

#[tokio::test]
async fn a_listing_follows_next_page_start_across_pages() {
    let sim = many_repos().await;
    let alice = builder(&sim, ALICE).page_limit(25).build().expect("client");
    let repos = alice
        .project("MANY")
        .repositories()
        .collect_all()
        .await
        .expect("every page");
    assert_eq!(repos.len(), REPOS);
    let slugs: Vec<&str> = repos.iter().map(|r| r.slug.as_str()).collect();
    let expected: Vec<String> = (0..REPOS).map(|n| format!("repo-{n:03}")).collect();
    assert_eq!(slugs, expected, "in order, no gaps, no duplicates");
    let starts: Vec<String> = (0..10).map(|n| (n * 25).to_string()).collect();
    assert_eq!(query_values(&sim, "start"), starts);
    assert!(query_values(&sim, "limit").iter().all(|l| l == "25"));

    // The client's default page size is 100.
    sim.request_log().clear();
    let default = client(&sim, ALICE)
        .project("MANY")
        .repositories()
        .collect_all()
        .await
        .expect("every page");
    assert_eq!(default.len(), REPOS);
    assert_eq!(query_values(&sim, "start"), ["0", "100", "200"]);
    assert_eq!(query_values(&sim, "limit"), ["100", "100", "100"]);
}

#[tokio::test]
async fn the_limit_the_server_applies_is_the_one_reported() {
    let sim = many_repos().await;
    let alice = client(&sim, ALICE);
    // The legacy build-status resource returns at most 100 statuses and caps its pages at
    // 100: asked for 1000, the server says which limit it applied.
    let sha = tip(&sim, "service", "main");
    for n in 0..120 {
        sim.post_build_status(
            "PRJ",
            "service",
            &sha,
            serde_json::json!({"key": format!("ci-{n}"), "state": "SUCCESSFUL", "url": "https://ci/1"}),
        )
        .expect("status");
    }
    let page = alice
        .build_status()
        .list(&sha)
        .limit(1000)
        .first_page()
        .await
        .expect("first page");
    assert_eq!(page.limit, 100);
    assert_eq!(page.size, 100);
    assert!(page.is_last_page);
    let all = alice
        .build_status()
        .list(&sha)
        .limit(30)
        .collect_all()
        .await
        .expect("all");
    assert_eq!(
        all.len(),
        100,
        "the legacy resource stops at the 100 newest"
    );
    // Every later page was asked for with the limit the previous page echoed.
    let limits: Vec<String> = query_values(&sim, "limit");
    assert_eq!(limits, ["1000", "30", "30", "30", "30"]);
    // Page sizes above Bitbucket's maximum are clamped before sending.
    sim.request_log().clear();
    let big = alice
        .project("MANY")
        .repositories()
        .limit(5000)
        .first_page()
        .await
        .expect("first page");
    assert_eq!(big.limit, 1000);
    assert_eq!(big.values.len(), REPOS);
    assert_eq!(query_values(&sim, "limit"), ["1000"]);
}

#[tokio::test]
async fn the_page_cap_ends_a_listing_with_an_error_after_its_items() {
    let sim = many_repos().await;
    let capped = builder(&sim, ALICE)
        .page_limit(25)
        .page_cap(3)
        .build()
        .expect("client");
    let all = capped.project("MANY").repositories().collect_all().await;
    match all {
        Err(Error::PageCapReached {
            path,
            pages,
            next_page_start,
        }) => {
            assert_eq!(path, "/rest/api/latest/projects/MANY/repos");
            assert_eq!(pages, 3);
            assert_eq!(next_page_start, 75);
        }
        other => panic!("expected the page cap, got {other:?}"),
    }
    assert_eq!(rest_log(&sim).len(), 3, "no fourth page was fetched");

    // Streaming yields every fetched item, then the error.
    let mut stream = capped.project("MANY").repositories().page_cap(2);
    let mut seen = 0;
    let end = loop {
        match stream.try_next().await {
            Ok(Some(_)) => seen += 1,
            Ok(None) => break None,
            Err(err) => break Some(err),
        }
    };
    assert_eq!(seen, 50);
    assert!(
        matches!(end, Some(Error::PageCapReached { pages: 2, .. })),
        "{end:?}"
    );
    assert!(
        stream.next().await.is_none(),
        "the stream ends after the error"
    );

    // A cap large enough for the listing is no error.
    let enough = capped
        .project("MANY")
        .repositories()
        .limit(100)
        .collect_all()
        .await
        .expect("three pages of 100 fit the cap");
    assert_eq!(enough.len(), REPOS);
}

#[tokio::test]
async fn pages_first_page_start_and_laziness() {
    let sim = many_repos().await;
    let alice = client(&sim, ALICE);

    let listing = alice.project("MANY").repositories().limit(100);
    assert!(rest_log(&sim).is_empty(), "nothing is sent before polling");
    let pages: Vec<_> = listing.pages().try_collect().await.expect("pages");
    let shape: Vec<(u64, u32, bool, Option<u64>)> = pages
        .iter()
        .map(|p| (p.start, p.size, p.is_last_page, p.next_page_start))
        .collect();
    assert_eq!(
        shape,
        [
            (0, 100, false, Some(100)),
            (100, 100, false, Some(200)),
            (200, 50, true, None)
        ]
    );

    let middle = alice
        .project("MANY")
        .repositories()
        .start(120)
        .limit(10)
        .first_page()
        .await
        .expect("first page");
    let slugs: Vec<&str> = middle.values.iter().map(|r| r.slug.as_str()).collect();
    assert_eq!(slugs.first().copied(), Some("repo-120"));
    assert_eq!(slugs.len(), 10);
    let from_start: BTreeSet<String> = alice
        .project("MANY")
        .repositories()
        .start(240)
        .collect_all()
        .await
        .expect("rest")
        .into_iter()
        .map(|r| r.slug)
        .collect();
    assert_eq!(from_start.len(), 10);
    assert!(from_start.contains("repo-249"));
}
