//! Tests for OSV matching semantics on small hand-written records (npm, Maven, PyPI shapes).

use super::*;
use crate::files::Snapshot;

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

const LODASH: &str = r#"{"id": "GHSA-35jh-r3h4-6jhm", "aliases": ["CVE-2021-23337"],
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
fn archives_load_and_name_the_bad_member() {
    let good = LODASH.as_bytes();
    let zip = crate::osv::tests::build_zip(&[
        ("GHSA-1.json", good, true),
        ("notes.txt", b"skip me", false),
    ]);
    let mut db = AdvisoryDb::new();
    assert_eq!(db.load_zip_bytes(&zip, "npm/all.zip").unwrap(), 1);
    assert!(db.is_affected(Ecosystem::Npm, "lodash", "4.17.20"));
    // Full records are decoded on demand from the kept JSON.
    assert_eq!(
        db.get("GHSA-35jh-r3h4-6jhm").unwrap().summary.as_deref(),
        Some("Command Injection in lodash")
    );
    let bad = crate::osv::tests::build_zip(&[("X.json", b"{\"id\": 5}", true)]);
    let err = AdvisoryDb::new()
        .load_zip_bytes(&bad, "npm/all.zip")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("invalid OSV record npm/all.zip:X.json"),
        "{err}"
    );
}

/// A record of package `pkg-{i}` affected below 1.0.0, padded so members differ in size.
fn numbered(i: usize) -> String {
    format!(
        r#"{{"id": "N-{i}", "details": "{}", "affected": [{{"package": {{"ecosystem": "npm", "name": "pkg-{i}"}},
        "ranges": [{{"type": "SEMVER", "events": [{{"introduced": "0"}}, {{"fixed": "1.0.0"}}]}}]}}]}}"#,
        "x".repeat(i * 7 % 500)
    )
}

#[test]
fn large_archives_load_in_member_order_on_every_thread() {
    let records: Vec<String> = (0..300).map(numbered).collect();
    let names: Vec<String> = (0..300).map(|i| format!("N-{i}.json")).collect();
    let members: Vec<(&str, &[u8], bool)> = names
        .iter()
        .zip(&records)
        .map(|(n, r)| (n.as_str(), r.as_bytes(), true))
        .collect();
    let zip = crate::osv::tests::build_zip(&members);
    let mut db = AdvisoryDb::new();
    assert_eq!(db.load_zip_bytes(&zip, "npm/all.zip").unwrap(), 300);
    let ids: Vec<String> = db.records().map(|r| r.id.clone()).collect();
    let want: Vec<String> = (0..300).map(|i| format!("N-{i}")).collect();
    assert_eq!(ids, want);
    for i in [0, 1, 150, 298, 299] {
        assert!(db.is_affected(Ecosystem::Npm, &format!("pkg-{i}"), "0.9.0"));
        assert!(!db.is_affected(Ecosystem::Npm, &format!("pkg-{i}"), "1.0.0"));
    }
}

#[test]
fn large_archives_name_the_bad_member_wherever_it_is() {
    let records: Vec<String> = (0..300).map(numbered).collect();
    let names: Vec<String> = (0..300).map(|i| format!("N-{i}.json")).collect();
    // Early members are inflated by a helper thread, late ones by the loading thread.
    for bad in [3, 299] {
        let mut members: Vec<(&str, &[u8], bool)> = names
            .iter()
            .zip(&records)
            .map(|(n, r)| (n.as_str(), r.as_bytes(), true))
            .collect();
        members[bad].1 = br#"{"id": "N", "affected": [{"ranges": "oops"}]}"#;
        let zip = crate::osv::tests::build_zip(&members);
        let err = AdvisoryDb::new()
            .load_zip_bytes(&zip, "npm/all.zip")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(&format!(
                "invalid OSV record npm/all.zip:N-{bad}.json: invalid type"
            )),
            "{err}"
        );
    }
}

#[test]
fn members_announcing_impossible_sizes_are_refused_before_allocating() {
    let mut zip = crate::osv::tests::build_zip(&[("A.json", LODASH.as_bytes(), true)]);
    // The uncompressed size sits at offset 24 of the central directory entry.
    let cd = zip.len() - 22 - (46 + "A.json".len());
    zip[cd + 24..cd + 28].copy_from_slice(&u32::MAX.to_le_bytes());
    let err = AdvisoryDb::new()
        .load_zip_bytes(&zip, "npm/all.zip")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("invalid zip archive npm/all.zip: A.json: announces 4294967295 bytes"),
        "{err}"
    );
}

#[test]
fn split_for_decoding_covers_every_member_in_order() {
    let records: Vec<String> = (0..90).map(numbered).collect();
    let names: Vec<String> = (0..90).map(|i| format!("N-{i}.json")).collect();
    let members: Vec<(&str, &[u8], bool)> = names
        .iter()
        .zip(&records)
        .map(|(n, r)| (n.as_str(), r.as_bytes(), false))
        .collect();
    let zip = crate::osv::tests::build_zip(&members);
    let members = crate::osv::zip_members(&zip, "t.zip").unwrap();
    let total: usize = members.iter().map(|m| m.data.len()).sum();
    for n in 1..=5 {
        let runs = split_for_decoding(&members, n);
        assert_eq!(runs.len(), n);
        let names: Vec<&str> = runs
            .iter()
            .flat_map(|r| r.iter().map(|m| m.name.as_str()))
            .collect();
        let want: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, want, "{n} runs");
    }
    // Two threads: the loading thread, which also decodes, inflates about a third.
    let runs = split_for_decoding(&members, 2);
    let own: usize = runs[1].iter().map(|m| m.data.len()).sum();
    assert!(
        own * 100 / total >= 28 && own * 100 / total <= 38,
        "{own} of {total}"
    );
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
fn an_index_file_makes_later_loads_lazy_and_is_rebuilt_when_stale() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("all.zip");
    let index = dir.path().join("all.zip.index");
    let zip = crate::osv::tests::build_zip(&[("GHSA-1.json", LODASH.as_bytes(), true)]);
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
    let other = crate::osv::tests::build_zip(&[(
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
