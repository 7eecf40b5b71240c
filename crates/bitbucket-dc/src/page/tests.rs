//! Unit tests for paging against a scripted loopback server.

use futures_util::TryStreamExt as _;
use serde_json::json;

use crate::testutil::{Canned, TestServer};
use crate::Error;

fn page(values: &[&str], start: u64, limit: u32, next: Option<u64>) -> Canned {
    let mut body = json!({
        "values": values,
        "size": values.len(),
        "limit": limit,
        "start": start,
        "isLastPage": next.is_none(),
    });
    if let Some(next) = next {
        body["nextPageStart"] = json!(next);
    }
    Canned::json(200, body)
}

fn paged(server: &TestServer) -> crate::Paged<String> {
    server.client().get_paged::<String>(
        "/api/latest/projects/PROJ/repos/app/files",
        &[("at", "main")],
    )
}

#[tokio::test]
async fn follows_next_page_start_and_the_echoed_limit() {
    let server = TestServer::start().await;
    // The client asks for 100, the server caps at 2 and says so.
    server
        .push(page(&["a", "b"], 0, 2, Some(2)))
        .push(page(&["c", "d"], 2, 2, Some(4)))
        .push(page(&["e"], 4, 2, None));
    let items = paged(&server).collect_all().await.unwrap();
    assert_eq!(items, ["a", "b", "c", "d", "e"]);
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    let starts: Vec<_> = requests
        .iter()
        .map(|r| r.query_value("start").unwrap())
        .collect();
    let limits: Vec<_> = requests
        .iter()
        .map(|r| r.query_value("limit").unwrap())
        .collect();
    assert_eq!(starts, ["0", "2", "4"]);
    assert_eq!(limits, ["100", "2", "2"]);
    assert!(requests
        .iter()
        .all(|r| r.query_value("at").as_deref() == Some("main")));
}

#[tokio::test]
async fn short_pages_do_not_end_paging_only_is_last_page_does() {
    let server = TestServer::start().await;
    // Fewer items than the limit, but not the last page: keep going.
    server
        .push(page(&["a"], 0, 25, Some(25)))
        .push(page(&[], 25, 25, Some(50)))
        .push(page(&["z"], 50, 25, None));
    let items = paged(&server).limit(25).collect_all().await.unwrap();
    assert_eq!(items, ["a", "z"]);
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn page_cap_ends_with_a_distinguishable_error_after_the_items() {
    let server = TestServer::start().await;
    server
        .push(page(&["a"], 0, 1, Some(1)))
        .push(page(&["b"], 1, 1, Some(2)));
    let mut stream = paged(&server).limit(1).page_cap(2);
    assert_eq!(stream.try_next().await.unwrap().as_deref(), Some("a"));
    assert_eq!(stream.try_next().await.unwrap().as_deref(), Some("b"));
    let err = stream.try_next().await.unwrap_err();
    let Error::PageCapReached {
        pages,
        next_page_start,
        ..
    } = &err
    else {
        panic!("wrong error {err:?}");
    };
    assert_eq!((*pages, *next_page_start), (2, 2));
    assert!(err.to_string().contains("raise the page cap"), "{err}");
    // The stream ends after the error, and no third page was requested.
    assert!(futures_util::StreamExt::next(&mut stream).await.is_none());
    assert_eq!(server.requests().len(), 2);

    // collect_all reports the cap instead of silently truncating.
    let server = TestServer::start().await;
    server.push(page(&["a"], 0, 1, Some(1)));
    let err = paged(&server).page_cap(1).collect_all().await.unwrap_err();
    assert!(matches!(err, Error::PageCapReached { .. }), "{err:?}");
}

#[tokio::test]
async fn the_client_wide_page_cap_and_limit_apply() {
    let server = TestServer::start().await;
    server.push(page(&["a"], 0, 1, Some(1)));
    let client = server.builder().page_cap(1).page_limit(7).build().unwrap();
    let err = client
        .get_paged::<String>("/api/latest/repos", &[])
        .collect_all()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::PageCapReached { pages: 1, .. }),
        "{err:?}"
    );
    assert_eq!(
        server.only_request().query_value("limit").as_deref(),
        Some("7")
    );
}

#[tokio::test]
async fn inconsistent_pages_stop_with_an_error() {
    let server = TestServer::start().await;
    server.push(Canned::json(
        200,
        json!({"values": ["a"], "size": 1, "limit": 1, "start": 0, "isLastPage": false}),
    ));
    let err = paged(&server).collect_all().await.unwrap_err();
    assert!(
        matches!(&err, Error::InvalidPage { reason, .. } if reason.contains("nextPageStart is missing")),
        "{err:?}"
    );

    let server = TestServer::start().await;
    server
        .push(page(&["a"], 0, 1, Some(5)))
        .push(page(&["b"], 5, 1, Some(5)));
    let err = paged(&server).collect_all().await.unwrap_err();
    assert!(matches!(err, Error::InvalidPage { .. }), "{err:?}");
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn first_page_pages_and_start() {
    let server = TestServer::start().await;
    server.push(page(&["x", "y"], 10, 2, Some(12)));
    let first = paged(&server)
        .start(10)
        .limit(2)
        .first_page()
        .await
        .unwrap();
    assert_eq!(first.values, ["x", "y"]);
    assert_eq!(first.next_page_start, Some(12));
    assert!(!first.is_last_page);
    let request = server.only_request();
    assert_eq!(request.query_value("start").as_deref(), Some("10"));
    assert_eq!(request.query_value("limit").as_deref(), Some("2"));

    let server = TestServer::start().await;
    server
        .push(page(&["a"], 0, 1, Some(1)))
        .push(page(&["b"], 1, 1, None));
    let pages: Vec<_> = paged(&server).pages().try_collect().await.unwrap();
    assert_eq!(pages.len(), 2);
    assert!(pages[1].is_last_page);
}

#[tokio::test]
async fn errors_and_undecodable_pages_surface_through_the_stream() {
    let server = TestServer::start().await;
    server.push(Canned::json(
        404,
        json!({"errors": [{"message": "Project PROJ does not exist.", "exceptionName": "com.atlassian.bitbucket.project.NoSuchProjectException"}]}),
    ));
    let err = paged(&server).collect_all().await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");

    let server = TestServer::start().await;
    server.push(Canned::status(200).body("<html>login</html>"));
    let err = paged(&server).collect_all().await.unwrap_err();
    let Error::Decode { snippet, .. } = &err else {
        panic!("wrong error {err:?}");
    };
    assert_eq!(snippet, "<html>login</html>");
}

#[test]
fn limit_and_cap_are_clamped() {
    let client = crate::Client::builder("http://127.0.0.1:1")
        .build()
        .unwrap();
    let paged = client.get_paged::<String>("/api/latest/repos", &[]);
    let debug = format!("{:?}", paged.limit(5000).page_cap(0));
    assert!(debug.contains("limit: 1000"), "{debug}");
    assert!(debug.contains("page_cap: 1"), "{debug}");
}
