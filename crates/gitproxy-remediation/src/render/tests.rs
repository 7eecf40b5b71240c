//! Unit tests of the text renderings.

use gitproxy_egress::DiagnosisReport;
use url::Url;

use crate::catalogue::{CheckReport, CheckStage, Status};

use crate::connection::FIX_CREDENTIALS;

use super::{advisory_line, check_lines};
use crate::advisories::DataAge;

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
        advisory_data: Vec::new(),
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
    let text = check_lines(&r);
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
        fix: Some(crate::connection::FIX_WRITE.into()),
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
fn scans_table_lists_findings_problems_and_the_total() {
    let scan = crate::scan::RepoScan {
        repository: "web".into(),
        findings: vec![crate::scan::ScanFinding {
            id: "GHSA-35jh-r3h4-6jhm".into(),
            aliases: Vec::new(),
            ecosystem: "npm".into(),
            package: "lodash".into(),
            version: Some("4.17.20".into()),
            fixed: vec!["4.17.21".into()],
            location: "package-lock.json:12".into(),
            summary: None,
        }],
        problems: vec!["left big.json out of the scan".into()],
        ..crate::scan::RepoScan::default()
    };
    let empty = crate::scan::RepoScan {
        repository: "docs".into(),
        ..crate::scan::RepoScan::default()
    };
    let text = super::scans_table(&[scan, empty]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[0].starts_with("REPOSITORY"), "{text}");
    let row: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(
        row,
        [
            "web",
            "npm",
            "lodash",
            "4.17.20",
            "GHSA-35jh-r3h4-6jhm",
            "4.17.21"
        ]
    );
    assert!(
        lines[2].ends_with("problem: left big.json out of the scan"),
        "{text}"
    );
    assert_eq!(lines[3], "1 vulnerabilities in 2 repositories");
}

#[test]
fn scans_table_lists_unsupported_files_and_says_the_scan_is_partial() {
    let scan = crate::scan::RepoScan {
        repository: "web".into(),
        unsupported: vec![crate::analysis::Unsupported {
            file: "yarn.lock".into(),
            format: "Yarn lockfile".into(),
            ecosystem: "npm".into(),
            remedy: String::new(),
        }],
        coverage: crate::scan::Coverage::PartlyUnsupported,
        ..crate::scan::RepoScan::default()
    };
    let text = super::scans_table(&[scan]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert_eq!(
        lines[1],
        format!(
            "web                  unsupported: yarn.lock (Yarn lockfile, npm): not checked; {}",
            crate::analysis::unsupported::UNTIL_SUPPORTED
        )
    );
    assert_eq!(
        lines[2],
        "0 vulnerabilities in 1 repositories; partly unsupported: 1 files of unsupported formats were not checked"
    );
}

#[test]
fn advisory_ages_read_in_minutes_hours_or_days_with_stale_and_watermark() {
    let age = |eco: &str, secs: Option<u64>, stale: bool, watermark: Option<&str>| DataAge {
        ecosystem: eco.to_owned(),
        watermark: watermark.map(str::to_owned),
        age_seconds: secs,
        stale,
    };
    assert_eq!(advisory_line(&[]), "");
    assert_eq!(
        advisory_line(&[
            age("Go", Some(600), false, None),
            age("PyPI", Some(5 * 3600), false, None),
            age("npm", Some(9 * 86_400 + 5), true, Some("2024-01-01T00:00:00Z")),
            age("Maven", None, true, None),
        ]),
        "advisory data: Go 10 minutes old, PyPI 5 hours old, npm 9 days old (stale, synced to 2024-01-01T00:00:00Z), Maven of unknown age (stale)\n"
    );
}
