//! Tests for the advisory store: deltas applied and withdrawn records removed, bad batches
//! refused with the old data serving, scans during swaps, restarts from the persisted
//! watermark, a corrupt store replaced by the mounted data, and stale data reported.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::*;
use crate::Ecosystem;

/// An npm record `id` affecting `pkg` below 1.0.0, modified at `modified`.
pub(crate) fn npm_record(id: &str, pkg: &str, modified: &str) -> Vec<u8> {
    format!(
        r#"{{"id": "{id}", "modified": "{modified}", "affected": [{{"package": {{"ecosystem": "npm", "name": "{pkg}"}},
        "ranges": [{{"type": "SEMVER", "events": [{{"introduced": "0"}}, {{"fixed": "1.0.0"}}]}}]}}]}}"#
    )
    .into_bytes()
}

fn full(records: &[(&str, &str)], watermark: &str) -> SyncBatch {
    let jsons: Vec<(String, Vec<u8>)> = records
        .iter()
        .map(|(id, pkg)| (format!("{id}.json"), npm_record(id, pkg, watermark)))
        .collect();
    let members: Vec<(&str, &[u8], bool)> = jsons
        .iter()
        .map(|(n, j)| (n.as_str(), j.as_slice(), true))
        .collect();
    SyncBatch {
        ecosystem: "npm".into(),
        watermark: watermark.into(),
        change: SyncChange::Full {
            archive: crate::zip::tests::build_zip(&members),
        },
    }
}

fn delta(since: &str, watermark: &str, changed: &[(&str, &str)], withdrawn: &[&str]) -> SyncBatch {
    SyncBatch {
        ecosystem: "npm".into(),
        watermark: watermark.into(),
        change: SyncChange::Delta {
            since: since.into(),
            records: changed
                .iter()
                .map(|(id, pkg)| npm_record(id, pkg, watermark))
                .collect(),
            withdrawn: withdrawn.iter().map(|s| s.to_string()).collect(),
        },
    }
}

fn affected(store: &AdvisoryStore, pkg: &str) -> bool {
    store.snapshot().is_affected(Ecosystem::Npm, pkg, "0.5.0")
}

const T1: &str = "2024-05-01T00:00:00Z";
const T2: &str = "2024-05-02T00:00:00Z";
const T3: &str = "2024-05-03T00:00:00Z";

#[test]
fn a_delta_adds_changes_and_removes_withdrawn_records() {
    let store = AdvisoryStore::unconfigured(StoreOptions::default());
    assert!(!store.is_configured());
    store
        .sync(&full(&[("N-1", "left-pad"), ("N-2", "is-even")], T1))
        .unwrap();
    assert!(affected(&store, "left-pad") && affected(&store, "is-even"));
    let marks = store
        .sync(&delta(T1, T2, &[("N-3", "is-odd")], &["N-2"]))
        .unwrap();
    assert_eq!(marks, BTreeMap::from([("npm".to_owned(), T2.to_owned())]));
    assert!(affected(&store, "is-odd"), "the new record matches");
    assert!(!affected(&store, "is-even"), "the withdrawn record is gone");
    assert!(affected(&store, "left-pad"), "the untouched record stays");
    assert_eq!(store.snapshot().len(), 2);
    // The same delta again changes nothing (idempotent); an older one is already applied.
    store
        .sync(&delta(T1, T2, &[("N-3", "is-odd")], &["N-2"]))
        .unwrap();
    assert_eq!(store.snapshot().len(), 2);
    store
        .sync(&delta(T1, T1, &[("N-2", "is-even")], &[]))
        .unwrap();
    assert!(!affected(&store, "is-even"));
}

#[test]
fn a_bad_batch_is_refused_and_the_old_data_keeps_serving() {
    let store = AdvisoryStore::unconfigured(StoreOptions::default());
    store.sync(&full(&[("N-1", "left-pad")], T1)).unwrap();
    let before = store.snapshot();
    let mut bad = delta(T1, T2, &[("N-3", "is-odd")], &["N-1"]);
    if let SyncChange::Delta { records, .. } = &mut bad.change {
        records.push(b"{\"id\": \"N-4\", \"affected\": 7}".to_vec());
    }
    let e = store.sync(&bad).unwrap_err().to_string();
    assert!(
        e.starts_with("advisory sync for npm refused: invalid OSV record"),
        "{e}"
    );
    assert!(
        e.contains("nothing was changed, fix the batch and send it again"),
        "{e}"
    );
    assert!(Arc::ptr_eq(&before, &store.snapshot()));
    assert!(affected(&store, "left-pad") && !affected(&store, "is-odd"));
    assert_eq!(store.watermarks()["npm"], T1);
    // A delta with a gap, or with nothing to build on, is refused too.
    let e = store
        .sync(&delta(T2, T3, &[], &[]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("send a delta since 2024-05-01T00:00:00Z"), "{e}");
    let fresh = AdvisoryStore::unconfigured(StoreOptions::default());
    let e = fresh
        .sync(&delta(T1, T2, &[], &[]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("needs a full archive first"), "{e}");
}

#[test]
fn a_batch_past_the_advisory_memory_limit_is_refused_and_names_what_to_raise() {
    let record_bytes = npm_record("N-1", "left-pad", T1).len();
    // Room for two records' worth of data and their replacements, not for four.
    let per_record = crate::advisories::memory_estimate(record_bytes);
    let store = AdvisoryStore::unconfigured(StoreOptions {
        limits: SyncLimits {
            max_memory_bytes: 3 * per_record,
            ..SyncLimits::default()
        },
        ..StoreOptions::default()
    });
    store.sync(&full(&[("N-1", "left-pad")], T1)).unwrap();
    assert_eq!(store.snapshot().estimated_bytes(), per_record);
    let before = store.snapshot();
    // A delta whose records would take the data past the limit: refused whole, before decoding.
    let e = store
        .sync(&delta(
            T1,
            T2,
            &[("N-2", "is-even"), ("N-3", "is-odd"), ("N-4", "x")],
            &[],
        ))
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("advisory sync for npm refused: its records would take about 1 MiB of memory on top of the 1 MiB of advisory data the agent holds"),
        "{e}"
    );
    assert!(
        e.contains("raise the container's memory limit (Helm `resources.limits.memory`")
            && e.contains("`--max-advisory-memory` (GITPROXY_MAX_ADVISORY_MEMORY, Helm `advisories.maxMemory`)"),
        "{e}"
    );
    assert!(Arc::ptr_eq(&before, &store.snapshot()));
    assert_eq!(store.watermarks()["npm"], T1);
    // Within the limit counting what the agent holds: applied.
    store
        .sync(&delta(T1, T2, &[("N-2", "is-even")], &[]))
        .unwrap();
    assert!(affected(&store, "is-even"));
    let second = crate::advisories::memory_estimate(npm_record("N-2", "is-even", T2).len());
    assert_eq!(store.snapshot().estimated_bytes(), per_record + second);
    // A full re-sync needs room for the old records too, as they serve until the swap.
    let e = store
        .sync(&full(&[("N-1", "left-pad"), ("N-2", "is-even")], T3))
        .unwrap_err()
        .to_string();
    assert!(e.contains("above the advisory memory limit"), "{e}");
    assert_eq!(store.watermarks()["npm"], T2);
}

#[test]
fn scans_running_during_swaps_all_succeed_on_the_data_they_started_with() {
    let store = Arc::new(AdvisoryStore::unconfigured(StoreOptions::default()));
    store.sync(&full(&[("N-1", "left-pad")], T1)).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let scanners: Vec<_> = (0..4)
        .map(|_| {
            let (store, stop) = (Arc::clone(&store), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut scans = 0u32;
                while !stop.load(Ordering::Relaxed) || scans < 50 {
                    // A scan holds one snapshot throughout: it sees one whole version.
                    let db = store.snapshot();
                    let a = db.is_affected(Ecosystem::Npm, "left-pad", "0.5.0");
                    let b = db.is_affected(Ecosystem::Npm, "is-odd", "0.5.0");
                    assert!(a != b, "a snapshot mixes two versions");
                    assert_eq!(db.len(), 1);
                    scans += 1;
                }
                scans
            })
        })
        .collect();
    // Alternate between two versions many times while the scans run.
    let mut mark = rfc3339_nanos(T1).unwrap();
    for i in 0..40 {
        let prev = format_time(mark);
        mark += 1_000_000_000;
        let next = format_time(mark);
        let batch = if i % 2 == 0 {
            delta(&prev, &next, &[("N-2", "is-odd")], &["N-1"])
        } else {
            delta(&prev, &next, &[("N-1", "left-pad")], &["N-2"])
        };
        store.sync(&batch).unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    for s in scanners {
        assert!(s.join().expect("no scan failed") >= 50);
    }
}

/// Seconds after 2024-05-01 as RFC 3339.
fn format_time(nanos: i128) -> String {
    let secs = (nanos - rfc3339_nanos(T1).unwrap()) / 1_000_000_000;
    format!(
        "2024-05-01T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

fn persistent(dir: &std::path::Path) -> StoreOptions {
    StoreOptions {
        dir: Some(dir.to_path_buf()),
        ..StoreOptions::default()
    }
}

#[test]
fn a_restart_resumes_from_the_persisted_watermark() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = AdvisoryStore::open(
            Some(AdvisoryDb::new()),
            BTreeMap::new(),
            persistent(dir.path()),
        );
        store
            .sync(&full(&[("N-1", "left-pad"), ("N-2", "is-even")], T1))
            .unwrap();
        store
            .sync(&delta(T1, T2, &[("N-3", "is-odd")], &["N-2"]))
            .unwrap();
    }
    let store = AdvisoryStore::open(
        Some(AdvisoryDb::new()),
        BTreeMap::new(),
        persistent(dir.path()),
    );
    assert_eq!(store.watermarks()["npm"], T2);
    assert!(affected(&store, "left-pad") && affected(&store, "is-odd"));
    assert!(!affected(&store, "is-even"));
    // Only a delta is needed after the restart, and it is persisted in turn.
    store.sync(&delta(T2, T3, &[], &["N-1"])).unwrap();
    drop(store);
    let store = AdvisoryStore::open(
        Some(AdvisoryDb::new()),
        BTreeMap::new(),
        persistent(dir.path()),
    );
    assert_eq!(store.watermarks()["npm"], T3);
    assert!(!affected(&store, "left-pad") && affected(&store, "is-odd"));
    // Only the files the manifest names remain, beside files the store did not write.
    std::fs::write(dir.path().join("notes.json"), b"{}").unwrap();
    std::fs::write(dir.path().join("npm-old.zip"), b"").unwrap();
    store.sync(&delta(T3, T3, &[], &[])).unwrap();
    std::fs::remove_file(dir.path().join("notes.json")).expect("kept");
    std::fs::remove_file(dir.path().join("npm-old.zip")).expect("kept");
    let mut files: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files.len(), 3, "{files:?}");
    assert!(files.contains(&"manifest.json".to_owned()));
}

/// An npm record of about `pad` bytes (a long `details`), modified at `modified`.
fn padded_record(id: &str, pkg: &str, modified: &str, pad: usize) -> Vec<u8> {
    let mut value: serde_json::Value =
        serde_json::from_slice(&npm_record(id, pkg, modified)).unwrap();
    value["details"] = serde_json::Value::String("x".repeat(pad));
    serde_json::to_vec(&value).unwrap()
}

fn padded_delta(
    since: &str,
    watermark: &str,
    ids: std::ops::Range<usize>,
    withdrawn: &[&str],
) -> SyncBatch {
    SyncBatch {
        ecosystem: "npm".into(),
        watermark: watermark.into(),
        change: SyncChange::Delta {
            since: since.into(),
            records: ids
                .map(|i| padded_record(&format!("P-{i}"), &format!("pkg-{i}"), watermark, 20_000))
                .collect(),
            withdrawn: withdrawn.iter().map(|s| s.to_string()).collect(),
        },
    }
}

fn store_files(dir: &std::path::Path) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    files
}

#[test]
fn a_merged_delta_that_outgrows_the_archive_becomes_a_new_full_archive() {
    let dir = tempfile::tempdir().unwrap();
    let open = || AdvisoryStore::open(None, BTreeMap::new(), persistent(dir.path()));
    let store = open();
    store
        .sync(&full(&[("N-1", "left-pad"), ("N-2", "is-even")], T1))
        .unwrap();
    let first_archive = store_files(dir.path());
    // Two deltas of 20 records of about 20 KB each: merged on disk, under the threshold.
    store.sync(&padded_delta(T1, T2, 0..20, &[])).unwrap();
    store.sync(&padded_delta(T2, T3, 20..40, &["N-2"])).unwrap();
    let files = store_files(dir.path());
    assert!(
        files.iter().any(|f| f.starts_with("npm-delta-")),
        "{files:?}"
    );
    let delta_bytes: u64 = files
        .iter()
        .filter(|f| f.starts_with("npm-delta-"))
        .map(|f| std::fs::metadata(dir.path().join(f)).unwrap().len())
        .sum();
    assert!(
        delta_bytes > 700_000 && (delta_bytes as usize) < persist::COMPACT_AT,
        "{delta_bytes}"
    );
    // The merged delta would pass 1 MiB: the ecosystem is written as a new full archive.
    let t4 = "2024-05-04T00:00:00Z";
    store.sync(&padded_delta(T3, t4, 40..60, &["P-3"])).unwrap();
    let files = store_files(dir.path());
    assert!(!files.iter().any(|f| f.contains("-delta-")), "{files:?}");
    assert_eq!(files.len(), 2, "{files:?}");
    assert_ne!(files, first_archive, "a new archive replaced the first");
    let before = store.snapshot();
    drop(store);
    // A restart reads back exactly what the store held, from the archive alone.
    let store = open();
    assert_eq!(store.watermarks()["npm"], t4);
    let after = store.snapshot();
    let ids = |db: &AdvisoryDb| {
        let mut ids: Vec<String> = db.records().map(|r| r.id.clone()).collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&after), ids(&before));
    assert_eq!(after.len(), 1 + 60 - 1);
    assert!(affected(&store, "left-pad") && affected(&store, "pkg-59"));
    assert!(!affected(&store, "is-even") && !affected(&store, "pkg-3"));
    // The next delta is merged on disk again.
    store
        .sync(&delta(
            t4,
            "2024-05-05T00:00:00Z",
            &[("N-9", "is-odd")],
            &[],
        ))
        .unwrap();
    assert!(store_files(dir.path())
        .iter()
        .any(|f| f.starts_with("npm-delta-")));
}

#[test]
fn an_unreadable_merged_delta_is_rewritten_from_the_data_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let open = || AdvisoryStore::open(None, BTreeMap::new(), persistent(dir.path()));
    let store = open();
    store.sync(&full(&[("N-1", "left-pad")], T1)).unwrap();
    store
        .sync(&delta(T1, T2, &[("N-2", "is-even")], &[]))
        .unwrap();
    let delta_file = store_files(dir.path())
        .into_iter()
        .find(|f| f.starts_with("npm-delta-"))
        .unwrap();
    std::fs::write(dir.path().join(&delta_file), b"{ not json").unwrap();
    // The next delta cannot be merged with it: what the store holds is written whole instead.
    store
        .sync(&delta(T2, T3, &[("N-3", "is-odd")], &[]))
        .unwrap();
    assert!(!store_files(dir.path())
        .iter()
        .any(|f| f.contains("-delta-")));
    drop(store);
    let store = open();
    assert_eq!(store.watermarks()["npm"], T3);
    assert!(
        affected(&store, "left-pad") && affected(&store, "is-even") && affected(&store, "is-odd")
    );
}

#[test]
fn a_corrupt_store_is_replaced_by_the_mounted_data() {
    let dir = tempfile::tempdir().unwrap();
    let store = AdvisoryStore::open(
        Some(AdvisoryDb::new()),
        BTreeMap::new(),
        persistent(dir.path()),
    );
    store.sync(&full(&[("N-1", "left-pad")], T1)).unwrap();
    drop(store);
    let archive = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "zip"))
        .unwrap();
    // Half-written: the archive lost its tail.
    let bytes = std::fs::read(&archive).unwrap();
    std::fs::write(&archive, &bytes[..bytes.len() / 2]).unwrap();
    let mut mounted = AdvisoryDb::new();
    mounted.insert(crate::osv::Record::from_json("M", &npm_record("M-1", "mounted", T1)).unwrap());
    let store = AdvisoryStore::open(Some(mounted), BTreeMap::new(), persistent(dir.path()));
    assert!(affected(&store, "mounted") && !affected(&store, "left-pad"));
    assert!(
        store.watermarks().is_empty(),
        "no watermark: a full sync comes next"
    );
    // A manifest that is not JSON is detected too.
    std::fs::write(dir.path().join("manifest.json"), b"{\"form").unwrap();
    let store = AdvisoryStore::open(
        Some(AdvisoryDb::new()),
        BTreeMap::new(),
        persistent(dir.path()),
    );
    assert!(store.watermarks().is_empty());
}

#[test]
fn stale_data_is_reported_and_fresh_data_is_not() {
    let now = SystemTime::UNIX_EPOCH
        + Duration::from_secs(rfc3339_nanos(T1).unwrap() as u64 / 1_000_000_000);
    let mounted = BTreeMap::from([("Go".to_owned(), now - Duration::from_secs(9 * 86_400))]);
    let store = AdvisoryStore::open(Some(AdvisoryDb::new()), mounted, StoreOptions::default());
    store.sync(&full(&[("N-1", "left-pad")], T1)).unwrap();
    let ages = store.ages(now + Duration::from_secs(3600));
    assert_eq!(
        ages,
        [
            DataAge {
                ecosystem: "Go".into(),
                watermark: None,
                age_seconds: Some(9 * 86_400 + 3600),
                stale: true,
            },
            DataAge {
                ecosystem: "npm".into(),
                watermark: Some(T1.into()),
                age_seconds: Some(3600),
                stale: false,
            },
        ]
    );
    let warning = store.stale_warning(now).unwrap();
    assert_eq!(
        warning,
        "stale advisory data: Go is 9 days old (max 7 days); findings may miss recent advisories; ask the cloud to sync advisories, or with an OSV mirror (advisories.mirror.url) check that it is reachable and current (`gitproxy check`)"
    );
    let fresh = AdvisoryStore::unconfigured(StoreOptions::default());
    fresh.sync(&full(&[("N-1", "left-pad")], T1)).unwrap();
    assert_eq!(fresh.stale_warning(now), None);
}

#[test]
fn an_unwritable_store_directory_keeps_synced_data_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    // A file where the directory should be: nothing can be written below it.
    let blocked = dir.path().join("file");
    std::fs::write(&blocked, b"").unwrap();
    let store = AdvisoryStore::open(None, BTreeMap::new(), persistent(&blocked.join("store")));
    store.sync(&full(&[("N-1", "left-pad")], T1)).unwrap();
    assert!(affected(&store, "left-pad"));
    assert_eq!(store.watermarks()["npm"], T1);
}
