//! Direct vs proxied routing through a real tinyproxy: noProxy, Basic auth, 407, 403, 502, plain http.

use std::net::{IpAddr, Ipv4Addr};

use gitproxy_egress::{
    Alpn, EgressConnector, Error, FailureCode, ProxyConfig, Resolver, Stage, StageStatus,
    TrustConfig,
};
use url::Url;

use crate::support::server::TestServer;
use crate::support::{env, get, get_with};
use gitproxy_test_support::Pki;
use gitproxy_test_support::{RefusingPort, Tinyproxy, TinyproxyOptions};

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn trust(ca: &Pki) -> TrustConfig {
    TrustConfig::builder()
        .without_platform_roots()
        .add_ca(gitproxy_egress::CaSource::custom_ca_cert(ca.ca_base64()))
        .build()
        .expect("trust config")
}

/// Our side resolves the internal name to loopback without DNS; `localhost` is what the proxy
/// can resolve by itself (its /etc/hosts), so proxied targets are named `localhost`.
fn resolver() -> Resolver {
    Resolver::fixed([("bitbucket.corp.test", LOOPBACK), ("localhost", LOOPBACK)])
}

fn connector(proxy: ProxyConfig, ca: &Pki) -> EgressConnector {
    EgressConnector::builder(proxy, trust(ca))
        .resolver(resolver())
        .build()
        .expect("connector")
}

#[tokio::test]
async fn no_proxy_host_goes_direct_and_never_reaches_the_proxy() {
    let ca = Pki::new("Corp Internal Root CA").expect("ca");
    let bitbucket = TestServer::https(ca.issue(&["bitbucket.corp.test"]).expect("leaf")).await;
    let cloud = TestServer::https(ca.issue(&["localhost"]).expect("leaf")).await;
    let proxy = Tinyproxy::start().expect("tinyproxy starts");

    // The environment as the Helm chart sets it, both casings.
    let config = ProxyConfig::builder()
        .env(&env(&[
            ("HTTPS_PROXY", &proxy.url()),
            ("no_proxy", ".corp.test,.svc"),
            ("NO_PROXY", ".corp.test,.svc"),
        ]))
        .bypass_loopback(false)
        .build()
        .unwrap();
    let bitbucket_url = format!(
        "https://bitbucket.corp.test:{}/rest/api/1.0/projects",
        bitbucket.port()
    );
    let cloud_url = format!("https://localhost:{}/v1/agent", cloud.port());
    let direct = config.explain(&Url::parse(&bitbucket_url).unwrap());
    assert!(direct.is_direct(), "{direct}");
    assert!(
        direct
            .to_string()
            .contains("matches entry `.corp.test` of no_proxy"),
        "{direct}"
    );
    assert!(!config.explain(&Url::parse(&cloud_url).unwrap()).is_direct());

    let connector = connector(config, &ca);
    let (status, body) = get(&connector, &bitbucket_url).await.unwrap();
    assert_eq!(status, 200);
    assert!(body.starts_with("hello /rest/api/1.0/projects"), "{body}");
    let (status, body) = get(&connector, &cloud_url).await.unwrap();
    assert_eq!(status, 200);
    assert!(body.starts_with("hello /v1/agent"), "{body}");
    assert_eq!((bitbucket.accepted(), cloud.accepted()), (1, 1));

    // The proxied request is in the log, so the log is complete up to it; the direct one is not.
    let log = proxy
        .wait_for_log(&format!("CONNECT localhost:{} HTTP/1.1", cloud.port()))
        .await
        .expect("tinyproxy logged it");
    assert!(!log.contains("bitbucket.corp.test"), "{log}");
    assert!(!log.contains(&format!(":{}", bitbucket.port())), "{log}");
    assert_eq!(log.matches("Request (file descriptor").count(), 1, "{log}");
}

#[tokio::test]
async fn connect_with_required_basic_auth() {
    let ca = Pki::new("Corp Internal Root CA").expect("ca");
    let cloud = TestServer::https(ca.issue(&["localhost"]).expect("leaf")).await;
    let proxy = Tinyproxy::start_with(&TinyproxyOptions {
        basic_auth: Some(("agent".into(), "s3cr3t-pw".into())),
        ..TinyproxyOptions::default()
    })
    .expect("tinyproxy starts");
    let url = format!("https://localhost:{}/v1/agent", cloud.port());
    let with = |proxy_url: String| {
        let config = ProxyConfig::builder()
            .proxy(proxy_url)
            .bypass_loopback(false)
            .build()
            .unwrap();
        connector(config, &ca)
    };

    let authenticated = with(proxy.url_with_credentials("agent", "s3cr3t-pw"));
    assert_eq!(get(&authenticated, &url).await.unwrap().0, 200);
    proxy
        .wait_for_log(&format!("CONNECT localhost:{}", cloud.port()))
        .await
        .expect("tinyproxy logged it");

    // No credentials: the typed error carries tinyproxy's status line.
    let anonymous = with(proxy.url());
    let err = anonymous
        .connect(&url.parse().unwrap())
        .await
        .expect_err("the proxy wants credentials");
    match &err {
        Error::ProxyRefused {
            status,
            status_line,
            ..
        } => {
            assert_eq!(*status, 407);
            assert_eq!(status_line, "407 Proxy Authentication Required");
        }
        other => panic!("expected ProxyRefused, got {other:?}"),
    }
    assert!(
        err.to_string()
            .contains("the proxy requires authentication"),
        "{err}"
    );
    let report = anonymous.diagnose(&Url::parse(&url).unwrap()).await;
    assert_eq!(
        report.failure_code(),
        Some(FailureCode::ProxyAuthRequired),
        "{report}"
    );
    let failure = report.failure.as_ref().unwrap();
    assert_eq!(failure.stage, Stage::ProxyConnect);
    assert!(
        failure.hint.contains("http://user:password@proxy:port"),
        "{}",
        failure.hint
    );

    // Wrong credentials: tinyproxy answers 401; the hint says the credentials were rejected and
    // nothing shows them.
    let wrong = with(proxy.url_with_credentials("agent", "wrong-pw"));
    let err = wrong.connect(&url.parse().unwrap()).await.unwrap_err();
    assert!(
        matches!(&err, Error::ProxyRefused { status: 401, status_line, .. } if status_line == "401 Unauthorized"),
        "{err:?}"
    );
    let report = wrong.diagnose(&Url::parse(&url).unwrap()).await;
    assert_eq!(report.failure_code(), Some(FailureCode::ProxyAuthRequired));
    let text = format!("{report}{}", serde_json::to_string(&report).unwrap());
    assert!(text.contains("rejected the credentials"), "{text}");
    assert!(text.contains("agent:***@127.0.0.1"), "{text}");
    assert!(!text.contains("wrong-pw"), "{text}");
}

#[tokio::test]
async fn a_proxy_that_cannot_reach_the_target_answers_502_and_diagnose_says_no_proxy() {
    let ca = Pki::new("Corp Internal Root CA").expect("ca");
    let bitbucket = TestServer::https(ca.issue(&["bitbucket.corp.test"]).expect("leaf")).await;
    // The egress proxy forwards to a parent proxy that is down: tinyproxy answers 502.
    let down = RefusingPort::new().expect("port");
    let parent = down.addr();
    let proxy = Tinyproxy::start_with(&TinyproxyOptions {
        upstream: Some(parent),
        ..TinyproxyOptions::default()
    })
    .expect("tinyproxy starts");
    let url = Url::parse(&format!(
        "https://bitbucket.corp.test:{}/",
        bitbucket.port()
    ))
    .unwrap();

    let config = ProxyConfig::builder().proxy(proxy.url()).build().unwrap();
    let connector = connector(config, &ca);
    let err = connector
        .connect(&url.as_str().parse().unwrap())
        .await
        .expect_err("the proxy cannot reach the target");
    match &err {
        Error::ProxyRefused {
            status,
            status_line,
            target,
            ..
        } => {
            assert_eq!(*status, 502);
            assert_eq!(status_line, "502 Unable to connect to upstream proxy");
            assert_eq!(target, &format!("bitbucket.corp.test:{}", bitbucket.port()));
        }
        other => panic!("expected ProxyRefused, got {other:?}"),
    }
    assert!(
        err.to_string()
            .contains("add bitbucket.corp.test or its domain to proxy.noProxy"),
        "{err}"
    );

    let report = connector.diagnose(&url).await;
    assert!(!report.ok);
    assert_eq!(
        report.failure_code(),
        Some(FailureCode::ProxyBadGateway),
        "{report}"
    );
    let failure = report.failure.as_ref().unwrap();
    assert_eq!(failure.stage, Stage::ProxyConnect);
    assert!(
        failure
            .message
            .contains("502 Unable to connect to upstream proxy"),
        "{}",
        failure.message
    );
    assert!(failure.hint.starts_with("Bad Gateway"), "{}", failure.hint);
    assert!(
        failure
            .hint
            .contains("Add the Bitbucket host `bitbucket.corp.test` (or your internal domain, e.g. `.corp.test`) to proxy.noProxy"),
        "{}",
        failure.hint
    );
    assert_eq!(
        report.stage(Stage::TcpConnect).unwrap().status,
        StageStatus::Passed
    );
    assert_eq!(
        report.stage(Stage::TlsHandshake).unwrap().status,
        StageStatus::Skipped
    );
    assert_eq!(bitbucket.accepted(), 0);

    // A plain-http Server URL gets the same diagnosis from the proxy's answer to the request.
    let plain = Url::parse(&format!("http://bitbucket.corp.test:{}/", bitbucket.port())).unwrap();
    let report = connector.diagnose(&plain).await;
    assert_eq!(
        report.failure_code(),
        Some(FailureCode::ProxyBadGateway),
        "{report}"
    );
    assert_eq!(report.failure.as_ref().unwrap().stage, Stage::Http);
    assert_eq!(report.http_status, Some(502));

    // Following the hint fixes it: the host goes direct and the proxy never sees it again.
    let config = ProxyConfig::builder()
        .proxy(proxy.url())
        .no_proxy("bitbucket.corp.test")
        .build()
        .unwrap();
    let report = connector_with(config, &ca).diagnose(&url).await;
    assert!(report.ok, "{report}");
    assert_eq!(report.http_status, Some(200));
    assert_eq!(bitbucket.accepted(), 1);
    let log = proxy.log();
    assert_eq!(
        log.matches("CONNECT bitbucket.corp.test").count(),
        2,
        "{log}"
    );
}

fn connector_with(config: ProxyConfig, ca: &Pki) -> EgressConnector {
    connector(config, ca)
}

#[tokio::test]
async fn tinyproxys_own_unable_to_connect_is_a_bad_gateway_too() {
    let ca = Pki::new("Corp Internal Root CA").expect("ca");
    let proxy = Tinyproxy::start().expect("tinyproxy starts");
    let closed = RefusingPort::new().expect("port");
    let closed = closed.port();
    let config = ProxyConfig::builder()
        .proxy(proxy.url())
        .bypass_loopback(false)
        .build()
        .unwrap();
    let connector = connector(config, &ca);
    let url = Url::parse(&format!("https://localhost:{closed}/")).unwrap();
    let report = connector.diagnose(&url).await;
    assert_eq!(
        report.failure_code(),
        Some(FailureCode::ProxyBadGateway),
        "{report}"
    );
    let failure = report.failure.as_ref().unwrap();
    assert!(
        failure.message.contains("500 Unable to connect"),
        "{}",
        failure.message
    );
    assert!(failure.hint.contains("proxy.noProxy"));
}

#[tokio::test]
async fn connect_to_a_port_the_proxy_forbids_is_403() {
    let ca = Pki::new("Corp Internal Root CA").expect("ca");
    let cloud = TestServer::https(ca.issue(&["localhost"]).expect("leaf")).await;
    let proxy = Tinyproxy::start_with(&TinyproxyOptions {
        connect_ports: vec![443],
        ..TinyproxyOptions::default()
    })
    .expect("tinyproxy starts");
    let config = ProxyConfig::builder()
        .proxy(proxy.url())
        .bypass_loopback(false)
        .build()
        .unwrap();
    let connector = connector(config, &ca);
    let uri = format!("https://localhost:{}/", cloud.port());
    let err = connector.connect(&uri.parse().unwrap()).await.unwrap_err();
    assert!(
        matches!(&err, Error::ProxyRefused { status: 403, status_line, .. } if status_line == "403 Access violation"),
        "{err:?}"
    );
    let report = connector.diagnose(&Url::parse(&uri).unwrap()).await;
    assert_eq!(
        report.failure_code(),
        Some(FailureCode::ProxyForbidden),
        "{report}"
    );
    assert_eq!(cloud.accepted(), 0);
}

#[tokio::test]
async fn plain_http_through_the_proxy_uses_absolute_form_and_proxy_authorization() {
    let ca = Pki::new("Corp Internal Root CA").expect("ca");
    let server = TestServer::http().await;
    let proxy = Tinyproxy::start_with(&TinyproxyOptions {
        basic_auth: Some(("agent".into(), "pw".into())),
        ..TinyproxyOptions::default()
    })
    .expect("tinyproxy starts");
    let config = ProxyConfig::builder()
        .http_proxy(proxy.url_with_credentials("agent", "pw"))
        .bypass_loopback(false)
        .build()
        .unwrap();
    let connector = connector(config, &ca);
    let uri = format!(
        "http://localhost:{}/rest/api/1.0/projects?limit=1",
        server.port()
    );
    let header = connector
        .proxy_authorization(&uri.parse().unwrap())
        .unwrap();
    assert!(header.is_sensitive());
    // The credentials only matter for plain http; https carries them in CONNECT.
    assert!(connector
        .proxy_authorization(
            &format!("https://localhost:{}/", server.port())
                .parse()
                .unwrap()
        )
        .is_none());

    let (status, body) = get(&connector, &uri).await.unwrap();
    assert_eq!(status, 200, "{body}");
    // tinyproxy strips Proxy-Authorization before forwarding and sends origin-form upstream.
    assert!(
        body.starts_with("hello /rest/api/1.0/projects?limit=1"),
        "{body}"
    );
    assert!(body.ends_with("proxy-auth=false"), "{body}");
    proxy
        .wait_for_log(&format!(
            "GET http://localhost:{}/rest/api/1.0/projects?limit=1",
            server.port()
        ))
        .await
        .expect("tinyproxy logged it");

    // Without prepare_request the proxy itself answers 407.
    let (status, _) = get_with(&connector, &uri, false).await.unwrap();
    assert_eq!(status, 407);

    // diagnose sends the header itself.
    let report = connector.diagnose(&Url::parse(&uri).unwrap()).await;
    assert!(report.ok, "{report}");
    assert_eq!(report.http_status, Some(200));
    assert_eq!(
        report.stage(Stage::ProxyConnect).unwrap().status,
        StageStatus::Skipped
    );
    assert_eq!(
        report.stage(Stage::TlsHandshake).unwrap().status,
        StageStatus::Skipped
    );
}

#[tokio::test]
async fn h2_is_negotiated_through_the_tunnel() {
    let ca = Pki::new("Corp Internal Root CA").expect("ca");
    let cloud = TestServer::https(ca.issue(&["localhost"]).expect("leaf")).await;
    let proxy = Tinyproxy::start().expect("tinyproxy starts");
    let config = ProxyConfig::builder()
        .proxy(proxy.url())
        .bypass_loopback(false)
        .build()
        .unwrap();
    let connector = EgressConnector::builder(config, trust(&ca))
        .resolver(resolver())
        .alpn(Alpn::Http2AndHttp1)
        .build()
        .unwrap();
    let url = format!("https://localhost:{}/h2", cloud.port());
    let stream = connector.connect(&url.parse().unwrap()).await.unwrap();
    assert!(stream.is_tls() && stream.negotiated_h2(), "{stream:?}");
    drop(stream);
    let (status, body) = get(&connector, &url).await.unwrap();
    assert_eq!(status, 200);
    assert!(body.contains("HTTP/2.0"), "{body}");
    proxy
        .wait_for_log(&format!("CONNECT localhost:{}", cloud.port()))
        .await
        .expect("tinyproxy logged it");
}
