//! Unit tests of local fixes: each planned pull request's files, computed and never written.

use super::*;
use crate::osv::Record;
use crate::registry::StaticRegistry;

fn db() -> AdvisoryDb {
    let mut db = AdvisoryDb::new();
    let json = r#"{"id": "PYSEC-T-1", "summary": "bad requests", "affected": [{"package": {"ecosystem": "PyPI", "name": "requests"},
        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.31.0"}]}]}]}"#;
    db.insert(Record::from_json("t", json.as_bytes()).expect("record"));
    db
}

#[tokio::test]
async fn each_fix_carries_the_files_it_would_change_and_nothing_is_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let requirements = dir.path().join("api/requirements.txt");
    std::fs::create_dir_all(requirements.parent().expect("parent")).expect("mkdir");
    std::fs::write(&requirements, "# API\nrequests==2.25.1\nidna==3.4\n").expect("write");
    let registry = StaticRegistry::new()
        .publish(Ecosystem::PyPI, "requests", "2.25.1", &[])
        .publish(Ecosystem::PyPI, "requests", "2.31.0", &[]);

    let planned = fix_dir(
        dir.path(),
        &db(),
        &registry,
        &PlanOptions::recommended(),
        crate::pr::BRANCH_PREFIX,
        &ScanOptions::default(),
    )
    .await
    .expect("plan");

    assert_eq!(planned.fixes.len(), 1, "{planned:#?}");
    let fix = &planned.fixes[0];
    assert_eq!(
        (fix.package.as_str(), fix.from.as_str(), fix.to.as_str()),
        ("requests", "2.25.1", "2.31.0")
    );
    assert_eq!(fix.advisories, vec!["PYSEC-T-1".to_owned()]);
    assert_eq!(fix.lockfile, LockfileRefresh::NotApplicable);
    assert_eq!(fix.branch, "gitproxy/security/pypi-requests");
    assert_eq!(
        fix.files,
        BTreeMap::from([(
            "api/requirements.txt".to_owned(),
            "# API\nrequests==2.31.0\nidna==3.4\n".to_owned()
        )])
    );
    assert!(planned.unfixable.is_empty() && planned.problems.is_empty());
    assert_eq!(
        std::fs::read_to_string(&requirements).expect("read"),
        "# API\nrequests==2.25.1\nidna==3.4\n",
        "the checkout is never written"
    );
}

#[tokio::test]
async fn a_checkout_with_an_unsupported_lockfile_lists_it_in_the_plan() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("mix.lock"), "%{}\n").expect("write");
    let planned = fix_dir(
        dir.path(),
        &db(),
        &StaticRegistry::new(),
        &PlanOptions::recommended(),
        crate::pr::BRANCH_PREFIX,
        &ScanOptions::default(),
    )
    .await
    .expect("plan");
    assert_eq!(planned.unsupported.len(), 1);
    assert_eq!(planned.unsupported[0].format, "Mix lockfile");
    let table = crate::render::local_table(&planned);
    assert!(
        table.contains("unsupported: mix.lock (Mix lockfile, Hex): not checked"),
        "{table}"
    );
    let json = serde_json::to_value(&planned).expect("json");
    assert_eq!(json["unsupported"][0]["file"], "mix.lock");
}
