//! Tests for the Maven dependency tree: scope mediation, exclusions and nearest-wins.

use std::collections::HashSet;

use super::resolve::{mediate, tree};
use super::{read_pom, Cache};
use crate::files::Snapshot;

#[test]
fn scopes_combine_as_maven_tables_them() {
    assert_eq!(mediate("compile", "compile").as_deref(), Some("compile"));
    assert_eq!(mediate("compile", "runtime").as_deref(), Some("runtime"));
    assert_eq!(mediate("runtime", "compile").as_deref(), Some("runtime"));
    assert_eq!(mediate("test", "compile").as_deref(), Some("test"));
    assert_eq!(mediate("test", "runtime").as_deref(), Some("test"));
    assert_eq!(mediate("provided", "compile").as_deref(), Some("provided"));
    for dep in ["test", "provided", "system"] {
        assert_eq!(mediate("compile", dep), None, "{dep} is not transitive");
    }
}

fn pom(name: &str, deps: &[(&str, &str, &str)]) -> String {
    let deps: String = deps
        .iter()
        .map(|(n, v, extra)| format!("<dependency><groupId>g</groupId><artifactId>{n}</artifactId><version>{v}</version>{extra}</dependency>"))
        .collect();
    format!("<project><groupId>g</groupId><artifactId>{name}</artifactId><version>1</version><dependencies>{deps}</dependencies></project>")
}

/// The nearest version wins and a wildcard exclusion cuts a subtree; a POM that was never
/// fetched leaves its part of the tree missing; a cycle ends.
#[test]
fn the_tree_is_walked_breadth_first_with_exclusions_and_cycles() {
    let app = pom(
        "app",
        &[
            ("a", "1", ""),
            ("b", "1", "<exclusions><exclusion><groupId>*</groupId><artifactId>x</artifactId></exclusion></exclusions>"),
            ("gone", "1", ""),
        ],
    );
    let mut snap = Snapshot::new().with("pom.xml", app);
    snap.insert_external("g:a:1", pom("a", &[("c", "2", ""), ("a", "1", "")]));
    snap.insert_external("g:b:1", pom("b", &[("d", "1", ""), ("x", "1", "")]));
    snap.insert_external("g:c:2", pom("c", &[("app", "1", "")]));
    snap.insert_external("g:d:1", pom("d", &[("c", "1", ""), ("e", "1", "")]));
    snap.insert_external("g:e:1", pom("e", &[]));
    let root = read_pom(&snap, "pom.xml", 0).unwrap();
    let out = tree(&snap, &root, &HashSet::new(), &Cache::default());
    let nodes: Vec<(String, String, String)> = out
        .nodes
        .iter()
        .map(|n| (n.name.clone(), n.version.clone(), n.parent.clone()))
        .collect();
    let node = |n: &str, v: &str, p: &str| (n.to_owned(), v.to_owned(), p.to_owned());
    assert_eq!(
        nodes,
        [
            node("g:c", "2", "g:a@1"),
            node("g:d", "1", "g:b@1"),
            node("g:e", "1", "g:d@1"),
        ],
        "c 2 (depth 2) beats c 1 (depth 3); x is excluded below b; app itself is not brought back"
    );
    assert_eq!(out.missing.iter().collect::<Vec<_>>(), ["g:gone:1"]);
}

/// A range in the tree takes the highest published version inside it once the versions are
/// fetched (no snapshots); before, the module is asked for and its version is unknown.
#[test]
fn a_range_in_the_tree_takes_the_highest_published_version_inside_it() {
    let app = pom("app", &[("a", "1", "")]);
    let mut snap = Snapshot::new().with("pom.xml", app);
    snap.insert_external("g:a:1", pom("a", &[("r", "[1.0,2.0)", "")]));
    let root = read_pom(&snap, "pom.xml", 0).unwrap();
    let before = tree(&snap, &root, &HashSet::new(), &Cache::default());
    assert!(before.nodes.is_empty());
    assert_eq!(before.ranges.iter().collect::<Vec<_>>(), ["g:r"]);
    assert_eq!(
        before.unknown_versions.iter().collect::<Vec<_>>(),
        ["g:r `[1.0,2.0)`"]
    );
    snap.insert_external(
        super::resolve::versions_key("g:r"),
        "0.9\n1.0\n1.5\n1.9-SNAPSHOT\n2.0",
    );
    let after = tree(&snap, &root, &HashSet::new(), &Cache::default());
    assert_eq!(after.nodes[0].version, "1.5");
    assert!(after.ranges.is_empty() && after.unknown_versions.is_empty());
}

/// A range the repository's own POM writes is matched at the version Maven takes for it once
/// the module's published versions are fetched, and its tree is walked; before that it is an
/// `unresolved` problem, never clean.
#[test]
fn a_range_the_repository_writes_is_matched_at_the_version_maven_takes() {
    let mut snap = Snapshot::new().with("pom.xml", pom("app", &[("r", "[1.0,2.0)", "")]));
    let root = read_pom(&snap, "pom.xml", 0).unwrap();
    let before = tree(&snap, &root, &HashSet::new(), &Cache::default());
    assert_eq!(before.ranges.iter().collect::<Vec<_>>(), ["g:r"]);
    let a = crate::analysis::analyze(&snap);
    let r = a.dependencies.iter().find(|d| d.name == "g:r").unwrap();
    assert_eq!(
        (r.version.as_deref(), r.requirement.as_deref()),
        (None, Some("[1.0,2.0)"))
    );
    assert!(
        a.problems
            .iter()
            .any(|p| p.to_string().contains("g:r `[1.0,2.0)`")),
        "{:?}",
        a.problems
    );
    snap.insert_external(
        super::resolve::versions_key("g:r"),
        "0.9\n1.0\n1.5\n1.9-SNAPSHOT\n2.0",
    );
    snap.insert_external("g:r:1.5", pom("r", &[("leaf", "3", "")]));
    let a = crate::analysis::analyze(&snap);
    assert!(a.problems.is_empty(), "{:?}", a.problems);
    let r = a.dependencies.iter().find(|d| d.name == "g:r").unwrap();
    assert_eq!((r.version.as_deref(), r.direct), (Some("1.5"), true));
    let leaf = a.dependencies.iter().find(|d| d.name == "g:leaf").unwrap();
    assert_eq!(
        (leaf.version.as_deref(), leaf.parents.as_slice()),
        (Some("3"), &["g:r@1.5".to_string()][..])
    );
}

/// A tree deeper than the walk follows is reported as read in part, never as complete.
#[test]
fn a_tree_cut_at_a_limit_says_so() {
    let mut snap = Snapshot::new().with("pom.xml", pom("app", &[("d0", "1", "")]));
    for i in 0..40 {
        let next = format!("d{}", i + 1);
        snap.insert_external(
            format!("g:d{i}:1"),
            pom(&format!("d{i}"), &[(&next, "1", "")]),
        );
    }
    let root = read_pom(&snap, "pom.xml", 0).unwrap();
    let out = tree(&snap, &root, &HashSet::new(), &Cache::default());
    assert_eq!(out.cut.as_deref(), Some("deeper than 32 levels"));
    let a = crate::analysis::analyze(&snap);
    assert!(
        a.problems.iter().any(|p| p
            .to_string()
            .contains("its dependency tree was read only in part: deeper than 32 levels")),
        "{:?}",
        a.problems
    );
}
