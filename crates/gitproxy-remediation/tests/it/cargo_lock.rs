//! Cargo.lock fixes proven by the real `cargo`: a legacy project (exact pins, a 2021-era lock
//! with chrono 0.4.19 / time 0.1.43 and url 2.2.2 / idna 0.2.3) is fixed against real crates.io index lines
//! captured in `tests/fixtures/cargo-legacy/index` and the real OSV data. A loopback sparse
//! registry serves the same lines (and the `.crate` files `cargo metadata` downloads for this
//! platform), and every fix branch must pass `cargo metadata --locked` against it, with Cargo's
//! crates.io source replaced by the stand-in in an isolated `CARGO_HOME`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use gitproxy_remediation::advisories::AdvisoryDb;
use gitproxy_remediation::analysis::analyze;
use gitproxy_remediation::edit::{apply_fix, EditSet};
use gitproxy_remediation::files::Snapshot;
use gitproxy_remediation::plan::{plan, PlanOptions};
use gitproxy_remediation::registry::StaticRegistry;
use gitproxy_remediation::{Ecosystem, Error};

use crate::registry::StandIn;

fn fixture() -> PathBuf {
    crate::fixtures().join("cargo-legacy")
}

/// Every file under `dir`, by path relative to it with `/` separators.
fn files_under(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

/// The captured index files as the engine's registry.
fn registry() -> StaticRegistry {
    let mut reg = StaticRegistry::new();
    for (path, body) in files_under(&fixture().join("index")) {
        let name = path.rsplit('/').next().unwrap().to_string();
        reg = reg
            .index_file(&name, std::str::from_utf8(&body).unwrap())
            .unwrap();
    }
    reg
}

fn project() -> Snapshot {
    let mut snapshot = Snapshot::new();
    for (path, body) in files_under(&fixture().join("project")) {
        snapshot.insert(path, body);
    }
    snapshot
}

/// The sparse registry stand-in: `config.json`, the index paths (`1/`, `2/`, `3/x/`, `ab/cd/`)
/// and `dl/{name}/{version}/download` for the captured `.crate` files.
async fn sparse_registry() -> StandIn {
    StandIn::start_with(|addr| {
        let mut routes = BTreeMap::new();
        routes.insert(
            "/config.json".to_string(),
            format!(r#"{{"dl": "http://{addr}/dl", "api": "http://{addr}"}}"#).into_bytes(),
        );
        for (path, body) in files_under(&fixture().join("index")) {
            routes.insert(format!("/{path}"), body);
        }
        for (file, body) in files_under(&fixture().join("crates")) {
            let stem = file.strip_suffix(".crate").unwrap();
            let (name, version) = stem.rsplit_once('-').unwrap();
            routes.insert(format!("/dl/{name}/{version}/download"), body);
        }
        routes
    })
    .await
}

/// Writes `snapshot` to a fresh folder and runs `cargo metadata --locked` there against the
/// stand-in, with nothing of the user's Cargo configuration or cache.
async fn cargo_metadata_locked(standin: &StandIn, snapshot: &Snapshot) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    for path in snapshot.paths() {
        let target = dir.path().join(path);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(&target, snapshot.get(path).unwrap()).unwrap();
    }
    std::fs::write(
        home.path().join("config.toml"),
        format!(
            "[source.crates-io]\nreplace-with = \"standin\"\n\n[source.standin]\nregistry = \"sparse+http://{}/\"\n",
            standin.addr
        ),
    )
    .unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = tokio::process::Command::new(cargo);
    command
        .args(["metadata", "--locked", "--format-version", "1"])
        .args(["--filter-platform", "x86_64-unknown-linux-gnu"])
        .current_dir(dir.path())
        .env("CARGO_HOME", home.path())
        .env("CARGO_NET_RETRY", "0")
        .env_remove("CARGO_TARGET_DIR");
    for var in [
        "http_proxy",
        "https_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "all_proxy",
    ] {
        command.env_remove(var);
    }
    let out = command.output().await.unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Advisory ids per package name found in `snapshot`.
fn advisories(db: &AdvisoryDb, snapshot: &Snapshot) -> BTreeSet<(String, String)> {
    let analysis = analyze(snapshot);
    db.scan(&analysis)
        .iter()
        .map(|f| {
            (
                analysis.dependencies[f.dependency].name.clone(),
                f.id.clone(),
            )
        })
        .collect()
}

/// The branch of one fix passes `cargo metadata --locked`, and a re-scan finds no advisory of
/// `package` and none that was not there before.
async fn check_branch(
    db: &AdvisoryDb,
    standin: &StandIn,
    snapshot: &Snapshot,
    set: &EditSet,
    package: &str,
    before: &BTreeSet<(String, String)>,
) {
    let mut fixed = snapshot.clone();
    for (path, text) in &set.files {
        fixed.insert(path.clone(), text.clone().into_bytes());
    }
    let (ok, stderr) = cargo_metadata_locked(standin, &fixed).await;
    assert!(
        ok,
        "cargo rejects the {package} fix:\n{stderr}\n{:?}",
        set.files
    );
    let after = advisories(db, &fixed);
    assert!(!after.iter().any(|(name, _)| name == package), "{after:?}");
    assert!(
        after.is_subset(before),
        "new advisories: {:?}",
        after.difference(before)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn cargo_fix_branches_pass_cargo_metadata_locked() {
    let db = crate::load("crates.io");
    let reg = registry();
    let snapshot = project();
    let standin = sparse_registry().await;

    // The captured project is consistent to begin with.
    let (ok, stderr) = cargo_metadata_locked(&standin, &snapshot).await;
    assert!(ok, "the original project must pass: {stderr}");

    let analysis = analyze(&snapshot);
    let findings = db.scan(&analysis);
    let before = advisories(&db, &snapshot);
    let plan = plan(&analysis, &findings, &db, &reg, &PlanOptions::recommended())
        .await
        .unwrap();
    let mut outcomes = BTreeMap::new();
    for fix in plan.by_package() {
        let result = apply_fix(&fix, &analysis, &snapshot, &reg).await;
        outcomes.insert(fix.name.clone(), (fix, result));
    }
    let names: Vec<&String> = outcomes.keys().collect();
    assert_eq!(names, ["chrono", "idna", "time"], "{outcomes:#?}");

    // chrono 0.4.19 -> 0.4.20 changes its dependencies: libc and num-integer go from its list,
    // wasm-bindgen and js-sys (wasm32 only, so still in the lockfile) come with their own.
    let (fix, result) = &outcomes["chrono"];
    let set = result.as_ref().unwrap();
    assert_eq!(fix.to, "0.4.20");
    assert_eq!(
        set.files.keys().collect::<Vec<_>>(),
        ["Cargo.lock"],
        "{set:?}"
    );
    assert!(!set.needs_package_manager, "{:?}", set.notes);
    let lock = &set.files["Cargo.lock"];
    assert!(
        lock.contains("name = \"chrono\"\nversion = \"0.4.20\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"6127248204b9aba09a362f6c930ef6a78f2c1b2215f8a7b398c06e1083f17af0\"\ndependencies = [\n \"js-sys\",\n \"num-integer\",\n \"num-traits\",\n \"time\",\n \"wasm-bindgen\",\n \"winapi\",\n]\n"),
        "{lock}"
    );
    assert!(lock.contains("name = \"wasm-bindgen-shared\""), "{lock}");
    check_branch(&db, &standin, &snapshot, set, "chrono", &before).await;

    // time 0.1.43 -> 0.2.23: chrono 0.4.19 requires time ^0.1.43, so chrono climbs to its
    // first 0.4 release that accepts the fix, 0.4.30, which no longer depends on time at all.
    let (fix, result) = &outcomes["time"];
    let set = result.as_ref().unwrap();
    assert_eq!(fix.to, "0.2.23");
    assert_eq!(
        set.files.keys().collect::<Vec<_>>(),
        ["Cargo.lock"],
        "{set:?}"
    );
    let lock = &set.files["Cargo.lock"];
    assert!(
        lock.contains("name = \"chrono\"\nversion = \"0.4.30\""),
        "{lock}"
    );
    assert!(!lock.contains("name = \"time\""), "{lock}");
    assert!(
        set.notes
            .iter()
            .any(|n| n.contains("chrono 0.4.19 -> 0.4.30")),
        "{:?}",
        set.notes
    );
    assert!(
        set.notes
            .iter()
            .any(|n| n.contains("nothing depends on time any more")),
        "{:?}",
        set.notes
    );
    check_branch(&db, &standin, &snapshot, set, "time", &before).await;

    // The old behaviour (version and checksum swapped in place, dependencies kept) is what
    // cargo rejected on the customer's CI; the stand-in check catches it.
    let old = snapshot.text("Cargo.lock").unwrap().replace(
        "name = \"chrono\"\nversion = \"0.4.19\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"670ad68c9088c2a963aaa298cb369688cf3f9465ce5e2d4ca10e6e0098a1ce73\"",
        "name = \"chrono\"\nversion = \"0.4.20\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"6127248204b9aba09a362f6c930ef6a78f2c1b2215f8a7b398c06e1083f17af0\"",
    );
    assert!(old.contains("0.4.20"));
    let naive = snapshot.clone().with("Cargo.lock", old);
    let (ok, stderr) = cargo_metadata_locked(&standin, &naive).await;
    assert!(!ok);
    assert!(stderr.contains("--locked"), "{stderr}");

    // idna 0.2.3 -> 1.0.0 needs url 2.5.1 (url 2.2.2 requires idna ^0.2.0), and idna 1.0.0
    // needs smallvec ^1.13.1 while the project pins smallvec =1.6.1: no lockfile Cargo would
    // accept exists, so the fix is refused with the exact conflict and nothing is written.
    let (fix, result) = &outcomes["idna"];
    assert_eq!(fix.to, "1.0.0");
    let err = result.as_ref().unwrap_err();
    assert!(
        matches!(
            err,
            Error::Unresolvable {
                ecosystem: Ecosystem::CratesIo,
                ..
            }
        ),
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.contains("url 2.2.2 requires idna ^0.2.0, which excludes 1.0.0"),
        "{text}"
    );
    assert!(
        text.contains("idna 1.0.0 needs smallvec ^1.13.1 but legacy-service 0.1.0 requires =1.6.1"),
        "{text}"
    );
}
