//! Tests of the yarn.lock analysis on lockfiles yarn 1.22 and yarn 4 wrote
//! (`tests/fixtures/yarn`).

use crate::analysis::{analyze, Analysis, Dependency, Scope};
use crate::files::Snapshot;

const CLASSIC_MANIFEST: &str = include_str!("../../../tests/fixtures/yarn/classic/package.json");
const CLASSIC_LOCK: &str = include_str!("../../../tests/fixtures/yarn/classic/yarn.lock");
const BERRY_MANIFEST: &str = include_str!("../../../tests/fixtures/yarn/berry/package.json");
const BERRY_LIB: &str =
    include_str!("../../../tests/fixtures/yarn/berry/packages/lib/package.json");
const BERRY_LOCK: &str = include_str!("../../../tests/fixtures/yarn/berry/yarn.lock");

fn find<'a>(a: &'a Analysis, name: &str, version: &str) -> &'a Dependency {
    a.find(name, version)
        .unwrap_or_else(|| panic!("{name}@{version} not found in {:#?}", a.dependencies))
}

#[test]
fn classic_lock_direct_transitive_dev_lines_and_parents() {
    let snapshot = Snapshot::new()
        .with("web/package.json", CLASSIC_MANIFEST)
        .with("web/yarn.lock", CLASSIC_LOCK);
    let a = analyze(&snapshot);
    assert!(a.problems.is_empty(), "{:?}", a.problems);
    assert!(a.relock_only.is_empty());
    // One dependency per lock entry; the manifest is not reported again on its own.
    assert_eq!(a.dependencies.len(), 4);
    let iso = find(&a, "isomorphic-fetch", "3.0.0");
    assert!(iso.direct);
    assert_eq!(iso.requirement.as_deref(), Some("^3.0.0"));
    assert_eq!(iso.location.to_string(), "web/yarn.lock:5");
    assert_eq!(
        iso.declared_in.as_ref().unwrap().to_string(),
        "web/package.json:6"
    );
    assert_eq!(iso.scope, Scope::Runtime);
    let fetch = find(&a, "node-fetch", "2.6.1");
    assert!(!fetch.direct);
    assert_eq!(fetch.parents, ["isomorphic-fetch@3.0.0"]);
    assert_eq!(fetch.constraints, ["^2.6.1"]);
    assert_eq!(fetch.location.line, 18);
    assert_eq!(fetch.scope, Scope::Runtime);
    let minimist = find(&a, "minimist", "1.2.5");
    assert!(minimist.direct);
    assert_eq!(minimist.scope, Scope::Dev);
    assert_eq!(
        minimist.declared_in.as_ref().unwrap().to_string(),
        "web/package.json:9"
    );
}

#[test]
fn berry_lock_with_workspaces_aliases_and_no_workspace_entries() {
    let snapshot = Snapshot::new()
        .with("package.json", BERRY_MANIFEST)
        .with("packages/lib/package.json", BERRY_LIB)
        .with("yarn.lock", BERRY_LOCK);
    let a = analyze(&snapshot);
    assert!(a.problems.is_empty(), "{:?}", a.problems);
    assert!(a.relock_only.contains_key("yarn.lock"));
    assert!(a
        .dependencies
        .iter()
        .all(|d| d.version.as_deref() != Some("0.0.0-use.local")));
    let minimist = find(&a, "minimist", "1.2.5");
    assert!(minimist.direct);
    assert_eq!(minimist.scope, Scope::Dev);
    assert_eq!(minimist.requirement.as_deref(), Some("1.2.5"));
    // The workspace member's dependency is direct, declared in its own manifest.
    let mkdirp = find(&a, "mkdirp", "0.5.6");
    assert!(mkdirp.direct);
    assert_eq!(
        mkdirp.declared_in.as_ref().unwrap().file,
        "packages/lib/package.json"
    );
    let newer = find(&a, "minimist", "1.2.8");
    assert!(!newer.direct);
    assert_eq!(newer.parents, ["mkdirp@0.5.6"]);
    assert_eq!(newer.constraints, ["^1.2.6"]);
    // An alias is reported under the package it resolves to.
    let width = a
        .dependencies
        .iter()
        .find(|d| d.name == "string-width")
        .expect("the alias target");
    assert!(width.direct);
    let line = BERRY_LOCK
        .lines()
        .position(|l| l.starts_with("\"string-width-cjs@npm:string-width@"))
        .unwrap()
        + 1;
    assert_eq!(width.location.line as usize, line);
    let fetch = a
        .dependencies
        .iter()
        .find(|d| d.name == "node-fetch")
        .unwrap();
    assert_eq!(fetch.parents, ["isomorphic-fetch@3.0.0"]);
}

#[test]
fn berry_lock_without_manifests_takes_direct_dependencies_from_workspace_entries() {
    let a = analyze(&Snapshot::new().with("yarn.lock", BERRY_LOCK));
    assert!(a.problems.is_empty(), "{:?}", a.problems);
    assert!(a.dependencies.iter().all(|d| !d.direct));
    let iso = find(&a, "isomorphic-fetch", "3.0.0");
    assert_eq!(iso.scope, Scope::Runtime);
}

#[test]
fn git_file_and_patch_entries_are_not_registry_packages() {
    let classic = r#"# yarn lockfile v1


"left-pad@git+https://example.com/left-pad.git#abc":
  version "1.3.0"
  resolved "git+https://example.com/left-pad.git#abc"

"local@file:../local":
  version "0.1.0"

"lodash@npm:^4.17.20", lodash@^4.17.20:
  version "4.17.21"
"#;
    let a = analyze(&Snapshot::new().with("yarn.lock", classic));
    let names: Vec<&str> = a.dependencies.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["lodash"]);
    let berry = "__metadata:\n  version: 8\n\n\"resolve@patch:resolve@npm%3A^1.20.0#optional!builtin<compat/resolve>\":\n  version: 1.22.8\n  resolution: \"resolve@patch:resolve@npm%3A1.22.8#optional!builtin<compat/resolve>::version=1.22.8&hash=c3c19d\"\n\n\"resolve@npm:^1.20.0\":\n  version: 1.22.8\n  resolution: \"resolve@npm:1.22.8\"\n";
    let a = analyze(&Snapshot::new().with("yarn.lock", berry));
    assert_eq!(a.dependencies.len(), 1);
    assert_eq!(a.dependencies[0].location.line, 8);
}

#[test]
fn a_broken_lock_is_a_problem_of_that_file_only() {
    let snapshot = Snapshot::new()
        .with("a/yarn.lock", "lodash@^4:\n\tversion \"4.17.21\"\n")
        .with("b/yarn.lock", CLASSIC_LOCK);
    let a = analyze(&snapshot);
    assert_eq!(a.problems.len(), 1);
    assert!(a.problems[0].to_string().contains("a/yarn.lock"));
    assert_eq!(a.dependencies.len(), 4);
}

#[test]
fn classic_workspace_members_declare_direct_dependencies() {
    let root = r#"{"name": "mono", "private": true, "workspaces": ["packages/*"], "devDependencies": {"minimist": "^1.2.0"}}"#;
    let member =
        "{\n  \"name\": \"@mono/a\",\n  \"dependencies\": {\n    \"minimist\": \"1.2.5\"\n  }\n}\n";
    let lock = "# yarn lockfile v1\n\n\nminimist@1.2.5, minimist@^1.2.0:\n  version \"1.2.5\"\n";
    let a = analyze(
        &Snapshot::new()
            .with("package.json", root)
            .with("packages/a/package.json", member)
            .with("yarn.lock", lock),
    );
    assert!(a.problems.is_empty(), "{:?}", a.problems);
    assert_eq!(a.dependencies.len(), 1, "{:#?}", a.dependencies);
    let minimist = find(&a, "minimist", "1.2.5");
    assert!(minimist.direct);
    // Runtime for the member, even though the root only needs it for development.
    assert_eq!(minimist.scope, Scope::Runtime);
    assert_eq!(minimist.requirement.as_deref(), Some("1.2.5"));
    assert_eq!(
        minimist.declared_in.as_ref().unwrap().to_string(),
        "packages/a/package.json:4"
    );
}

#[test]
fn a_yarn_lock_over_the_size_limit_is_reported_not_skipped() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("package.json"), CLASSIC_MANIFEST).unwrap();
    std::fs::write(dir.path().join("yarn.lock"), CLASSIC_LOCK).unwrap();
    let options = crate::ScanOptions::default().max_file_bytes(512);
    let snapshot = Snapshot::from_dir_with(dir.path(), &options).unwrap();
    let a = analyze(&snapshot);
    assert!(
        a.problems
            .iter()
            .any(|p| matches!(p, crate::Error::FileTooLarge { file, .. } if file == "yarn.lock")),
        "{:?}",
        a.problems
    );
}
