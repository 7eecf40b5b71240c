//! Tests for the edit driver: helpers that turn a snapshot into a real plan and its edits (used by
//! every ecosystem's tests), the requirement operator kept on a bump, and a fix as its edits
//! took it.

use super::*;
use crate::advisories::AdvisoryDb;
use crate::analysis::analyze;
use crate::osv::Record;
use crate::plan::{plan, PlanOptions};
use crate::registry::StaticRegistry;

pub(super) fn db(records: &[(&str, &str, &str, &str)]) -> AdvisoryDb {
    let mut db = AdvisoryDb::new();
    for (id, eco, name, fixed) in records {
        let kind = if matches!(*eco, "PyPI" | "Maven" | "NuGet" | "RubyGems" | "Packagist") {
            "ECOSYSTEM"
        } else {
            "SEMVER"
        };
        let json = format!(
            r#"{{"id": "{id}", "summary": "bad {name}", "affected": [{{"package": {{"ecosystem": "{eco}", "name": "{name}"}},
            "ranges": [{{"type": "{kind}", "events": [{{"introduced": "0"}}, {{"fixed": "{fixed}"}}]}}]}}]}}"#
        );
        db.insert(Record::from_json("t", json.as_bytes()).unwrap());
    }
    db
}

pub(super) async fn edits(
    snapshot: &Snapshot,
    db: &AdvisoryDb,
    registry: &StaticRegistry,
) -> (Plan, EditSet) {
    let analysis = analyze(snapshot);
    assert!(analysis.problems.is_empty(), "{:?}", analysis.problems);
    let findings = db.scan(&analysis);
    let plan = plan(
        &analysis,
        &findings,
        db,
        registry,
        &PlanOptions::recommended(),
    )
    .await
    .unwrap();
    let set = apply(&plan, &analysis, snapshot, registry).await.unwrap();
    (plan, set)
}

#[test]
fn requirements_keep_their_operator() {
    assert_eq!(bumped_requirement("^4.17.0", "4.17.21"), "^4.17.21");
    assert_eq!(bumped_requirement("~=1.4", "1.5.2"), "~=1.5.2");
    assert_eq!(bumped_requirement("=0.1.43", "0.1.44"), "=0.1.44");
    assert_eq!(bumped_requirement("4.17.20", "4.17.21"), "4.17.21");
}

#[tokio::test]
async fn a_fix_as_applied_carries_the_tier_and_version_the_edits_took() {
    let snapshot = crate::files::Snapshot::new().with(
        "package.json",
        "{\"name\": \"web\", \"dependencies\": {\"x\": \"1.0.0\"}}\n",
    );
    let db = db(&[("A1", "npm", "x", "1.0.1")]);
    let reg = StaticRegistry::new().publish(Ecosystem::Npm, "x", "1.0.1", &[(None, "sha512-x")]);
    let (plan, mut set) = edits(&snapshot, &db, &reg).await;
    let fix = &plan.fixes[0];
    assert_eq!(set.as_applied(fix).tier, fix.tier);
    set.tier = Some(Tier::DependentBump);
    set.to = Some("1.0.2".into());
    let applied = set.as_applied(fix);
    assert_eq!(
        (applied.tier, applied.to.as_str(), applied.from.as_str()),
        (Tier::DependentBump, "1.0.2", "1.0.0")
    );
}
