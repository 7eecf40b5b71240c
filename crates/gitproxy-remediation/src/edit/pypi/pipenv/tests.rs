//! Tests for the Pipenv edits: the Pipfile hash in both of pipenv's flavours, the markers, and
//! the locks left to `pipenv lock`.

use super::{new_markers, pipfile_hash};
use crate::edit::tests::{db, edits};
use crate::files::Snapshot;
use crate::registry::{PypiDist, PypiRelease, StaticRegistry};
use crate::Ecosystem;

const PIPFILE: &str = r#"[packages]
Django = {version = ">=3.2, <4", extras = ["bcrypt"]}
"zope.interface" = "*"

[dev-packages]
pytest = "==7.0.0"

[docs]
Sphinx = "*"

[requires]
python_version = "3.10"

[scripts]
test = "pytest"
"#;

#[test]
fn pipfile_hash_matches_pipenv_and_plette() {
    // pipenv 2026.10.3 (`Project().pipfile.calculate_hash()`, PEP 503 names) and its vendored
    // plette (`Pipfile.get_hash()`, names as written) for this Pipfile, which names no source.
    assert_eq!(
        pipfile_hash(PIPFILE, true).unwrap(),
        "b2c4b48e7bedcee6ac137ba21b80cefbeb9401c023d6e74e03ae5cd6bceb6790"
    );
    assert_eq!(
        pipfile_hash(PIPFILE, false).unwrap(),
        "405125d8efe4a49dd04e94d43f51fb71c853654c20cd9c54e47cf886b2ea6134"
    );
    assert!(pipfile_hash("[packages\n", true).is_err());
}

#[test]
fn markers_follow_requires_python_unless_they_say_more() {
    assert_eq!(
        new_markers(Some("python_version >= '3.6'"), Some(">=2.7, !=3.0.*, <4")).as_deref(),
        Some("python_version >= '2.7' and python_version != '3.0' and python_version < '4'")
    );
    assert_eq!(
        new_markers(None, Some(">=3.6.1")).as_deref(),
        Some("python_full_version >= '3.6.1'")
    );
    assert_eq!(
        new_markers(Some("sys_platform == 'win32'"), Some(">=3.8")).as_deref(),
        Some("sys_platform == 'win32'")
    );
    assert_eq!(new_markers(Some("python_version >= '3.6'"), None), None);
}

const LOCK: &str = r#"{
    "_meta": {
        "hash": {
            "sha256": "00"
        },
        "pipfile-spec": 6,
        "requires": {
            "python_version": "3.11"
        },
        "sources": []
    },
    "default": {
        "a": {
            "hashes": [
                "sha256:aa"
            ],
            "version": "==1.0"
        },
        "b": {
            "hashes": [
                "sha256:bb"
            ],
            "index": "pypi",
            "version": "==1.0"
        }
    },
    "develop": {}
}
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
        size: Some(1),
        upload_time: None,
    }
}

/// `a` 1.0 -> 2.0 under `b` 1.0, whose requirement on `a` is `b_requires`.
fn registry(b_requires: &str, a2_requires: &[&str]) -> StaticRegistry {
    StaticRegistry::new()
        .publish(
            Ecosystem::PyPI,
            "a",
            "2.0",
            &[(Some("a-2.0.tar.gz"), "sha256:cc")],
        )
        .pypi_release("a", "1.0", release(&[], None))
        .pypi_release("a", "2.0", release(a2_requires, Some(">=3.8")))
        .pypi_release("b", "1.0", release(&[b_requires], None))
        .pypi_files(
            "a",
            "2.0",
            vec![
                dist("a-2.0.tar.gz", "cc"),
                dist("a-2.0-py3-none-any.whl", "0d"),
            ],
        )
}

#[tokio::test]
async fn a_transitive_entry_moves_with_every_file_hash_sorted() {
    let snapshot = Snapshot::new().with("Pipfile.lock", LOCK);
    let db = db(&[("P1", "PyPI", "a", "2.0")]);
    let (_, set) = edits(&snapshot, &db, &registry("a>=1", &[])).await;
    assert!(!set.needs_package_manager, "{:?}", set.notes);
    assert_eq!(
        set.files["Pipfile.lock"],
        LOCK.replace(
            "            \"hashes\": [\n                \"sha256:aa\"\n            ],\n            \"version\": \"==1.0\"",
            "            \"hashes\": [\n                \"sha256:0d\",\n                \"sha256:cc\"\n            ],\n            \"markers\": \"python_version >= '3.8'\",\n            \"version\": \"==2.0\""
        )
    );
}

#[tokio::test]
async fn a_dependent_that_excludes_the_fix_or_a_new_dependency_leaves_the_lock_to_pipenv() {
    let snapshot = Snapshot::new().with("Pipfile.lock", LOCK);
    let db = db(&[("P1", "PyPI", "a", "2.0")]);
    for (b_requires, a2_requires, why) in [
        ("a<2", vec![], "b 1.0 requires a <2"),
        (
            "a",
            vec!["c>=1"],
            "a 2.0 needs c, which the lock does not hold",
        ),
    ] {
        let (_, set) = edits(&snapshot, &db, &registry(b_requires, &a2_requires)).await;
        assert!(set.files.is_empty(), "{:?}", set.files);
        assert!(set.needs_package_manager);
        assert!(
            set.notes
                .iter()
                .any(|n| n.contains(why) && n.contains("run `pipenv lock`")),
            "{:?}",
            set.notes
        );
    }
}
