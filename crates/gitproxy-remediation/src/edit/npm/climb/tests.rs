//! Tests for the dependent-bump tier of npm lockfile fixes: the lowest release accepting a fixed
//! version, climbing through requirers up to three deep, and the conflict when no tier works.

use super::super::resolve::{Conflict, Mover, Packages, Reuse};
use super::super::tree::J;
use crate::edit::apply_fix;
use crate::files::Snapshot;
use crate::json;
use crate::plan::{plan, PlanOptions, Tier, Unfixable};
use crate::registry::StaticRegistry;
use crate::{Ecosystem, Error};

/// A registry publishing `(name, version, dependencies)` with npm manifests.
fn registry(published: &[(&str, &str, &str)]) -> StaticRegistry {
    let mut reg = StaticRegistry::new();
    for (name, version, deps) in published {
        let manifest = format!(
            r#"{{"name": "{name}", "version": "{version}", "dependencies": {deps}, "dist": {{"integrity": "sha512-{name}{version}", "tarball": "https://r/{name}/-/{name}-{version}.tgz"}}}}"#
        );
        let integrity = format!("sha512-{name}{version}");
        reg = reg
            .publish(Ecosystem::Npm, name, version, &[(None, integrity.as_str())])
            .npm_manifest(name, version, &manifest);
    }
    reg
}

/// A lockfile's `packages`: the project requiring `root_deps`, and hoisted
/// `(name, version, dependencies)` entries.
fn lock_packages(root_deps: &str, entries: &[(&str, &str, &str)]) -> String {
    let mut out = format!(r#"{{"": {{"dependencies": {root_deps}}}"#);
    for (name, version, deps) in entries {
        out.push_str(&format!(
            r#", "node_modules/{name}": {{"version": "{version}", "resolved": "https://r/{name}/-/{name}-{version}.tgz", "integrity": "sha512-{name}{version}", "dependencies": {deps}}}"#
        ));
    }
    out.push('}');
    out
}

fn packages(text: &str) -> Packages {
    let node = json::parse(text).unwrap();
    J::from_node(text, &node)
        .members()
        .iter()
        .cloned()
        .collect()
}

fn version(p: &Packages, key: &str) -> Option<String> {
    p.get(key)?.get("version")?.as_str().map(String::from)
}

#[tokio::test]
async fn the_dependent_moves_to_its_lowest_release_that_accepts_a_fixed_version() {
    // x 1.0.1 is still affected; p 1.0.1 pins it, p 1.0.2 pins the fixed 1.0.2.
    let reg = registry(&[
        ("x", "1.0.1", "{}"),
        ("x", "1.0.2", "{}"),
        ("p", "1.0.1", r#"{"x": "1.0.1"}"#),
        ("p", "1.0.2", r#"{"x": "1.0.2"}"#),
        ("p", "1.0.3", r#"{"x": "1.0.2"}"#),
        ("p", "2.0.0", r#"{"x": "1.0.2"}"#),
    ]);
    let mut mover = Mover {
        registry: &reg,
        reuse: Reuse::Npm,
        overrides: Default::default(),
        packages: packages(&lock_packages(
            r#"{"p": "^1.0.0"}"#,
            &[("p", "1.0.0", r#"{"x": "1.0.0"}"#), ("x", "1.0.0", "{}")],
        )),
    };
    let climbed = match mover
        .fix("x", "1.0.0", "1.0.2", &["1.0.2".into()])
        .await
        .unwrap()
    {
        Ok(c) => c,
        Err(Conflict(reason)) => panic!("{reason}"),
    };
    assert_eq!(
        climbed.steps,
        ["p 1.0.0 requires x@1.0.0, which excludes every fixed version of x, so p moves to 1.0.2, its lowest later release that accepts a fixed version of x within p@^1.0.0 (the project's package.json)"]
    );
    assert!(climbed.moved.is_empty(), "{:?}", climbed.moved);
    assert_eq!(climbed.versions, ["1.0.2".to_string()].into());
    let p = &mover.packages;
    assert_eq!(version(p, "node_modules/p").as_deref(), Some("1.0.2"));
    assert_eq!(version(p, "node_modules/x").as_deref(), Some("1.0.2"));
    assert_eq!(
        p["node_modules/p"].get("integrity"),
        Some(&J::Str("sha512-p1.0.2".into()))
    );
    assert_eq!(p.len(), 3);
}

#[tokio::test]
async fn a_release_that_cannot_be_resolved_gives_way_to_the_next() {
    // p 1.0.1 accepts the fixed x but needs a z nobody publishes; p 1.0.2 does not.
    let reg = registry(&[
        ("x", "1.0.1", "{}"),
        ("p", "1.0.1", r#"{"x": "^1.0.1", "z": "^9.0.0"}"#),
        ("p", "1.0.2", r#"{"x": "^1.0.1"}"#),
    ]);
    let mut mover = Mover {
        registry: &reg,
        reuse: Reuse::Npm,
        overrides: Default::default(),
        packages: packages(&lock_packages(
            r#"{"p": "^1.0.0"}"#,
            &[("p", "1.0.0", r#"{"x": "1.0.0"}"#), ("x", "1.0.0", "{}")],
        )),
    };
    let climbed = match mover
        .fix("x", "1.0.0", "1.0.1", &["1.0.1".into()])
        .await
        .unwrap()
    {
        Ok(c) => c,
        Err(Conflict(reason)) => panic!("{reason}"),
    };
    assert_eq!(climbed.bumped, ["p"]);
    assert_eq!(
        version(&mover.packages, "node_modules/p").as_deref(),
        Some("1.0.2")
    );
    assert!(!mover.packages.contains_key("node_modules/z"));

    // With no p 1.0.2, the conflict names what stopped p 1.0.1.
    let reg = registry(&[
        ("x", "1.0.1", "{}"),
        ("p", "1.0.1", r#"{"x": "^1.0.1", "z": "^9.0.0"}"#),
    ]);
    let mut mover = Mover {
        registry: &reg,
        reuse: Reuse::Npm,
        overrides: Default::default(),
        packages: packages(&lock_packages(
            r#"{"p": "^1.0.0"}"#,
            &[("p", "1.0.0", r#"{"x": "1.0.0"}"#), ("x", "1.0.0", "{}")],
        )),
    };
    let Err(Conflict(reason)) = mover
        .fix("x", "1.0.0", "1.0.1", &["1.0.1".into()])
        .await
        .unwrap()
    else {
        panic!("p 1.0.1 cannot be resolved");
    };
    assert_eq!(
        reason,
        "p 1.0.0 requires x@1.0.0, which excludes every fixed version of x, and no other later release of p accepts a fixed version of x; p 1.0.1 cannot be resolved: no published version of z satisfies ^9.0.0, which p (at node_modules/p) requires"
    );
}

/// A chain `app -> l{depth} -> ... -> l1 -> x` where each 1.0.0 pins the next 1.0.0 exactly
/// and each 1.1.0 the next 1.1.0; l1 1.1.0 accepts the fixed x 1.0.1.
fn chain(depth: usize) -> (StaticRegistry, Packages) {
    let mut published = vec![("x".to_string(), "1.0.1".to_string(), "{}".to_string())];
    let mut entries = vec![("x".to_string(), "1.0.0".to_string(), "{}".to_string())];
    for k in 1..=depth {
        let (below, old, new) = if k == 1 {
            ("x".to_string(), "1.0.0", r#"^1.0.1"#)
        } else {
            (format!("l{}", k - 1), "1.0.0", "1.1.0")
        };
        published.push((
            format!("l{k}"),
            "1.1.0".into(),
            format!(r#"{{"{below}": "{new}"}}"#),
        ));
        entries.push((
            format!("l{k}"),
            "1.0.0".into(),
            format!(r#"{{"{below}": "{old}"}}"#),
        ));
    }
    let published: Vec<(&str, &str, &str)> = published
        .iter()
        .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
        .collect();
    let entries: Vec<(&str, &str, &str)> = entries
        .iter()
        .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
        .collect();
    let root = format!(r#"{{"l{depth}": "^1.0.0"}}"#);
    (
        registry(&published),
        packages(&lock_packages(&root, &entries)),
    )
}

#[tokio::test]
async fn a_fix_climbs_three_dependents_deep_and_no_further() {
    let (reg, start) = chain(3);
    let mut mover = Mover {
        registry: &reg,
        reuse: Reuse::Npm,
        overrides: Default::default(),
        packages: start,
    };
    let climbed = match mover
        .fix("x", "1.0.0", "1.0.1", &["1.0.1".into()])
        .await
        .unwrap()
    {
        Ok(c) => c,
        Err(Conflict(reason)) => panic!("{reason}"),
    };
    for key in ["l1", "l2", "l3"] {
        let key = format!("node_modules/{key}");
        assert_eq!(
            version(&mover.packages, &key).as_deref(),
            Some("1.1.0"),
            "{key}"
        );
    }
    assert_eq!(
        version(&mover.packages, "node_modules/x").as_deref(),
        Some("1.0.1")
    );
    assert_eq!(climbed.steps.len(), 1);
    assert!(
        climbed.steps[0].ends_with("so l3 moves to 1.1.0, its lowest later release that accepts a release of l2 that accepts a release of l1 that accepts a fixed version of x within l3@^1.0.0 (the project's package.json)"),
        "{}",
        climbed.steps[0]
    );
    assert_eq!(climbed.moved, ["l1 1.0.0 -> 1.1.0", "l2 1.0.0 -> 1.1.0"]);

    let (reg, start) = chain(4);
    let before = start.clone();
    let mut mover = Mover {
        registry: &reg,
        reuse: Reuse::Npm,
        overrides: Default::default(),
        packages: start,
    };
    let Err(Conflict(reason)) = mover
        .fix("x", "1.0.0", "1.0.1", &["1.0.1".into()])
        .await
        .unwrap()
    else {
        panic!("a fourth level must not be climbed");
    };
    assert!(
        reason.ends_with("l3 1.1.0 accepts a release of l2 that accepts a release of l1 that accepts a fixed version of x, but l4 (at node_modules/l4) requires l3@1.0.0, and moving it would climb more than 3 packages deep"),
        "{reason}"
    );
    // Nothing moved before the conflict was known.
    assert_eq!(mover.packages, before);
}

const PACKAGE_JSON: &str = r#"{
  "name": "web",
  "dependencies": {
    "p": "^1.0.0",
    "x": "^1.0.0"
  }
}
"#;

#[tokio::test]
async fn no_dependent_release_accepting_a_fix_makes_the_package_unfixable() {
    // The project takes x 1.0.1, but p pins 1.0.0 in every release.
    let lock = format!(
        "{{\"name\": \"web\", \"lockfileVersion\": 3, \"requires\": true, \"packages\": {}}}\n",
        lock_packages(
            r#"{"p": "^1.0.0", "x": "^1.0.0"}"#,
            &[("p", "1.0.0", r#"{"x": "1.0.0"}"#), ("x", "1.0.0", "{}")],
        )
    );
    let snapshot = Snapshot::new()
        .with("package.json", PACKAGE_JSON)
        .with("package-lock.json", lock.as_str());
    let db = crate::edit::tests::db(&[("A1", "npm", "x", "1.0.1")]);
    let reg = registry(&[
        ("x", "1.0.1", "{}"),
        ("p", "1.1.0", r#"{"x": "1.0.0"}"#),
        ("p", "2.0.0", r#"{"x": "~1.0.0 <1.0.1"}"#),
    ]);
    let analysis = crate::analysis::analyze(&snapshot);
    let findings = db.scan(&analysis);
    let plan = plan(&analysis, &findings, &db, &reg, &PlanOptions::recommended())
        .await
        .unwrap();
    let fix = &plan.fixes[0];
    assert_eq!((fix.name.as_str(), fix.tier), ("x", Tier::LockfileUpdate));
    let err = apply_fix(fix, &analysis, &snapshot, &reg)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unresolvable { .. }), "{err}");
    let unfixable = Unfixable::from_conflict(fix, &err).unwrap();
    assert_eq!(
        (unfixable.name.as_str(), unfixable.version.as_str()),
        ("x", "1.0.0")
    );
    assert_eq!(
        unfixable.guidance,
        ["cannot move npm package `x` from 1.0.0 to 1.0.1: in package-lock.json, p 1.0.0 requires x@1.0.0, which excludes every fixed version of x, and no later release of p accepts a fixed version of x; relax or upgrade the conflicting requirement, then scan again"]
    );
}
