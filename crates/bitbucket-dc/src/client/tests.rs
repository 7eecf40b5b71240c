//! Unit tests for the client: configuration, headers, base URL joining, retries, timeouts,
//! transport and TLS errors, against real loopback sockets.

use std::time::{Duration, Instant};

use serde_json::json;

use super::*;
use crate::testutil::{fast_retries, Canned, TestServer};
use crate::{DeleteBranch, FileEdit, NewPullRequest, PullRequestUpdate, Repository};

#[test]
fn client_is_send_sync_clone() {
    fn assert_traits<T: Send + Sync + Clone + 'static>() {}
    assert_traits::<Client>();
    assert_traits::<crate::RepoApi>();
    fn assert_send<T: Send + 'static>() {}
    assert_send::<crate::Paged<crate::Repository>>();
    assert_send::<Error>();
    fn assert_error<T: std::error::Error + Send + Sync + 'static>() {}
    assert_error::<Error>();
}

#[test]
fn base_url_keeps_context_path_and_port() {
    let base = BaseUrl::parse("https://bb.example.com/bitbucket/").unwrap();
    assert_eq!(base.origin, "https://bb.example.com");
    assert_eq!(base.prefix, "/bitbucket");
    assert_eq!(base.target, "bb.example.com:443");
    assert!(base.https);
    assert_eq!(
        base.uri("/rest/api/latest/projects", &[])
            .unwrap()
            .to_string(),
        "https://bb.example.com/bitbucket/rest/api/latest/projects"
    );

    let base = BaseUrl::parse("http://127.0.0.1:7990").unwrap();
    assert_eq!(base.display, "http://127.0.0.1:7990");
    assert_eq!(base.prefix, "");
    let uri = base
        .uri(
            "/rest/api/latest/repos",
            &[
                ("name".into(), "a b&c".into()),
                ("at".into(), "refs/heads/x".into()),
            ],
        )
        .unwrap();
    assert_eq!(
        uri.to_string(),
        "http://127.0.0.1:7990/rest/api/latest/repos?name=a%20b%26c&at=refs%2Fheads%2Fx"
    );

    let base = BaseUrl::parse("http://[::1]:8080/ctx/sub").unwrap();
    assert_eq!(base.origin, "http://[::1]:8080");
    assert_eq!(base.prefix, "/ctx/sub");
    assert_eq!(base.target, "[::1]:8080");
}

#[test]
fn base_url_rejections_say_what_to_do() {
    for bad in [
        "bb.example.com",
        "ftp://bb.example.com",
        "https://user:pw@bb.example.com",
        "https://bb.example.com/?x=1",
        "https://bb.example.com/#frag",
        "",
    ] {
        let err = BaseUrl::parse(bad).unwrap_err();
        assert!(matches!(err, Error::Config { .. }), "{bad}: {err:?}");
        assert!(err.to_string().contains(": "), "{err}");
    }
    // The password of a URL with user info is never echoed.
    let err = BaseUrl::parse("https://user:hunter2@bb.example.com").unwrap_err();
    assert!(err.to_string().contains("user info"));
}

#[test]
fn builder_validates_settings() {
    let base = "http://127.0.0.1:1";
    assert!(Client::builder(base).page_limit(0).build().is_err());
    assert!(Client::builder(base).page_limit(1001).build().is_err());
    assert!(Client::builder(base).page_limit(1000).build().is_ok());
    assert!(Client::builder(base).page_cap(0).build().is_err());
    assert!(Client::builder(base)
        .timeout(Duration::ZERO)
        .build()
        .is_err());
    assert!(Client::builder(base)
        .connect_timeout(Duration::ZERO)
        .build()
        .is_err());
    assert!(Client::builder(base).max_response_bytes(0).build().is_err());
    assert!(Client::builder(base)
        .user_agent("bad\nagent")
        .build()
        .is_err());
}

#[test]
fn debug_output_redacts_the_token() {
    let client = Client::builder("http://127.0.0.1:1")
        .credentials(Credentials::bearer("very-secret-token").unwrap())
        .build()
        .unwrap();
    let debug = format!("{client:?}");
    assert!(debug.contains("http://127.0.0.1:1"), "{debug}");
    assert!(!debug.contains("very-secret-token"), "{debug}");
    let builder = Client::builder("http://127.0.0.1:1")
        .credentials(Credentials::basic("bot", "very-secret-token").unwrap());
    let debug = format!("{builder:?}");
    assert!(!debug.contains("very-secret-token"), "{debug}");
    assert!(debug.contains("bot"));
}

#[tokio::test]
async fn every_request_carries_the_standard_headers_and_only_json_bodies_a_json_type() {
    let server = TestServer::start().await;
    let client = server.client();
    let repo = client.repo("PROJ", "app");
    let pr_json = json!({"id": 1, "version": 1});
    server
        .push(Canned::json(200, json!({"version": "9.4.3"})))
        .push(Canned::json(200, pr_json.clone()))
        .push(Canned::json(200, pr_json.clone()))
        .push(Canned::status(204))
        .push(Canned::json(
            200,
            json!({"id": "0123456789abcdef0123456789abcdef01234567"}),
        ))
        .push(Canned::status(204))
        .push(Canned::json(201, pr_json));

    client.server().properties().await.unwrap();
    repo.pull_request(1).decline(1).await.unwrap();
    repo.pull_request(1)
        .update(&PullRequestUpdate::new(1).title("t"))
        .await
        .unwrap();
    repo.branches()
        .delete(&DeleteBranch::new("fix"))
        .await
        .unwrap();
    repo.files()
        .edit("dir/a.txt", &FileEdit::new("main", "x"))
        .await
        .unwrap();
    repo.pull_request(1).comments().delete(5, 0).await.unwrap();
    repo.pull_requests()
        .create(&NewPullRequest::new("t", "fix", "main"))
        .await
        .unwrap();

    let requests = server.requests();
    assert_eq!(requests.len(), 7);
    for request in &requests {
        assert_eq!(
            request.header("accept"),
            Some("application/json"),
            "{request:?}"
        );
        assert_eq!(
            request.header("x-atlassian-token"),
            Some("no-check"),
            "{request:?}"
        );
        assert_eq!(request.header("user-agent"), Some(DEFAULT_USER_AGENT));
        assert_eq!(
            request.header("authorization"),
            Some("Basic Ym90OnNlY3JldC10b2tlbg==")
        );
        let content_type = request.header("content-type");
        if request.body.is_empty() {
            assert_eq!(content_type, None, "{} {}", request.method, request.path);
        } else if request.path.contains("/browse/") {
            assert!(content_type
                .unwrap()
                .starts_with("multipart/form-data; boundary="));
        } else {
            assert_eq!(content_type, Some("application/json"), "{}", request.path);
        }
    }
    let methods: Vec<&str> = requests.iter().map(|r| r.method.as_str()).collect();
    assert_eq!(
        methods,
        ["GET", "POST", "PUT", "DELETE", "PUT", "DELETE", "POST"]
    );
    // The DELETE with a JSON body really sends it.
    assert_eq!(requests[3].json(), json!({"name": "refs/heads/fix"}));
}

#[tokio::test]
async fn context_path_is_joined_not_replaced() {
    let server = TestServer::start_with_prefix("/bitbucket/").await;
    server.push(Canned::json(200, json!({"key": "PROJ"})));
    let project = server.client().project("PROJ").get().await.unwrap();
    assert_eq!(project.key, "PROJ");
    assert_eq!(
        server.only_request().path,
        "/bitbucket/rest/api/latest/projects/PROJ"
    );
}

#[tokio::test]
async fn whoami_reads_x_ausername_and_anonymous_sends_no_authorization() {
    let server = TestServer::start().await;
    server
        .push(Canned::json(200, json!({"version": "9.4.3"})).header("X-AUSERNAME", "bot"))
        .push(Canned::json(200, json!({"version": "9.4.3"})));
    assert_eq!(
        server.client().whoami().await.unwrap().as_deref(),
        Some("bot")
    );
    let anonymous = Client::builder(server.base_url.clone()).build().unwrap();
    let info = anonymous.server().info().await.unwrap();
    assert_eq!(info.authenticated_user, None);
    assert_eq!(info.properties.version, "9.4.3");
    assert_eq!(server.requests()[1].header("authorization"), None);
}

#[tokio::test]
async fn rate_limited_get_honours_retry_after_seconds() {
    let server = TestServer::start().await;
    server
        .push(
            Canned::status(429)
                .header("Retry-After", "1")
                .body("slow down"),
        )
        .push(Canned::json(200, json!({"key": "PROJ"})));
    let started = Instant::now();
    let project = server.client().project("PROJ").get().await.unwrap();
    assert_eq!(project.key, "PROJ");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn unavailable_is_retried_with_backoff_until_success() {
    let server = TestServer::start().await;
    server
        .push(Canned::status(503))
        .push(Canned::status(503).header("Retry-After", "0"))
        .push(Canned::json(200, json!({"slug": "app"})));
    let repo = server.client().repo("PROJ", "app").get().await.unwrap();
    assert_eq!(repo.slug, "app");
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn attempts_are_bounded() {
    let server = TestServer::start().await;
    for _ in 0..5 {
        server.push(Canned::status(503));
    }
    let client = server
        .builder()
        .retry_policy(fast_retries(3))
        .build()
        .unwrap();
    let err = client.repo("PROJ", "app").get().await.unwrap_err();
    assert!(matches!(err, Error::Unavailable { .. }), "{err:?}");
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn total_wait_is_bounded() {
    let server = TestServer::start().await;
    server
        .push(Canned::status(429).header("Retry-After", "1"))
        .push(Canned::status(429).header("Retry-After", "1"));
    let policy = RetryPolicy::new(
        5,
        Duration::from_millis(1),
        Duration::from_millis(1500),
        Duration::from_millis(1500),
    )
    .unwrap();
    let client = server.builder().retry_policy(policy).build().unwrap();
    let err = client.repo("PROJ", "app").get().await.unwrap_err();
    assert!(matches!(err, Error::RateLimited { .. }), "{err:?}");
    // One wait of 1 s fits the 1.5 s budget, a second one would not.
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn retry_after_beyond_max_delay_is_returned_not_waited() {
    let server = TestServer::start().await;
    server.push(Canned::status(429).header("Retry-After", "3600"));
    let started = Instant::now();
    let err = server.client().repo("PROJ", "app").get().await.unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)));
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn posts_are_never_retried() {
    let server = TestServer::start().await;
    server.push(Canned::status(503)).push(Canned::status(503));
    let err = server
        .client()
        .repo("PROJ", "app")
        .pull_requests()
        .create(&NewPullRequest::new("t", "fix", "main"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unavailable { .. }), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(server.requests().len(), 1);

    let server = TestServer::start().await;
    server.push(Canned::dropped()).push(Canned::status(204));
    let err = server
        .client()
        .repo("PROJ", "app")
        .pull_request(1)
        .merge(1, &crate::MergeOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn read_only_stats_post_is_retried() {
    let server = TestServer::start().await;
    server
        .push(Canned::status(503))
        .push(Canned::json(200, json!({"abc": {"successful": 1}})));
    let stats = server
        .client()
        .build_status()
        .stats_many(&["abc"])
        .await
        .unwrap();
    assert_eq!(stats["abc"].successful, 1);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn dropped_connections_are_retried_for_gets_but_not_for_file_edits() {
    let server = TestServer::start().await;
    server
        .push(Canned::dropped())
        .push(Canned::json(200, json!({"slug": "app"})));
    let repo = server.client().repo("PROJ", "app").get().await.unwrap();
    assert_eq!(repo.slug, "app");
    assert_eq!(server.requests().len(), 2);

    let server = TestServer::start().await;
    server.push(Canned::dropped()).push(Canned::status(500));
    let err = server
        .client()
        .repo("PROJ", "app")
        .files()
        .edit("a.txt", &FileEdit::new("main", "x"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(err.to_string().contains("PUT"), "{err}");
    assert_eq!(server.requests().len(), 1);

    // But a 429 on a file edit is retried: the server did not process it.
    let server = TestServer::start().await;
    server
        .push(Canned::status(429).header("Retry-After", "0"))
        .push(Canned::json(200, json!({"id": "abc"})));
    let commit = server
        .client()
        .repo("PROJ", "app")
        .files()
        .edit("a.txt", &FileEdit::new("main", "x"))
        .await
        .unwrap();
    assert_eq!(commit.id, "abc");
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn slow_answers_time_out() {
    let server = TestServer::start().await;
    server.push(Canned::json(200, json!({})).delay(Duration::from_secs(5)));
    let client = server
        .builder()
        .timeout(Duration::from_millis(200))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client.repo("PROJ", "app").get().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3));
    let Error::Timeout { after, path, .. } = &err else {
        panic!("wrong error {err:?}");
    };
    assert_eq!(*after, Duration::from_millis(200));
    assert_eq!(path, "/rest/api/latest/projects/PROJ/repos/app");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn refused_connections_are_connect_errors() {
    // Bind then drop a listener to get a loopback port nobody listens on.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let client = Client::builder(format!("http://127.0.0.1:{port}"))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let err = client.server().properties().await.unwrap_err();
    let Error::Connect { target, .. } = &err else {
        panic!("wrong error {err:?}");
    };
    assert_eq!(target, &format!("127.0.0.1:{port}"));
    assert!(err.is_retryable());
    assert!(err
        .to_string()
        .starts_with("could not connect to bitbucket at 127.0.0.1:"));
}

#[tokio::test]
async fn oversized_and_undecodable_responses() {
    let server = TestServer::start().await;
    server.push(Canned::status(200).body(vec![b'x'; 2048]));
    let client = server.builder().max_response_bytes(1024).build().unwrap();
    let err = client
        .repo("PROJ", "app")
        .files()
        .raw("big.bin", None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::ResponseTooLarge { limit: 1024, .. }),
        "{err:?}"
    );

    let server = TestServer::start().await;
    server.push(Canned::status(200).body("<html><body>Log in</body></html>"));
    let err = server.client().repo("PROJ", "app").get().await.unwrap_err();
    let Error::Decode {
        snippet, target, ..
    } = &err
    else {
        panic!("wrong error {err:?}");
    };
    assert!(snippet.contains("Log in"));
    assert!(target.contains("Repository"));
}

#[tokio::test]
async fn http_clone_url_strips_user_and_falls_back() {
    let server = TestServer::start_with_prefix("/bb").await;
    let client = server.client();
    let mut repo: Repository = serde_json::from_value(json!({
        "slug": "app", "project": {"key": "PROJ"},
        "links": {"clone": [{"name": "http", "href": "http://bot@host:7990/bb/scm/proj/app.git"}]}
    }))
    .unwrap();
    assert_eq!(
        client.http_clone_url(&repo),
        "http://host:7990/bb/scm/proj/app.git"
    );
    repo.links.clone.clear();
    assert_eq!(
        client.http_clone_url(&repo),
        format!("{}/scm/proj/app.git", server.base_url)
    );
}

// === TLS with a CA minted by gitproxy-test-support (the built-in HTTPS of the `rustls` feature) ===

#[cfg(feature = "rustls")]
mod tls {
    use std::sync::Arc;

    use gitproxy_test_support::Pki;

    use super::*;

    /// An HTTPS server on 127.0.0.1 answering every request with `{"version":"9.4.3"}`.
    async fn start_tls_server(config: Arc<rustls::ServerConfig>) -> u16 {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let acceptor = tokio_rustls::TlsAcceptor::from(config);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(stream).await else {
                        return;
                    };
                    let service = hyper::service::service_fn(|_req| async {
                        Ok::<_, std::convert::Infallible>(
                            Response::builder()
                                .header("content-type", "application/json")
                                .body(Full::new(Bytes::from_static(br#"{"version":"9.4.3"}"#)))
                                .unwrap(),
                        )
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                        .await;
                });
            }
        });
        port
    }

    #[tokio::test]
    async fn https_with_a_trusted_private_ca_works() {
        let pki = Pki::new("server CA").unwrap();
        let port = start_tls_server(pki.server_config(&["localhost", "127.0.0.1"]).unwrap()).await;
        let client = Client::builder(format!("https://127.0.0.1:{port}"))
            .tls_config(pki.client_config().unwrap())
            .build()
            .unwrap();
        let props = client.server().properties().await.unwrap();
        assert_eq!(props.version, "9.4.3");
    }

    #[tokio::test]
    async fn https_with_an_untrusted_certificate_is_a_tls_error() {
        let pki = Pki::new("server CA").unwrap();
        let other = Pki::new("other CA").unwrap();
        let port = start_tls_server(pki.server_config(&["localhost", "127.0.0.1"]).unwrap()).await;
        let client = Client::builder(format!("https://127.0.0.1:{port}"))
            .tls_config(other.client_config().unwrap())
            .retry_policy(RetryPolicy::none())
            .build()
            .unwrap();
        let err = client.server().properties().await.unwrap_err();
        let Error::Tls { target, detail } = &err else {
            panic!("wrong error {err:?}");
        };
        assert_eq!(target, &format!("127.0.0.1:{port}"));
        assert!(detail.contains("UnknownIssuer"), "{detail}");
        assert!(!err.is_retryable());
        assert!(err.to_string().contains("internal CA"), "{err}");
    }
}

/// Without the `rustls` feature the crate has no TLS of its own: an `https` base URL needs the
/// caller's connector.
#[cfg(not(feature = "rustls"))]
#[test]
fn without_the_rustls_feature_https_needs_a_connector() {
    let err = Client::builder("https://bitbucket.example.com")
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config { .. }), "{err:?}");
    assert!(
        err.to_string().contains("ClientBuilder::connector"),
        "{err}"
    );
    Client::builder("https://bitbucket.example.com")
        .connector(HttpConnector::new())
        .build()
        .unwrap();
    Client::builder("http://127.0.0.1:7990").build().unwrap();
}

#[tokio::test]
async fn a_caller_supplied_connector_is_used() {
    let server = TestServer::start().await;
    server.push(Canned::json(200, json!({"version": "9.4.3"})));
    // Any hyper connector works; here a plain HttpConnector configured by the caller.
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    let client = Client::builder(server.base_url.clone())
        .connector(connector)
        .build()
        .unwrap();
    assert_eq!(client.server().properties().await.unwrap().version, "9.4.3");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn clones_share_one_client_across_tasks() {
    let server = TestServer::start().await;
    for _ in 0..8 {
        server.push(Canned::json(200, json!({"version": "9.4.3"})));
    }
    let client = server.client();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let client = client.clone();
        tasks.push(tokio::spawn(
            async move { client.server().properties().await },
        ));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap().version, "9.4.3");
    }
    assert_eq!(server.requests().len(), 8);
}
