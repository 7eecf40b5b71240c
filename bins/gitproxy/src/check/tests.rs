//! Unit tests of the Test Connection rendering.

use gitproxy_egress::DiagnosisReport;
use url::Url;

use gitproxy_remediation::catalogue::{CheckReport, CheckStage, Status};

use super::{render, FIX_CREDENTIALS};

fn report(stages: Vec<CheckStage>) -> CheckReport {
    let url = Url::parse("https://bitbucket.corp").expect("url");
    let failed = stages.iter().any(|s| s.status == Status::Fail);
    CheckReport {
        ok: !failed,
        server_url: url.to_string(),
        project: "PRJ".into(),
        server_version: None,
        user: None,
        repositories: None,
        writable_repositories: None,
        stages,
        egress: serde_json::to_value(DiagnosisReport::from_config_error(
            &url,
            &gitproxy_egress::Error::EmptyTrustStore,
        ))
        .expect("json"),
        registries: Vec::new(),
    }
}

#[test]
fn render_marks_each_stage_and_prints_the_fix() {
    let r = report(vec![
        CheckStage {
            name: "bitbucket server".into(),
            status: Status::Pass,
            detail: "Bitbucket 9.4.3 answers".into(),
            fix: None,
            code: None,
        },
        CheckStage {
            name: "credentials".into(),
            status: Status::Fail,
            detail: "the server rejected the credentials".into(),
            fix: Some(FIX_CREDENTIALS.into()),
            code: Some("bad_credentials".into()),
        },
        CheckStage {
            name: "project".into(),
            status: Status::Skip,
            detail: "not attempted".into(),
            fix: None,
            code: None,
        },
    ]);
    let text = render(&r);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "Test Connection to https://bitbucket.corp/ (project PRJ)"
    );
    assert!(lines[1].starts_with("[PASS] bitbucket server"), "{text}");
    assert!(lines[2].starts_with("[FAIL] credentials"), "{text}");
    assert_eq!(lines[3].trim(), format!("fix: {FIX_CREDENTIALS}"));
    assert!(lines[4].starts_with("[skip] project"), "{text}");
    assert_eq!(lines[5], "result: FAILED (1 check failed)");
    assert_eq!(r.failure().map(|f| f.name.as_str()), Some("credentials"));
}

#[test]
fn json_carries_status_code_and_fix() {
    let r = report(vec![CheckStage {
        name: "write permission".into(),
        status: Status::Fail,
        detail: "no write".into(),
        fix: Some(super::FIX_WRITE.into()),
        code: Some("no_write_permission".into()),
    }]);
    let value = serde_json::to_value(&r).expect("json");
    assert_eq!(value["ok"], false);
    assert_eq!(value["stages"][0]["status"], "fail");
    assert_eq!(value["stages"][0]["code"], "no_write_permission");
    assert!(value["stages"][0]["fix"]
        .as_str()
        .is_some_and(|f| f.starts_with("Verify the user has repository write permissions")));
}

#[test]
fn registry_stages_name_the_registry_not_bitbucket() {
    use gitproxy_egress::FailureCode;
    use gitproxy_remediation::Ecosystem;

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
