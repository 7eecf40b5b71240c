//! Tests for sync batches: RFC 3339 times, validation refusing bad batches whole, and applying
//! full and delta batches.

use super::*;

#[test]
fn rfc3339_times_order_with_fractions_and_offsets() {
    let t = |s| rfc3339_nanos(s).unwrap();
    assert_eq!(t("1970-01-01T00:00:00Z"), 0);
    assert_eq!(
        t("2024-03-01T00:00:00Z") - t("2024-02-28T00:00:00Z"),
        2 * 86_400 * 1_000_000_000
    );
    assert!(t("2024-01-01T00:00:00Z") < t("2024-01-01T00:00:00.5Z"));
    assert_eq!(t("2024-01-01T01:00:00+01:00"), t("2024-01-01T00:00:00Z"));
    for bad in [
        "",
        "2024-01-01",
        "2024-13-01T00:00:00Z",
        "2024-01-01T00:00:00",
        "yesterday",
    ] {
        assert_eq!(rfc3339_nanos(bad), None, "{bad}");
    }
}

fn record(id: &str, eco: &str) -> Vec<u8> {
    format!(
        r#"{{"id": "{id}", "modified": "2024-05-01T00:00:00Z", "affected": [{{"package": {{"ecosystem": "{eco}", "name": "pkg"}},
        "ranges": [{{"type": "SEMVER", "events": [{{"introduced": "0"}}, {{"fixed": "1.0.0"}}]}}]}}]}}"#
    )
    .into_bytes()
}

fn delta(records: Vec<Vec<u8>>, withdrawn: &[&str]) -> SyncBatch {
    SyncBatch {
        ecosystem: "npm".into(),
        watermark: "2024-05-02T00:00:00Z".into(),
        change: SyncChange::Delta {
            since: "2024-05-01T00:00:00Z".into(),
            records,
            withdrawn: withdrawn.iter().map(|s| s.to_string()).collect(),
        },
    }
}

#[test]
fn bad_batches_are_refused_whole_with_the_reason() {
    let limits = SyncLimits::default();
    let refused = |b: SyncBatch| b.validate(&limits, 0).err().unwrap().to_string();
    let e = refused(delta(
        vec![record("A-1", "npm"), b"{\"id\": 5}".to_vec()],
        &[],
    ));
    assert!(
        e.starts_with("advisory sync for npm refused: invalid OSV record record 1"),
        "{e}"
    );
    let e = refused(delta(vec![record("A-1", "PyPI")], &[]));
    assert!(e.contains("record A-1 affects no npm package"), "{e}");
    let e = refused(delta(vec![record("A-1", "npm"), record("A-1", "npm")], &[]));
    assert!(e.contains("A-1 appears twice"), "{e}");
    let e = refused(delta(vec![record("A-1", "npm")], &["A-1"]));
    assert!(e.contains("both changed and withdrawn"), "{e}");
    let e = refused(delta(
        vec![br#"{"id": "A-2", "affected": []}"#.to_vec()],
        &[],
    ));
    assert!(e.contains("A-2 has no RFC 3339 `modified` time"), "{e}");
    let e = refused(delta(vec![], &["../etc"]));
    assert!(e.contains("`../etc` is not a record id"), "{e}");
    let small = SyncLimits {
        max_record_bytes: 10,
        ..limits
    };
    let e = delta(vec![record("A-1", "npm")], &[])
        .validate(&small, 0)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("above the limit of 10"), "{e}");
    let tight = SyncLimits {
        max_inflated_bytes: 100,
        ..limits
    };
    let archive = crate::zip::tests::build_zip(&[
        ("A-1.json", &record("A-1", "npm"), true),
        ("A-2.json", &record("A-2", "npm"), true),
    ]);
    let full = SyncBatch {
        ecosystem: "npm".into(),
        watermark: "2024-05-02T00:00:00Z".into(),
        change: SyncChange::Full { archive },
    };
    let e = full.validate(&tight, 0).err().unwrap().to_string();
    assert!(
        e.contains("inflates to") && e.contains("above the limit of 100"),
        "{e}"
    );
    let mut b = delta(vec![], &[]);
    b.ecosystem = "Nowhere".into();
    assert!(refused(b).contains("unknown ecosystem"));
    let mut b = delta(vec![], &[]);
    b.watermark = "soon".into();
    assert!(refused(b).contains("watermark `soon` is not an RFC 3339 time"));
}

#[test]
fn a_full_batch_replaces_its_ecosystem_and_keeps_the_others() {
    let mut old = AdvisoryDb::new();
    for (id, eco) in [("N-OLD", "npm"), ("P-1", "PyPI")] {
        old.insert(Record::from_json(id, &record(id, eco)).unwrap());
    }
    let archive = crate::zip::tests::build_zip(&[("N-NEW.json", &record("N-NEW", "npm"), true)]);
    let batch = SyncBatch {
        ecosystem: "npm".into(),
        watermark: "2024-05-02T00:00:00Z".into(),
        change: SyncChange::Full { archive },
    };
    let new = apply(&old, batch.validate(&SyncLimits::default(), 0).unwrap());
    let ids: Vec<String> = new.records().map(|r| r.id.clone()).collect();
    assert_eq!(ids, ["N-NEW", "P-1"]);
    // The unchanged record is shared, not copied.
    assert!(Arc::ptr_eq(&old.slots[1], &new.slots[1]));
    assert_eq!(old.len(), 2);
}

#[test]
fn a_record_is_dated_by_modified_or_by_published_when_modified_is_implausible() {
    let t = |s: &str| rfc3339_nanos(s);
    let (published, modified) = ("2021-04-14T20:04:52Z", "2024-05-01T00:00:00Z");
    assert_eq!(record_time(Some(modified), Some(published)), t(modified));
    // golang/vulndb's files carry the zero time as `modified`.
    assert_eq!(
        record_time(Some("0001-01-01T00:00:00Z"), Some(published)),
        t(published)
    );
    assert_eq!(record_time(None, Some(published)), t(published));
    assert_eq!(record_time(Some("0001-01-01T00:00:00Z"), None), None);
    assert_eq!(record_time(Some("soon"), None), None);
}
