//! Tests for fix planning: version choice, tiers, breaking flags and unfixable reports.

use super::*;
use crate::analysis::analyze;
use crate::files::Snapshot;
use crate::osv::Record;
use crate::registry::StaticRegistry;

fn db(records: &[&str]) -> AdvisoryDb {
    let mut db = AdvisoryDb::new();
    for r in records {
        db.insert(Record::from_json("t", r.as_bytes()).unwrap());
    }
    db
}

fn npm_record(id: &str, name: &str, events: &str) -> String {
    format!(
        r#"{{"id": "{id}", "summary": "bad {name}", "affected": [{{"package": {{"ecosystem": "npm", "name": "{name}"}},
        "ranges": [{{"type": "SEMVER", "events": {events}}}]}}]}}"#
    )
}

const LOCK: &str = r#"{
  "lockfileVersion": 3,
  "packages": {
    "": { "dependencies": { "express": "^4.17.0", "lodash": "4.17.20" } },
    "node_modules/express": { "version": "4.17.1", "dependencies": { "qs": "~6.7.0", "minimist": "^1.2.0" } },
    "node_modules/qs": { "version": "6.7.0" },
    "node_modules/minimist": { "version": "1.2.5" },
    "node_modules/lodash": { "version": "4.17.20" }
  }
}"#;

async fn run(db: &AdvisoryDb, registry: &StaticRegistry, lock: &str) -> (Analysis, Plan) {
    let analysis = analyze(&Snapshot::new().with("package-lock.json", lock));
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
    (analysis, plan)
}

#[tokio::test]
async fn tiers_follow_the_constraints() {
    let db = db(&[
        &npm_record("A-QS", "qs", r#"[{"introduced": "0"}, {"fixed": "6.7.3"}]"#),
        &npm_record(
            "A-MIN",
            "minimist",
            r#"[{"introduced": "0"}, {"fixed": "1.2.6"}]"#,
        ),
        &npm_record(
            "A-LODASH",
            "lodash",
            r#"[{"introduced": "0"}, {"fixed": "4.17.21"}]"#,
        ),
    ]);
    let reg = StaticRegistry::new()
        .publish(Ecosystem::Npm, "qs", "6.7.3", &[(None, "sha512-qs673")])
        .publish(Ecosystem::Npm, "qs", "6.8.0", &[])
        .publish(Ecosystem::Npm, "minimist", "1.2.6", &[(None, "sha512-min")])
        .publish(Ecosystem::Npm, "lodash", "4.17.21", &[(None, "sha512-lo")]);
    let (_, plan) = run(&db, &reg, LOCK).await;
    assert!(plan.unfixable.is_empty());
    let by_name = |n: &str| plan.fixes.iter().find(|f| f.name == n).unwrap();
    // minimist 1.2.6 satisfies express's ^1.2.0: lockfile only.
    assert_eq!(by_name("minimist").tier, Tier::LockfileUpdate);
    assert_eq!(by_name("minimist").to, "1.2.6");
    // qs 6.7.3 satisfies express's ~6.7.0 too.
    assert_eq!(by_name("qs").tier, Tier::LockfileUpdate);
    // lodash is pinned exactly by the root: the manifest must change.
    assert_eq!(by_name("lodash").tier, Tier::ManifestBump);
    assert!(plan.fixes.iter().all(|f| !f.breaking));
}

#[tokio::test]
async fn a_parent_that_cannot_move_gets_an_override() {
    // qs needs 6.8.0, outside express's ~6.7.0.
    let db = db(&[&npm_record(
        "A-QS",
        "qs",
        r#"[{"introduced": "0"}, {"fixed": "6.8.0"}]"#,
    )]);
    let reg = StaticRegistry::new().publish(Ecosystem::Npm, "qs", "6.8.0", &[]);
    let (_, plan) = run(&db, &reg, LOCK).await;
    let fix = &plan.fixes[0];
    assert_eq!(fix.tier, Tier::Override);
    assert!(
        fix.notes[0].contains("express@4.17.1 cannot take it"),
        "{:?}",
        fix.notes
    );
}

#[tokio::test]
async fn the_lowest_version_fixing_every_advisory_is_chosen() {
    let db = db(&[
        &npm_record(
            "A-1",
            "minimist",
            r#"[{"introduced": "0"}, {"fixed": "1.2.6"}]"#,
        ),
        // A later advisory affects 1.2.6 and 1.2.7 too (it does not affect 1.2.5).
        &npm_record(
            "A-2",
            "minimist",
            r#"[{"introduced": "1.2.6"}, {"fixed": "1.2.8"}]"#,
        ),
    ]);
    let reg = StaticRegistry::new()
        .publish(Ecosystem::Npm, "minimist", "1.2.6", &[])
        .publish(Ecosystem::Npm, "minimist", "1.2.7", &[])
        .yanked(Ecosystem::Npm, "minimist", "1.2.8")
        .publish(Ecosystem::Npm, "minimist", "1.3.0-beta.1", &[])
        .publish(Ecosystem::Npm, "minimist", "1.2.9", &[])
        .publish(Ecosystem::Npm, "minimist", "2.0.0", &[]);
    let (_, plan) = run(&db, &reg, LOCK).await;
    let fix = &plan.fixes[0];
    assert_eq!(
        fix.to, "1.2.9",
        "1.2.8 is yanked and pre-releases are skipped"
    );
    assert_eq!(fix.advisories, ["A-1"]);
}

#[tokio::test]
async fn major_bumps_are_flagged_and_missing_fixes_are_unfixable() {
    let db = db(&[
        &npm_record(
            "A-MIN",
            "minimist",
            r#"[{"introduced": "0"}, {"fixed": "2.0.0"}]"#,
        ),
        &npm_record("A-QS", "qs", r#"[{"introduced": "0"}]"#),
        &npm_record(
            "A-LODASH",
            "lodash",
            r#"[{"introduced": "0"}, {"fixed": "4.17.21"}]"#,
        ),
    ]);
    let reg = StaticRegistry::new()
        .publish(Ecosystem::Npm, "minimist", "2.0.0", &[])
        .publish(Ecosystem::Npm, "qs", "6.9.0", &[]);
    let (_, plan) = run(&db, &reg, LOCK).await;
    let fix = plan.fixes.iter().find(|f| f.name == "minimist").unwrap();
    assert!(fix.breaking);
    assert_eq!(fix.tier, Tier::Override, "express needs ^1.2.0");
    assert!(fix.notes.iter().any(|n| n.contains("major upgrade")));
    assert_eq!(plan.unfixable.len(), 2);
    let qs = plan.unfixable.iter().find(|u| u.name == "qs").unwrap();
    assert!(
        qs.guidance[0].contains("no fixed version is published"),
        "{:?}",
        qs.guidance
    );
    let lodash = plan.unfixable.iter().find(|u| u.name == "lodash").unwrap();
    assert!(
        lodash.guidance[0].contains("fixed in 4.17.21 per the advisory"),
        "{:?}",
        lodash.guidance
    );
}

#[tokio::test]
async fn fixes_of_one_package_merge_into_one_remediation() {
    let db = db(&[&npm_record(
        "A-MIN",
        "minimist",
        r#"[{"introduced": "0"}, {"fixed": "1.2.6"}]"#,
    )]);
    let reg = StaticRegistry::new().publish(Ecosystem::Npm, "minimist", "1.2.6", &[]);
    let other = LOCK.replace("\"version\": \"1.2.5\"", "\"version\": \"1.2.3\"");
    let analysis = analyze(
        &Snapshot::new()
            .with("a/package-lock.json", LOCK)
            .with("b/package-lock.json", other),
    );
    let findings = db.scan(&analysis);
    let plan = plan(&analysis, &findings, &db, &reg, &PlanOptions::recommended())
        .await
        .unwrap();
    assert_eq!(plan.fixes.len(), 2, "one per version in use");
    let merged = plan.by_package();
    assert_eq!(merged.len(), 1);
    assert_eq!(merged[0].from, "1.2.3, 1.2.5");
    assert_eq!(merged[0].to, "1.2.6");
    assert_eq!(merged[0].dependencies.len(), 2);
    assert_eq!(merged[0].advisories, ["A-MIN"]);
}

#[tokio::test]
async fn without_a_checksum_the_manifest_carries_a_lockfile_fix() {
    // minimist is direct with `^1.2.0` and qs is transitive through express (`~6.7.0`): both
    // fixed versions fit the recorded ranges, but the registry publishes no checksum for them.
    let lock = r#"{
  "lockfileVersion": 3,
  "packages": {
    "": { "dependencies": { "express": "^4.17.0", "minimist": "^1.2.0" } },
    "node_modules/express": { "version": "4.17.1", "dependencies": { "qs": "~6.7.0" } },
    "node_modules/qs": { "version": "6.7.0" },
    "node_modules/minimist": { "version": "1.2.5" }
  }
}"#;
    let db = db(&[
        &npm_record("A-QS", "qs", r#"[{"introduced": "0"}, {"fixed": "6.7.3"}]"#),
        &npm_record(
            "A-MIN",
            "minimist",
            r#"[{"introduced": "0"}, {"fixed": "1.2.6"}]"#,
        ),
    ]);
    let reg = StaticRegistry::new()
        .publish(Ecosystem::Npm, "qs", "6.7.3", &[])
        .publish(Ecosystem::Npm, "minimist", "1.2.6", &[]);
    let (_, plan) = run(&db, &reg, lock).await;
    let by_name = |n: &str| plan.fixes.iter().find(|f| f.name == n).expect(n);
    let minimist = by_name("minimist");
    assert_eq!(minimist.tier, Tier::ManifestBump);
    assert!(
        minimist.notes.iter().any(|n| n.starts_with(
            "minimist 1.2.6 is required in the manifest rather than only in the lockfile because no registry gave its checksum"
        )),
        "{:?}",
        minimist.notes
    );
    assert!(
        !minimist
            .notes
            .iter()
            .any(|n| n.contains("updated in place")),
        "{:?}",
        minimist.notes
    );
    assert_eq!(by_name("qs").tier, Tier::Override);
    // The plan says, before anything is written, that npm refreshes the lockfile.
    for fix in &plan.fixes {
        assert_eq!(
            fix.lockfile,
            LockfileRefresh::Command("npm install --package-lock-only".into())
        );
        assert_eq!(
            fix.lockfile.describe(fix.ecosystem).unwrap(),
            "the agent leaves the lockfile as it is (no npm registry gave what a correct edit needs): run `npm install --package-lock-only` on the pull request's branch"
        );
    }
    let json = serde_json::to_value(&plan.fixes[0]).unwrap();
    assert_eq!(
        json["lockfile"],
        serde_json::json!({"by": "command", "command": "npm install --package-lock-only"})
    );
    // With checksums published, both stay lockfile-only and the agent writes the lockfile.
    let reg = StaticRegistry::new()
        .publish(Ecosystem::Npm, "qs", "6.7.3", &[(None, "sha512-qs673")])
        .publish(Ecosystem::Npm, "minimist", "1.2.6", &[(None, "sha512-min")]);
    let (_, plan) = run(&db, &reg, lock).await;
    assert!(plan.fixes.iter().all(|f| f.tier == Tier::LockfileUpdate));
    assert!(plan
        .fixes
        .iter()
        .all(|f| f.lockfile == LockfileRefresh::Agent));
    assert_eq!(
        serde_json::to_value(&plan.fixes[0]).unwrap()["lockfile"],
        serde_json::json!({"by": "agent"})
    );
}

#[tokio::test]
async fn a_merged_fix_leaves_the_lockfile_to_the_command_if_any_occurrence_does() {
    let db = db(&[&npm_record(
        "A-MIN",
        "minimist",
        r#"[{"introduced": "0"}, {"fixed": "1.2.6"}]"#,
    )]);
    let reg = StaticRegistry::new().publish(Ecosystem::Npm, "minimist", "1.2.6", &[]);
    let (_, planned) = run(&db, &reg, LOCK).await;
    let command = planned.fixes[0].clone();
    assert_eq!(
        command.lockfile,
        LockfileRefresh::Command("npm install --package-lock-only".into())
    );
    let with = |from: &str, lockfile: LockfileRefresh| PackageFix {
        from: from.into(),
        lockfile,
        ..command.clone()
    };
    let merged = |fixes: Vec<PackageFix>| {
        Plan {
            fixes,
            unfixable: Vec::new(),
        }
        .by_package()
        .remove(0)
        .lockfile
    };
    assert_eq!(
        merged(vec![with("1.2.3", LockfileRefresh::Agent), command.clone()]),
        command.lockfile
    );
    assert_eq!(
        merged(vec![
            with("1.2.3", LockfileRefresh::NotApplicable),
            with("1.2.4", LockfileRefresh::Agent)
        ]),
        LockfileRefresh::Agent
    );
    assert_eq!(
        merged(vec![with("1.2.3", LockfileRefresh::NotApplicable)]),
        LockfileRefresh::NotApplicable
    );
}

#[tokio::test]
async fn a_fix_no_tier_can_apply_is_unfixable_with_the_exact_conflict() {
    let db = db(&[&npm_record(
        "A-MIN",
        "minimist",
        r#"[{"introduced": "0"}, {"fixed": "1.2.6"}]"#,
    )]);
    let reg = StaticRegistry::new().publish(Ecosystem::Npm, "minimist", "1.2.6", &[]);
    let (_, planned) = run(&db, &reg, LOCK).await;
    let fix = &planned.fixes[0];
    let conflict = Error::Unresolvable {
        ecosystem: Ecosystem::Npm,
        package: "minimist".into(),
        from: fix.from.clone(),
        to: "1.2.6".into(),
        reason: "mkdirp 0.5.1 requires minimist 0.0.8".into(),
    };
    let unfixable = Unfixable::from_conflict(fix, &conflict).expect("a conflict is unfixable");
    assert_eq!(
        (unfixable.name.as_str(), unfixable.version.as_str()),
        ("minimist", fix.from.as_str())
    );
    assert_eq!(unfixable.advisories, vec!["A-MIN".to_owned()]);
    assert_eq!(unfixable.dependencies, fix.dependencies);
    assert_eq!(unfixable.guidance, vec![conflict.to_string()]);
    assert!(unfixable.guidance[0].contains("mkdirp 0.5.1 requires minimist 0.0.8"));
    let other = Error::Edit {
        file: "package.json".into(),
        reason: "broken".into(),
    };
    assert!(Unfixable::from_conflict(fix, &other).is_none());
}

#[test]
fn the_gradle_relock_command_names_the_project_the_lockfile_belongs_to() {
    use super::lockfile::gradle_write_locks;
    for (path, command) in [
        ("gradle.lockfile", "./gradlew dependencies --write-locks"),
        (
            "app/gradle.lockfile",
            "./gradlew :app:dependencies --write-locks",
        ),
        (
            "libs/core/gradle/dependency-locks/compileClasspath.lockfile",
            "./gradlew :libs:core:dependencies --write-locks",
        ),
        (
            "app/buildscript-gradle.lockfile",
            "./gradlew :app:buildEnvironment --write-locks",
        ),
        (
            "buildscript-gradle.lockfile",
            "./gradlew buildEnvironment --write-locks",
        ),
    ] {
        assert_eq!(gradle_write_locks(path), command, "{path}");
    }
}
