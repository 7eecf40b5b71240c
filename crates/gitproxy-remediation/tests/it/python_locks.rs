//! Pipenv, uv and PDM fixes checked against what the real tools write and accept, offline: the
//! fixture projects (`tests/fixtures/pypi/pipenv-sync`, `uv-sync`, `pdm-sync`, locked by pipenv
//! 2026.10.3, uv 0.13.9 and PDM 2.29.4 against pypi.org) are fixed with real PyPI JSON served by
//! the loopback stand-in. Every fix branch must pass `pipenv verify` (the Pipfile hash), `uv lock
//! --locked --offline` (the lock is what uv would write for the project) or `pdm lock --check`
//! (the lock's content hash is the project's), match byte for byte the lock the tool itself
//! wrote for the same move where the agent updates the lock, and leave the fixed package without
//! an advisory on a re-scan.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use gitproxy_remediation::analysis::analyze;
use gitproxy_remediation::edit::{apply_fix, EditSet};
use gitproxy_remediation::files::Snapshot;
use gitproxy_remediation::plan::{plan, Plan, PlanOptions};
use gitproxy_remediation::registry::{CachedRegistry, HttpRegistry, Registry, StaticRegistry};
use hyper_util::client::legacy::connect::HttpConnector;

use crate::registry::StandIn;

/// A tool from PyPI, installed by `cargo xtask test` under `target/tools/<venv>/bin`.
fn tool(venv: &str, name: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/tools")
        .join(venv)
        .join("bin")
        .join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo xtask test`, which installs it from PyPI",
        path.display()
    );
    path
}

fn fixture(dir: &str, file: &str) -> String {
    std::fs::read_to_string(crate::fixtures().join("pypi").join(dir).join(file)).unwrap()
}

/// Runs `program args` in `dir` with a private home and cache; returns status and output.
fn run(program: &Path, args: &[&str], dir: &Path) -> (bool, String) {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir.join(".home"))
        .env("UV_CACHE_DIR", dir.join(".uv-cache"))
        .env("UV_NO_CONFIG", "1")
        .env("PIPENV_YES", "1")
        .env("PIPENV_NOSPIN", "1")
        // PDM: no update check, no saved interpreter, and an index nobody answers on.
        .env("PDM_CHECK_UPDATE", "false")
        .env("PDM_IGNORE_SAVED_PYTHON", "1")
        .env("PDM_PYPI_URL", "http://127.0.0.1:9/simple")
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

async fn plan_for(snapshot: &Snapshot, registry: &dyn Registry) -> Plan {
    let db = crate::load("PyPI");
    let analysis = analyze(snapshot);
    assert!(analysis.problems.is_empty(), "{:?}", analysis.problems);
    let findings = db.scan(&analysis);
    plan(
        &analysis,
        &findings,
        &db,
        registry,
        &PlanOptions::recommended(),
    )
    .await
    .unwrap()
}

/// The snapshot with the edit set applied, written to a temporary directory.
fn checkout(snapshot: &Snapshot, set: &EditSet, files: &[&str]) -> (Snapshot, tempfile::TempDir) {
    let mut fixed = snapshot.clone();
    for (path, text) in &set.files {
        fixed.insert(path, text.clone().into_bytes());
    }
    let dir = tempfile::tempdir().unwrap();
    for path in files {
        std::fs::write(dir.path().join(path), fixed.text(path).unwrap().as_bytes()).unwrap();
    }
    (fixed, dir)
}

fn pipenv_project() -> Snapshot {
    Snapshot::new()
        .with("Pipfile", fixture("pipenv-sync", "Pipfile"))
        .with("Pipfile.lock", fixture("pipenv-sync", "Pipfile.lock"))
}

fn pdm_project() -> Snapshot {
    Snapshot::new()
        .with("pyproject.toml", fixture("pdm-sync", "pyproject.toml"))
        .with("pdm.lock", fixture("pdm-sync", "pdm.lock"))
}

fn uv_project() -> Snapshot {
    Snapshot::new()
        .with("pyproject.toml", fixture("uv-sync", "pyproject.toml"))
        .with("uv.lock", fixture("uv-sync", "uv.lock"))
}

#[tokio::test(flavor = "multi_thread")]
async fn pipenv_fix_branches_pass_pipenv_verify_and_match_pipenv() {
    let pipenv = tool("pipenv-venv", "pipenv");
    let db = crate::load("PyPI");
    let stand_in = StandIn::start(crate::poetry::pypi_routes()).await;
    let registry = CachedRegistry::new(HttpRegistry::new(HttpConnector::new(), stand_in.urls()));
    let snapshot = pipenv_project();
    let analysis = analyze(&snapshot);
    let plan = plan_for(&snapshot, &registry).await;
    let before = ids(&db, &snapshot);
    let moves: BTreeMap<&str, &str> = plan
        .fixes
        .iter()
        .map(|f| (f.name.as_str(), f.to.as_str()))
        .collect();
    assert_eq!(moves.get("urllib3"), Some(&"1.26.18"), "{moves:?}");
    assert_eq!(moves.get("certifi"), Some(&"2023.7.22"), "{moves:?}");
    assert_eq!(moves.get("requests"), Some(&"2.31.0"), "{moves:?}");
    let mut checked = 0;
    for fix in &plan.fixes {
        let label = format!("{} -> {}", fix.name, fix.to);
        let set = apply_fix(fix, &analysis, &snapshot, &registry)
            .await
            .unwrap();
        let (fixed, dir) = checkout(&snapshot, &set, &["Pipfile", "Pipfile.lock"]);
        let (ok, out) = run(&pipenv, &["verify"], dir.path());
        // A lock the agent moved is current; one left to `pipenv lock` after a Pipfile change
        // must say so, never pass as current.
        let manifest_changed = set.files.contains_key("Pipfile");
        assert_eq!(
            ok,
            !(manifest_changed && set.needs_package_manager),
            "{label}: pipenv verify:\n{out}\n{:?}",
            set.notes
        );
        let expected = match fix.name.as_str() {
            "urllib3" | "certifi" => Some(format!("Pipfile.lock.{}-{}", fix.name, fix.to)),
            _ => None,
        };
        if let Some(file) = expected {
            // The agent moved the lock entry: hashes and markers as pipenv wrote them.
            assert!(!set.needs_package_manager, "{label}: {:?}", set.notes);
            assert_eq!(
                fixed.text("Pipfile.lock").unwrap(),
                fixture("pipenv-sync", &file),
                "{label}"
            );
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
        }
        if fix.name == "requests" {
            // requests 2.31.0 needs charset-normalizer instead of chardet: the Pipfile moves,
            // its hash in the lock stays consistent, and pipenv relocks.
            assert_eq!(
                fixed.text("Pipfile").unwrap(),
                snapshot
                    .text("Pipfile")
                    .unwrap()
                    .replace("requests = \"==2.25.1\"", "requests = \"==2.31.0\"")
            );
            assert!(set.needs_package_manager);
            assert!(out.contains("out-of-date"), "{label}: {out}");
            assert!(
                set.notes.iter().any(|n| n.contains("run `pipenv lock`")),
                "{label}: {:?}",
                set.notes
            );
        }
        checked += 1;
    }
    assert!(checked >= 3);
}

/// A Pipfile that pins the vulnerable package itself: the pin moves, the lock entry moves with
/// it, and `_meta.hash.sha256` is what pipenv computes for the new Pipfile.
#[tokio::test(flavor = "multi_thread")]
async fn a_pipfile_pin_moves_with_its_lock_entry_and_hash_as_pipenv_writes_them() {
    let pipenv = tool("pipenv-venv", "pipenv");
    let stand_in = StandIn::start(crate::poetry::pypi_routes()).await;
    let registry = CachedRegistry::new(HttpRegistry::new(HttpConnector::new(), stand_in.urls()));
    let snapshot = Snapshot::new()
        .with("Pipfile", fixture("pipenv-direct", "Pipfile"))
        .with("Pipfile.lock", fixture("pipenv-direct", "Pipfile.lock"));
    let analysis = analyze(&snapshot);
    let plan = plan_for(&snapshot, &registry).await;
    let fix = plan.fixes.iter().find(|f| f.name == "urllib3").unwrap();
    assert_eq!(fix.to, "1.26.18");
    let set = apply_fix(fix, &analysis, &snapshot, &registry)
        .await
        .unwrap();
    assert!(!set.needs_package_manager, "{:?}", set.notes);
    let (fixed, dir) = checkout(&snapshot, &set, &["Pipfile", "Pipfile.lock"]);
    assert_eq!(
        fixed.text("Pipfile").unwrap(),
        fixture("pipenv-direct", "Pipfile.urllib3-1.26.18")
    );
    assert_eq!(
        fixed.text("Pipfile.lock").unwrap(),
        fixture("pipenv-direct", "Pipfile.lock.urllib3-1.26.18")
    );
    let (ok, out) = run(&pipenv, &["verify"], dir.path());
    assert!(ok, "pipenv verify failed:\n{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn uv_fix_branches_pass_uv_lock_locked_and_match_uv() {
    let uv = tool("uv-venv", "uv");
    let db = crate::load("PyPI");
    let stand_in = StandIn::start(crate::poetry::pypi_routes()).await;
    let registry = CachedRegistry::new(HttpRegistry::new(HttpConnector::new(), stand_in.urls()));
    let snapshot = uv_project();
    let analysis = analyze(&snapshot);
    let plan = plan_for(&snapshot, &registry).await;
    let before = ids(&db, &snapshot);
    let moves: BTreeMap<&str, &str> = plan
        .fixes
        .iter()
        .map(|f| (f.name.as_str(), f.to.as_str()))
        .collect();
    assert_eq!(moves.get("urllib3"), Some(&"1.26.18"), "{moves:?}");
    assert_eq!(moves.get("certifi"), Some(&"2023.7.22"), "{moves:?}");
    assert_eq!(moves.get("requests"), Some(&"2.31.0"), "{moves:?}");
    for fix in &plan.fixes {
        let label = format!("{} -> {}", fix.name, fix.to);
        let set = apply_fix(fix, &analysis, &snapshot, &registry)
            .await
            .unwrap();
        let (fixed, dir) = checkout(&snapshot, &set, &["pyproject.toml", "uv.lock"]);
        let (ok, out) = run(&uv, &["lock", "--locked", "--offline"], dir.path());
        let expected = crate::fixtures()
            .join("pypi/uv-sync")
            .join(format!("uv.lock.{}-{}", fix.name, fix.to));
        if ["urllib3", "certifi", "requests"].contains(&fix.name.as_str()) {
            assert!(
                ok,
                "{label}: uv lock --locked failed:\n{out}\n{:?}",
                set.notes
            );
            assert!(!set.needs_package_manager, "{label}: {:?}", set.notes);
            // The captured JSON gives the files relative to the index (as a mirror serves
            // them); pypi.org's absolute URLs are what uv recorded.
            let files = format!("http://{}/pypi-api/packages/", stand_in.addr);
            assert_eq!(
                fixed
                    .text("uv.lock")
                    .unwrap()
                    .replace(&files, "https://files.pythonhosted.org/"),
                std::fs::read_to_string(&expected).unwrap(),
                "{label}"
            );
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
        }
        if fix.name == "requests" {
            // requests 2.31.0 needs charset-normalizer instead of chardet: the pin moves, the
            // new package joins at the version uv picked and chardet leaves.
            assert_eq!(
                fixed.text("pyproject.toml").unwrap(),
                fixture("uv-sync", "pyproject.toml")
                    .replace("requests==2.25.1", "requests==2.31.0")
            );
            assert!(
                set.notes.iter().any(|n| n.contains(
                    "uv.lock also adds charset-normalizer 3.5.3, drops chardet for the dependencies of requests 2.31.0"
                )),
                "{label}: {:?}",
                set.notes
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn pdm_fix_branches_pass_pdm_lock_check_and_match_pdm() {
    let pdm = tool("pdm-venv", "pdm");
    let db = crate::load("PyPI");
    let stand_in = StandIn::start(crate::poetry::pypi_routes()).await;
    let registry = CachedRegistry::new(HttpRegistry::new(HttpConnector::new(), stand_in.urls()));
    let snapshot = pdm_project();
    let analysis = analyze(&snapshot);
    // What the scan reads: requests is the project's, idna its dev group's too, the rest brought.
    let found: BTreeMap<String, (String, bool, String)> = analysis
        .dependencies
        .iter()
        .map(|d| {
            (
                d.name.clone(),
                (
                    d.version.clone().unwrap_or_default(),
                    d.direct,
                    format!("{:?}", d.scope),
                ),
            )
        })
        .collect();
    assert_eq!(found.len(), 5, "{found:?}");
    assert_eq!(found["requests"], ("2.25.1".into(), true, "Runtime".into()));
    assert_eq!(found["idna"], ("2.10".into(), true, "Runtime".into()));
    assert_eq!(found["urllib3"], ("1.26.4".into(), false, "Runtime".into()));
    let before = ids(&db, &snapshot);
    assert!(
        before.iter().any(|i| i.starts_with("urllib3 "))
            && before.iter().any(|i| i.starts_with("requests ")),
        "{before:?}"
    );
    // The check has teeth: a manifest moved without the lock is refused.
    let stale = Snapshot::new()
        .with(
            "pyproject.toml",
            fixture("pdm-sync", "pyproject.toml").replace("requests==2.25.1", "requests==2.31.0"),
        )
        .with("pdm.lock", fixture("pdm-sync", "pdm.lock"));
    let (_, dir) = checkout(&stale, &EditSet::default(), &["pyproject.toml", "pdm.lock"]);
    let (ok, out) = run(&pdm, &["lock", "--check"], dir.path());
    assert!(!ok, "pdm lock --check accepted a stale lock:\n{out}");
    let plan = plan_for(&snapshot, &registry).await;
    let moves: BTreeMap<&str, &str> = plan
        .fixes
        .iter()
        .map(|f| (f.name.as_str(), f.to.as_str()))
        .collect();
    assert_eq!(moves.get("urllib3"), Some(&"1.26.18"), "{moves:?}");
    assert_eq!(moves.get("certifi"), Some(&"2023.7.22"), "{moves:?}");
    assert_eq!(moves.get("requests"), Some(&"2.31.0"), "{moves:?}");
    for fix in &plan.fixes {
        let label = format!("{} -> {}", fix.name, fix.to);
        let set = apply_fix(fix, &analysis, &snapshot, &registry)
            .await
            .unwrap();
        if !["urllib3", "certifi", "requests"].contains(&fix.name.as_str()) {
            continue;
        }
        assert!(!set.needs_package_manager, "{label}: {:?}", set.notes);
        let (fixed, dir) = checkout(&snapshot, &set, &["pyproject.toml", "pdm.lock"]);
        let (ok, out) = run(&pdm, &["lock", "--check"], dir.path());
        assert!(
            ok,
            "{label}: pdm lock --check failed:\n{out}\n{:?}",
            set.notes
        );
        assert_eq!(
            fixed.text("pdm.lock").unwrap(),
            fixture("pdm-sync", &format!("pdm.lock.{}-{}", fix.name, fix.to)),
            "{label}"
        );
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
        if fix.name == "requests" {
            assert_eq!(
                fixed.text("pyproject.toml").unwrap(),
                fixture("pdm-sync", "pyproject.toml")
                    .replace("requests==2.25.1", "requests==2.31.0")
            );
            assert!(
                set.notes.iter().any(|n| n.contains(
                    "pdm.lock also adds charset-normalizer 3.5.3, drops chardet for the dependencies of requests 2.31.0"
                )),
                "{label}: {:?}",
                set.notes
            );
        }
    }
}

/// A PDM project with an extra (`requests[socks]`, locked as a second entry), platform markers
/// and a development group: the pin moves with both requests entries, urllib3 moves alone, and
/// every other entry (markers and groups included) stays as PDM wrote it.
#[tokio::test(flavor = "multi_thread")]
async fn pdm_entries_with_extras_markers_and_groups_move_as_pdm_moves_them() {
    let pdm = tool("pdm-venv", "pdm");
    let stand_in = StandIn::start(crate::poetry::pypi_routes()).await;
    let registry = CachedRegistry::new(HttpRegistry::new(HttpConnector::new(), stand_in.urls()));
    let snapshot = Snapshot::new()
        .with("pyproject.toml", fixture("pdm-extras", "pyproject.toml"))
        .with("pdm.lock", fixture("pdm-extras", "pdm.lock"));
    let analysis = analyze(&snapshot);
    // Fifteen packages (requests once for both its entries); pytest's are the dev group's.
    assert_eq!(analysis.dependencies.len(), 15);
    for (name, dev) in [
        ("pytest", true),
        ("colorama", false),
        ("pysocks", false),
        ("tomli", true),
    ] {
        let d = analysis
            .dependencies
            .iter()
            .find(|d| d.name == name)
            .unwrap();
        assert_eq!(format!("{:?}", d.scope) == "Dev", dev, "{name}");
    }
    let plan = plan_for(&snapshot, &registry).await;
    let moves: Vec<(&str, &str)> = plan
        .fixes
        .iter()
        .map(|f| (f.name.as_str(), f.to.as_str()))
        .collect();
    assert_eq!(moves, [("requests", "2.31.0"), ("urllib3", "1.26.18")]);
    for fix in &plan.fixes {
        let label = format!("{} -> {}", fix.name, fix.to);
        let set = apply_fix(fix, &analysis, &snapshot, &registry)
            .await
            .unwrap();
        assert!(!set.needs_package_manager, "{label}: {:?}", set.notes);
        let (fixed, dir) = checkout(&snapshot, &set, &["pyproject.toml", "pdm.lock"]);
        let suffix = format!("{}-{}", fix.name, fix.to);
        assert_eq!(
            fixed.text("pdm.lock").unwrap(),
            fixture("pdm-extras", &format!("pdm.lock.{suffix}")),
            "{label}"
        );
        if fix.name == "requests" {
            assert_eq!(
                fixed.text("pyproject.toml").unwrap(),
                fixture("pdm-extras", &format!("pyproject.toml.{suffix}"))
            );
        }
        let (ok, out) = run(&pdm, &["lock", "--check"], dir.path());
        assert!(ok, "{label}: pdm lock --check failed:\n{out}");
    }
}

/// A pyproject.toml pin on the vulnerable version: the pin moves, and the project's metadata in
/// uv.lock and the package entry with it, as `uv lock` writes them.
#[tokio::test(flavor = "multi_thread")]
async fn a_pyproject_pin_moves_with_the_uv_lock_metadata_and_entry() {
    let uv = tool("uv-venv", "uv");
    let stand_in = StandIn::start(crate::poetry::pypi_routes()).await;
    let registry = CachedRegistry::new(HttpRegistry::new(HttpConnector::new(), stand_in.urls()));
    let snapshot = Snapshot::new()
        .with("pyproject.toml", fixture("uv-direct", "pyproject.toml"))
        .with("uv.lock", fixture("uv-direct", "uv.lock"));
    let analysis = analyze(&snapshot);
    let plan = plan_for(&snapshot, &registry).await;
    let fix = plan.fixes.iter().find(|f| f.name == "urllib3").unwrap();
    assert_eq!(fix.to, "1.26.18");
    let set = apply_fix(fix, &analysis, &snapshot, &registry)
        .await
        .unwrap();
    assert!(!set.needs_package_manager, "{:?}", set.notes);
    let (fixed, dir) = checkout(&snapshot, &set, &["pyproject.toml", "uv.lock"]);
    assert_eq!(
        fixed.text("pyproject.toml").unwrap(),
        fixture("uv-direct", "pyproject.toml.urllib3-1.26.18")
    );
    let files = format!("http://{}/pypi-api/packages/", stand_in.addr);
    assert_eq!(
        fixed
            .text("uv.lock")
            .unwrap()
            .replace(&files, "https://files.pythonhosted.org/"),
        fixture("uv-direct", "uv.lock.urllib3-1.26.18")
    );
    let (ok, out) = run(&uv, &["lock", "--locked", "--offline"], dir.path());
    assert!(ok, "uv lock --locked failed:\n{out}");
}

/// Without a PyPI registry the manifests change and the PR names the relock command; the
/// locks are not touched.
#[tokio::test]
async fn without_a_registry_the_manifest_moves_and_the_relock_command_is_named() {
    let registry = StaticRegistry::new();
    for (snapshot, lock, manifest, direct_cmd, transitive_cmd) in [
        (
            pipenv_project(),
            "Pipfile.lock",
            "Pipfile",
            "pipenv lock",
            "pipenv lock",
        ),
        (
            uv_project(),
            "uv.lock",
            "pyproject.toml",
            "uv lock",
            "uv lock --upgrade-package urllib3==",
        ),
        (
            pdm_project(),
            "pdm.lock",
            "pyproject.toml",
            "pdm lock --update-reuse",
            "pdm update --no-sync urllib3",
        ),
    ] {
        let analysis = analyze(&snapshot);
        let db = crate::load("PyPI");
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
        for fix in &plan.fixes {
            let command = fix.lockfile.command().unwrap_or_default().to_string();
            let set = apply_fix(fix, &analysis, &snapshot, &registry)
                .await
                .unwrap();
            assert!(!set.files.contains_key(lock), "{lock}: {:?}", set.files);
            assert!(set.needs_package_manager);
            if fix.name == "requests" {
                assert_eq!(command, direct_cmd);
                assert!(set.files.contains_key(manifest), "{manifest}");
            }
            if fix.name == "urllib3" {
                assert!(command.starts_with(transitive_cmd), "{command}");
            }
            assert!(
                set.notes
                    .iter()
                    .any(|n| n.contains(&format!("run `{command}`"))),
                "{:?}",
                set.notes
            );
        }
    }
}
