//! pnpm's own tools accept every pnpm-lock.yaml fix: real packuments (`fixtures/npm/packuments`)
//! served by a loopback stand-in, the fix edits computed with the HTTP registry, and then, per
//! fix branch and for lockfileVersion 9.0 (pnpm 10) and 6.0 (pnpm 8), `pnpm install
//! --frozen-lockfile --lockfile-only` (which fails when the lockfile does not match the
//! manifests), an `pnpm install --lockfile-only` that changes nothing, and pnpm's own fix from
//! the original lockfile (`pnpm update NAME`, or `pnpm install` for a `package.json` change)
//! writing the very same lockfile byte for byte. The branch is re-scanned: the fixed package has
//! no advisory left. Last, the same repository gets its three pull requests through the
//! Bitbucket simulator, each saying why its tier was needed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bitbucket_dc::{Client, Credentials};
use bitbucket_dc_sim::{Permission, ProjectSeed, RepoSeed, Simulator, UserSeed};
use gitproxy_remediation::host::{BitbucketDc, BitbucketHost};
use gitproxy_remediation::remediate::Remediator;

use gitproxy_remediation::advisories::AdvisoryDb;
use gitproxy_remediation::analysis::analyze;
use gitproxy_remediation::edit::apply_fix;
use gitproxy_remediation::files::Snapshot;
use gitproxy_remediation::plan::{plan, LockfileRefresh, PlanOptions, Tier};
use gitproxy_remediation::registry::{CachedRegistry, HttpRegistry};
use hyper_util::client::legacy::connect::HttpConnector;

use crate::registry::StandIn;
use crate::{fixed_in_db, fixtures, packument_routes};

/// pnpm from npm, installed by `cargo xtask test` under `target/tools/pnpm` (`pnpm10`, `pnpm8`).
fn pnpm_bin(alias: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/tools/pnpm/node_modules")
        .join(alias)
        .join("bin/pnpm.cjs")
}

/// `/npm/NAME` -> the captured packument, with its tarball URLs on the stand-in (so pnpm,
/// configured with the stand-in as its registry, records no `tarball`, as with the real one).
fn stand_in_packuments(addr: std::net::SocketAddr) -> BTreeMap<String, Vec<u8>> {
    packument_routes(&fixtures().join("npm/packuments"), |text| {
        text.replace(
            "https://registry.npmjs.org/",
            &format!("http://{addr}/npm/"),
        )
    })
}

pub(crate) fn database() -> AdvisoryDb {
    fixed_in_db(
        "pnpm-lock",
        &[
            ("GHSA-r683-j2x4-v87g", "npm", "node-fetch", "2.6.7"),
            ("GHSA-35jh-r3h4-6jhm", "npm", "lodash", "4.17.21"),
            ("GHSA-hrpp-h998-j3pp", "npm", "qs", "6.7.3"),
        ],
    )
}

/// Runs pnpm `alias` in `dir` against the stand-in with its own empty configuration and store.
async fn pnpm(alias: &str, dir: &Path, registry: &str, args: &[&str]) -> (bool, String) {
    let bin = pnpm_bin(alias);
    assert!(
        bin.exists(),
        "{} is missing: run `cargo xtask test` once, which installs pnpm",
        bin.display()
    );
    let dir = dir.to_path_buf();
    let registry = registry.to_string();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let home = dir.join(".home");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::write(home.join("npmrc"), "").unwrap();
        let out = std::process::Command::new("node")
            .arg(&bin)
            .args(&args)
            .arg(format!("--registry={registry}"))
            .arg(format!("--store-dir={}", home.join("store").display()))
            .arg("--ignore-scripts")
            .current_dir(&dir)
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_CACHE_HOME", home.join("cache"))
            .env("XDG_STATE_HOME", home.join("state"))
            .env("npm_config_userconfig", home.join("npmrc"))
            .env("npm_config_update_notifier", "false")
            .env_remove("npm_config_registry")
            .output()
            .expect("node runs pnpm");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    })
    .await
    .unwrap()
}

/// What pnpm itself writes from the original lockfile for the fix.
async fn pnpm_own_fix(
    alias: &str,
    registry: &str,
    manifest: &str,
    original_lock: &str,
    args: &[&str],
) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("package.json"), manifest).unwrap();
    std::fs::write(dir.path().join("pnpm-lock.yaml"), original_lock).unwrap();
    let (ok, log) = pnpm(alias, dir.path(), registry, args).await;
    assert!(ok, "{log}");
    std::fs::read_to_string(dir.path().join("pnpm-lock.yaml")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pnpm_fix_branches_pass_pnpm_and_match_what_pnpm_writes_itself() {
    let stand_in = StandIn::start_with(stand_in_packuments).await;
    let registry = CachedRegistry::new(HttpRegistry::new(HttpConnector::new(), stand_in.urls()));
    let npm_registry = format!("http://{}/npm/", stand_in.addr);
    let db = database();
    // pnpm 8 reads its direct dependencies' manifests from their tarballs whenever it resolves,
    // which the stand-in does not serve: its own fix is compared for pnpm 10 only.
    for (layout, alias, compare_own_fix) in [("v9", "pnpm10", true), ("v6", "pnpm8", false)] {
        let base = fixtures().join("pnpm").join(layout);
        let manifest = std::fs::read_to_string(base.join("package.json")).unwrap();
        let lock = std::fs::read_to_string(base.join("pnpm-lock.yaml")).unwrap();
        let snapshot = Snapshot::new()
            .with("package.json", manifest.as_str())
            .with("pnpm-lock.yaml", lock.as_str());
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
        let fixes: Vec<(&str, &str, Tier, &LockfileRefresh)> = plan
            .fixes
            .iter()
            .map(|f| (f.name.as_str(), f.to.as_str(), f.tier, &f.lockfile))
            .collect();
        assert_eq!(
            fixes,
            [
                // Pinned by the project: the manifest moves.
                (
                    "lodash",
                    "4.17.21",
                    Tier::ManifestBump,
                    &LockfileRefresh::Agent
                ),
                // isomorphic-fetch's ^2.6.1 takes 2.6.7, which brings whatwg-url and its own
                // dependencies, and the optional peer `encoding` its dependents pass on.
                (
                    "node-fetch",
                    "2.6.7",
                    Tier::LockfileUpdate,
                    &LockfileRefresh::Agent
                ),
                // express 4.17.1 and body-parser 1.19.0 pin qs 6.7.0, and the project pins
                // express: forced with pnpm.overrides.
                ("qs", "6.7.3", Tier::Override, &LockfileRefresh::Agent),
            ],
            "{layout}"
        );
        for fix in &plan.fixes {
            let edits = apply_fix(fix, &analysis, &snapshot, &registry)
                .await
                .unwrap();
            assert!(
                !edits.needs_package_manager,
                "{layout} {}: {:?}",
                fix.name, edits.notes
            );
            let dir = tempfile::tempdir().unwrap();
            let mut fixed = snapshot.clone();
            for (path, text) in [("package.json", &manifest), ("pnpm-lock.yaml", &lock)] {
                let text = edits.files.get(path).unwrap_or(text);
                std::fs::write(dir.path().join(path), text).unwrap();
                fixed.insert(path, text.as_str());
            }
            let new_lock = &edits.files["pnpm-lock.yaml"];
            let what = format!("{layout} {}", fix.name);

            let (ok, log) = pnpm(
                alias,
                dir.path(),
                &npm_registry,
                &["install", "--frozen-lockfile", "--lockfile-only"],
            )
            .await;
            assert!(ok, "{what}: pnpm install --frozen-lockfile failed: {log}");
            let (ok, log) = pnpm(
                alias,
                dir.path(),
                &npm_registry,
                &["install", "--lockfile-only"],
            )
            .await;
            assert!(ok, "{what}: {log}");
            let after = std::fs::read_to_string(dir.path().join("pnpm-lock.yaml")).unwrap();
            assert_eq!(&after, new_lock, "{what}: pnpm rewrote the lockfile");

            assert_fixed(&db, &fixed, &fix.name, &what);
            let new_manifest = edits.files.get("package.json").unwrap_or(&manifest);
            if !compare_own_fix {
                continue;
            }
            let own_args: &[&str] = if edits.files.contains_key("package.json") {
                &["install", "--lockfile-only"]
            } else {
                &["update", &fix.name, "--lockfile-only"]
            };
            let own = pnpm_own_fix(alias, &npm_registry, new_manifest, &lock, own_args).await;
            assert_eq!(&own, new_lock, "{what}: pnpm fixes it differently");
        }
    }
}

/// The branch no longer holds a vulnerable version of `name`.
fn assert_fixed(db: &AdvisoryDb, fixed: &Snapshot, name: &str, what: &str) {
    let again = analyze(fixed);
    assert!(again.problems.is_empty(), "{what}: {:?}", again.problems);
    let left: Vec<String> = db
        .scan(&again)
        .iter()
        .map(|f| again.dependencies[f.dependency].name.clone())
        .collect();
    assert!(
        !left.iter().any(|l| l == name),
        "{what}: still vulnerable: {left:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pnpm_repository_gets_one_fix_pull_request_per_package_through_the_simulator() {
    let base = fixtures().join("pnpm/v9");
    let manifest = std::fs::read_to_string(base.join("package.json")).unwrap();
    let lock = std::fs::read_to_string(base.join("pnpm-lock.yaml")).unwrap();
    let sim = Simulator::builder()
        .user(UserSeed::new("bot").token("bot-token"))
        .project(ProjectSeed::new("SEC").name("Security"))
        .repo(
            RepoSeed::new("SEC", "shop")
                .file("package.json", manifest.as_str())
                .file("pnpm-lock.yaml", lock.as_str()),
        )
        .grant_project("bot", "SEC", Permission::ProjectWrite)
        .start()
        .await
        .expect("the simulator starts");
    let client = Client::builder(sim.base_url().as_str())
        .credentials(Credentials::bearer("bot-token").unwrap())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let host = BitbucketDc::new(client);
    let stand_in = StandIn::start_with(stand_in_packuments).await;
    let registry = CachedRegistry::new(HttpRegistry::new(HttpConnector::new(), stand_in.urls()));
    let db = database();
    let remediator = Remediator::new(&host, &db, &registry, PlanOptions::recommended());

    let outcome = remediator.remediate_repo("SEC", "shop").await.unwrap();
    assert!(outcome.problems.is_empty(), "{:?}", outcome.problems);
    assert!(outcome.unfixable.is_empty(), "{:?}", outcome.unfixable);
    assert_eq!(outcome.opened.len(), 3, "lodash, node-fetch and qs");

    let read = |branch: &'static str, path: &'static str| {
        let host = &host;
        async move {
            let head = host
                .branch_head("SEC", "shop", branch)
                .await
                .unwrap()
                .unwrap_or_else(|| panic!("branch {branch} exists"));
            String::from_utf8(host.read_file("SEC", "shop", path, &head).await.unwrap()).unwrap()
        }
    };
    assert_eq!(
        read("gitproxy/security/npm-lodash", "package.json").await,
        manifest.replace("\"lodash\": \"4.17.20\"", "\"lodash\": \"4.17.21\"")
    );
    let lodash_lock = read("gitproxy/security/npm-lodash", "pnpm-lock.yaml").await;
    assert!(lodash_lock
        .contains("      lodash:\n        specifier: 4.17.21\n        version: 4.17.21\n"));
    assert!(!lodash_lock.contains("lodash@4.17.20"));
    let fetch_lock = read("gitproxy/security/npm-node-fetch", "pnpm-lock.yaml").await;
    assert!(
        fetch_lock.contains("  node-fetch@2.6.7:\n    dependencies:\n      whatwg-url: 5.0.0\n")
    );
    assert!(fetch_lock.contains("  whatwg-url@5.0.0:"));
    assert_eq!(
        read("gitproxy/security/npm-node-fetch", "package.json").await,
        manifest
    );
    let qs_manifest = read("gitproxy/security/npm-qs", "package.json").await;
    assert!(
        qs_manifest
            .contains("\"pnpm\": {\n    \"overrides\": {\n      \"qs\": \"6.7.3\"\n    }\n  }"),
        "{qs_manifest}"
    );
    let qs_lock = read("gitproxy/security/npm-qs", "pnpm-lock.yaml").await;
    assert!(
        qs_lock.contains("\noverrides:\n  qs: 6.7.3\n\nimporters:"),
        "{qs_lock}"
    );

    // Each description says which tier the fix needed and why.
    let prs = host
        .pull_requests("SEC", "shop", "gitproxy/")
        .await
        .unwrap();
    let description = |name: &str| {
        prs.iter()
            .find(|p| p.title.contains(&format!("dependency {name} ")))
            .and_then(|p| p.description.clone())
            .unwrap_or_else(|| panic!("a pull request for {name}"))
    };
    let qs = description("qs");
    assert!(
        qs.contains("qs is forced with `pnpm.overrides` because body-parser@1.19.0, express@4.17.1 cannot take it"),
        "{qs}"
    );
    let fetch = description("node-fetch");
    assert!(
        fetch.contains(
            "every range on node-fetch allows the fixed version, so only pnpm-lock.yaml changes"
        ),
        "{fetch}"
    );
    let lodash = description("lodash");
    assert!(
        lodash.contains("package.json requires lodash `4.17.20`, which excludes the fixed version, so the range moves"),
        "{lodash}"
    );
}
