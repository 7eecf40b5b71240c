//! Tests of the bun.lock reader: resolution up the slots, direct and dev, parents and their
//! ranges, and the problems a file Bun did not write gets.

use super::*;
use crate::analysis::analyze;

const MANIFEST: &str = r#"{
  "name": "web",
  "dependencies": {
    "express": "4.17.1",
    "@scope/tool": "^1.0.0"
  },
  "devDependencies": {
    "mocha": "^8.0.0"
  }
}
"#;

/// A lockfile in the layout Bun 1.4 writes: `send` keeps its own `ms`, a scoped package keeps
/// its own `ms` too, mocha's tree is development-only, a git entry is not a registry package.
const LOCK: &str = r#"{
  "lockfileVersion": 2,
  "configVersion": 1,
  "workspaces": {
    "": {
      "name": "web",
      "dependencies": {
        "@scope/tool": "^1.0.0",
        "express": "4.17.1",
      },
      "devDependencies": {
        "mocha": "^8.0.0",
      },
    },
  },
  "packages": {
    "@scope/tool": ["@scope/tool@1.2.0", "", { "dependencies": { "ms": "2.1.3", "gitdep": "github:a/b" } }, "sha512-a"],

    "express": ["express@4.17.1", "", { "dependencies": { "send": "0.17.1", "ms": "2.0.0" } }, "sha512-b"],

    "gitdep": ["gitdep@github:a/b#abc", {}, "a-b-abc"],

    "mocha": ["mocha@8.4.0", "", { "dependencies": { "ms": "2.0.0" } }, "sha512-c"],

    "ms": ["ms@2.0.0", "", {}, "sha512-d"],

    "send": ["send@0.17.1", "", { "dependencies": { "ms": "2.1.1" } }, "sha512-e"],

    "@scope/tool/ms": ["ms@2.1.3", "", {}, "sha512-f"],

    "send/ms": ["ms@2.1.1", "", {}, "sha512-g"],
  }
}
"#;

/// Label, direct, scope, parents, constraints.
type Row = (String, bool, Scope, Vec<String>, Vec<String>);

#[test]
fn entries_resolve_as_bun_resolves_them_with_direct_dev_and_parents() {
    let snapshot = Snapshot::new()
        .with("package.json", MANIFEST)
        .with("bun.lock", LOCK);
    let analysis = analyze(&snapshot);
    assert!(analysis.problems.is_empty(), "{:?}", analysis.problems);
    assert!(
        analysis.unsupported.is_empty(),
        "{:?}",
        analysis.unsupported
    );
    let found: Vec<Row> = analysis
        .dependencies
        .iter()
        .map(|d| {
            (
                label(&d.name, d.version.as_deref().unwrap_or("")),
                d.direct,
                d.scope,
                d.parents.clone(),
                d.constraints.clone(),
            )
        })
        .collect();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(
        found,
        [
            (
                "@scope/tool@1.2.0".into(),
                true,
                Scope::Runtime,
                vec![],
                vec![]
            ),
            (
                "express@4.17.1".into(),
                true,
                Scope::Runtime,
                vec![],
                vec![]
            ),
            ("mocha@8.4.0".into(), true, Scope::Dev, vec![], vec![]),
            (
                "ms@2.0.0".into(),
                false,
                Scope::Runtime,
                s(&["express@4.17.1", "mocha@8.4.0"]),
                s(&["2.0.0"])
            ),
            (
                "send@0.17.1".into(),
                false,
                Scope::Runtime,
                s(&["express@4.17.1"]),
                s(&["0.17.1"])
            ),
            (
                "ms@2.1.3".into(),
                false,
                Scope::Runtime,
                s(&["@scope/tool@1.2.0"]),
                s(&["2.1.3"])
            ),
            (
                "ms@2.1.1".into(),
                false,
                Scope::Runtime,
                s(&["send@0.17.1"]),
                s(&["2.1.1"])
            ),
        ]
    );
    let express = analysis.find("express", "4.17.1").unwrap();
    assert_eq!(express.requirement.as_deref(), Some("4.17.1"));
    assert_eq!(express.declared_in, Some(Location::new("package.json", 4)));
    assert_eq!(express.location, Location::new("bun.lock", 19));
}

#[test]
fn keys_go_up_one_package_at_a_time_scopes_included() {
    assert_eq!(parent_key("a"), "");
    assert_eq!(parent_key("@s/a"), "");
    assert_eq!(parent_key("a/b"), "a");
    assert_eq!(parent_key("a/@s/b"), "a");
    assert_eq!(parent_key("@s/a/b"), "@s/a");
    assert_eq!(parent_key("@s/a/@t/b"), "@s/a");
    assert_eq!(split_ident("@s/a@1.0.0"), Some(("@s/a", "1.0.0")));
    assert_eq!(split_ident("a@github:x/y"), Some(("a", "github:x/y")));
    assert_eq!(split_ident("a@"), None);
}

#[test]
fn another_lockfile_version_or_a_broken_file_is_a_problem_that_says_what_to_run() {
    for (text, says) in [
        (
            "{\"lockfileVersion\": 0, \"workspaces\": {\"\": {}}}",
            "lockfileVersion 0 is not supported (1 to 3 are); run `bun install` with Bun 1.2 or later",
        ),
        ("{\"lockfileVersion\": 1,,}", "expected a string"),
        ("{\"workspaces\": {}}", "no `lockfileVersion`"),
        (
            "{\"lockfileVersion\": 1, \"workspaces\": {}}",
            "no `\"\"` workspace",
        ),
        (
            "{\"lockfileVersion\": 1, \"workspaces\": {\"\": {}}, \"packages\": {\"a\": [1]}}",
            "the entry `a` does not start with `name@version`",
        ),
    ] {
        let analysis = analyze(&Snapshot::new().with("bun.lock", text));
        assert_eq!(analysis.problems.len(), 1, "{text}");
        let message = analysis.problems[0].to_string();
        assert!(message.contains(says), "{text}: {message}");
        assert!(analysis.dependencies.is_empty());
    }
}
