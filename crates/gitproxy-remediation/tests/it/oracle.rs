//! The cargo-audit oracle: on the same `Cargo.lock`, the engine with `../shared/osv/crates.io`
//! finds exactly the advisories `cargo audit` finds with the RustSec database of the same date.
//!
//! `tests/fixtures/oracle/expected-ids.txt` was produced by cargo audit (see its header);
//! `cargo xtask bench remediation` re-runs cargo audit live and prints the same comparison.
//! Informational advisories (`unmaintained`, `unsound`, `notice`) are what cargo audit lists as
//! warnings; the engine reports them as findings of kind `Informational`, never as vulnerabilities.

use std::collections::BTreeSet;

use gitproxy_remediation::advisories::Kind;
use gitproxy_remediation::analysis::analyze;
use gitproxy_remediation::files::Snapshot;

fn expected() -> BTreeSet<String> {
    let text = std::fs::read_to_string(crate::fixtures().join("oracle/expected-ids.txt")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(String::from)
        .collect()
}

#[test]
fn engine_finds_exactly_what_cargo_audit_finds() {
    let db = crate::load("crates.io");
    let snapshot = Snapshot::from_dir(&crate::fixtures().join("oracle")).unwrap();
    let analysis = analyze(&snapshot);
    assert!(analysis.problems.is_empty(), "{:?}", analysis.problems);
    let findings = db.scan(&analysis);
    let mut got = BTreeSet::new();
    for f in &findings {
        let dep = &analysis.dependencies[f.dependency];
        // Every merged record counts: cargo audit lists each RustSec id separately.
        for r in &f.records {
            let kind = r.informational().unwrap_or("vulnerability");
            got.insert(format!(
                "{kind} {} {} {}",
                r.id(),
                dep.name,
                dep.version.as_deref().unwrap_or("")
            ));
        }
    }
    let want = expected();
    let missing: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:#?}\nextra {extra:#?}"
    );
    let vulnerable: BTreeSet<&str> = findings
        .iter()
        .filter(|f| f.kind == Kind::Vulnerability)
        .map(|f| analysis.dependencies[f.dependency].name.as_str())
        .collect();
    assert!(
        vulnerable.len() >= 15,
        "the fixture must hold at least 15 vulnerable crates"
    );
    // Withdrawn records (ring RUSTSEC-2025-0007, humantime RUSTSEC-2025-0014, git2
    // RUSTSEC-2023-0002) are in the archive and must not match.
    for withdrawn in [
        "RUSTSEC-2025-0007",
        "RUSTSEC-2025-0014",
        "RUSTSEC-2023-0002",
    ] {
        assert!(db.get(withdrawn).unwrap().withdrawn.is_some());
        assert!(findings
            .iter()
            .all(|f| f.records.iter().all(|r| r.id() != withdrawn)));
    }
}

#[test]
fn loading_through_an_index_finds_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let archive = crate::shared().join("osv/crates.io/all.zip");
    let index = dir.path().join("crates.io.index");
    let snapshot = Snapshot::from_dir(&crate::fixtures().join("oracle")).unwrap();
    let analysis = analyze(&snapshot);
    let rows = |db: &gitproxy_remediation::advisories::AdvisoryDb| -> BTreeSet<String> {
        db.scan(&analysis)
            .iter()
            .flat_map(|f| {
                f.records.iter().map(|r| {
                    format!(
                        "{} {}",
                        r.id(),
                        r.record().summary.clone().unwrap_or_default()
                    )
                })
            })
            .collect()
    };
    let mut building = gitproxy_remediation::advisories::AdvisoryDb::new();
    assert_eq!(
        building.load_zip_file_indexed(&archive, &index).unwrap(),
        1206
    );
    let mut indexed = gitproxy_remediation::advisories::AdvisoryDb::new();
    assert_eq!(
        indexed.load_zip_file_indexed(&archive, &index).unwrap(),
        1206
    );
    let expected = rows(&building);
    assert_eq!(expected.len(), 55);
    assert_eq!(rows(&indexed), expected, "ids and full records agree");
}
