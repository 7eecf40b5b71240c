//! Tests for pnpm edits: a lockfile bump with a new dependency, the manifest and
//! `pnpm.overrides` without a registry, and a move left to pnpm because of peer wiring.

use crate::edit::tests::{db, edits};
use crate::files::Snapshot;
use crate::plan::{LockfileRefresh, Tier};
use crate::registry::StaticRegistry;
use crate::Ecosystem;

const PACKAGE: &str = "{\n  \"name\": \"web\",\n  \"dependencies\": {\n    \"a\": \"^1.0.0\",\n    \"x\": \"1.0.0\"\n  }\n}\n";

const LOCK: &str = "lockfileVersion: '9.0'

settings:
  autoInstallPeers: true
  excludeLinksFromLockfile: false

importers:

  .:
    dependencies:
      a:
        specifier: ^1.0.0
        version: 1.0.0
      x:
        specifier: 1.0.0
        version: 1.0.0

packages:

  a@1.0.0:
    resolution: {integrity: sha512-a}

  b@1.0.0:
    resolution: {integrity: sha512-b1}

  x@1.0.0:
    resolution: {integrity: sha512-x}

snapshots:

  a@1.0.0:
    dependencies:
      b: 1.0.0

  b@1.0.0: {}

  x@1.0.0: {}
";

fn manifest(name: &str, version: &str, extra: &str) -> String {
    format!(
        r#"{{"name": "{name}", "version": "{version}"{extra}, "dist": {{"integrity": "sha512-{name}{version}", "tarball": "https://r/{name}/-/{name}-{version}.tgz"}}}}"#
    )
}

fn registry() -> StaticRegistry {
    StaticRegistry::new()
        .publish(Ecosystem::Npm, "a", "1.0.0", &[(None, "sha512-a")])
        .publish(Ecosystem::Npm, "b", "1.0.0", &[(None, "sha512-b1")])
        .publish(Ecosystem::Npm, "b", "1.1.0", &[(None, "sha512-b1.1.0")])
        .publish(Ecosystem::Npm, "c", "2.0.0", &[(None, "sha512-c2.0.0")])
        .npm_manifest("a", "1.0.0", &manifest("a", "1.0.0", r#", "dependencies": {"b": "^1.0.0"}"#))
        .npm_manifest(
            "b",
            "1.1.0",
            &manifest("b", "1.1.0", r#", "dependencies": {"c": "^2.0.0"}, "engines": {"node": ">= 8"}, "bin": "cli.js""#),
        )
        .npm_manifest("c", "2.0.0", &manifest("c", "2.0.0", ""))
}

#[tokio::test]
async fn a_transitive_bump_brings_the_new_dependencies_as_pnpm_writes_them() {
    let snapshot = Snapshot::new()
        .with("package.json", PACKAGE)
        .with("pnpm-lock.yaml", LOCK);
    let db = db(&[("A1", "npm", "b", "1.1.0")]);
    let (plan, set) = edits(&snapshot, &db, &registry()).await;
    assert_eq!(plan.fixes[0].tier, Tier::LockfileUpdate);
    assert_eq!(plan.fixes[0].lockfile, LockfileRefresh::Agent);
    assert!(!set.needs_package_manager, "{:?}", set.notes);
    let expected = LOCK
        .replace(
            "  b@1.0.0:\n    resolution: {integrity: sha512-b1}\n",
            "  b@1.1.0:\n    resolution: {integrity: sha512-b1.1.0}\n    engines: {node: '>= 8'}\n    hasBin: true\n\n  c@2.0.0:\n    resolution: {integrity: sha512-c2.0.0}\n",
        )
        .replace("      b: 1.0.0\n\n  b@1.0.0: {}\n", "      b: 1.1.0\n\n  b@1.1.0:\n    dependencies:\n      c: 2.0.0\n\n  c@2.0.0: {}\n");
    assert_eq!(set.files["pnpm-lock.yaml"], expected);
    assert!(!set.files.contains_key("package.json"));
}

#[tokio::test]
async fn without_a_registry_the_manifest_changes_and_the_command_is_named() {
    let snapshot = Snapshot::new()
        .with("package.json", PACKAGE)
        .with("pnpm-lock.yaml", LOCK);
    let db = db(&[("A1", "npm", "b", "1.1.0"), ("A2", "npm", "x", "1.0.1")]);
    let registry = StaticRegistry::new()
        .publish(Ecosystem::Npm, "b", "1.1.0", &[])
        .publish(Ecosystem::Npm, "x", "1.0.1", &[]);
    let (plan, set) = edits(&snapshot, &db, &registry).await;
    let tiers: Vec<(&str, Tier, &LockfileRefresh)> = plan
        .fixes
        .iter()
        .map(|f| (f.name.as_str(), f.tier, &f.lockfile))
        .collect();
    let command = LockfileRefresh::Command("pnpm install --lockfile-only".into());
    assert_eq!(
        tiers,
        [
            ("b", Tier::Override, &command),
            ("x", Tier::ManifestBump, &command)
        ]
    );
    assert!(set.needs_package_manager);
    assert!(!set.files.contains_key("pnpm-lock.yaml"));
    assert_eq!(
        set.files["package.json"],
        PACKAGE
            .replace("\"x\": \"1.0.0\"", "\"x\": \"1.0.1\"")
            .replace(
            "\n  }\n}\n",
            "\n  },\n  \"pnpm\": {\n    \"overrides\": {\n      \"b\": \"1.1.0\"\n    }\n  }\n}\n"
        )
    );
    assert!(set
        .notes
        .iter()
        .any(|n| n.contains("run `pnpm install --lockfile-only` on this branch")));
}

#[tokio::test]
async fn a_required_peer_dependency_is_left_to_pnpm() {
    let snapshot = Snapshot::new()
        .with("package.json", PACKAGE)
        .with("pnpm-lock.yaml", LOCK);
    let db = db(&[("A1", "npm", "b", "1.1.0")]);
    let registry = registry().npm_manifest(
        "b",
        "1.1.0",
        &manifest("b", "1.1.0", r#", "peerDependencies": {"react": "^18"}"#),
    );
    let (_, set) = edits(&snapshot, &db, &registry).await;
    assert!(set.needs_package_manager);
    assert!(!set.files.contains_key("pnpm-lock.yaml"));
    assert!(
        set.notes.iter().any(|n| n.contains(
            "was not updated because b@1.1.0 has the peer dependency react, which pnpm resolves: run `pnpm install --lockfile-only`"
        )),
        "{:?}",
        set.notes
    );
}

#[tokio::test]
async fn a_parent_release_that_accepts_the_fix_beats_an_override() {
    let lock = "lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    dependencies:\n      p:\n        specifier: ^1.0.0\n        version: 1.0.0\n\npackages:\n\n  p@1.0.0:\n    resolution: {integrity: sha512-p1.0.0}\n\n  q@1.0.0:\n    resolution: {integrity: sha512-q1.0.0}\n\nsnapshots:\n\n  p@1.0.0:\n    dependencies:\n      q: 1.0.0\n\n  q@1.0.0: {}\n";
    let package = "{\n  \"dependencies\": {\n    \"p\": \"^1.0.0\"\n  }\n}\n";
    let snapshot = Snapshot::new()
        .with("package.json", package)
        .with("pnpm-lock.yaml", lock);
    let db = db(&[("A1", "npm", "q", "1.0.1")]);
    let mut registry = StaticRegistry::new();
    for (name, version, deps) in [
        ("p", "1.0.0", r#"{"q": "1.0.0"}"#),
        ("p", "1.1.0", r#"{"q": "^1.0.1"}"#),
        ("q", "1.0.0", "{}"),
        ("q", "1.0.1", "{}"),
    ] {
        let integrity = format!("sha512-{name}{version}");
        registry = registry
            .publish(Ecosystem::Npm, name, version, &[(None, integrity.as_str())])
            .npm_manifest(
                name,
                version,
                &manifest(name, version, &format!(r#", "dependencies": {deps}"#)),
            );
    }
    let (plan, set) = edits(&snapshot, &db, &registry).await;
    assert_eq!(plan.fixes[0].tier, Tier::LockfileUpdate);
    assert_eq!(
        plan.fixes[0].notes,
        ["p@1.0.0 cannot take q 1.0.1, so the parent moves within the ranges that require it: p 1.0.0 -> 1.1.0 (its range `^1.0.1` accepts it); only pnpm-lock.yaml changes, as pnpm resolves it"]
    );
    assert!(!set.needs_package_manager, "{:?}", set.notes);
    assert!(!set.files.contains_key("package.json"));
    assert_eq!(
        set.files["pnpm-lock.yaml"],
        lock.replace("1.0.0", "1.1.0")
            .replace("q@1.1.0", "q@1.0.1")
            .replace("sha512-q1.1.0", "sha512-q1.0.1")
            .replace("q: 1.1.0", "q: 1.0.1")
            .replace("specifier: ^1.1.0", "specifier: ^1.0.0")
    );
}
