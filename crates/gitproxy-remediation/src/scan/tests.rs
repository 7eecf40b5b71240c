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
