//! Tests for the strict YAML reader: a pnpm lockfile, the rest of the subset, what it refuses, and its nesting limit.

use super::{parse, Node, Value};

fn s<'a>(node: &'a Node, path: &[&str]) -> &'a str {
    let mut n = node;
    for p in path {
        n = n.get(p).unwrap_or_else(|| panic!("no {p}"));
    }
    n.as_str().unwrap()
}

const LOCK: &str = "lockfileVersion: '9.0'

settings:
  autoInstallPeers: true # a comment
  excludeLinksFromLockfile: false

importers:

  .:
    dependencies:
      express:
        specifier: ^4.17.1
        version: 4.17.1

packages:

  '@babel/core@7.0.0':
    resolution: {integrity: sha512-abc==, tarball: 'https://r.example/a.tgz'}
    engines: {node: '>= 0.6'}
    cpu: [x64, arm64]
    hasBin: true
    deprecated: \"it says \\\"no\\\" \\u00e9\"

snapshots:

  express@4.17.1:
    dependencies:
      accepts: 1.3.8
      body-parser: 1.19.0(supports-color@8.1.1)
";

#[test]
fn reads_a_pnpm_lockfile() {
    let root = parse(LOCK).unwrap();
    assert_eq!(s(&root, &["lockfileVersion"]), "9.0");
    assert_eq!(s(&root, &["settings", "autoInstallPeers"]), "true");
    let express = root
        .get("importers")
        .and_then(|i| i.get("."))
        .and_then(|i| i.get("dependencies"))
        .and_then(|d| d.get("express"))
        .unwrap();
    assert_eq!(s(express, &["specifier"]), "^4.17.1");
    let version = express.get("version").unwrap();
    assert_eq!(&LOCK[version.start..version.end], "4.17.1");
    let core = root.get("packages").unwrap().entries();
    assert_eq!(core[0].key, "@babel/core@7.0.0");
    assert_eq!(&LOCK[core[0].key_start..core[0].key_start + 1], "'");
    let c = &core[0].value;
    assert_eq!(s(c, &["resolution", "integrity"]), "sha512-abc==");
    assert_eq!(s(c, &["resolution", "tarball"]), "https://r.example/a.tgz");
    assert_eq!(s(c, &["engines", "node"]), ">= 0.6");
    let cpu: Vec<&str> = c
        .get("cpu")
        .unwrap()
        .items()
        .iter()
        .filter_map(Node::as_str)
        .collect();
    assert_eq!(cpu, ["x64", "arm64"]);
    assert_eq!(s(c, &["deprecated"]), "it says \"no\" é");
    assert_eq!(
        s(
            &root,
            &["snapshots", "express@4.17.1", "dependencies", "body-parser"]
        ),
        "1.19.0(supports-color@8.1.1)"
    );
}

#[test]
fn reads_sequences_block_scalars_and_documents() {
    let text = "---\nignored: 1\n---\na:\n  - x\n  - k: v\n    j: w\n  -\n    deep: 1\nb:\n- y\nc: |-\n  one\n  two\nd: >\n  folded\n  text\ne:\nf: 'it''s'\ng: [a, [b, {c: d}], \"e\"]\nh: {\n  k: v,\n  l: w\n}\n";
    let root = parse(text).unwrap();
    assert!(root.get("ignored").is_none());
    let a = root.get("a").unwrap().items();
    assert_eq!(a[0].as_str(), Some("x"));
    assert_eq!(s(&a[1], &["k"]), "v");
    assert_eq!(s(&a[1], &["j"]), "w");
    assert_eq!(s(&a[2], &["deep"]), "1");
    assert_eq!(root.get("b").unwrap().items()[0].as_str(), Some("y"));
    assert_eq!(s(&root, &["c"]), "one\ntwo");
    assert_eq!(s(&root, &["d"]), "folded text\n");
    assert!(matches!(root.get("e").unwrap().value, Value::Null));
    assert_eq!(s(&root, &["f"]), "it's");
    let g = root.get("g").unwrap().items();
    assert_eq!(g[1].items()[1].get("c").unwrap().as_str(), Some("d"));
    assert_eq!(g[2].as_str(), Some("e"));
    assert_eq!(s(&root, &["h", "l"]), "w");
}

#[test]
fn refuses_what_pnpm_never_writes() {
    for (text, reason) in [
        ("a: &x 1\nb: *x\n", "anchors"),
        ("a: *x\n", "aliases"),
        ("a: !!str 1\n", "tags"),
        ("? a\n: b\n", "explicit"),
        ("a: 1\na: 2\n", "duplicate key `a`"),
        ("a:\n\tb: 1\n", "tab"),
        ("a: b\n  c: d\n", "multi-line"),
        ("a: b: c\n", "mapping cannot start"),
        ("a:\n  b: 1\n c: 2\n", "unexpected indentation"),
        ("a: 'open\n", "unterminated"),
        ("a: {b: 1\n", "unterminated"),
        ("a: {b: 1} c\n", "after the value"),
        ("a: \"\\q\"\n", "invalid escape"),
        ("just text\n", "expected `key: value`"),
        // A quoted key closed on a later line (fuzzing found the reader slicing past the line).
        ("\"a\nb\": 1\n", "own line"),
        ("x:\n  y: 1\n  'k\n  more': v\n", "own line"),
        ("\"k\"\n", "expected `:`"),
    ] {
        let err = parse(text).unwrap_err();
        assert!(err.1.contains(reason), "{text:?}: {err:?}");
    }
}

#[test]
fn nesting_is_bounded() {
    let mut text = String::new();
    for i in 0..300 {
        text.push_str(&" ".repeat(i));
        text.push_str("a:\n");
    }
    assert!(parse(&text).unwrap_err().1.contains("nested deeper"));
    let flow = format!("a: {}{}\n", "[".repeat(300), "]".repeat(300));
    assert!(parse(&flow).unwrap_err().1.contains("nested deeper"));
    let seq = "- ".repeat(300) + "x\n";
    assert!(parse(&seq).unwrap_err().1.contains("nested deeper"));
}

#[test]
fn empty_and_comment_only_files_are_null() {
    for text in ["", "# only\n\n", "---\n"] {
        assert!(matches!(parse(text).unwrap().value, Value::Null));
    }
}
