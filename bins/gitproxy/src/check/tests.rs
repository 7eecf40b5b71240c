//! Unit tests of the Test Connection report as `gitproxy check` prints it.

use gitproxy_egress::DiagnosisReport;
use url::Url;

use gitproxy_remediation::catalogue::{CheckReport, CheckStage, Status};

use gitproxy_remediation::connection::FIX_CREDENTIALS;

use super::render;

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
        fix: Some(gitproxy_remediation::connection::FIX_WRITE.into()),
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
