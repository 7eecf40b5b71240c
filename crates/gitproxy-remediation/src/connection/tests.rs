//! Unit tests of the Test Connection stages.

use gitproxy_egress::{DiagnosisReport, FailureCode};
use url::Url;

use crate::catalogue::Status;
use crate::Ecosystem;

#[test]
fn registry_stages_name_the_registry_not_bitbucket() {
    let url = Url::parse("https://npm.mirror.corp/repo/").expect("url");
    let failed = |code: FailureCode| {
        let mut egress =
            DiagnosisReport::from_config_error(&url, &gitproxy_egress::Error::EmptyTrustStore);
        let failure = egress.failure.as_mut().expect("a failure");
        failure.code = code;
        failure.hint = "the egress crate's own hint".into();
        super::registry_stage(Ecosystem::Npm, &egress)
    };
    let stage = failed(FailureCode::DnsFailure);
    assert_eq!(stage.name, "registry: npm");
    assert_eq!(stage.status, Status::Fail);
    assert_eq!(stage.code.as_deref(), Some("dns_failure"));
    assert_eq!(
        stage.fix.as_deref(),
        Some("`npm.mirror.corp` does not resolve from the agent's network: check the host name of the npm registry URL in the registries setting and the cluster's DNS")
    );
    assert!(
        stage.detail.starts_with("https://npm.mirror.corp/repo/: "),
        "{}",
        stage.detail
    );
    let stage = failed(FailureCode::ProxyBadGateway);
    assert!(
        stage.fix.as_deref().is_some_and(|f| f.starts_with(
            "Bad Gateway: the proxy cannot reach the npm registry `npm.mirror.corp`. If it is an internal mirror, add `npm.mirror.corp` to proxy.noProxy"
        )),
        "{stage:?}"
    );
    // Codes whose hint is not worded for Bitbucket keep the egress crate's fix.
    let stage = failed(FailureCode::TlsUnknownAuthority);
    assert_eq!(stage.fix.as_deref(), Some("the egress crate's own hint"));
}
