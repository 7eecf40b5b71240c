//! Internal CA trust against loopback TLS servers with certificates minted by gitproxy-test-support.

use gitproxy_egress::{
    CaSource, DiagnosisReport, EgressConnector, Error, FailureCode, ProxyConfig, Stage,
    StageStatus, TlsFailure, TrustConfig,
};
use url::Url;

use crate::support::get;
use crate::support::server::{streaming_tls, TestServer};
use gitproxy_test_support::Pki;

const UNKNOWN_AUTHORITY: &str = "x509: certificate signed by unknown authority";

fn connector(trust: TrustConfig) -> EgressConnector {
    EgressConnector::builder(ProxyConfig::direct(), trust)
        .build()
        .unwrap()
}

fn with_custom_ca(ca: &Pki) -> EgressConnector {
    connector(
        TrustConfig::builder()
            .add_ca(CaSource::custom_ca_cert(ca.ca_base64()))
            .build()
            .unwrap(),
    )
}

fn platform_only() -> EgressConnector {
    connector(TrustConfig::builder().build().expect("platform roots"))
}

fn url(server: &TestServer, host: &str) -> Url {
    Url::parse(&format!(
        "https://{host}:{}/rest/api/1.0/projects",
        server.port()
    ))
    .unwrap()
}

#[tokio::test]
async fn without_the_internal_ca_the_diagnosis_says_unknown_authority_and_customcacert() {
    let ca = Pki::new("Corp Internal Root CA").expect("ca");
    let server = TestServer::https(ca.issue(&["localhost"]).expect("leaf")).await;
    let connector = platform_only();
    assert!(connector.trust().platform_root_count() > 0);

    let err = connector
        .connect(&url(&server, "localhost").as_str().parse().unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Tls {
                failure: TlsFailure::UnknownAuthority,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains(UNKNOWN_AUTHORITY), "{err}");
    assert!(err.to_string().contains("customCaCert"), "{err}");

    let report = connector.diagnose(&url(&server, "localhost")).await;
    assert!(!report.ok);
    assert_eq!(
        report.failure_code(),
        Some(FailureCode::TlsUnknownAuthority)
    );
    let failure = report.failure.as_ref().unwrap();
    assert_eq!(failure.stage, Stage::TlsHandshake);
    assert!(
        failure.message.starts_with(UNKNOWN_AUTHORITY),
        "{}",
        failure.message
    );
    assert!(
        failure
            .message
            .contains("issued by `CN=Corp Internal Root CA`"),
        "{}",
        failure.message
    );
    assert!(failure.hint.contains("customCaCert"), "{}", failure.hint);
    assert!(
        failure.hint.contains("`CN=Corp Internal Root CA`"),
        "{}",
        failure.hint
    );
    let certificate = report.certificate.as_ref().expect("presented certificate");
    assert_eq!(certificate.issuer, "CN=Corp Internal Root CA");
    assert_eq!(certificate.subject, "CN=localhost");
    assert_eq!(
        report.stage(Stage::TcpConnect).unwrap().status,
        StageStatus::Passed
    );
    assert_eq!(
        report.stage(Stage::Http).unwrap().status,
        StageStatus::Skipped
    );
}

#[tokio::test]
async fn with_the_ca_as_single_line_base64_it_succeeds() {
    let ca = Pki::new("Corp Internal Root CA").expect("ca");
    let server = TestServer::https(ca.issue(&["localhost", "127.0.0.1"]).expect("leaf")).await;
    let connector = with_custom_ca(&ca);
    assert!(!ca.ca_base64().contains('\n'));

    let report = connector.diagnose(&url(&server, "localhost")).await;
    assert!(report.ok, "{report}");
    assert!(report.failure.is_none());
    assert_eq!(report.http_status, Some(200));
    let statuses: Vec<(Stage, StageStatus)> =
        report.stages.iter().map(|s| (s.stage, s.status)).collect();
    assert_eq!(
        statuses,
        [
            (Stage::Config, StageStatus::Passed),
            (Stage::ProxyDecision, StageStatus::Passed),
            (Stage::Dns, StageStatus::Passed),
            (Stage::TcpConnect, StageStatus::Passed),
            (Stage::ProxyConnect, StageStatus::Skipped),
            (Stage::TlsHandshake, StageStatus::Passed),
            (Stage::Http, StageStatus::Passed),
        ]
    );
    let tls = report.stage(Stage::TlsHandshake).unwrap();
    assert!(tls.detail.contains("TLSv1_3"), "{}", tls.detail);
    assert!(
        tls.detail.contains("issued by `CN=Corp Internal Root CA`"),
        "{}",
        tls.detail
    );
    let certificate = report.certificate.as_ref().unwrap();
    assert_eq!(certificate.dns_names, ["localhost"]);
    assert_eq!(certificate.ip_addresses, ["127.0.0.1"]);

    // IP targets verify against IP SANs.
    let report = connector.diagnose(&url(&server, "127.0.0.1")).await;
    assert!(report.ok, "{report}");

    // And the hyper-util client works over it.
    let (status, body) = get(&connector, url(&server, "localhost").as_str())
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert!(body.contains("HTTP/1.1"), "{body}");
}

#[tokio::test]
async fn trust_differs_per_destination() {
    let ca = Pki::new("Corp Internal Root CA").expect("ca");
    let server = TestServer::https(ca.issue(&["localhost"]).expect("leaf")).await;
    let cloud = platform_only();
    let bitbucket = with_custom_ca(&ca);
    let target = url(&server, "localhost");
    assert_eq!(
        cloud.diagnose(&target).await.failure_code(),
        Some(FailureCode::TlsUnknownAuthority)
    );
    assert!(bitbucket.diagnose(&target).await.ok);
}

#[tokio::test]
async fn an_expired_leaf_is_diagnosed_as_expired() {
    let ca = Pki::new("Corp Internal Root CA").expect("ca");
    let server = TestServer::https(
        ca.issue_valid(&["localhost"], (2019, 1, 1), (2021, 6, 30))
            .expect("leaf"),
    )
    .await;
    let report = with_custom_ca(&ca)
        .diagnose(&url(&server, "localhost"))
        .await;
    assert_eq!(
        report.failure_code(),
        Some(FailureCode::TlsExpired),
        "{report}"
    );
    let failure = report.failure.as_ref().unwrap();
    assert!(
        failure
            .message
            .starts_with("x509: certificate has expired on 2021-06-30T00:00:00Z"),
        "{}",
        failure.message
    );
    assert!(failure.hint.contains("renew"), "{}", failure.hint);
}

#[tokio::test]
async fn a_future_leaf_is_diagnosed_as_not_yet_valid() {
    let ca = Pki::new("Corp Internal Root CA").expect("ca");
    let server = TestServer::https(
        ca.issue_valid(&["localhost"], (2080, 1, 1), (2085, 1, 1))
            .expect("leaf"),
    )
    .await;
    let report = with_custom_ca(&ca)
        .diagnose(&url(&server, "localhost"))
        .await;
    assert_eq!(
        report.failure_code(),
        Some(FailureCode::TlsNotYetValid),
        "{report}"
    );
    assert!(report
        .failure
        .unwrap()
        .message
        .contains("until 2080-01-01T00:00:00Z"));
}

#[tokio::test]
async fn a_certificate_for_another_host_is_a_hostname_mismatch() {
    let ca = Pki::new("Corp Internal Root CA").expect("ca");
    let server = TestServer::https(ca.issue(&["git.other.test"]).expect("leaf")).await;
    let report = with_custom_ca(&ca)
        .diagnose(&url(&server, "localhost"))
        .await;
    assert_eq!(
        report.failure_code(),
        Some(FailureCode::TlsHostnameMismatch),
        "{report}"
    );
    let failure = report.failure.as_ref().unwrap();
    assert_eq!(
        failure.message,
        "x509: certificate is valid for git.other.test, not localhost"
    );
    assert!(failure.hint.contains("git.other.test"));
}

#[tokio::test]
async fn garbage_custom_ca_cert_is_its_own_diagnosis() {
    let target = Url::parse("https://bitbucket.corp.test:7990/").unwrap();
    let err = TrustConfig::builder()
        .add_ca(CaSource::custom_ca_cert("not-base64-at-all!"))
        .build()
        .unwrap_err();
    let report = DiagnosisReport::from_config_error(&target, &err);
    assert!(!report.ok);
    assert_eq!(report.failure_code(), Some(FailureCode::InvalidCa));
    let failure = report.failure.as_ref().unwrap();
    assert_eq!(failure.stage, Stage::Config);
    assert!(
        failure
            .message
            .starts_with("invalid CA certificate in customCaCert: not base64"),
        "{}",
        failure.message
    );
    assert!(
        failure.hint.contains("base64 -w0 ca.pem"),
        "{}",
        failure.hint
    );
    assert_eq!(
        report.stage(Stage::Config).unwrap().status,
        StageStatus::Failed
    );
    assert!(report.stages[1..]
        .iter()
        .all(|s| s.status == StageStatus::Skipped));

    // An expired CA gets its own code.
    let expired_pem = Pki::valid("Old Root", (2010, 1, 1), (2020, 1, 1))
        .expect("expired ca")
        .ca_base64();
    let err = TrustConfig::builder()
        .add_ca(CaSource::custom_ca_cert(expired_pem))
        .build()
        .unwrap_err();
    let report = DiagnosisReport::from_config_error(&target, &err);
    assert_eq!(report.failure_code(), Some(FailureCode::CaExpired));
}

#[tokio::test]
async fn the_report_serialises_to_json_and_renders_lines() {
    let ca = Pki::new("Corp Internal Root CA").expect("ca");
    let server = TestServer::https(ca.issue(&["localhost"]).expect("leaf")).await;
    let report = platform_only().diagnose(&url(&server, "localhost")).await;

    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["ok"], false);
    assert_eq!(json["failure"]["code"], "tls_unknown_authority");
    assert_eq!(json["failure"]["stage"], "tls_handshake");
    assert_eq!(json["certificate"]["issuer"], "CN=Corp Internal Root CA");
    assert_eq!(json["decision"]["route"], "direct");
    assert_eq!(json["decision"]["reason"]["rule"], "no_proxy_configured");
    let stages: Vec<(&str, &str)> = json["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["stage"].as_str().unwrap(), s["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        stages,
        [
            ("config", "passed"),
            ("proxy_decision", "passed"),
            ("dns", "passed"),
            ("tcp_connect", "passed"),
            ("proxy_connect", "skipped"),
            ("tls_handshake", "failed"),
            ("http", "skipped"),
        ]
    );

    let text = report.to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("connection diagnosis for https://localhost:"),
        "{text}"
    );
    assert!(lines[0].ends_with(": failed"), "{text}");
    assert!(lines[1].starts_with("  [pass] configuration"), "{text}");
    assert!(lines[5].starts_with("  [skip] proxy CONNECT"), "{text}");
    assert!(
        lines[6]
            .starts_with("  [FAIL] tls handshake   x509: certificate signed by unknown authority"),
        "{text}"
    );
    assert!(lines[7].starts_with("  [skip] http"), "{text}");
    assert!(
        lines[8].starts_with(
            "error tls_unknown_authority: x509: certificate signed by unknown authority"
        ),
        "{text}"
    );
    assert!(
        lines[9].starts_with("hint: ") && lines[9].contains("customCaCert"),
        "{text}"
    );
    assert_eq!(lines.len(), 10, "{text}");
}

#[tokio::test]
async fn a_tls12_only_server_is_accepted() {
    let ca = Pki::new("Corp Internal Root CA").expect("ca");
    let server = TestServer::https_tls12_only(ca.issue(&["localhost"]).expect("leaf")).await;
    let report = with_custom_ca(&ca)
        .diagnose(&url(&server, "localhost"))
        .await;
    assert!(report.ok, "{report}");
    let tls = report.stage(Stage::TlsHandshake).unwrap();
    assert!(tls.detail.starts_with("TLSv1_2"), "{}", tls.detail);
}

fn pattern(i: usize) -> u8 {
    (i.wrapping_mul(31) ^ (i >> 11)) as u8
}

#[tokio::test]
async fn a_large_answer_arrives_whole_over_tls_direct_and_through_a_proxy() {
    use gitproxy_test_support::Tinyproxy;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // Many TLS records, and not a multiple of one.
    let len = 8 * (1 << 20) + 12_345;
    let ca = Pki::new("Stream Root CA").unwrap();
    let body: Vec<u8> = (0..len).map(pattern).collect();
    let addr = streaming_tls(ca.issue(&["localhost"]).unwrap(), body.into()).await;
    let trust = TrustConfig::builder()
        .without_platform_roots()
        .add_ca(CaSource::custom_ca_cert(ca.ca_base64()))
        .build()
        .unwrap();
    let proxy = Tinyproxy::start().expect("tinyproxy starts");
    let proxied = EgressConnector::builder(
        ProxyConfig::builder()
            .proxy(proxy.url())
            .bypass_loopback(false)
            .build()
            .unwrap(),
        trust.clone(),
    )
    .build()
    .unwrap();
    let uri: http::Uri = format!("https://localhost:{}/", addr.port())
        .parse()
        .unwrap();
    for (path, connector) in [("direct", connector(trust)), ("proxied", proxied)] {
        let mut stream = connector.connect(&uri).await.unwrap();
        assert!(stream.is_tls(), "{path}");
        stream
            .write_all(format!("{len}\n").as_bytes())
            .await
            .unwrap();
        stream.flush().await.unwrap();
        let mut got = Vec::new();
        // Small reads from the caller's side: what TLS decrypted is handed out in pieces.
        let mut piece = [0u8; 3_000];
        loop {
            let n = stream.read(&mut piece).await.unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&piece[..n]);
        }
        assert_eq!(got.len(), len, "{path}");
        let first_wrong = got.iter().enumerate().find(|(i, b)| **b != pattern(*i));
        assert_eq!(
            first_wrong, None,
            "{path}: a byte differs from what was sent"
        );
    }
    assert!(
        proxy.log().contains("CONNECT"),
        "the proxied stream went through tinyproxy: {}",
        proxy.log()
    );
}
