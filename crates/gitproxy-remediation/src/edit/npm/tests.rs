//! Tests for npm edits: lockfile, manifest and override changes, and a missing integrity.

use super::npm_override;
use crate::edit::tests::{db, edits};
use crate::edit::{EditSet, Work};
use crate::files::Snapshot;
use crate::plan::{LockfileRefresh, Tier};
use crate::registry::StaticRegistry;
use crate::Ecosystem;

const PACKAGE_JSON: &str = r#"{
  "name": "web",
  "dependencies": {
    "express": "^4.17.0",
    "lodash": "4.17.20"
  }
}
"#;

const LOCK: &str = r#"{
  "name": "web",
  "lockfileVersion": 2,
  "packages": {
    "": {
      "dependencies": {
        "express": "^4.17.0",
        "lodash": "4.17.20"
      }
    },
    "node_modules/express": {
      "version": "4.17.1",
      "dependencies": {
        "minimist": "^1.2.0",
        "qs": "~6.7.0"
      }
    },
    "node_modules/lodash": {
      "version": "4.17.20",
      "resolved": "https://registry.npmjs.org/lodash/-/lodash-4.17.20.tgz",
      "integrity": "sha512-OLD"
    },
    "node_modules/minimist": {
      "version": "1.2.5",
      "resolved": "https://registry.npmjs.org/minimist/-/minimist-1.2.5.tgz",
      "integrity": "sha512-OLDMIN"
    },
    "node_modules/qs": {
      "version": "6.7.0",
      "resolved": "https://registry.npmjs.org/qs/-/qs-6.7.0.tgz",
      "integrity": "sha512-OLDQS"
    }
  },
  "dependencies": {
    "minimist": {
      "version": "1.2.5",
      "resolved": "https://registry.npmjs.org/minimist/-/minimist-1.2.5.tgz",
      "integrity": "sha512-OLDMIN"
    }
  }
}
"#;

#[tokio::test]
async fn npm_lockfile_manifest_and_override_edits() {
    let snapshot = Snapshot::new()
        .with("package.json", PACKAGE_JSON)
        .with("package-lock.json", LOCK);
    let db = db(&[
        ("A1", "npm", "lodash", "4.17.21"),
        ("A2", "npm", "minimist", "1.2.6"),
        ("A3", "npm", "qs", "6.9.0"),
    ]);
    let reg = StaticRegistry::new()
        .publish(
            Ecosystem::Npm,
            "lodash",
            "4.17.21",
            &[(None, "sha512-NEWLO")],
        )
        .publish(
            Ecosystem::Npm,
            "minimist",
            "1.2.6",
            &[(None, "sha512-NEWMIN")],
        )
        .publish(Ecosystem::Npm, "qs", "6.9.0", &[(None, "sha512-NEWQS")]);
    let (plan, set) = edits(&snapshot, &db, &reg).await;
    let tiers: Vec<(&str, Tier)> = plan
        .fixes
        .iter()
        .map(|f| (f.name.as_str(), f.tier))
        .collect();
    assert_eq!(
        tiers,
        [
            ("lodash", Tier::ManifestBump),
            ("minimist", Tier::LockfileUpdate),
            ("qs", Tier::Override)
        ]
    );
    assert_eq!(
        set.files["package.json"],
        r#"{
  "name": "web",
  "dependencies": {
    "express": "^4.17.0",
    "lodash": "4.17.21"
  },
  "overrides": {
    "qs": "6.9.0"
  }
}
"#
    );
    let lock = &set.files["package-lock.json"];
    let expected = LOCK
        .replace("\"lodash\": \"4.17.20\"", "\"lodash\": \"4.17.21\"")
        .replace("\"version\": \"4.17.20\"", "\"version\": \"4.17.21\"")
        .replace("lodash-4.17.20.tgz", "lodash-4.17.21.tgz")
        .replace("sha512-OLD\"", "sha512-NEWLO\"")
        .replace("\"version\": \"1.2.5\"", "\"version\": \"1.2.6\"")
        .replace("minimist-1.2.5.tgz", "minimist-1.2.6.tgz")
        .replace("sha512-OLDMIN", "sha512-NEWMIN")
        .replace("\"version\": \"6.7.0\"", "\"version\": \"6.9.0\"")
        .replace("qs-6.7.0.tgz", "qs-6.9.0.tgz")
        .replace("sha512-OLDQS", "sha512-NEWQS");
    assert_eq!(lock, &expected);
    assert!(
        set.needs_package_manager,
        "overrides need npm install to settle"
    );
}

#[tokio::test]
async fn npm_without_integrity_leaves_the_lockfile_and_says_so() {
    let snapshot = Snapshot::new()
        .with("package.json", PACKAGE_JSON)
        .with("package-lock.json", LOCK);
    let db = db(&[("A1", "npm", "lodash", "4.17.21")]);
    let reg = StaticRegistry::new().publish(Ecosystem::Npm, "lodash", "4.17.21", &[]);
    let (plan, set) = edits(&snapshot, &db, &reg).await;
    assert_eq!(
        plan.fixes[0].lockfile,
        LockfileRefresh::Command("npm install --package-lock-only".into())
    );
    assert!(set.files["package.json"].contains("\"lodash\": \"4.17.21\""));
    assert!(!set.files.contains_key("package-lock.json"));
    assert!(set.needs_package_manager);
    assert!(
        set.notes
            .iter()
            .any(|n| n.contains("npm install --package-lock-only")),
        "{:?}",
        set.notes
    );
}

#[tokio::test]
async fn npm_transitive_without_integrity_is_forced_in_the_manifest_only() {
    // qs 6.7.3 fits express's ~6.7.0, but without its integrity the lockfile cannot be written:
    // an override in package.json carries the fix and npm refreshes the lockfile.
    let snapshot = Snapshot::new()
        .with("package.json", PACKAGE_JSON)
        .with("package-lock.json", LOCK);
    let db = db(&[("A1", "npm", "qs", "6.7.3")]);
    let reg = StaticRegistry::new().publish(Ecosystem::Npm, "qs", "6.7.3", &[]);
    let (plan, set) = edits(&snapshot, &db, &reg).await;
    assert_eq!(plan.fixes[0].tier, Tier::Override);
    assert_eq!(
        plan.fixes[0].lockfile,
        LockfileRefresh::Command("npm install --package-lock-only".into())
    );
    assert_eq!(set.files.keys().collect::<Vec<_>>(), ["package.json"]);
    assert!(set.files["package.json"].contains("\"overrides\": {\n    \"qs\": \"6.7.3\"\n  }"));
    assert!(set
        .notes
        .iter()
        .any(|n| n.contains("npm install --package-lock-only")));
}

#[test]
fn npm_overrides_extend_or_replace_existing_entries() {
    let manifest =
        "{\n    \"name\": \"x\",\n    \"overrides\": {\n        \"a\": \"1.0.0\"\n    }\n}\n";
    let mut work = Work {
        snapshot: Snapshot::new().with("package.json", manifest),
        out: EditSet::default(),
    };
    npm_override(&mut work, "package.json", "b", "2.0.0").unwrap();
    npm_override(&mut work, "package.json", "a", "1.1.0").unwrap();
    assert_eq!(
        work.out.files["package.json"],
        "{\n    \"name\": \"x\",\n    \"overrides\": {\n        \"a\": \"1.1.0\",\n        \"b\": \"2.0.0\"\n    }\n}\n"
    );
}

const V2_PACKAGE: &str =
    "{\n  \"name\": \"web\",\n  \"dependencies\": {\n    \"x\": \"^1.0.0\"\n  }\n}\n";

fn v2_lock(version: &str) -> String {
    format!(
        "{{\n  \"name\": \"web\",\n  \"lockfileVersion\": 2,\n  \"requires\": true,\n  \"packages\": {{\n    \"\": {{\n      \"dependencies\": {{\n        \"x\": \"^1.0.0\"\n      }}\n    }},\n    \"node_modules/x\": {{\n      \"version\": \"{version}\",\n      \"resolved\": \"https://r/x/-/x-{version}.tgz\",\n      \"integrity\": \"sha512-x{version}\"\n    }}\n  }},\n  \"dependencies\": {{\n    \"x\": {{\n      \"version\": \"{version}\",\n      \"resolved\": \"https://r/x/-/x-{version}.tgz\",\n      \"integrity\": \"sha512-x{version}\"\n    }}\n  }}\n}}\n"
    )
}

fn x_registry(deps: &str) -> StaticRegistry {
    let manifest = format!(
        r#"{{"name": "x", "version": "1.0.1", "dependencies": {deps}, "dist": {{"integrity": "sha512-x1.0.1", "tarball": "https://r/x/-/x-1.0.1.tgz"}}}}"#
    );
    StaticRegistry::new()
        .publish(Ecosystem::Npm, "x", "1.0.1", &[(None, "sha512-x1.0.1")])
        .publish(Ecosystem::Npm, "y", "1.0.0", &[(None, "sha512-y")])
        .npm_manifest("x", "1.0.1", &manifest)
        .npm_manifest(
            "y",
            "1.0.0",
            r#"{"name": "y", "version": "1.0.0", "dist": {"integrity": "sha512-y", "tarball": "https://r/y/-/y-1.0.0.tgz"}}"#,
        )
}

#[tokio::test]
async fn npm_v2_lockfile_rebuilds_its_v1_tree_or_is_left_to_npm() {
    let snapshot = Snapshot::new()
        .with("package.json", V2_PACKAGE)
        .with("package-lock.json", v2_lock("1.0.0"));
    let db = db(&[("A1", "npm", "x", "1.0.1")]);
    // Same dependencies: both the `packages` entry and the v1 tree move.
    let (_, set) = edits(&snapshot, &db, &x_registry("{}")).await;
    assert_eq!(set.files["package-lock.json"], v2_lock("1.0.1"));
    assert!(!set.needs_package_manager);
    // A new dependency: the v1 tree is rebuilt from `packages`, with `requires`.
    let (_, set) = edits(&snapshot, &db, &x_registry(r#"{"y": "^1.0.0"}"#)).await;
    let lock = &set.files["package-lock.json"];
    let v1 = &lock[lock.find("\n  \"dependencies\"").unwrap()..];
    assert_eq!(
        v1,
        "\n  \"dependencies\": {\n    \"x\": {\n      \"version\": \"1.0.1\",\n      \"resolved\": \"https://r/x/-/x-1.0.1.tgz\",\n      \"integrity\": \"sha512-x1.0.1\",\n      \"requires\": {\n        \"y\": \"^1.0.0\"\n      }\n    },\n    \"y\": {\n      \"version\": \"1.0.0\",\n      \"resolved\": \"https://r/y/-/y-1.0.0.tgz\",\n      \"integrity\": \"sha512-y\"\n    }\n  }\n}\n"
    );
    // A v1 tree with a link in it is npm's to rebuild.
    let linked = v2_lock("1.0.0").replace(
        "\"node_modules/x\": {",
        "\"node_modules/w\": {\n      \"resolved\": \"packages/w\",\n      \"link\": true\n    },\n    \"node_modules/x\": {",
    );
    let snapshot = Snapshot::new()
        .with("package.json", V2_PACKAGE)
        .with("package-lock.json", linked);
    let (_, set) = edits(&snapshot, &db, &x_registry(r#"{"y": "^1.0.0"}"#)).await;
    assert!(!set.files.contains_key("package-lock.json"));
    assert!(set.needs_package_manager);
    assert!(
        set.notes
            .iter()
            .any(|n| n.contains("npm install --package-lock-only")),
        "{:?}",
        set.notes
    );
}

#[tokio::test]
async fn npm_v3_lockfile_gets_the_new_dependency() {
    let lock = v2_lock("1.0.0").replace("\"lockfileVersion\": 2", "\"lockfileVersion\": 3");
    let end = lock.find(",\n  \"dependencies\": {\n    \"x\"").unwrap();
    let lock = format!("{}\n}}\n", &lock[..end]);
    let snapshot = Snapshot::new()
        .with("package.json", V2_PACKAGE)
        .with("package-lock.json", lock.as_str());
    let db = db(&[("A1", "npm", "x", "1.0.1")]);
    let (_, set) = edits(&snapshot, &db, &x_registry(r#"{"y": "^1.0.0"}"#)).await;
    assert_eq!(
        set.files["package-lock.json"],
        "{\n  \"name\": \"web\",\n  \"lockfileVersion\": 3,\n  \"requires\": true,\n  \"packages\": {\n    \"\": {\n      \"dependencies\": {\n        \"x\": \"^1.0.0\"\n      }\n    },\n    \"node_modules/x\": {\n      \"version\": \"1.0.1\",\n      \"resolved\": \"https://r/x/-/x-1.0.1.tgz\",\n      \"integrity\": \"sha512-x1.0.1\",\n      \"dependencies\": {\n        \"y\": \"^1.0.0\"\n      }\n    },\n    \"node_modules/y\": {\n      \"version\": \"1.0.0\",\n      \"resolved\": \"https://r/y/-/y-1.0.0.tgz\",\n      \"integrity\": \"sha512-y\"\n    }\n  }\n}\n"
    );
}

#[tokio::test]
async fn npm_fix_whose_dependency_cannot_be_resolved_fails_with_the_range() {
    // The registry publishes no version that x 1.0.1's new dependency accepts: the edit
    // refuses instead of writing a lockfile npm would rewrite.
    let lock = v2_lock("1.0.0").replace("\"lockfileVersion\": 2", "\"lockfileVersion\": 3");
    let end = lock.find(",\n  \"dependencies\": {\n    \"x\"").unwrap();
    let lock = format!("{}\n}}\n", &lock[..end]);
    let snapshot = Snapshot::new()
        .with("package.json", V2_PACKAGE)
        .with("package-lock.json", lock.as_str());
    let db = db(&[("A1", "npm", "x", "1.0.1")]);
    let analysis = crate::analysis::analyze(&snapshot);
    let findings = db.scan(&analysis);
    let reg = x_registry(r#"{"y": "^9.0.0"}"#);
    let plan = crate::plan::plan(
        &analysis,
        &findings,
        &db,
        &reg,
        &crate::plan::PlanOptions::recommended(),
    )
    .await
    .unwrap();
    let err = crate::edit::apply_fix(&plan.fixes[0], &analysis, &snapshot, &reg)
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "cannot move npm package `x` from 1.0.0 to 1.0.1: in package-lock.json, no published version of y satisfies ^9.0.0, which x (at node_modules/x) requires; relax or upgrade the conflicting requirement, then scan again"
    );
}

#[test]
fn an_override_joins_a_manifest_written_on_one_line_on_that_line() {
    let mut work = crate::edit::Work {
        snapshot: crate::files::Snapshot::new().with(
            "package.json",
            "{\"name\":\"mono\",\"dependencies\":{\"a\":\"^1.0.0\"}}\n",
        ),
        out: crate::edit::EditSet::default(),
    };
    super::npm_override(&mut work, "package.json", "qs", "6.7.3").unwrap();
    let once = work.text("package.json").unwrap();
    assert_eq!(
        once,
        "{\"name\":\"mono\",\"dependencies\":{\"a\":\"^1.0.0\"}, \"overrides\": {\"qs\": \"6.7.3\"}}\n"
    );
    super::npm_override(&mut work, "package.json", "minimist", "1.2.6").unwrap();
    let twice = work.text("package.json").unwrap();
    assert!(
        twice.ends_with("\"overrides\": {\"qs\": \"6.7.3\", \"minimist\": \"1.2.6\"}}\n"),
        "{twice}"
    );
    assert!(serde_json::from_str::<serde_json::Value>(&twice).is_ok());
}
