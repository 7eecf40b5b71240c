//! Tests for loading archives: member order across threads, bad members named, impossible sizes
//! refused, and the split of inflating work between threads.

use super::split_for_decoding;
use crate::advisories::matching::tests::LODASH;
use crate::advisories::AdvisoryDb;
use crate::Ecosystem;

#[test]
fn archives_load_and_name_the_bad_member() {
    let good = LODASH.as_bytes();
    let zip = crate::zip::tests::build_zip(&[
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
    let bad = crate::zip::tests::build_zip(&[("X.json", b"{\"id\": 5}", true)]);
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
    let zip = crate::zip::tests::build_zip(&members);
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
        let zip = crate::zip::tests::build_zip(&members);
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
    let mut zip = crate::zip::tests::build_zip(&[("A.json", LODASH.as_bytes(), true)]);
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
    let zip = crate::zip::tests::build_zip(&members);
    let members = crate::zip::zip_members(&zip, "t.zip").unwrap();
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

/// Writes `n` records of packages `pkg-{first}..` into `dir`: half as loose JSON files, half in an
/// `all.zip`.
fn write_records(dir: &std::path::Path, first: usize, n: usize) {
    std::fs::create_dir_all(dir).unwrap();
    let records: Vec<(String, String)> = (first..first + n)
        .map(|i| (format!("N-{i}.json"), numbered(i)))
        .collect();
    let (loose, zipped) = records.split_at(n / 2);
    for (name, json) in loose {
        std::fs::write(dir.join(name), json).unwrap();
    }
    let members: Vec<(&str, &[u8], bool)> = zipped
        .iter()
        .map(|(name, json)| (name.as_str(), json.as_bytes(), true))
        .collect();
    std::fs::write(dir.join("all.zip"), crate::zip::tests::build_zip(&members)).unwrap();
}

#[test]
fn ecosystem_folders_that_are_links_into_a_kubernetes_volume_are_loaded() {
    use std::os::unix::fs::symlink;
    let root = tempfile::tempdir().unwrap();
    // A Kubernetes volume: the data in a timestamped folder, `..data` pointing at it.
    let volume = root.path().join("volume");
    write_records(&volume.join("..2026_12_04_10_00_00.123/crates.io"), 0, 40);
    symlink("..2026_12_04_10_00_00.123", volume.join("..data")).unwrap();
    // The OSV directory: one real ecosystem folder, one that is a link into the volume.
    let osv = root.path().join("osv");
    write_records(&osv.join("PyPI"), 100, 6);
    symlink("../volume/..data/crates.io", osv.join("crates.io")).unwrap();
    let mut db = AdvisoryDb::new();
    assert_eq!(db.load_dir(&osv).unwrap(), 46);
    assert_eq!(db.len(), 46);
    assert!(db.is_affected(Ecosystem::Npm, "pkg-0", "0.9.0"));
    assert!(db.is_affected(Ecosystem::Npm, "pkg-39", "0.9.0"));
    assert!(db.is_affected(Ecosystem::Npm, "pkg-105", "0.9.0"));
}

#[test]
fn a_kubernetes_projected_layout_inside_the_osv_directory_loads_each_record_once() {
    use std::os::unix::fs::symlink;
    let osv = tempfile::tempdir().unwrap();
    write_records(&osv.path().join("..2026_12_04/crates.io"), 0, 30);
    write_records(&osv.path().join("..2026_12_04/Go"), 30, 10);
    symlink("..2026_12_04", osv.path().join("..data")).unwrap();
    symlink("..data/crates.io", osv.path().join("crates.io")).unwrap();
    symlink("..data/Go", osv.path().join("Go")).unwrap();
    // A link back up the tree must not loop.
    symlink("..", osv.path().join("..2026_12_04/Go/up")).unwrap();
    let mut db = AdvisoryDb::new();
    assert_eq!(db.load_dir(osv.path()).unwrap(), 40);
    assert_eq!(db.len(), 40);
    assert!(db.is_affected(Ecosystem::Npm, "pkg-35", "0.9.0"));
}

#[test]
fn an_ecosystem_link_that_cannot_be_followed_is_an_error_naming_it() {
    use std::os::unix::fs::symlink;
    let osv = tempfile::tempdir().unwrap();
    write_records(&osv.path().join("PyPI"), 0, 4);
    symlink("..data/crates.io", osv.path().join("crates.io")).unwrap();
    let err = AdvisoryDb::new().load_dir(osv.path()).unwrap_err();
    assert!(matches!(err, crate::Error::OsvDir { .. }), "{err:?}");
    let msg = err.to_string();
    let link = osv.path().join("crates.io").display().to_string();
    assert!(
        msg.starts_with(&format!("could not read the OSV folder {link}: ")),
        "{msg}"
    );
    assert!(msg.contains("symbolic link"), "{msg}");
}

#[test]
fn the_newest_modified_record_of_each_ecosystem_dates_the_data() {
    let record = |id: &str, eco: &str, modified: &str| {
        format!(
            r#"{{"id": "{id}", "modified": "{modified}", "affected": [{{"package": {{"ecosystem": "{eco}", "name": "p"}}}}]}}"#
        )
        .into_bytes()
    };
    let (a, b, c) = (
        record("G-1", "Go", "2024-01-01T00:00:00Z"),
        record("G-2", "Go", "2024-03-01T00:00:00Z"),
        record("P-1", "PyPI", "2023-06-01T12:00:00Z"),
    );
    let archive = crate::zip::tests::build_zip(&[
        ("G-1.json", a.as_slice(), true),
        ("G-2.json", b.as_slice(), false),
    ]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("Go")).unwrap();
    std::fs::write(dir.path().join("Go/all.zip"), &archive).unwrap();
    std::fs::create_dir_all(dir.path().join("PyPI")).unwrap();
    std::fs::write(dir.path().join("PyPI/P-1.json"), &c).unwrap();
    let mut db = AdvisoryDb::new();
    db.load_dir(dir.path()).unwrap();
    let at = |t: &str| {
        std::time::UNIX_EPOCH
            + std::time::Duration::from_secs(
                (crate::advisories::sync::rfc3339_nanos(t).unwrap() / 1_000_000_000) as u64,
            )
    };
    let newest = db.newest_modified();
    assert_eq!(newest["Go"], at("2024-03-01T00:00:00Z"));
    assert_eq!(newest["PyPI"], at("2023-06-01T12:00:00Z"));
    // Loaded through its index file, the archive dates the data the same way.
    let index = dir.path().join("Go.index");
    for _ in 0..2 {
        let mut indexed = AdvisoryDb::new();
        indexed
            .load_zip_file_indexed(&dir.path().join("Go/all.zip"), &index)
            .unwrap();
        assert_eq!(indexed.newest_modified()["Go"], at("2024-03-01T00:00:00Z"));
    }
}
