//! Tests for the uv edits: upload times, specifiers, the project's metadata, and the locks left
//! to `uv lock`.

use super::{uv_time, with_metadata_specifier};
use crate::edit::pypi::specifier::bump_specifier;
use crate::edit::tests::{db, edits};
use crate::files::Snapshot;
use crate::registry::{PypiDist, PypiRelease, StaticRegistry};
use crate::Ecosystem;

#[test]
fn upload_times_are_cut_to_milliseconds_as_uv_writes_them() {
    assert_eq!(
        uv_time("2023-10-17T17:47:03.986854Z"),
        "2023-10-17T17:47:03.986Z"
    );
    assert_eq!(
        uv_time("2020-06-27T23:45:05.210353Z"),
        "2020-06-27T23:45:05.21Z"
    );
    assert_eq!(
        uv_time("2026-11-23T02:46:51.000123Z"),
        "2026-11-23T02:46:51Z"
    );
    assert_eq!(uv_time("2026-11-23T02:46:51Z"), "2026-11-23T02:46:51Z");
}

#[test]
fn specifiers_are_raised_to_admit_the_fix() {
    let bump = |s: &str, to: &str| bump_specifier(s, to).unwrap();
    assert_eq!(bump("==2.25.1", "2.31.0"), "==2.31.0");
    assert_eq!(bump(">=2.25, <3", "2.31.0"), ">=2.31.0,<3");
    assert_eq!(bump(">=1,<2", "2.0.1"), ">=2.0.1");
    assert_eq!(bump("~=2.25", "2.31.0"), "~=2.31.0");
    assert_eq!(bump("<2,!=1.5", "1.9"), ">=1.9,<2,!=1.5");
    assert_eq!(bump("", "1.0"), ">=1.0");
    assert_eq!(bump_specifier("==1", "not a version"), None);
}

#[test]
fn the_projects_metadata_specifier_follows_the_manifest() {
    let block = "[[package]]\nname = \"app\"\nversion = \"1\"\nsource = { virtual = \".\" }\ndependencies = [\n    { name = \"requests\" },\n]\n\n[package.metadata]\nrequires-dist = [\n    { name = \"Requests\", extras = [\"socks\"], specifier = \"==2.25.1\" },\n    { name = \"urllib3\", specifier = \"==2.25.1\" },\n]\n\n[package.metadata.requires-dev]\ndev = [{ name = \"idna\", specifier = \">=2\" }, { name = \"requests\", specifier = \">=2\" }]\n";
    let out = with_metadata_specifier(block, "requests", "==2.31.0");
    assert_eq!(
        out,
        block
            .replace(
                "extras = [\"socks\"], specifier = \"==2.25.1\"",
                "extras = [\"socks\"], specifier = \"==2.31.0\""
            )
            .replace(
                "{ name = \"requests\", specifier = \">=2\" }",
                "{ name = \"requests\", specifier = \"==2.31.0\" }"
            )
    );
}

const LOCK: &str = r#"version = 1
revision = 1
requires-python = ">=3.8"

[[package]]
name = "a"
version = "1.0"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://files.example.invalid/a-1.0.tar.gz", hash = "sha256:aa", size = 1 }

[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }
dependencies = [
    { name = "b" },
]

[package.metadata]
requires-dist = [{ name = "b", specifier = ">=1" }]

[[package]]
name = "b"
version = "1.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "a" },
]
wheels = [
    { url = "https://files.example.invalid/b-1.0-py3-none-any.whl", hash = "sha256:bb", size = 1 },
]
"#;

fn release(requires: &[&str], python: Option<&str>) -> PypiRelease {
    PypiRelease {
        requires_dist: requires.iter().map(|r| r.to_string()).collect(),
        requires_python: python.map(String::from),
        summary: String::new(),
    }
}

fn dist(file: &str, sha: &str) -> PypiDist {
    PypiDist {
        filename: file.into(),
        url: format!("https://files.example.invalid/{file}"),
        sha256: sha.into(),
        size: Some(2),
        upload_time: Some("2024-01-01T00:00:00.5Z".into()),
    }
}

fn registry(b_requires: &str, a2_requires: &[&str], a2_python: Option<&str>) -> StaticRegistry {
    StaticRegistry::new()
        .publish(
            Ecosystem::PyPI,
            "a",
            "2.0",
            &[(Some("a-2.0.tar.gz"), "sha256:cc")],
        )
        .pypi_release("a", "1.0", release(&[], None))
        .pypi_release("a", "2.0", release(a2_requires, a2_python))
        .pypi_release("b", "1.0", release(&[b_requires], None))
        .pypi_files(
            "a",
            "2.0",
            vec![
                dist("a-2.0.tar.gz", "cc"),
                dist("a-2.0-py3-none-win32.whl", "ee"),
                dist("a-2.0-py3-none-any.whl", "dd"),
            ],
        )
}

#[tokio::test]
async fn a_transitive_package_moves_with_its_sdist_and_sorted_wheels() {
    let snapshot = Snapshot::new().with("uv.lock", LOCK);
    let db = db(&[("P1", "PyPI", "a", "2.0")]);
    let (_, set) = edits(&snapshot, &db, &registry("a>=1", &[], Some(">=3.7"))).await;
    assert!(!set.needs_package_manager, "{:?}", set.notes);
    // This lock records no upload times, so none are added.
    assert_eq!(
        set.files["uv.lock"],
        LOCK.replace(
            "version = \"1.0\"\nsource = { registry = \"https://pypi.org/simple\" }\nsdist = { url = \"https://files.example.invalid/a-1.0.tar.gz\", hash = \"sha256:aa\", size = 1 }\n",
            "version = \"2.0\"\nsource = { registry = \"https://pypi.org/simple\" }\nsdist = { url = \"https://files.example.invalid/a-2.0.tar.gz\", hash = \"sha256:cc\", size = 2 }\nwheels = [\n    { url = \"https://files.example.invalid/a-2.0-py3-none-any.whl\", hash = \"sha256:dd\", size = 2 },\n    { url = \"https://files.example.invalid/a-2.0-py3-none-win32.whl\", hash = \"sha256:ee\", size = 2 },\n]\n"
        )
    );
}

#[tokio::test]
async fn what_uv_would_resolve_differently_is_left_to_uv_lock() {
    let snapshot = Snapshot::new().with("uv.lock", LOCK);
    let db = db(&[("P1", "PyPI", "a", "2.0")]);
    for (b_requires, a2_requires, python, why) in [
        ("a<2", vec![], None, "b 1.0 requires a <2"),
        (
            "a",
            vec!["c"],
            None,
            "no published version of c satisfies *",
        ),
        (
            "a",
            vec!["b; python_version < '3.9'"],
            None,
            "a's requirement `b` carries a marker or extras uv resolves itself",
        ),
        (
            "a",
            vec![],
            Some(">=3.10"),
            "a 2.0 requires Python >=3.10, narrower than the lock's 3.8",
        ),
    ] {
        let (plan, set) = edits(&snapshot, &db, &registry(b_requires, &a2_requires, python)).await;
        assert!(set.files.is_empty(), "{why}: {:?}", set.files);
        assert!(set.needs_package_manager);
        assert!(plan.fixes[0].lockfile.command().is_none());
        assert!(
            set.notes
                .iter()
                .any(|n| n.contains(why) && n.contains("run `uv lock --upgrade-package a==2.0`")),
            "{:?}",
            set.notes
        );
    }
}

#[tokio::test]
async fn a_dependency_the_new_release_adds_joins_the_lock_at_its_highest_version() {
    let snapshot = Snapshot::new().with("uv.lock", LOCK);
    let db = db(&[("P1", "PyPI", "a", "2.0")]);
    let c = |v: &str| PypiDist {
        filename: format!("c-{v}-py3-none-any.whl"),
        url: format!("https://files.example.invalid/c-{v}-py3-none-any.whl"),
        sha256: "ff".into(),
        size: None,
        upload_time: None,
    };
    let reg = registry("a", &["c>=1,<2"], None)
        .publish(Ecosystem::PyPI, "c", "1.5", &[(Some("c.whl"), "sha256:ff")])
        .publish(Ecosystem::PyPI, "c", "2.0", &[(Some("c.whl"), "sha256:ff")])
        .pypi_release("c", "1.5", release(&[], Some(">=3.8")))
        .pypi_files("c", "1.5", vec![c("1.5")]);
    let (_, set) = edits(&snapshot, &db, &reg).await;
    assert!(!set.needs_package_manager, "{:?}", set.notes);
    let lock = &set.files["uv.lock"];
    assert!(
        lock.contains("name = \"a\"\nversion = \"2.0\"\nsource = { registry = \"https://pypi.org/simple\" }\ndependencies = [\n    { name = \"c\" },\n]\nsdist = "),
        "{lock}"
    );
    assert!(
        lock.contains("]\n\n[[package]]\nname = \"c\"\nversion = \"1.5\"\nsource = { registry = \"https://pypi.org/simple\" }\nwheels = [\n    { url = \"https://files.example.invalid/c-1.5-py3-none-any.whl\", hash = \"sha256:ff\" },\n]\n"),
        "{lock}"
    );
    assert!(
        set.notes
            .iter()
            .any(|n| n == "uv.lock also adds c 1.5 for the dependencies of a 2.0"),
        "{:?}",
        set.notes
    );
}
