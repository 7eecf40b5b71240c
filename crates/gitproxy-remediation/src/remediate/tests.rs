//! Unit tests for the helpers of the remediation run (the run itself is tested end to end
//! against the simulator in `tests/it/e2e.rs`).

use super::*;

#[test]
fn first_changed_line_and_anchors() {
    assert_eq!(first_changed_line("a\nb\nc\n", "a\nB\nc\n"), Some(2));
    assert_eq!(first_changed_line("a\nb\n", "a\nb\nc\n"), Some(3));
    assert_eq!(first_changed_line("a\n", "a\n"), None);
    let before = Snapshot::new()
        .with("package.json", "{\n  \"a\": \"1\"\n}\n")
        .with("package-lock.json", "{}\n");
    let mut after = BTreeMap::new();
    after.insert(
        "package.json".to_string(),
        "{\n  \"a\": \"2\"\n}\n".to_string(),
    );
    after.insert("package-lock.json".to_string(), "{ }\n".to_string());
    assert_eq!(
        anchors(&before, &after),
        [LineAnchor {
            path: "package.json".into(),
            line: 2
        }]
    );
    after.remove("package.json");
    assert_eq!(anchors(&before, &after)[0].path, "package-lock.json");
}

#[test]
fn status_report_renders_a_table() {
    let report = StatusReport {
        remediations: vec![RemediationStatus {
            repo: "web".into(),
            branch: "gitproxy/security/npm-lodash".into(),
            pull_request: Some(3),
            title: "Update dependency lodash to 4.17.21 [SECURITY]".into(),
            state: State::CiFailed,
        }],
    };
    assert_eq!(
        report.to_markdown(),
        "| Repository | Remediation | Pull request | State |\n|---|---|---|---|\n| web | Update dependency lodash to 4.17.21 [SECURITY] | #3 | ci-failed |\n"
    );
    assert_eq!(report.in_state(State::CiFailed).count(), 1);
}
