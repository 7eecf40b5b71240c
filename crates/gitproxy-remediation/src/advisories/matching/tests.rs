//! Tests for OSV matching semantics on small hand-written records (npm, Maven, PyPI shapes).

use crate::advisories::{AdvisoryDb, Kind};
use crate::files::Snapshot;
use crate::osv::Record;
use crate::Ecosystem;

fn record(json: &str) -> Record {
    Record::from_json("test", json.as_bytes()).unwrap()
}

fn db(records: &[&str]) -> AdvisoryDb {
    let mut db = AdvisoryDb::new();
    for r in records {
        assert!(db.insert(record(r)));
    }
    db
}

pub(in crate::advisories) const LODASH: &str = r#"{"id": "GHSA-35jh-r3h4-6jhm", "aliases": ["CVE-2021-23337"],
  "summary": "Command Injection in lodash",
  "affected": [{"package": {"ecosystem": "npm", "name": "lodash"},
    "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "4.17.21"}]}]}]}"#;

#[test]
fn semver_ranges_with_introduced_zero_and_fixed() {
    let db = db(&[LODASH]);
    assert_eq!(db.affecting(Ecosystem::Npm, "lodash", "4.17.20").len(), 1);
    assert!(db.affecting(Ecosystem::Npm, "lodash", "4.17.21").is_empty());
    assert!(db.affecting(Ecosystem::Npm, "lodash", "5.0.0").is_empty());
    assert_eq!(
        db.affecting(Ecosystem::Npm, "lodash", "4.17.21-beta.1")
            .len(),
        1,
        "pre-releases precede their release"
    );
    assert!(
        db.affecting(Ecosystem::Npm, "Lodash", "4.17.20").is_empty(),
        "npm names are case-sensitive"
    );
}

#[test]
fn multiple_intervals_last_affected_and_limit() {
    let db = db(&[
        r#"{"id": "MVN-1", "affected": [{"package": {"ecosystem": "Maven", "name": "org.example:lib"},
          "ranges": [{"type": "ECOSYSTEM", "events": [
            {"introduced": "2.0"}, {"fixed": "2.3.1"}, {"introduced": "3.0-beta1"}, {"last_affected": "3.1"}]}]}]}"#,
        r#"{"id": "NPM-LIMIT", "affected": [{"package": {"ecosystem": "npm", "name": "lim"},
          "ranges": [{"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"limit": "1.5.0"}]}]}]}"#,
    ]);
    let hit = |v: &str| {
        !db.affecting(Ecosystem::Maven, "org.example:lib", v)
            .is_empty()
    };
    assert!(!hit("1.9"));
    assert!(hit("2.0"));
    assert!(hit("2.3"));
    assert!(!hit("2.3.1"));
    assert!(!hit("2.9"));
    assert!(hit("3.0-beta1"));
    assert!(hit("3.0"));
    assert!(hit("3.1"), "last_affected is inclusive");
    assert!(hit("3.1-SNAPSHOT"));
    assert!(!hit("3.1.1"));
    let lim = |v: &str| !db.affecting(Ecosystem::Npm, "lim", v).is_empty();
    assert!(lim("1.4.9"));
    assert!(!lim("1.5.0"), "limit is an exclusive upper bound");
    assert!(!lim("0.9.0"));
}

#[test]
fn versions_lists_and_pep440_normalisation() {
    let db = db(&[
        r#"{"id": "PYSEC-X", "affected": [{"package": {"ecosystem": "PyPI", "name": "PyYAML"},
        "ranges": [{"type": "GIT", "repo": "https://example.invalid/r", "events": [{"introduced": "0"}, {"fixed": "abc"}]}],
        "versions": ["5.3", "5.4b1", "0.8.0-alpha2"]}]}"#,
    ]);
    let hit = |v: &str| !db.affecting(Ecosystem::PyPI, "pyyaml", v).is_empty();
    assert!(
        !db.affecting(Ecosystem::PyPI, "PyYAML", "5.3").is_empty(),
        "PEP 503 names"
    );
    assert!(hit("5.3"));
    assert!(hit("5.3.0"), "PEP 440: 5.3 == 5.3.0");
    assert!(hit("5.4b1"));
    assert!(hit("0.8a2"), "listed as 0.8.0-alpha2");
    assert!(!hit("5.4"), "GIT ranges are not evaluated on versions");
}

#[test]
fn withdrawn_records_never_match_and_duplicates_are_refused() {
    let mut db = db(&[r#"{"id": "W-1", "withdrawn": "2024-01-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": "npm", "name": "w"}, "versions": ["1.0.0"]}]}"#]);
    assert!(db.affecting(Ecosystem::Npm, "w", "1.0.0").is_empty());
    assert!(!db.insert(record(r#"{"id": "W-1"}"#)));
    assert_eq!(db.len(), 1);
    assert!(db.records_for(Ecosystem::Npm, "w").is_empty());
}

#[test]
fn aliases_are_merged_into_one_finding() {
    let db = db(&[
        LODASH,
        // The same vulnerability as a second record that only shares the CVE.
        r#"{"id": "OSV-LODASH", "aliases": ["CVE-2021-23337"], "summary": "dup",
          "affected": [{"package": {"ecosystem": "npm", "name": "lodash"}, "versions": ["4.17.20"]}]}"#,
        r#"{"id": "GHSA-p6mc-m468-83gw", "aliases": ["CVE-2020-8203"], "summary": "Prototype pollution",
          "affected": [{"package": {"ecosystem": "npm", "name": "lodash"},
            "ranges": [{"type": "SEMVER", "events": [{"introduced": "3.7.0"}, {"fixed": "4.17.19"}]}]}]}"#,
    ]);
    let lock = r#"{"lockfileVersion": 3, "packages": {"": {"dependencies": {"lodash": "^4"}},
        "node_modules/lodash": {"version": "4.17.20"}}}"#;
    let analysis = crate::analysis::analyze(&Snapshot::new().with("package-lock.json", lock));
    let findings = db.scan(&analysis);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let f = &findings[0];
    assert_eq!(f.id, "GHSA-35jh-r3h4-6jhm");
    assert_eq!(f.aliases, ["CVE-2021-23337", "OSV-LODASH"]);
    assert_eq!(f.records.len(), 2);
    assert_eq!(f.fixed, ["4.17.21"]);
    assert_eq!(f.kind, Kind::Vulnerability);
    assert_eq!(f.summary().as_deref(), Some("Command Injection in lodash"));
}

#[test]
fn dependencies_without_exact_versions_are_not_matched() {
    let db = db(&[LODASH]);
    let analysis = crate::analysis::analyze(
        &Snapshot::new().with("package.json", r#"{"dependencies": {"lodash": "^4.17.0"}}"#),
    );
    assert_eq!(analysis.dependencies.len(), 1);
    assert!(db.scan(&analysis).is_empty());
}

#[test]
fn rustsec_placeholders_yield_to_the_assigned_record() {
    let rec = |id: &str| {
        format!(
            r#"{{"id": "{id}", "aliases": ["CVE-2025-59047"], "affected": [{{"package": {{"ecosystem": "crates.io", "name": "matrix-sdk-base"}},
            "ranges": [{{"type": "SEMVER", "events": [{{"introduced": "0.0.0-0"}}, {{"fixed": "0.14.1"}}]}}]}}]}}"#
        )
    };
    let lock = "[[package]]\nname = \"matrix-sdk-base\"\nversion = \"0.3.8\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n";
    let analysis = crate::analysis::analyze(&Snapshot::new().with("Cargo.lock", lock));
    let both = db(&[&rec("RUSTSEC-2025-0000"), &rec("RUSTSEC-2025-0065")]);
    let findings = both.scan(&analysis);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].id, "RUSTSEC-2025-0065");
    assert_eq!(findings[0].aliases, ["CVE-2025-59047"]);
    assert_eq!(findings[0].records.len(), 1);
    // Alone, a placeholder record is still reported rather than dropped.
    let alone = db(&[&rec("RUSTSEC-2025-0000")]);
    assert_eq!(alone.scan(&analysis)[0].id, "RUSTSEC-2025-0000");
}

#[test]
fn matching_while_analysing_keeps_only_vulnerable_dependencies_and_finds_the_same() {
    let lock = r#"{"lockfileVersion": 3, "packages": {
      "": {"dependencies": {"lodash": "^4.17.0", "ok": "1.0.0"}},
      "node_modules/ok": {"version": "1.0.0"},
      "node_modules/lodash": {"version": "4.17.20"},
      "node_modules/ok/node_modules/lodash": {"version": "4.17.21"}}}"#;
    let snapshot = Snapshot::new()
        .with("package-lock.json", lock)
        .with("bad/package.json", "{")
        .with(
            "package.json",
            r#"{"dependencies": {"lodash": "^4.17.0", "ok": "1.0.0"}}"#,
        );
    let db = db(&[LODASH]);
    let analysis = crate::analysis::analyze(&snapshot);
    let findings = db.scan(&analysis);
    let mut matched = db.matcher();
    crate::analysis::analyze_into(&snapshot, &mut matched);
    assert_eq!(matched.dependencies, analysis.dependencies.len());
    assert_eq!(matched.problems.len(), 1);
    assert_eq!(matched.vulnerable.len(), 1);
    let (dep, found) = &matched.vulnerable[0];
    assert_eq!(dep, &analysis.dependencies[findings[0].dependency]);
    assert_eq!(
        found
            .iter()
            .map(|f| (f.dependency, f.id.clone()))
            .collect::<Vec<_>>(),
        findings
            .iter()
            .map(|f| (f.dependency, f.id.clone()))
            .collect::<Vec<_>>()
    );
}
