//! Poetry fixes checked by Poetry itself: a legacy Poetry 1.8 project (`tests/fixtures/pypi/
//! invoice-sync`, locked by Poetry 1.8.5 against PyPI) is fixed with real PyPI JSON served by
//! the loopback stand-in, and every fix branch must pass `poetry check --lock` (the content-hash
//! matches pyproject.toml) and `poetry install --dry-run` in an empty in-project venv (Poetry
//! re-solves the project from the lock alone: every constraint of the project and of every locked
//! package's dependencies is met by a locked package).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use gitproxy_remediation::analysis::analyze;
use gitproxy_remediation::edit::apply_fix;
use gitproxy_remediation::files::Snapshot;
use gitproxy_remediation::plan::{plan, PlanOptions};
use gitproxy_remediation::registry::{CachedRegistry, HttpRegistry};
use hyper_util::client::legacy::connect::HttpConnector;

use crate::registry::StandIn;

/// Poetry from PyPI, installed by `cargo xtask test` under `target/tools/poetry-venv`.
fn poetry() -> PathBuf {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/tools/poetry-venv/bin/poetry");
    assert!(
        path.exists(),
        "{} is missing: run `cargo xtask test`, which installs Poetry from PyPI",
        path.display()
    );
    path
}

fn fixture_dir() -> PathBuf {
    crate::fixtures().join("pypi")
}

/// `/pypi-api/pypi/NAME/json` and `/pypi-api/pypi/NAME/VERSION/json` from the captured JSON.
pub(crate) fn pypi_routes() -> BTreeMap<String, Vec<u8>> {
    let mut routes = BTreeMap::new();
    for entry in std::fs::read_dir(fixture_dir()).unwrap() {
        let path = entry.unwrap().path();
        let Some(stem) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".json"))
        else {
            continue;
        };
        let body = std::fs::read(&path).unwrap();
        // `charset-normalizer-3.5.3`: the version starts after the last `-`, if it is one.
        let route = match stem.rsplit_once('-') {
            Some((name, version)) if version.starts_with(|c: char| c.is_ascii_digit()) => {
                format!("/pypi-api/pypi/{name}/{version}/json")
            }
            _ => format!("/pypi-api/pypi/{stem}/json"),
        };
        routes.insert(route, body);
    }
    routes
}

fn project() -> Snapshot {
    let dir = fixture_dir().join("invoice-sync");
    Snapshot::new()
        .with(
            "pyproject.toml",
            std::fs::read_to_string(dir.join("pyproject.toml")).unwrap(),
        )
        .with(
            "poetry.lock",
            std::fs::read_to_string(dir.join("poetry.lock")).unwrap(),
        )
}

/// Runs Poetry in `dir` offline-safe (cache and venv under `dir`); returns status and output.
fn run_poetry(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(poetry())
        .args(args)
        .arg("--no-interaction")
        .current_dir(dir)
        .env("POETRY_VIRTUALENVS_IN_PROJECT", "true")
        .env("POETRY_VIRTUALENVS_CREATE", "true")
        .env("POETRY_CACHE_DIR", dir.join(".poetry-cache"))
        .env("POETRY_CONFIG_DIR", dir.join(".poetry-config"))
        .env_remove("VIRTUAL_ENV")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn ids(db: &gitproxy_remediation::advisories::AdvisoryDb, snapshot: &Snapshot) -> Vec<String> {
    let analysis = analyze(snapshot);
    let mut ids: Vec<String> = db
        .scan(&analysis)
        .iter()
        .map(|f| format!("{} {}", analysis.dependencies[f.dependency].name, f.id))
        .collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread")]
async fn poetry_fix_branches_pass_poetry_check_and_a_solve_from_the_lock() {
    check_fix_branches(project(), true).await;
}

/// The same project with the lock in the layout of Poetry before 1.2 (lock-version 1.1:
/// `category` lines, hashes in `[metadata.files]`), which Poetry 1.8.5 still reads.
#[tokio::test(flavor = "multi_thread")]
async fn poetry_fix_branches_of_a_lock_version_1_1_pass_poetry_check() {
    let modern = project();
    let lock = as_lock_version_1_1(&modern.text("poetry.lock").unwrap());
    let snapshot = modern.with("poetry.lock", lock.as_str());
    let (ok, out) = {
        let dir = tempfile::tempdir().unwrap();
        for path in ["pyproject.toml", "poetry.lock"] {
            std::fs::write(
                dir.path().join(path),
                snapshot.text(path).unwrap().as_bytes(),
            )
            .unwrap();
        }
        run_poetry(dir.path(), &["install", "--dry-run", "--no-root"])
    };
    assert!(ok, "the converted fixture must be a valid lock:\n{out}");
    check_fix_branches(snapshot, false).await;
}

/// Moves every entry's `files` into `[metadata.files]`, adds `category = "main"` and sets
/// lock-version 1.1, as Poetry 1.1 wrote locks.
fn as_lock_version_1_1(lock: &str) -> String {
    let mut out = String::new();
    let mut files = String::new();
    let mut name = String::new();
    let mut in_files = false;
    for line in lock.split_inclusive('\n') {
        if let Some(n) = line.strip_prefix("name = ") {
            name = n.trim().to_string();
        }
        if line.starts_with("files = [") {
            in_files = true;
            files.push_str(&line.replacen("files", &name.replace('"', ""), 1));
            continue;
        }
        if in_files {
            files.push_str(line);
            in_files = line.trim_end() != "]";
            continue;
        }
        if line.starts_with("optional = ") {
            out.push_str("category = \"main\"\n");
        }
        out.push_str(&line.replace("lock-version = \"2.0\"", "lock-version = \"1.1\""));
    }
    format!("{out}\n[metadata.files]\n{files}")
}

async fn check_fix_branches(snapshot: Snapshot, modern: bool) {
    let db = crate::load("PyPI");
    let stand_in = StandIn::start(pypi_routes()).await;
    let registry = CachedRegistry::new(HttpRegistry::new(HttpConnector::new(), stand_in.urls()));
    let analysis = analyze(&snapshot);
    assert!(analysis.problems.is_empty(), "{:?}", analysis.problems);
    let findings = db.scan(&analysis);
    let plan = plan(
        &analysis,
        &findings,
        &db,
        &registry,
        &PlanOptions::recommended(),
    )
    .await
    .unwrap();
    let before = ids(&db, &snapshot);
    let moves: BTreeMap<String, String> = plan
        .fixes
        .iter()
        .map(|f| (f.name.clone(), f.to.clone()))
        .collect();
    assert_eq!(moves.get("requests").map(String::as_str), Some("2.31.0"));
    assert_eq!(moves.get("certifi").map(String::as_str), Some("2023.7.22"));
    assert_eq!(moves.get("urllib3").map(String::as_str), Some("1.26.18"));

    let mut checked = 0;
    for fix in &plan.fixes {
        let set = apply_fix(fix, &analysis, &snapshot, &registry)
            .await
            .unwrap();
        let mut fixed = snapshot.clone();
        for (path, text) in &set.files {
            fixed.insert(path, text.clone().into_bytes());
        }
        let dir = tempfile::tempdir().unwrap();
        for path in ["pyproject.toml", "poetry.lock"] {
            std::fs::write(dir.path().join(path), fixed.text(path).unwrap().as_bytes()).unwrap();
        }
        let label = format!("{} -> {}", fix.name, fix.to);
        if fix.name == "idna" {
            // requests 2.25.1 pins idna below 3: requests climbs to 2.26.0, the first release
            // accepting idna 3.7, and the project's exact pin on requests moves with it.
            assert!(
                set.notes.iter().any(|n| n.contains(
                    "also moves requests 2.25.1 -> 2.26.0 so that every requirement holds with idna 3.7"
                )),
                "{label}: {:?}",
                set.notes
            );
            assert_eq!(
                fixed.text("pyproject.toml").unwrap(),
                snapshot
                    .text("pyproject.toml")
                    .unwrap()
                    .replace("requests = \"2.25.1\"", "requests = \"2.26.0\"")
            );
            let lock = fixed.text("poetry.lock").unwrap();
            assert!(
                lock.contains("name = \"idna\"\nversion = \"3.7\""),
                "{lock}"
            );
            assert!(
                lock.contains("name = \"requests\"\nversion = \"2.26.0\""),
                "{lock}"
            );
            assert!(
                lock.contains("name = \"charset-normalizer\"\nversion = \"2.0.12\""),
                "{lock}"
            );
        }
        assert!(
            set.files.contains_key("poetry.lock"),
            "{label}: {:?}",
            set.notes
        );
        assert!(!set.needs_package_manager, "{label}: {:?}", set.notes);
        let (ok, out) = run_poetry(dir.path(), &["check", "--lock"]);
        assert!(ok, "{label}: poetry check --lock failed:\n{out}");
        let (ok, out) = run_poetry(dir.path(), &["install", "--dry-run", "--no-root"]);
        assert!(
            ok && !out.contains("version solving failed"),
            "{label}: poetry install --dry-run failed:\n{out}"
        );
        // The fixed package has no advisory left and no advisory was introduced.
        let after = ids(&db, &fixed);
        assert!(
            !after
                .iter()
                .any(|i| i.starts_with(&format!("{} ", fix.name))),
            "{label}: {after:?}"
        );
        for id in &after {
            assert!(before.contains(id), "{label} introduced {id}");
        }
        checked += 1;
        if fix.name == "requests" && !modern {
            let lock = fixed.text("poetry.lock").unwrap();
            assert!(lock.contains("name = \"charset-normalizer\"\nversion = \"3.5.3\"\ndescription = \"The Real First Universal Charset Detector. Open, modern and actively maintained alternative to Chardet.\"\ncategory = \"main\"\n"));
            assert!(
                lock.contains("\ncharset-normalizer = [\n    {file = \"charset_normalizer-3.5.3")
            );
            assert!(!lock.contains("chardet = ["), "{lock}");
        }
        if fix.name == "requests" && modern {
            let lock = fixed.text("poetry.lock").unwrap();
            // Byte for byte what Poetry 1.8.5 wrote for the same pyproject.toml change
            // (`poetry lock --no-update` against pypi.org).
            let by_poetry = std::fs::read_to_string(
                fixture_dir().join("invoice-sync/poetry.lock.requests-2.31.0"),
            )
            .unwrap();
            assert_eq!(lock, by_poetry);
            // The new version's dependencies: charset-normalizer replaces chardet.
            assert!(lock.contains("name = \"charset-normalizer\"\nversion = \"3.5.3\""));
            assert!(!lock.contains("name = \"chardet\""));
            assert!(lock.contains("charset-normalizer = \">=2,<4\"\nidna = \">=2.5,<4\""));
            // Poetry 1.8.5 wrote the same content-hash for this pyproject.toml.
            assert!(lock.contains(
                "content-hash = \"261af185f105e06a45943d615eab98c8d2d9d7899f7e5d6a069977d6958b23e2\""
            ));
        }
    }
    assert_eq!(checked, 4, "{:?}", moves);
}

#[tokio::test]
async fn requires_dist_missing_from_the_json_comes_from_the_wheel_metadata() {
    use gitproxy_remediation::registry::Registry;
    let metadata = "Metadata-Version: 2.1\nName: a\nVersion: 1.0\nRequires-Dist: idna (<4,>=2.5)\nRequires-Dist: PySocks ; extra == 'socks'\n\nRequires-Dist: in the description\n";
    let json = |name: &str, files: &str| {
        format!(
            r#"{{"info":{{"name":"{name}","version":"1.0","summary":"S","requires_dist":null,"requires_python":">=3.8"}},"urls":[{files}]}}"#
        )
        .into_bytes()
    };
    let mut routes = BTreeMap::new();
    routes.insert(
        "/pypi-api/pypi/a/1.0/json".to_string(),
        json(
            "a",
            r#"{"filename":"a-1.0.tar.gz","url":"/files/a-1.0.tar.gz"},{"filename":"a-1.0-py3-none-any.whl","url":"/files/a-1.0-py3-none-any.whl","core-metadata":false}"#,
        ),
    );
    routes.insert(
        "/files/a-1.0-py3-none-any.whl".to_string(),
        crate::registry::stored_zip(&[
            ("a/__init__.py", b""),
            ("a-1.0.dist-info/METADATA", metadata.as_bytes()),
        ]),
    );
    // PEP 658: the METADATA file next to the wheel; the wheel itself is not served.
    routes.insert(
        "/pypi-api/pypi/b/1.0/json".to_string(),
        json(
            "b",
            r#"{"filename":"b-1.0-py3-none-any.whl","url":"/files/b-1.0-py3-none-any.whl","core-metadata":{"sha256":"00"}}"#,
        ),
    );
    routes.insert(
        "/files/b-1.0-py3-none-any.whl.metadata".to_string(),
        metadata.as_bytes().to_vec(),
    );
    routes.insert(
        "/pypi-api/pypi/c/1.0/json".to_string(),
        json(
            "c",
            r#"{"filename":"c-1.0.tar.gz","url":"/files/c-1.0.tar.gz"}"#,
        ),
    );
    // A mirror (or pypi.org from some networks) without the per-release JSON: the project
    // JSON's `releases` lists the files, the wheel's METADATA gives dependencies and summary.
    routes.insert(
        "/pypi-api/pypi/d/json".to_string(),
        br#"{"info":{"name":"d","version":"2.0","summary":"latest"},"releases":{"1.0":[{"filename":"d-1.0-py3-none-any.whl","url":"/files/d-1.0-py3-none-any.whl","requires_python":">=3.8","core-metadata":false,"digests":{"sha256":"00"}}]}}"#.to_vec(),
    );
    routes.insert(
        "/files/d-1.0-py3-none-any.whl".to_string(),
        crate::registry::stored_zip(&[(
            "d-1.0.dist-info/METADATA",
            metadata
                .replace("Version: 1.0\n", "Version: 1.0\nSummary: S\n")
                .as_bytes(),
        )]),
    );
    let stand_in = StandIn::start(routes).await;
    let registry = HttpRegistry::new(HttpConnector::new(), stand_in.urls());
    let expected = ["idna (<4,>=2.5)", "PySocks ; extra == 'socks'"];
    let from_project = registry.pypi_release("d", "1.0").await.unwrap().unwrap();
    assert_eq!(from_project.requires_dist, expected);
    assert_eq!(from_project.requires_python.as_deref(), Some(">=3.8"));
    assert_eq!(
        from_project.summary, "S",
        "the release's own summary, not the latest's"
    );
    assert_eq!(registry.pypi_release("d", "3.0").await.unwrap(), None);
    for name in ["a", "b"] {
        let release = registry.pypi_release(name, "1.0").await.unwrap().unwrap();
        assert_eq!(release.requires_dist, expected, "{name}");
        assert_eq!(release.requires_python.as_deref(), Some(">=3.8"));
    }
    // An sdist-only release with no requires_dist: unknown, so the agent leaves the lock alone.
    assert_eq!(registry.pypi_release("c", "1.0").await.unwrap(), None);
}
