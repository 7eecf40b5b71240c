//! Unit tests of failure classification: stable codes, configuration failures and hints.

use url::Url;

use super::{parent_domain, FailureCode};
use crate::diagnose::{DiagnosisReport, Stage, StageStatus};
use crate::{CaProblem, Error};

#[test]
fn codes_are_stable_and_match_their_json() {
    let all = [
        (FailureCode::InvalidUrl, "invalid_url"),
        (FailureCode::InvalidProxyUrl, "invalid_proxy_url"),
        (FailureCode::InvalidCa, "invalid_ca"),
        (FailureCode::CaExpired, "ca_expired"),
        (FailureCode::EmptyTrustStore, "empty_trust_store"),
        (FailureCode::InvalidSetting, "invalid_setting"),
        (FailureCode::DnsFailure, "dns_failure"),
        (FailureCode::ConnectionRefused, "connection_refused"),
        (FailureCode::ConnectionFailed, "connection_failed"),
        (FailureCode::Timeout, "timeout"),
        (FailureCode::ProxyBadGateway, "proxy_bad_gateway"),
        (FailureCode::ProxyForbidden, "proxy_forbidden"),
        (FailureCode::ProxyAuthRequired, "proxy_auth_required"),
        (FailureCode::ProxyRefused, "proxy_refused"),
        (FailureCode::ProxyProtocolError, "proxy_protocol_error"),
        (FailureCode::TlsUnknownAuthority, "tls_unknown_authority"),
        (FailureCode::TlsHostnameMismatch, "tls_hostname_mismatch"),
        (FailureCode::TlsExpired, "tls_expired"),
        (FailureCode::TlsNotYetValid, "tls_not_yet_valid"),
        (FailureCode::TlsHandshakeFailed, "tls_handshake_failed"),
        (FailureCode::HttpFailed, "http_failed"),
    ];
    for (code, text) in all {
        assert_eq!(code.as_str(), text);
        assert_eq!(code.to_string(), text);
        assert_eq!(serde_json::to_value(code).unwrap(), text);
    }
}

#[test]
fn configuration_errors_become_reports() {
    let url = Url::parse("https://bitbucket.corp/").unwrap();
    let cases = [
        (
            Error::InvalidCa {
                input: "customCaCert".into(),
                problem: CaProblem::NotPem,
            },
            FailureCode::InvalidCa,
            "customCaCert must hold",
        ),
        (
            Error::InvalidCa {
                input: "customCaCert".into(),
                problem: CaProblem::Expired {
                    subject: "CN=x".into(),
                    not_after: "2020-01-01T00:00:00Z".into(),
                },
            },
            FailureCode::CaExpired,
            "Trusting an Internal CA",
        ),
        (
            Error::InvalidProxyUrl {
                origin: "HTTPS_PROXY".into(),
                value: "socks5://p".into(),
                reason: "SOCKS".into(),
            },
            FailureCode::InvalidProxyUrl,
            "fix HTTPS_PROXY",
        ),
        (
            Error::EmptyTrustStore,
            FailureCode::EmptyTrustStore,
            "provide customCaCert",
        ),
    ];
    for (error, code, hint) in cases {
        let report = DiagnosisReport::from_config_error(&url, &error);
        assert!(!report.ok);
        assert_eq!(report.failure_code(), Some(code));
        let failure = report.failure.as_ref().unwrap();
        assert_eq!(failure.stage, Stage::Config);
        assert_eq!(failure.message, error.to_string());
        assert!(failure.hint.contains(hint), "{}", failure.hint);
        assert_eq!(report.stages.len(), Stage::ALL.len());
        assert_eq!(report.stages[0].status, StageStatus::Failed);
    }
}

#[test]
fn domain_suggestions_for_no_proxy() {
    assert_eq!(parent_domain("bitbucket.corp").as_deref(), Some(".corp"));
    assert_eq!(
        parent_domain("git.eu.corp.example").as_deref(),
        Some(".eu.corp.example")
    );
    assert_eq!(parent_domain("bitbucket"), None);
    assert_eq!(parent_domain("10.1.2.3"), None);
}
