//! Network failures each get their own diagnosis: DNS, refused, timeouts, proxy answers.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use gitproxy_egress::{
    CaSource, EgressConnector, Error, FailureCode, Peer, ProxyConfig, Resolver, Stage, StageStatus,
    Timeouts, TrustConfig,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use url::Url;

use gitproxy_test_support::Pki;
use gitproxy_test_support::RefusingPort;

fn trust() -> TrustConfig {
    TrustConfig::builder()
        .without_platform_roots()
        .add_ca(CaSource::pem(
            "test CA",
            Pki::new("Test CA").expect("ca").ca_pem(),
        ))
        .build()
        .unwrap()
}

fn short() -> Timeouts {
    let limit = Duration::from_millis(300);
    Timeouts::new(limit, limit, limit).unwrap()
}

fn connector(proxy: ProxyConfig) -> EgressConnector {
    EgressConnector::builder(proxy, trust())
        .resolver(Resolver::fixed([(
            "bitbucket.corp.test",
            IpAddr::V4(Ipv4Addr::LOCALHOST),
        )]))
        .timeouts(short())
        .build()
        .unwrap()
}

/// A fake proxy on loopback that answers the first request with `answer` (None: never answers).
async fn scripted_proxy(answer: Option<&'static str>) -> (String, tokio::task::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = Vec::new();
        let mut buf = [0u8; 1024];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = socket.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            request.extend_from_slice(&buf[..n]);
        }
        match answer {
            Some(answer) => socket.write_all(answer.as_bytes()).await.unwrap(),
            // Hold the connection open until the client gives up.
            None => while socket.read(&mut buf).await.is_ok_and(|n| n > 0) {},
        }
        String::from_utf8_lossy(&request).into_owned()
    });
    (url, task)
}

fn proxied(url: &str) -> ProxyConfig {
    ProxyConfig::builder().proxy(url).build().unwrap()
}

#[tokio::test]
async fn a_name_that_does_not_resolve_is_a_dns_failure() {
    let config = ProxyConfig::builder()
        .proxy("http://proxy.corp.test:3128")
        .no_proxy(".unknown.test")
        .build()
        .unwrap();
    let report = connector(config)
        .diagnose(&Url::parse("https://git.unknown.test/").unwrap())
        .await;
    assert_eq!(
        report.failure_code(),
        Some(FailureCode::DnsFailure),
        "{report}"
    );
    let failure = report.failure.as_ref().unwrap();
    assert_eq!(failure.stage, Stage::Dns);
    assert!(
        failure.message.contains("`git.unknown.test`"),
        "{}",
        failure.message
    );
    assert!(
        failure
            .hint
            .contains("entry `.unknown.test` of proxy.noProxy"),
        "{}",
        failure.hint
    );

    // The proxy's own name not resolving points at proxy.url.
    let report = connector(proxied("http://proxy.corp.test:3128"))
        .diagnose(&Url::parse("https://app.backline.test/").unwrap())
        .await;
    assert_eq!(report.failure_code(), Some(FailureCode::DnsFailure));
    assert!(report.failure.unwrap().hint.contains("check proxy.url"));
}

#[tokio::test]
async fn a_closed_port_is_connection_refused() {
    let closed = RefusingPort::new().expect("port");
    let port = closed.port();
    let report = connector(ProxyConfig::direct())
        .diagnose(&Url::parse(&format!("https://bitbucket.corp.test:{port}/")).unwrap())
        .await;
    assert_eq!(
        report.failure_code(),
        Some(FailureCode::ConnectionRefused),
        "{report}"
    );
    let failure = report.failure.as_ref().unwrap();
    assert_eq!(failure.stage, Stage::TcpConnect);
    assert!(failure
        .hint
        .contains(&format!("nothing listens at 127.0.0.1:{port}")));

    // A proxy that is down: the hint is about proxy.url.
    let err = connector(proxied(&format!("http://127.0.0.1:{port}")))
        .connect(&"https://app.backline.test/".parse().unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Connect {
                peer: Peer::Proxy,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("check proxy.url"), "{err}");
}

#[tokio::test]
async fn a_server_that_never_speaks_tls_is_a_handshake_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let report = connector(ProxyConfig::direct())
        .diagnose(&Url::parse(&format!("https://127.0.0.1:{port}/")).unwrap())
        .await;
    assert_eq!(
        report.failure_code(),
        Some(FailureCode::Timeout),
        "{report}"
    );
    let failure = report.failure.as_ref().unwrap();
    assert_eq!(failure.stage, Stage::TlsHandshake);
    assert!(
        failure.message.contains("timed out after 300 ms"),
        "{}",
        failure.message
    );
    drop(listener);
}

#[tokio::test]
async fn a_proxy_that_never_answers_connect_is_a_connect_timeout() {
    let (url, _task) = scripted_proxy(None).await;
    let err = connector(proxied(&url))
        .connect(&"https://app.backline.test/".parse().unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                stage: Stage::ProxyConnect,
                peer: Peer::Proxy,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn connect_carries_basic_credentials_and_the_status_line_of_a_refusal() {
    for (answer, status, code) in [
        (
            "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n",
            502,
            FailureCode::ProxyBadGateway,
        ),
        (
            "HTTP/1.1 503 Service Unavailable\r\n\r\n",
            503,
            FailureCode::ProxyBadGateway,
        ),
        (
            "HTTP/1.0 403 Forbidden\r\n\r\n",
            403,
            FailureCode::ProxyForbidden,
        ),
        (
            "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n",
            407,
            FailureCode::ProxyAuthRequired,
        ),
        (
            "HTTP/1.1 418 I'm a teapot\r\n\r\n",
            418,
            FailureCode::ProxyRefused,
        ),
    ] {
        let (url, task) = scripted_proxy(Some(answer)).await;
        let proxy_url = url.replace("http://", "http://svc:p%40ss@");
        let connector = connector(proxied(&proxy_url));
        let err = connector
            .connect(&"https://bitbucket.corp.test:7990/".parse().unwrap())
            .await
            .unwrap_err();
        let request = task.await.unwrap();
        assert!(
            request.starts_with(
                "CONNECT bitbucket.corp.test:7990 HTTP/1.1\r\nHost: bitbucket.corp.test:7990\r\n"
            ),
            "{request}"
        );
        // base64("svc:p@ss")
        assert!(
            request.contains("Proxy-Authorization: Basic c3ZjOnBAc3M=\r\n"),
            "{request}"
        );
        let expected_line = answer.lines().next().unwrap().split_once(' ').unwrap().1;
        match &err {
            Error::ProxyRefused {
                status: got,
                status_line,
                ..
            } => {
                assert_eq!((*got, status_line.as_str()), (status, expected_line));
            }
            other => panic!("expected ProxyRefused, got {other:?}"),
        }
        assert!(!err.to_string().contains("p%40ss") && !err.to_string().contains("p@ss"));

        let (url, _task) = scripted_proxy(Some(answer)).await;
        let report = crate::diagnostics::connector(proxied(&url))
            .diagnose(&Url::parse("https://bitbucket.corp.test:7990/").unwrap())
            .await;
        assert_eq!(report.failure_code(), Some(code), "{report}");
        assert!(report
            .failure
            .as_ref()
            .unwrap()
            .message
            .contains(expected_line));
        assert_eq!(
            report.stage(Stage::ProxyConnect).unwrap().status,
            StageStatus::Failed
        );
    }
}

#[tokio::test]
async fn a_proxy_that_does_not_speak_http_is_a_protocol_error() {
    let (url, _task) = scripted_proxy(Some("SSH-2.0-OpenSSH_9.2\r\n\r\n")).await;
    let report = connector(proxied(&url))
        .diagnose(&Url::parse("https://bitbucket.corp.test/").unwrap())
        .await;
    assert_eq!(
        report.failure_code(),
        Some(FailureCode::ProxyProtocolError),
        "{report}"
    );
}

#[tokio::test]
async fn a_connector_for_one_destination_gives_its_own_refused_advice() {
    let closed = RefusingPort::new().expect("port");
    let port = closed.port();
    let target: http::Uri = format!("https://bitbucket.corp.test:{port}/")
        .parse()
        .unwrap();
    let default = connector(ProxyConfig::direct())
        .connect(&target)
        .await
        .unwrap_err();
    assert!(default.to_string().contains("7990"), "{default}");
    let cloud = EgressConnector::builder(ProxyConfig::direct(), trust())
        .resolver(Resolver::fixed([(
            "bitbucket.corp.test",
            IpAddr::V4(Ipv4Addr::LOCALHOST),
        )]))
        .timeouts(short())
        .refused_advice("check the cloud URL https://app.backline.test and egress on port 443")
        .build()
        .unwrap();
    let err = cloud.connect(&target).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Connect {
                peer: Peer::Target,
                ..
            }
        ),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("check the cloud URL https://app.backline.test"),
        "{message}"
    );
    assert!(!message.contains("7990"), "{message}");
}
