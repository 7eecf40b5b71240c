//! Tests of the scan pipeline over a local checkout.

use super::scan_dir;
use crate::advisories::AdvisoryDb;
use crate::osv::Record;

#[test]
fn a_checkout_scan_reports_each_vulnerable_dependency() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("package-lock.json"),
        r#"{"name":"app","version":"1.0.0","lockfileVersion":3,"requires":true,
            "packages":{"":{"name":"app","version":"1.0.0","dependencies":{"lodash":"^4.17.0"}},
            "node_modules/lodash":{"version":"4.17.20"}}}"#,
    )
    .expect("write");
    let mut db = AdvisoryDb::new();
    db.insert(
        Record::from_json(
            "t",
            br#"{"id":"GHSA-lodash","summary":"prototype pollution","affected":[{"package":{"ecosystem":"npm","name":"lodash"},
                "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"4.17.21"}]}]}]}"#,
        )
        .expect("record"),
    );
    let scan = scan_dir(dir.path(), &db, &crate::ScanOptions::default()).expect("scan");
    assert_eq!(scan.findings.len(), 1, "{scan:?}");
    let finding = &scan.findings[0];
    assert_eq!(finding.id, "GHSA-lodash");
    assert_eq!(finding.package, "lodash");
    assert_eq!(finding.version.as_deref(), Some("4.17.20"));
    assert_eq!(finding.fixed, ["4.17.21"]);
    assert!(scan.problems.is_empty(), "{:?}", scan.problems);
    assert!(scan.dependencies >= 1);
    assert_eq!(scan.branch, None);
}

#[test]
fn a_snapshot_with_a_bun_lock_is_partly_unsupported_not_clean() {
    let snapshot = crate::files::Snapshot::new()
        .with(
            "package.json",
            r#"{"dependencies": {"left-pad": "^1.3.0"}}"#,
        )
        .with(
            "bun.lockb",
            "{\"lockfileVersion\": 1, \"packages\": {\"left-pad\": [\"left-pad@1.3.0\"]}}",
        );
    let scan = super::scan_snapshot("web", &snapshot, &AdvisoryDb::new());
    assert!(scan.findings.is_empty());
    assert!(scan.problems.is_empty(), "{:?}", scan.problems);
    assert!(scan.is_partly_unsupported());
    assert_eq!(scan.coverage, super::Coverage::PartlyUnsupported);
    assert_eq!(scan.unsupported.len(), 1);
    assert_eq!(scan.unsupported[0].file, "bun.lockb");
    let json = serde_json::to_value(&scan).expect("json");
    assert_eq!(json["coverage"], "partly-unsupported");
    assert_eq!(json["unsupported"][0]["format"], "Bun binary lockfile");
    assert_eq!(json["unsupported"][0]["ecosystem"], "npm");

    let clean = super::scan_snapshot(
        "web",
        &crate::files::Snapshot::new().with("package.json", "{}"),
        &AdvisoryDb::new(),
    );
    assert!(!clean.is_partly_unsupported());
    assert_eq!(
        serde_json::to_value(&clean).expect("json")["coverage"],
        "complete"
    );
}

#[test]
fn a_scan_from_an_agent_without_the_new_fields_reads_as_complete() {
    let old = r#"{"repository":"web","branch":null,"commit":null,"dependencies":1,"findings":[],"problems":[]}"#;
    let scan: super::RepoScan = serde_json::from_str(old).expect("decodes");
    assert_eq!(scan.coverage, super::Coverage::Complete);
    assert!(scan.unsupported.is_empty());
}
