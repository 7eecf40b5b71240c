//! npm's own tools accept every package-lock.json fix: real packuments (`fixtures/npm`) served by
//! a loopback stand-in, the fix edits computed with the HTTP registry, and then, per fix branch,
//! `npm ci --dry-run`, an `npm install --package-lock-only` that changes nothing, npm resolving
//! the fixed package again itself, and npm's own update from the original lockfile (`npm update
//! NAME`, or `npm install` for a `package.json` change), each writing the very same lockfile
//! byte for byte. The branch is re-scanned: the fixed package has no advisory left and none is
//! introduced.

use std::collections::BTreeSet;
use std::path::Path;

use gitproxy_remediation::advisories::AdvisoryDb;
use gitproxy_remediation::analysis::analyze;
use gitproxy_remediation::edit::apply_fix;
use gitproxy_remediation::files::Snapshot;
use gitproxy_remediation::osv::Record;
use gitproxy_remediation::plan::{plan, LockfileRefresh, PlanOptions, Tier};
use gitproxy_remediation::pr::description;
use gitproxy_remediation::registry::{CachedRegistry, HttpRegistry};
use hyper_util::client::legacy::connect::HttpConnector;

use crate::registry::StandIn;
use crate::{fixed_in_db, fixtures, packument_routes};

fn npm_fixtures() -> std::path::PathBuf {
    fixtures().join("npm")
}

fn database() -> AdvisoryDb {
    let mut db = fixed_in_db(
        "npm-lock",
        &[
            ("GHSA-r683-j2x4-v87g", "npm", "node-fetch", "2.6.7"),
            ("GHSA-35jh-r3h4-6jhm", "npm", "lodash", "4.17.21"),
        ],
    );
    db.insert(Record::from_json("npm-lock", QS_RECORD.as_bytes()).unwrap());
    db
}

/// GHSA-hrpp-h998-j3pp (CVE-2022-24999) as OSV records it: prototype pollution in qs, affecting
/// every release line up to its backported fix (6.2.4, 6.3.3, 6.4.1, 6.5.3, 6.6.1, 6.7.3, 6.8.3,
/// 6.9.7, 6.10.3), so qs 6.9.6 (what express 4.17.2 and body-parser 1.19.1 pin) is affected and
/// 6.9.7 (express 4.17.3, body-parser 1.19.2) is not.
const QS_RECORD: &str = r#"{"id": "GHSA-hrpp-h998-j3pp", "aliases": ["CVE-2022-24999"],
  "summary": "qs vulnerable to Prototype Pollution",
  "affected": [{"package": {"ecosystem": "npm", "name": "qs"}, "ranges": [{"type": "SEMVER", "events": [
    {"introduced": "0"}, {"fixed": "6.2.4"},
    {"introduced": "6.3.0"}, {"fixed": "6.3.3"},
    {"introduced": "6.4.0"}, {"fixed": "6.4.1"},
    {"introduced": "6.5.0"}, {"fixed": "6.5.3"},
    {"introduced": "6.6.0"}, {"fixed": "6.6.1"},
    {"introduced": "6.7.0"}, {"fixed": "6.7.3"},
    {"introduced": "6.8.0"}, {"fixed": "6.8.3"},
    {"introduced": "6.9.0"}, {"fixed": "6.9.7"},
    {"introduced": "6.10.0"}, {"fixed": "6.10.3"}]}]}]}"#;

/// Runs npm in `dir` against the stand-in with its own empty configuration and cache.
async fn npm(dir: &Path, registry: &str, args: &[&str]) -> (bool, String) {
    let dir = dir.to_path_buf();
    let registry = registry.to_string();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let home = dir.join(".home");
        std::fs::create_dir_all(&home).unwrap();
        let npmrc = home.join("npmrc");
        std::fs::write(&npmrc, "").unwrap();
        let global = home.join("global-npmrc");
        std::fs::write(&global, "").unwrap();
        let out = std::process::Command::new("npm")
            .args(&args)
            .arg(format!("--registry={registry}"))
            .arg(format!("--cache={}", home.join("cache").display()))
            .arg(format!("--userconfig={}", npmrc.display()))
            .arg(format!("--globalconfig={}", global.display()))
            .args([
                "--ignore-scripts",
                "--no-audit",
                "--no-fund",
                "--update-notifier=false",
            ])
            .current_dir(&dir)
            .env("HOME", &home)
            .output()
            .expect("npm runs (it is part of the base machine)");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    })
    .await
    .unwrap()
}

/// The lockfile with every entry of `name` (and what is nested under it) removed, so npm has to
/// resolve it again.
fn without(lock: &str, name: &str) -> String {
    let mut doc: serde_json::Value = serde_json::from_str(lock).unwrap();
    let packages = doc["packages"].as_object_mut().unwrap();
    let suffix = format!("node_modules/{name}");
    let nested = format!("{suffix}/");
    packages.retain(|k, _| !k.ends_with(&suffix) && !k.contains(&nested));
    serde_json::to_string_pretty(&doc).unwrap()
}

/// Whether npm, asked to resolve `name` again from the same registry data, writes `lock`.
async fn npm_resolves_the_same(dir: &Path, registry: &str, lock: &str, name: &str) -> String {
    let again = dir.join("again");
    std::fs::create_dir_all(&again).unwrap();
    std::fs::copy(dir.join("package.json"), again.join("package.json")).unwrap();
    std::fs::write(again.join("package-lock.json"), without(lock, name)).unwrap();
    let (ok, log) = npm(&again, registry, &["install", "--package-lock-only"]).await;
    assert!(ok, "{log}");
    std::fs::read_to_string(again.join("package-lock.json")).unwrap()
}

/// What npm itself writes from the original lockfile for the fix: `npm update NAME` when only
/// the lockfile changes, `npm install` when the branch changes `package.json`.
async fn npm_own_update(
    registry: &str,
    manifest: &str,
    original_lock: &str,
    name: &str,
    manifest_changes: bool,
) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("package.json"), manifest).unwrap();
    std::fs::write(dir.path().join("package-lock.json"), original_lock).unwrap();
    let args: &[&str] = if manifest_changes {
        &["install", "--package-lock-only"]
    } else {
        &["update", name, "--package-lock-only"]
    };
    let (ok, log) = npm(dir.path(), registry, args).await;
    assert!(ok, "{log}");
    std::fs::read_to_string(dir.path().join("package-lock.json")).unwrap()
}

fn advisories(db: &AdvisoryDb, snapshot: &Snapshot) -> BTreeSet<(String, String)> {
    let analysis = analyze(snapshot);
    db.scan(&analysis)
        .iter()
        .map(|f| {
            (
                f.id.clone(),
                analysis.dependencies[f.dependency].name.clone(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn npm_fix_branches_pass_npm_ci_and_npm_resolves_the_same_lockfile() {
    let stand_in =
        StandIn::start(packument_routes(&npm_fixtures().join("packuments"), |t| t)).await;
    let urls = stand_in.urls();
    let registry = CachedRegistry::new(HttpRegistry::new(HttpConnector::new(), urls));
    let npm_registry = format!("http://{}/npm/", stand_in.addr);
    let db = database();
    for (project, placement) in [
        ("hoisted", "node_modules/whatwg-url"),
        ("nested", "node_modules/node-fetch/node_modules/whatwg-url"),
        ("hoisted-v2", "node_modules/whatwg-url"),
    ] {
        let base = npm_fixtures().join(project);
        let manifest = std::fs::read_to_string(base.join("package.json")).unwrap();
        let lock = std::fs::read_to_string(base.join("package-lock.json")).unwrap();
        let snapshot = Snapshot::new()
            .with("package.json", manifest.as_str())
            .with("package-lock.json", lock.as_str());
        let before = advisories(&db, &snapshot);
        let analysis = analyze(&snapshot);
        let findings = db.scan(&analysis);
        let plan = plan(
            &analysis,
            &findings,
            &db,
            &registry,
            &PlanOptions::recommended(),
        )
        .await
        .unwrap();
        let fixes: Vec<(&str, &str, Tier, &LockfileRefresh)> = plan
            .fixes
            .iter()
            .map(|f| (f.name.as_str(), f.to.as_str(), f.tier, &f.lockfile))
            .collect();
        assert_eq!(
            fixes,
            [
                (
                    "lodash",
                    "4.17.21",
                    Tier::ManifestBump,
                    &LockfileRefresh::Agent
                ),
                (
                    "node-fetch",
                    "2.6.7",
                    Tier::LockfileUpdate,
                    &LockfileRefresh::Agent
                ),
                // express and body-parser pin qs 6.7.0: forced with `overrides`, which the
                // lockfile update applies as npm does.
                ("qs", "6.7.3", Tier::Override, &LockfileRefresh::Agent),
            ],
            "{project}"
        );
        for fix in &plan.fixes {
            let edits = apply_fix(fix, &analysis, &snapshot, &registry)
                .await
                .unwrap();
            assert!(!edits.needs_package_manager, "{project}: {:?}", edits.notes);
            let dir = tempfile::tempdir().unwrap();
            let mut fixed = snapshot.clone();
            for (path, text) in [("package.json", &manifest), ("package-lock.json", &lock)] {
                let text = edits.files.get(path).unwrap_or(text);
                std::fs::write(dir.path().join(path), text).unwrap();
                fixed.insert(path, text.as_str());
            }
            let new_lock = &edits.files["package-lock.json"];
            if fix.name == "qs" {
                // The project pins express, so no dependent can move: the override stays.
                let expected = "no dependent of qs can move to a release that accepts a fixed version (express 4.17.1 requires qs@6.7.0, which excludes every fixed version of qs; express 4.17.3 accepts a fixed version of qs, but the project's package.json requires express@4.17.1), so qs 6.7.3 is forced with `overrides`";
                assert!(
                    edits.notes.iter().any(|n| n == expected),
                    "{project}: {:?}",
                    edits.notes
                );
                assert_eq!(edits.tier, None);
            }
            if fix.name == "node-fetch" {
                let doc: serde_json::Value = serde_json::from_str(new_lock).unwrap();
                assert_eq!(doc["packages"][placement]["version"], "5.0.0", "{project}");
                assert_eq!(
                    doc["packages"]["node_modules/node-fetch"]["dependencies"]["whatwg-url"],
                    "^5.0.0"
                );
            }

            let (ok, log) = npm(dir.path(), &npm_registry, &["ci", "--dry-run"]).await;
            assert!(ok, "{project} {}: npm ci --dry-run failed: {log}", fix.name);
            let (ok, log) = npm(
                dir.path(),
                &npm_registry,
                &["install", "--package-lock-only"],
            )
            .await;
            assert!(ok, "{project} {}: {log}", fix.name);
            let after = std::fs::read_to_string(dir.path().join("package-lock.json")).unwrap();
            assert_eq!(
                &after, new_lock,
                "{project} {}: npm rewrote the lockfile",
                fix.name
            );
            let npm_lock =
                npm_resolves_the_same(dir.path(), &npm_registry, new_lock, &fix.name).await;
            assert_eq!(
                &npm_lock, new_lock,
                "{project} {}: npm resolves the fixed package differently",
                fix.name
            );
            let branch_manifest = edits.files.get("package.json").unwrap_or(&manifest);
            let npm_lock = npm_own_update(
                &npm_registry,
                branch_manifest,
                &lock,
                &fix.name,
                edits.files.contains_key("package.json"),
            )
            .await;
            assert_eq!(
                &npm_lock, new_lock,
                "{project} {}: npm's own update writes another lockfile",
                fix.name
            );

            let left = advisories(&db, &fixed);
            assert!(
                left.iter().all(|(_, p)| *p != fix.name),
                "{project}: {left:?}"
            );
            assert!(left.is_subset(&before), "{project}: {left:?} vs {before:?}");
        }

        // The check catches the old in-place edit (version, URL and integrity only): npm lists
        // node-fetch 2.6.7's new dependency and places it.
        let old_style = lock
            .replace("node-fetch-2.6.1.tgz", "node-fetch-2.6.7.tgz")
            .replace(
                "\"version\": \"2.6.1\",\n      \"resolved\": \"https://registry.npmjs.org/node-fetch",
                "\"version\": \"2.6.7\",\n      \"resolved\": \"https://registry.npmjs.org/node-fetch",
            );
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("package.json"), &manifest).unwrap();
        let npm_lock =
            npm_resolves_the_same(dir.path(), &npm_registry, &old_style, "node-fetch").await;
        assert_ne!(npm_lock, old_style, "{project}");
        assert!(npm_lock.contains(&format!("\"{placement}\"")), "{project}");
    }
}

/// A direct dependency whose new version changes most of its dependencies: express 4.17.1 ->
/// 4.17.3 moves body-parser, cookie, qs, send, serve-static and more, several of them replaced
/// at the root, others' dependencies dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn npm_express_upgrade_replaces_its_dependency_tree_as_npm_does() {
    let stand_in =
        StandIn::start(packument_routes(&npm_fixtures().join("packuments"), |t| t)).await;
    let registry = CachedRegistry::new(HttpRegistry::new(HttpConnector::new(), stand_in.urls()));
    let npm_registry = format!("http://{}/npm/", stand_in.addr);
    let mut db = AdvisoryDb::new();
    let record = r#"{"id": "TEST-EXPRESS-1", "summary": "bad express", "affected": [{"package": {"ecosystem": "npm", "name": "express"},
        "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "4.17.3"}]}]}]}"#;
    db.insert(Record::from_json("npm-lock", record.as_bytes()).unwrap());
    let base = npm_fixtures().join("express");
    let manifest = std::fs::read_to_string(base.join("package.json")).unwrap();
    let lock = std::fs::read_to_string(base.join("package-lock.json")).unwrap();
    let snapshot = Snapshot::new()
        .with("package.json", manifest.as_str())
        .with("package-lock.json", lock.as_str());
    let analysis = analyze(&snapshot);
    let findings = db.scan(&analysis);
    let plan = plan(
        &analysis,
        &findings,
        &db,
        &registry,
        &PlanOptions::recommended(),
    )
    .await
    .unwrap();
    assert_eq!(plan.fixes.len(), 1);
    let fix = &plan.fixes[0];
    assert_eq!(
        (fix.to.as_str(), fix.tier),
        ("4.17.3", Tier::LockfileUpdate)
    );
    let edits = apply_fix(fix, &analysis, &snapshot, &registry)
        .await
        .unwrap();
    let new_lock = &edits.files["package-lock.json"];
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("package.json"), &manifest).unwrap();
    std::fs::write(dir.path().join("package-lock.json"), new_lock).unwrap();
    let (ok, log) = npm(dir.path(), &npm_registry, &["ci", "--dry-run"]).await;
    assert!(ok, "npm ci --dry-run failed: {log}");
    let (ok, log) = npm(
        dir.path(),
        &npm_registry,
        &["install", "--package-lock-only"],
    )
    .await;
    assert!(ok, "{log}");
    let after = std::fs::read_to_string(dir.path().join("package-lock.json")).unwrap();
    assert_eq!(&after, new_lock, "npm rewrote the lockfile");
    let npm_lock = npm_resolves_the_same(dir.path(), &npm_registry, new_lock, "express").await;
    assert_eq!(&npm_lock, new_lock, "npm resolves express differently");
    let npm_lock = npm_own_update(&npm_registry, &manifest, &lock, "express", false).await;
    assert_eq!(
        &npm_lock, new_lock,
        "npm update express writes another lockfile"
    );
    let mut fixed = snapshot.clone();
    fixed.insert("package-lock.json", new_lock.as_str());
    assert!(advisories(&db, &fixed).is_empty());
}

/// A direct dependency that packages deeper in the tree pin: the project asks for `qs@^6.7.0`,
/// express 4.17.1 and body-parser 1.19.0 pin `qs@6.7.0`. Moving the hoisted qs alone would leave
/// each pinning package its own nested 6.7.0; instead express (and through it body-parser) moves
/// to 4.17.3, whose qs 6.9.7 the project's range accepts too, so one fixed qs serves everyone,
/// as `npm update express` leaves it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn npm_dependents_pinning_the_old_version_move_instead_of_keeping_nested_copies() {
    let stand_in =
        StandIn::start(packument_routes(&npm_fixtures().join("packuments"), |t| t)).await;
    let registry = CachedRegistry::new(HttpRegistry::new(HttpConnector::new(), stand_in.urls()));
    let npm_registry = format!("http://{}/npm/", stand_in.addr);
    let db = database();
    let base = npm_fixtures().join("pinned");
    let manifest = std::fs::read_to_string(base.join("package.json")).unwrap();
    let lock = std::fs::read_to_string(base.join("package-lock.json")).unwrap();
    let snapshot = Snapshot::new()
        .with("package.json", manifest.as_str())
        .with("package-lock.json", lock.as_str());
    let analysis = analyze(&snapshot);
    let findings = db.scan(&analysis);
    let plan = plan(
        &analysis,
        &findings,
        &db,
        &registry,
        &PlanOptions::recommended(),
    )
    .await
    .unwrap();
    let fixes: Vec<(&str, &str, Tier, &LockfileRefresh)> = plan
        .fixes
        .iter()
        .map(|f| (f.name.as_str(), f.to.as_str(), f.tier, &f.lockfile))
        .collect();
    assert_eq!(
        fixes,
        [("qs", "6.7.3", Tier::LockfileUpdate, &LockfileRefresh::Agent)]
    );
    let fix = &plan.fixes[0];
    let edits = apply_fix(fix, &analysis, &snapshot, &registry)
        .await
        .unwrap();
    assert!(!edits.needs_package_manager, "{:?}", edits.notes);
    assert!(!edits.files.contains_key("package.json"));
    assert_eq!(edits.tier, Some(Tier::DependentBump));
    let new_lock = &edits.files["package-lock.json"];
    let doc: serde_json::Value = serde_json::from_str(new_lock).unwrap();
    for (key, version) in [
        ("node_modules/qs", "6.9.7"),
        ("node_modules/express", "4.17.3"),
        ("node_modules/body-parser", "1.19.2"),
    ] {
        assert_eq!(doc["packages"][key]["version"], version, "{key}");
    }
    let expected = "package-lock.json: the fix bumps the dependent that pins the vulnerable version: express 4.17.1 requires qs@6.7.0, which excludes every fixed version of qs, so express moves to 4.17.3, its lowest later release that accepts a fixed version of qs within express@^4.17.1 (the project's package.json)";
    assert!(
        edits.notes.iter().any(|n| n == expected),
        "{:?}",
        edits.notes
    );

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("package.json"), &manifest).unwrap();
    std::fs::write(dir.path().join("package-lock.json"), new_lock).unwrap();
    let (ok, log) = npm(dir.path(), &npm_registry, &["ci", "--dry-run"]).await;
    assert!(ok, "npm ci --dry-run failed: {log}");
    let (ok, log) = npm(
        dir.path(),
        &npm_registry,
        &["install", "--package-lock-only"],
    )
    .await;
    assert!(ok, "{log}");
    let after = std::fs::read_to_string(dir.path().join("package-lock.json")).unwrap();
    assert_eq!(&after, new_lock, "npm rewrote the lockfile");
    let npm_lock = npm_own_update(&npm_registry, &manifest, &lock, "express", false).await;
    assert_eq!(
        &npm_lock, new_lock,
        "npm update express writes another lockfile"
    );

    // No copy of the vulnerable qs is left, and nothing else is introduced.
    let mut fixed = snapshot.clone();
    fixed.insert("package-lock.json", new_lock.as_str());
    let left = advisories(&db, &fixed);
    assert!(left.is_empty(), "{left:?}");
}

/// The dependent-bump tier on the real express 4.17.1 service: express 4.17.1 and its
/// body-parser 1.19.0 pin `qs@6.7.0`, which no fixed qs satisfies. express 4.17.2 pins the
/// still affected qs 6.9.6; 4.17.3 (within the project's `^4.17.1`) depends on qs 6.9.7 and
/// body-parser 1.19.2, so the fix moves express there, with body-parser and the rest of its
/// tree as npm resolves them, instead of forcing qs with `overrides`. npm accepts the branch,
/// writes the same lockfile itself (`npm update express`), and no affected qs is left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn npm_fix_bumps_the_dependent_that_pins_the_vulnerable_version() {
    let stand_in =
        StandIn::start(packument_routes(&npm_fixtures().join("packuments"), |t| t)).await;
    let registry = CachedRegistry::new(HttpRegistry::new(HttpConnector::new(), stand_in.urls()));
    let npm_registry = format!("http://{}/npm/", stand_in.addr);
    let db = database();
    let base = npm_fixtures().join("express");
    let manifest = std::fs::read_to_string(base.join("package.json")).unwrap();
    let lock = std::fs::read_to_string(base.join("package-lock.json")).unwrap();
    let snapshot = Snapshot::new()
        .with("package.json", manifest.as_str())
        .with("package-lock.json", lock.as_str());
    let before = advisories(&db, &snapshot);
    assert_eq!(
        before,
        BTreeSet::from([("GHSA-hrpp-h998-j3pp".to_string(), "qs".to_string())])
    );
    let analysis = analyze(&snapshot);
    let findings = db.scan(&analysis);
    let plan = plan(
        &analysis,
        &findings,
        &db,
        &registry,
        &PlanOptions::recommended(),
    )
    .await
    .unwrap();
    let fix = &plan.fixes[0];
    assert_eq!(
        (
            plan.fixes.len(),
            fix.name.as_str(),
            fix.to.as_str(),
            fix.tier
        ),
        (1, "qs", "6.7.3", Tier::Override)
    );
    let edits = apply_fix(fix, &analysis, &snapshot, &registry)
        .await
        .unwrap();
    assert!(!edits.needs_package_manager, "{:?}", edits.notes);
    assert_eq!(
        edits.files.keys().collect::<Vec<_>>(),
        ["package-lock.json"],
        "no override in package.json: {:?}",
        edits.notes
    );
    assert_eq!(
        (edits.tier, edits.to.as_deref()),
        (Some(Tier::DependentBump), Some("6.9.7"))
    );
    let new_lock = &edits.files["package-lock.json"];
    let doc: serde_json::Value = serde_json::from_str(new_lock).unwrap();
    for (key, version) in [
        ("node_modules/express", "4.17.3"),
        ("node_modules/body-parser", "1.19.2"),
        ("node_modules/qs", "6.9.7"),
    ] {
        assert_eq!(doc["packages"][key]["version"], version, "{key}");
    }
    let qs: Vec<&String> = doc["packages"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| k.ends_with("node_modules/qs"))
        .collect();
    assert_eq!(qs, ["node_modules/qs"]);

    // The pull request names the tier and why.
    let applied = edits.as_applied(fix);
    let files: Vec<String> = edits.files.keys().cloned().collect();
    let body = description(&applied, &analysis, &findings, &files, &edits.notes);
    for expected in [
        "| qs (npm) | transitive | minor | `6.7.0` -> `6.9.7` |",
        "How: dependent bump (the package that pins the vulnerable version moves to a release that accepts a fixed one, within the existing version requirements).",
        "- package-lock.json: the fix bumps the dependent that pins the vulnerable version: express 4.17.1 requires qs@6.7.0, which excludes every fixed version of qs, so express moves to 4.17.3, its lowest later release that accepts a fixed version of qs within express@^4.17.1 (the project's package.json)",
        "body-parser 1.19.0 -> 1.19.2",
        "- qs ends at 6.9.7, the fixed version the bumped dependents require, rather than 6.7.3",
    ] {
        assert!(body.contains(expected), "{expected}\n---\n{body}");
    }
    assert!(!body.contains("overrides"), "{body}");

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("package.json"), &manifest).unwrap();
    std::fs::write(dir.path().join("package-lock.json"), new_lock).unwrap();
    let (ok, log) = npm(
        dir.path(),
        &npm_registry,
        &["ci", "--dry-run", "--ignore-scripts"],
    )
    .await;
    assert!(ok, "npm ci --dry-run failed: {log}");
    let (ok, log) = npm(
        dir.path(),
        &npm_registry,
        &["install", "--package-lock-only"],
    )
    .await;
    assert!(ok, "{log}");
    let after = std::fs::read_to_string(dir.path().join("package-lock.json")).unwrap();
    assert_eq!(&after, new_lock, "npm rewrote the lockfile");
    let npm_lock = npm_own_update(&npm_registry, &manifest, &lock, "express", false).await;
    assert_eq!(
        &npm_lock, new_lock,
        "npm update express writes another lockfile"
    );

    let mut fixed = snapshot.clone();
    fixed.insert("package-lock.json", new_lock.as_str());
    let left = advisories(&db, &fixed);
    assert!(left.is_empty(), "{left:?}");
}
