//! Tests for the npm resolver: reuse, hoisting, nesting, replacement, pruning, flags and the
//! nested copy a rejecting dependent keeps, and the conflict that stops an edit.

use super::{Conflict, Mover, Packages, Reuse};
use crate::edit::npm::tree::J;
use crate::json;
use crate::registry::StaticRegistry;
use crate::Ecosystem;

fn packages(text: &str) -> Packages {
    let node = json::parse(text).unwrap();
    J::from_node(text, &node)
        .members()
        .iter()
        .cloned()
        .collect()
}

fn manifest(name: &str, version: &str, deps: &str) -> String {
    format!(
        r#"{{"name": "{name}", "version": "{version}", "description": "d", "license": {{"type": "MIT"}}, "dependencies": {deps}, "devDependencies": {{"t": "1"}}, "dist": {{"integrity": "sha512-{name}{version}", "tarball": "https://r/{name}-{version}.tgz"}}}}"#
    )
}

fn registry(published: &[(&str, &str, &str)]) -> StaticRegistry {
    let mut reg = StaticRegistry::new();
    for (name, version, deps) in published {
        reg = reg
            .publish(Ecosystem::Npm, name, version, &[])
            .npm_manifest(name, version, &manifest(name, version, deps));
    }
    reg
}

fn version(p: &Packages, key: &str) -> Option<String> {
    p.get(key)?.get("version")?.as_str().map(String::from)
}

#[tokio::test]
async fn new_dependencies_are_hoisted_reused_or_nested_and_orphans_dropped() {
    let reg = registry(&[
        (
            "x",
            "1.1.0",
            r#"{"y": "^1.0.0", "n": "^2.0.0", "w": "^5.0.0"}"#,
        ),
        ("n", "2.0.0", "{}"),
        ("n", "2.1.0", "{}"),
        ("w", "5.0.0", "{}"),
        ("w", "7.0.0", "{}"),
    ]);
    let mut mover = Mover {
        registry: &reg,
        reuse: Reuse::Npm,
        overrides: Default::default(),
        packages: packages(
            r#"{
          "": {"dependencies": {"x": "^1.0.0", "w": "^7.0.0"}, "devDependencies": {"d": "^1.0.0"}},
          "node_modules/x": {"version": "1.0.0", "dependencies": {"old": "^1.0.0"}},
          "node_modules/old": {"version": "1.0.0"},
          "node_modules/w": {"version": "7.0.0"},
          "node_modules/d": {"version": "1.0.0", "dev": true, "dependencies": {"y": "^1.0.0"}},
          "node_modules/y": {"version": "1.2.0", "dev": true}
        }"#,
        ),
    };
    assert!(mover
        .move_to("node_modules/x", "1.1.0")
        .await
        .unwrap()
        .is_ok());
    let p = &mover.packages;
    let x = &p["node_modules/x"];
    assert_eq!(x.get("integrity"), Some(&J::Str("sha512-x1.1.0".into())));
    assert_eq!(
        x.get("resolved"),
        Some(&J::Str("https://r/x-1.1.0.tgz".into()))
    );
    assert_eq!(x.get("license"), Some(&J::Str("MIT".into())));
    assert!(x.get("devDependencies").is_none() && x.get("description").is_none());
    // Reused, and no longer only a dev dependency.
    assert_eq!(version(p, "node_modules/y").as_deref(), Some("1.2.0"));
    assert!(p["node_modules/y"].get("dev").is_none());
    assert!(p["node_modules/d"].get("dev").is_some());
    // Hoisted at its highest version; nested under x where the root holds another major.
    assert_eq!(version(p, "node_modules/n").as_deref(), Some("2.1.0"));
    assert_eq!(
        version(p, "node_modules/x/node_modules/w").as_deref(),
        Some("5.0.0")
    );
    assert_eq!(version(p, "node_modules/w").as_deref(), Some("7.0.0"));
    // Nothing needs the old dependency any more.
    assert!(!p.contains_key("node_modules/old"));
}

#[tokio::test]
async fn an_incompatible_entry_is_replaced_when_all_its_users_accept_the_new_version() {
    let reg = registry(&[("x", "1.1.0", r#"{"y": "^1.2.0"}"#), ("y", "1.2.3", "{}")]);
    let mut mover = Mover {
        registry: &reg,
        reuse: Reuse::Npm,
        overrides: Default::default(),
        packages: packages(
            r#"{
          "": {"dependencies": {"x": "^1.0.0", "z": "^1.0.0"}},
          "node_modules/x": {"version": "1.0.0"},
          "node_modules/z": {"version": "1.0.0", "dependencies": {"y": "^1.0.0"}},
          "node_modules/y": {"version": "1.0.0"}
        }"#,
        ),
    };
    assert!(mover
        .move_to("node_modules/x", "1.1.0")
        .await
        .unwrap()
        .is_ok());
    assert_eq!(
        version(&mover.packages, "node_modules/y").as_deref(),
        Some("1.2.3")
    );
    assert!(!mover.packages.contains_key("node_modules/x/node_modules/y"));
}

#[tokio::test]
async fn a_dependent_that_rejects_the_new_version_keeps_a_nested_copy_as_npm_places_it() {
    let reg = registry(&[
        ("x", "1.0.0", r#"{"y": "^1.0.0"}"#),
        ("x", "1.0.1", r#"{"y": "^1.0.0"}"#),
        ("x", "1.0.2", "{}"),
    ]);
    let mut mover = Mover {
        registry: &reg,
        reuse: Reuse::Npm,
        overrides: Default::default(),
        packages: packages(
            r#"{
          "": {"dependencies": {"x": "^1.0.0", "p": "^1.0.0", "q": "^1.0.0"}},
          "node_modules/p": {"version": "1.0.0", "dependencies": {"x": "1.0.0", "y": "^1.0.0"}},
          "node_modules/q": {"version": "1.0.0", "dependencies": {"x": "~1.0.0"}},
          "node_modules/x": {"version": "1.0.0", "dependencies": {"y": "^1.0.0"}},
          "node_modules/y": {"version": "1.0.0"}
        }"#,
        ),
    };
    let kept = match mover.move_to("node_modules/x", "1.0.1").await.unwrap() {
        Ok(kept) => kept,
        Err(Conflict(reason)) => panic!("{reason}"),
    };
    assert_eq!(
        kept,
        [super::Kept {
            from: "node_modules/p".into(),
            spec: "1.0.0".into(),
            at: "node_modules/p/node_modules/x".into(),
            version: "1.0.0".into(),
        }]
    );
    let p = &mover.packages;
    // The hoisted slot moves for everyone who accepts it; p's copy is the registry's 1.0.0.
    assert_eq!(version(p, "node_modules/x").as_deref(), Some("1.0.1"));
    assert_eq!(
        p["node_modules/p/node_modules/x"].get("integrity"),
        Some(&J::Str("sha512-x1.0.0".into()))
    );
    assert_eq!(version(p, "node_modules/y").as_deref(), Some("1.0.0"));
    assert!(mover.broken().is_empty());
}

#[tokio::test]
async fn a_dependent_no_placement_satisfies_names_its_range() {
    let reg = registry(&[("x", "1.0.1", "{}")]);
    // The project itself pins the old version: nothing can be nested for it.
    let mut mover = Mover {
        registry: &reg,
        reuse: Reuse::Npm,
        overrides: Default::default(),
        packages: packages(
            r#"{
          "": {"dependencies": {"x": "1.0.0", "p": "^1.0.0"}},
          "node_modules/p": {"version": "1.0.0", "dependencies": {"x": "^1.0.0"}},
          "node_modules/x": {"version": "1.0.0"}
        }"#,
        ),
    };
    let Err(Conflict(reason)) = mover.move_to("node_modules/x", "1.0.1").await.unwrap() else {
        panic!("the move must be refused");
    };
    assert_eq!(
        reason,
        "the project's package.json requires x@1.0.0, which 1.0.1 does not satisfy"
    );
    // p's own nested copy is the one moved, and p rejects the new version.
    let mut mover = Mover {
        registry: &reg,
        reuse: Reuse::Npm,
        overrides: Default::default(),
        packages: packages(
            r#"{
          "": {"dependencies": {"x": "^2.0.0", "p": "^1.0.0"}},
          "node_modules/p": {"version": "1.0.0", "dependencies": {"x": "1.0.0"}},
          "node_modules/p/node_modules/x": {"version": "1.0.0"},
          "node_modules/x": {"version": "2.0.0"}
        }"#,
        ),
    };
    let Err(Conflict(reason)) = mover
        .move_to("node_modules/p/node_modules/x", "1.0.1")
        .await
        .unwrap()
    else {
        panic!("the move must be refused");
    };
    assert_eq!(
        reason,
        "p (at node_modules/p) requires x@1.0.0, which 1.0.1 does not satisfy"
    );
    // An override in package.json replaces that range, as npm applies it.
    mover.overrides.insert("x".into(), "1.0.1".into());
    assert!(mover
        .move_to("node_modules/p/node_modules/x", "1.0.1")
        .await
        .unwrap()
        .is_ok());
}

#[test]
fn flags_recomputed_on_a_lockfile_npm_wrote_are_npms() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/npm/flags/package-lock.json"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let doc = J::from_node(&text, &json::parse(&text).unwrap());
    let (indent, newline) = crate::edit::npm::tree::layout(&text);
    assert_eq!(crate::edit::npm::tree::print(&doc, &indent, newline), text);
    let reg = StaticRegistry::new();
    let mut mover = Mover {
        registry: &reg,
        reuse: Reuse::Npm,
        overrides: Default::default(),
        packages: doc
            .get("packages")
            .unwrap()
            .members()
            .iter()
            .cloned()
            .collect(),
    };
    // Drop every flag first: the recomputation alone must restore them.
    for entry in mover.packages.values_mut() {
        for flag in ["dev", "optional", "devOptional", "peer"] {
            entry.remove(flag);
        }
    }
    let reached = super::reachable(&mover.packages);
    mover.fix_flags(&reached);
    assert!(mover.broken().is_empty());
    let mut again = doc.clone();
    again.set("packages", J::Obj(mover.packages.into_iter().collect()));
    assert_eq!(
        crate::edit::npm::tree::print(&again, &indent, newline),
        text
    );
}

#[tokio::test]
async fn an_edge_broken_before_the_move_does_not_block_it() {
    // p's peer range on q was already unmet (npm tolerates that with a warning).
    let reg = registry(&[("x", "1.1.0", "{}")]);
    let mut mover = Mover {
        registry: &reg,
        reuse: Reuse::Npm,
        overrides: Default::default(),
        packages: packages(
            r#"{
          "": {"dependencies": {"x": "^1.0.0", "p": "^1.0.0", "q": "^1.0.0"}},
          "node_modules/x": {"version": "1.0.0"},
          "node_modules/p": {"version": "1.0.0", "peerDependencies": {"q": "^2.0.0"}},
          "node_modules/q": {"version": "1.0.0"}
        }"#,
        ),
    };
    assert_eq!(mover.broken().len(), 1);
    assert!(mover
        .move_to("node_modules/x", "1.1.0")
        .await
        .unwrap()
        .is_ok());
    assert_eq!(
        version(&mover.packages, "node_modules/x").as_deref(),
        Some("1.1.0")
    );
}
