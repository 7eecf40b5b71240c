//! Tests for the OSV mirror's batches: a full archive takes its watermark from its validated
//! records, and an archive whose directory lies about sizes is refused before inflating.

use super::*;
use crate::advisories::store::tests::npm_record;
use crate::advisories::StoreOptions;
use crate::zip::tests::build_zip;

const T1: &str = "2024-05-01T00:00:00Z";
const T2: &str = "2024-05-02T00:00:00Z";

fn full(archive: Vec<u8>) -> SyncBatch {
    SyncBatch {
        ecosystem: "npm".into(),
        watermark: String::new(),
        change: SyncChange::Full { archive },
    }
}

/// `archive` with the uncompressed size its central directory announces for its only member
/// replaced by `size`.
fn announcing(mut archive: Vec<u8>, size: u32) -> Vec<u8> {
    let signature = 0x0201_4b50u32.to_le_bytes();
    let at = archive
        .windows(4)
        .rposition(|w| w == signature)
        .expect("a central directory entry");
    archive[at + 24..at + 28].copy_from_slice(&size.to_le_bytes());
    archive
}

#[test]
fn a_full_archive_takes_the_newest_time_of_its_validated_records() {
    let a = npm_record("N-1", "left-pad", T1);
    let b = npm_record("N-2", "is-even", T2);
    let archive = build_zip(&[("N-1.json", &a, true), ("N-2.json", &b, false)]);
    let store = AdvisoryStore::unconfigured(StoreOptions::default());
    assert_eq!(apply_batch(&store, full(archive)).unwrap(), T2);
    assert_eq!(store.watermarks()["npm"], T2);
    assert_eq!(store.snapshot().len(), 2);
}

#[test]
fn an_archive_announcing_huge_members_is_refused_before_inflating() {
    let json = npm_record("N-1", "left-pad", T1);
    let archive = build_zip(&[("N-1.json", &json, true)]);
    let store = AdvisoryStore::unconfigured(StoreOptions::default());
    // Nearly 4 GiB: above the limit on the inflated total.
    let e = apply_batch(&store, full(announcing(archive.clone(), 0xFFFF_FFF0)))
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("advisory sync for npm refused: the archive inflates to 4294967280 bytes"),
        "{e}"
    );
    // Within the advisory memory limit an archive announcing 50 MB would need (about three
    // times that): refused for memory, before anything is inflated.
    let e = apply_batch(&store, full(announcing(archive.clone(), 50_000_000)))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("would take about 144 MiB of memory on top of the 0 MiB")
            && e.contains("above the advisory memory limit of 128 MiB"),
        "{e}"
    );
    // With memory to spare, within the inflated limit but far past what deflate can expand
    // its bytes to.
    let roomy = AdvisoryStore::unconfigured(StoreOptions {
        limits: SyncLimits {
            max_memory_bytes: 1 << 30,
            ..SyncLimits::default()
        },
        ..StoreOptions::default()
    });
    let e = apply_batch(&roomy, full(announcing(archive, 100_000_000)))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("N-1.json: announces 100000000 bytes from"),
        "{e}"
    );
    assert!(store.watermarks().is_empty() && roomy.watermarks().is_empty());
    assert_eq!(store.snapshot().len() + roomy.snapshot().len(), 0);
}

#[test]
fn an_archive_without_modified_times_names_the_problem() {
    let json = br#"{"id": "N-1", "affected": [{"package": {"ecosystem": "npm", "name": "x"}}]}"#;
    let archive = build_zip(&[("N-1.json", json, false)]);
    let store = AdvisoryStore::unconfigured(StoreOptions::default());
    let e = apply_batch(&store, full(archive)).unwrap_err().to_string();
    assert!(
        e.contains("no record has an RFC 3339 `modified` time"),
        "{e}"
    );
    assert!(store.watermarks().is_empty());
}
