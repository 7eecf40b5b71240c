//! Tests for the index cache: later loads go through the index, a stale index is rebuilt.

use crate::advisories::matching::tests::LODASH;
use crate::advisories::AdvisoryDb;
use crate::Ecosystem;

#[test]
fn an_index_file_makes_later_loads_lazy_and_is_rebuilt_when_stale() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("all.zip");
    let index = dir.path().join("all.zip.index");
    let zip = crate::zip::tests::build_zip(&[("GHSA-1.json", LODASH.as_bytes(), true)]);
    std::fs::write(&archive, &zip).unwrap();

    // First load: the archive in full, and the index written.
    let mut first = AdvisoryDb::new();
    assert_eq!(first.load_zip_file_indexed(&archive, &index).unwrap(), 1);
    assert!(index.exists());

    // Second load: through the index; the full record is inflated when asked for.
    let mut second = AdvisoryDb::new();
    assert_eq!(second.load_zip_file_indexed(&archive, &index).unwrap(), 1);
    assert!(second.is_affected(Ecosystem::Npm, "lodash", "4.17.20"));
    assert!(!second.is_affected(Ecosystem::Npm, "lodash", "4.17.21"));
    assert_eq!(
        second
            .get("GHSA-35jh-r3h4-6jhm")
            .unwrap()
            .summary
            .as_deref(),
        Some("Command Injection in lodash")
    );

    // A different archive at the same path: the stale index is replaced.
    let other = crate::zip::tests::build_zip(&[(
        "W.json",
        br#"{"id": "W-2", "affected": [{"package": {"ecosystem": "npm", "name": "w"}, "versions": ["1.0.0"]}]}"#,
        true,
    )]);
    std::fs::write(&archive, &other).unwrap();
    let mut third = AdvisoryDb::new();
    assert_eq!(third.load_zip_file_indexed(&archive, &index).unwrap(), 1);
    assert!(third.get("W-2").is_some());
    assert!(third.get("GHSA-35jh-r3h4-6jhm").is_none());
    let mut fourth = AdvisoryDb::new();
    fourth.load_zip_file_indexed(&archive, &index).unwrap();
    assert!(fourth.is_affected(Ecosystem::Npm, "w", "1.0.0"));

    // An unwritable index location only costs the speed-up.
    let mut fifth = AdvisoryDb::new();
    let nowhere = dir.path().join("missing-dir").join("index");
    assert_eq!(fifth.load_zip_file_indexed(&archive, &nowhere).unwrap(), 1);
}
