//! Tests for the hub side: full and delta syncs built from an OSV directory and applied by the
//! agent's store.

use std::path::Path;

use super::*;
use crate::advisories::store::tests::npm_record;
use crate::advisories::{AdvisoryStore, StoreOptions};
use crate::Ecosystem;

const T1: &str = "2024-05-01T00:00:00Z";
const T2: &str = "2024-05-02T00:00:00Z";
const T3: &str = "2024-05-03T00:00:00.5Z";

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::create_dir_all(dir.join("npm")).unwrap();
    std::fs::write(dir.join("npm").join(name), bytes).unwrap();
}

fn affected(store: &AdvisoryStore, pkg: &str) -> bool {
    store.snapshot().is_affected(Ecosystem::Npm, pkg, "0.5.0")
}

#[test]
fn a_full_sync_packs_loose_records_and_takes_the_newest_modified_time() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "N-1.json", &npm_record("N-1", "left-pad", T1));
    write(dir.path(), "N-2.json", &npm_record("N-2", "is-even", T2));
    let export = OsvExport::new(dir.path());
    let request = export.sync_from("npm", None).unwrap();
    assert_eq!(request.watermark, T2);
    assert!(request.archive.is_some() && request.since.is_none());
    let store = AdvisoryStore::unconfigured(StoreOptions::default());
    let watermarks = store.sync(&request.into_batch().unwrap()).unwrap();
    assert_eq!(watermarks["npm"], T2);
    assert!(affected(&store, "left-pad") && affected(&store, "is-even"));
}

#[test]
fn a_delta_carries_the_records_modified_since_and_withdraws_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "N-1.json", &npm_record("N-1", "left-pad", T1));
    write(dir.path(), "N-2.json", &npm_record("N-2", "is-even", T1));
    let export = OsvExport::new(dir.path());
    let store = AdvisoryStore::unconfigured(StoreOptions::default());
    store
        .sync(&export.full("npm").unwrap().into_batch().unwrap())
        .unwrap();
    // Later: a new record, N-2 withdrawn upstream, and N-1 listed but deleted.
    write(dir.path(), "N-3.json", &npm_record("N-3", "is-odd", T3));
    let withdrawn = String::from_utf8(npm_record("N-2", "is-even", T2))
        .unwrap()
        .replacen("{", &format!("{{\"withdrawn\": \"{T2}\", "), 1);
    write(dir.path(), "N-2.json", withdrawn.as_bytes());
    std::fs::remove_file(dir.path().join("npm/N-1.json")).unwrap();
    write(
        dir.path(),
        "modified_id.csv",
        format!("{T3},N-3\n{T2},N-2\n{T2},npm/N-1\n{T1},N-0\nnot a line\n").as_bytes(),
    );
    let request = export.sync_from("npm", Some(T1)).unwrap();
    assert_eq!(request.since.as_deref(), Some(T1));
    assert_eq!(request.watermark, "2024-05-03T00:00:00.5Z");
    assert_eq!(request.records.len(), 1);
    let first: serde_json::Value = serde_json::from_str(request.records[0].as_str()).unwrap();
    assert_eq!(first["id"], "N-3");
    let mut gone = request.withdrawn.clone();
    gone.sort();
    assert_eq!(gone, ["N-1", "N-2"]);
    store.sync(&request.into_batch().unwrap()).unwrap();
    assert!(affected(&store, "is-odd"));
    assert!(!affected(&store, "left-pad") && !affected(&store, "is-even"));
    assert_eq!(store.snapshot().len(), 1);
    // Nothing changed since the new watermark: an empty delta that keeps it.
    let again = export.delta("npm", "2024-05-03T00:00:00.5Z").unwrap();
    assert!(again.records.is_empty() && again.withdrawn.is_empty());
    assert_eq!(again.watermark, "2024-05-03T00:00:00.5Z");
}

#[test]
fn times_format_back_to_rfc3339() {
    for t in [
        T1,
        T3,
        "1999-12-31T23:59:59Z",
        "2026-02-28T12:00:00.000000001Z",
    ] {
        assert_eq!(format_rfc3339(rfc3339_nanos(t).unwrap()), t);
    }
}

#[test]
fn an_empty_folder_has_nothing_to_serve() {
    let dir = tempfile::tempdir().unwrap();
    let e = OsvExport::new(dir.path()).full("npm").unwrap_err();
    assert!(e.to_string().contains("no record"), "{e}");
}

#[test]
fn an_id_listed_at_two_times_is_sent_once_with_the_newer_one() {
    let listing = format!("{T1},N-1\n{T3},N-1\n{T2},npm/N-1\n{T2},N-2\n");
    let changed = changed_since(modified_ids(&listing, "npm"), i128::MIN);
    assert_eq!(changed.len(), 2);
    assert_eq!(format_rfc3339(changed["N-1"]), T3);
    assert_eq!(format_rfc3339(changed["N-2"]), T2);

    // The same listing served as a delta: one record, accepted by the agent.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "N-0.json", &npm_record("N-0", "is-odd", T1));
    let export = OsvExport::new(dir.path());
    let store = AdvisoryStore::unconfigured(StoreOptions::default());
    store
        .sync(&export.full("npm").unwrap().into_batch().unwrap())
        .unwrap();
    write(dir.path(), "N-1.json", &npm_record("N-1", "left-pad", T3));
    write(
        dir.path(),
        "modified_id.csv",
        format!("{T2},N-1\n{T3},N-1\n{T2},npm/N-1\n").as_bytes(),
    );
    let request = export.delta("npm", T1).unwrap();
    assert_eq!(request.records.len(), 1);
    assert!(request.withdrawn.is_empty());
    assert_eq!(request.watermark, T3);
    store.sync(&request.into_batch().unwrap()).unwrap();
    assert!(affected(&store, "left-pad"));
}

#[test]
fn an_all_zip_announcing_huge_members_is_refused_before_inflating() {
    let json = npm_record("N-1", "left-pad", T1);
    let mut archive = crate::zip::tests::build_zip(&[("N-1.json", &json, true)]);
    let at = archive
        .windows(4)
        .rposition(|w| w == 0x0201_4b50u32.to_le_bytes())
        .unwrap();
    archive[at + 24..at + 28].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "all.zip", &archive);
    let e = OsvExport::new(dir.path())
        .full("npm")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("N-1.json: announces 4294967280 bytes from"),
        "{e}"
    );
}
