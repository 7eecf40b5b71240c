//! Bun itself accepts every bun.lock fix: real packuments (`fixtures/npm/packuments`) served by a
//! loopback stand-in, lockfiles Bun 1.4 wrote against it (`fixtures/bun`), the fix edits computed
//! with the HTTP registry, and then, per fix branch, `bun install --frozen-lockfile
//! --lockfile-only` (which fails when the lockfile does not match the manifest), a `bun install
//! --lockfile-only` that changes nothing, and Bun's own fix from the original lockfile (`bun
//! update NAME`, or `bun install` after a `package.json` change) writing the very same lockfile
//! byte for byte. The branch is re-scanned: the fixed package has no advisory left.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use gitproxy_remediation::advisories::AdvisoryDb;
use gitproxy_remediation::analysis::analyze;
use gitproxy_remediation::edit::apply_fix;
use gitproxy_remediation::files::Snapshot;
use gitproxy_remediation::osv::Record;
use gitproxy_remediation::plan::{plan, LockfileRefresh, PlanOptions, Tier};
use gitproxy_remediation::registry::{CachedRegistry, HttpRegistry};
use hyper_util::client::legacy::connect::HttpConnector;

use crate::registry::StandIn;
use crate::{fixed_in_db, fixtures, packument_routes};

/// Bun from npm, installed by `cargo xtask test` under `target/tools/bun`.
fn bun_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/tools/bun/node_modules/@oven/bun-linux-x64/bin/bun")
}

/// The address the fixtures' lockfiles record their tarballs at (Bun wrote them against a
/// stand-in there); each test puts its own stand-in's address in its place.
const FIXTURE_REGISTRY: &str = "http://127.0.0.1:4873/npm/";

/// The registry the tests resolve against: the stand-in (kept running by the caller), the
/// engine's client of it, and its address as Bun's registry setting.
async fn stand_in() -> (StandIn, CachedRegistry<HttpRegistry<HttpConnector>>, String) {
    let stand_in = StandIn::start_with(stand_in_packuments).await;
    let registry = CachedRegistry::new(HttpRegistry::new(HttpConnector::new(), stand_in.urls()));
    let npm_registry = format!("http://{}/npm/", stand_in.addr);
    (stand_in, registry, npm_registry)
}

/// `/npm/NAME` -> the captured packument, with its tarball URLs on the stand-in.
fn stand_in_packuments(addr: std::net::SocketAddr) -> BTreeMap<String, Vec<u8>> {
    packument_routes(&fixtures().join("npm/packuments"), |text| {
        text.replace(
            "https://registry.npmjs.org/",
            &format!("http://{addr}/npm/"),
        )
    })
}

fn database() -> AdvisoryDb {
    let mut db = fixed_in_db(
        "bun-lock",
        &[
            ("GHSA-r683-j2x4-v87g", "npm", "node-fetch", "2.6.7"),
            ("GHSA-35jh-r3h4-6jhm", "npm", "lodash", "4.17.21"),
        ],
    );
    db.insert(Record::from_json("bun-lock", QS_RECORD.as_bytes()).unwrap());
    db
}

/// GHSA-hrpp-h998-j3pp as OSV records it (every release line up to its backported fix).
const QS_RECORD: &str = r#"{"id": "GHSA-hrpp-h998-j3pp", "aliases": ["CVE-2022-24999"],
  "summary": "qs vulnerable to Prototype Pollution",
  "affected": [{"package": {"ecosystem": "npm", "name": "qs"}, "ranges": [{"type": "SEMVER", "events": [
    {"introduced": "0"}, {"fixed": "6.2.4"},
    {"introduced": "6.3.0"}, {"fixed": "6.3.3"},
    {"introduced": "6.4.0"}, {"fixed": "6.4.1"},
    {"introduced": "6.5.0"}, {"fixed": "6.5.3"},
    {"introduced": "6.6.0"}, {"fixed": "6.6.1"},
    {"introduced": "6.7.0"}, {"fixed": "6.7.3"},
    {"introduced": "6.8.0"}, {"fixed": "6.8.3"},
    {"introduced": "6.9.0"}, {"fixed": "6.9.7"},
    {"introduced": "6.10.0"}, {"fixed": "6.10.3"}]}]}]}"#;

/// Runs Bun in `dir` against the stand-in with its own empty home and cache.
async fn bun(dir: &Path, registry: &str, args: &[&str]) -> (bool, String) {
    let bin = bun_bin();
    assert!(
        bin.exists(),
        "{} is missing: run `cargo xtask test` once, which installs Bun",
        bin.display()
    );
    let dir = dir.to_path_buf();
    let registry = registry.to_string();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let home = tempfile::tempdir().unwrap();
        let out = std::process::Command::new(&bin)
            .args(&args)
            .current_dir(&dir)
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("XDG_CACHE_HOME", home.path().join("cache"))
            .env("BUN_INSTALL", home.path().join("bun"))
            .env("BUN_INSTALL_CACHE_DIR", home.path().join("install-cache"))
            .env("BUN_CONFIG_REGISTRY", &registry)
            .env("DO_NOT_TRACK", "1")
            .env_remove("NPM_CONFIG_REGISTRY")
            .env_remove("npm_config_registry")
            .output()
            .expect("Bun runs");
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

/// The fixture project `name`: its manifest and its lockfile on the stand-in at `registry`.
fn project(name: &str, registry: &str) -> (String, String) {
    let base = fixtures().join("bun").join(name);
    let manifest = std::fs::read_to_string(base.join("package.json")).unwrap();
    let lock = std::fs::read_to_string(base.join("bun.lock"))
        .unwrap()
        .replace(FIXTURE_REGISTRY, registry);
    (manifest, lock)
}

/// What Bun itself writes from the original lockfile for a fix.
async fn bun_own_fix(registry: &str, manifest: &str, lock: &str, args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("package.json"), manifest).unwrap();
    std::fs::write(dir.path().join("bun.lock"), lock).unwrap();
    let (ok, log) = bun(dir.path(), registry, args).await;
    assert!(ok, "{log}");
    std::fs::read_to_string(dir.path().join("bun.lock")).unwrap()
}

/// Checks a fix branch with Bun: the frozen install accepts it and a plain one changes nothing.
async fn bun_accepts(registry: &str, manifest: &str, lock: &str, what: &str) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("package.json"), manifest).unwrap();
    std::fs::write(dir.path().join("bun.lock"), lock).unwrap();
    let (ok, log) = bun(
        dir.path(),
        registry,
        &["install", "--frozen-lockfile", "--lockfile-only"],
    )
    .await;
    assert!(ok, "{what}: bun install --frozen-lockfile failed: {log}");
    let (ok, log) = bun(dir.path(), registry, &["install", "--lockfile-only"]).await;
    assert!(ok, "{what}: {log}");
    let after = std::fs::read_to_string(dir.path().join("bun.lock")).unwrap();
    assert_eq!(after, lock, "{what}: Bun rewrote the lockfile");
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
async fn bun_fix_branches_pass_bun_and_match_what_bun_writes_itself() {
    let (_stand_in, registry, npm_registry) = stand_in().await;
    let db = database();
    let (manifest, lock) = project("hoisted", &npm_registry);
    // The check has teeth: a lockfile that no longer matches the manifest is refused.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("package.json"),
        manifest.replace("\"4.17.20\"", "\"4.17.21\""),
    )
    .unwrap();
    std::fs::write(dir.path().join("bun.lock"), &lock).unwrap();
    let (ok, log) = bun(
        dir.path(),
        &npm_registry,
        &["install", "--frozen-lockfile", "--lockfile-only"],
    )
    .await;
    assert!(!ok, "a stale lockfile passed: {log}");

    let snapshot = Snapshot::new()
        .with("package.json", manifest.as_str())
        .with("bun.lock", lock.as_str());
    let analysis = analyze(&snapshot);
    assert!(analysis.problems.is_empty(), "{:?}", analysis.problems);
    assert!(
        analysis.unsupported.is_empty(),
        "{:?}",
        analysis.unsupported
    );
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
            // Pinned by the project: the manifest moves, bun.lock with it.
            (
                "lodash",
                "4.17.21",
                Tier::ManifestBump,
                &LockfileRefresh::Agent
            ),
            // isomorphic-fetch's ^2.6.1 takes 2.6.7, which brings whatwg-url and its own
            // dependencies, and the optional peer `encoding`.
            (
                "node-fetch",
                "2.6.7",
                Tier::LockfileUpdate,
                &LockfileRefresh::Agent
            ),
            // express 4.17.1 and body-parser 1.19.0 pin qs 6.7.0 and the project pins express:
            // forced with `overrides`.
            ("qs", "6.7.3", Tier::Override, &LockfileRefresh::Agent),
        ]
    );
    for fix in &plan.fixes {
        let edits = apply_fix(fix, &analysis, &snapshot, &registry)
            .await
            .unwrap();
        let what = format!("hoisted {}", fix.name);
        assert!(!edits.needs_package_manager, "{what}: {:?}", edits.notes);
        let mut fixed = snapshot.clone();
        for (path, text) in [("package.json", &manifest), ("bun.lock", &lock)] {
            fixed.insert(path, edits.files.get(path).unwrap_or(text).as_str());
        }
        let new_lock = &edits.files["bun.lock"];
        let new_manifest = edits.files.get("package.json").unwrap_or(&manifest);
        bun_accepts(&npm_registry, new_manifest, new_lock, &what).await;
        assert_fixed(&db, &fixed, &fix.name, &what);
        let own_args: &[&str] = if edits.files.contains_key("package.json") {
            &["install", "--lockfile-only"]
        } else {
            &["update", &fix.name, "--lockfile-only"]
        };
        let own = bun_own_fix(&npm_registry, new_manifest, &lock, own_args).await;
        assert_eq!(&own, new_lock, "{what}: Bun fixes it differently");
    }
}

/// The plan and the edits of one fixture project, each fix as applied: name, tier, refresh, the
/// edited files and the notes.
async fn fixes_of(
    name: &str,
    registry: &CachedRegistry<HttpRegistry<HttpConnector>>,
    npm_registry: &str,
    db: &AdvisoryDb,
) -> (
    String,
    String,
    Vec<(String, Tier, gitproxy_remediation::edit::EditSet)>,
) {
    let (manifest, lock) = project(name, npm_registry);
    let snapshot = Snapshot::new()
        .with("package.json", manifest.as_str())
        .with("bun.lock", lock.as_str());
    let analysis = analyze(&snapshot);
    assert!(analysis.problems.is_empty(), "{:?}", analysis.problems);
    let findings = db.scan(&analysis);
    let plan = plan(
        &analysis,
        &findings,
        db,
        registry,
        &PlanOptions::recommended(),
    )
    .await
    .unwrap();
    let mut out = Vec::new();
    for fix in &plan.fixes {
        let edits = apply_fix(fix, &analysis, &snapshot, registry)
            .await
            .unwrap();
        out.push((fix.name.clone(), edits.as_applied(fix).tier, edits));
    }
    (manifest, lock, out)
}

/// node-fetch 2.6.7 needs whatwg-url 5 where the project requires whatwg-url 7: Bun nests it
/// under node-fetch, and its own tr46 and webidl-conversions (whose other versions sit at the
/// top) under it, where npm would hoist those one level: every fix matches Bun's own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nested_move_is_placed_where_bun_places_it() {
    let (_stand_in, registry, npm_registry) = stand_in().await;
    let db = database();
    let (manifest, lock, fixes) = fixes_of("nested", &registry, &npm_registry, &db).await;
    let names: Vec<&str> = fixes.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(names, ["lodash", "node-fetch", "qs"]);
    for (name, _, edits) in &fixes {
        assert!(!edits.needs_package_manager, "{name}: {:?}", edits.notes);
        let new_lock = &edits.files["bun.lock"];
        if name == "node-fetch" {
            for key in [
                "\"node-fetch/whatwg-url\": [\"whatwg-url@5.0.0\"",
                "\"node-fetch/whatwg-url/tr46\": [\"tr46@0.0.3\"",
                "\"node-fetch/whatwg-url/webidl-conversions\": [\"webidl-conversions@3.0.1\"",
            ] {
                assert!(new_lock.contains(key), "{key}");
            }
        }
        let new_manifest = edits.files.get("package.json").unwrap_or(&manifest);
        bun_accepts(&npm_registry, new_manifest, new_lock, name).await;
        let own_args: &[&str] = if edits.files.contains_key("package.json") {
            &["install", "--lockfile-only"]
        } else {
            &["update", name, "--lockfile-only"]
        };
        let own = bun_own_fix(&npm_registry, new_manifest, &lock, own_args).await;
        assert_eq!(&own, new_lock, "nested {name}: Bun fixes it differently");
    }
}

/// express 4.17.1 and body-parser 1.19.0 pin qs 6.7.0 and the project allows `express@^4.17.1`:
/// express moves to 4.17.3 (whose tree takes qs 6.9.7) rather than qs being forced, as `bun
/// update express` leaves the lockfile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pinning_dependent_moves_within_the_projects_range_as_bun_update_moves_it() {
    let (_stand_in, registry, npm_registry) = stand_in().await;
    let db = database();
    let (manifest, lock, fixes) = fixes_of("express", &registry, &npm_registry, &db).await;
    assert_eq!(fixes.len(), 1, "qs alone");
    let (name, tier, edits) = &fixes[0];
    assert_eq!(
        (name.as_str(), *tier),
        ("qs", Tier::DependentBump),
        "{:?}",
        edits.notes
    );
    assert!(!edits.files.contains_key("package.json"), "no override");
    let new_lock = &edits.files["bun.lock"];
    assert!(
        new_lock.contains("\"express\": [\"express@4.17.3\""),
        "{new_lock}"
    );
    bun_accepts(&npm_registry, &manifest, new_lock, "express qs").await;
    let own = bun_own_fix(
        &npm_registry,
        &manifest,
        &lock,
        &["update", "express", "--lockfile-only"],
    )
    .await;
    // `bun update` also raises the project's range to what it picked; the fix keeps the range,
    // which already allows 4.17.3, and every entry is the same.
    let own = own.replace("\"express\": \"^4.17.3\"", "\"express\": \"^4.17.1\"");
    assert_eq!(&own, new_lock, "bun update express writes another lockfile");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bun_repository_gets_one_fix_pull_request_per_package_through_the_simulator() {
    use bitbucket_dc::{Client, Credentials};
    use bitbucket_dc_sim::{Permission, ProjectSeed, RepoSeed, Simulator, UserSeed};
    use gitproxy_remediation::host::{BitbucketDc, BitbucketHost};
    use gitproxy_remediation::remediate::Remediator;
    let (_stand_in, registry, npm_registry) = stand_in().await;
    let (manifest, lock) = project("hoisted", &npm_registry);
    let sim = Simulator::builder()
        .user(UserSeed::new("bot").token("bot-token"))
        .project(ProjectSeed::new("SEC").name("Security"))
        .repo(
            RepoSeed::new("SEC", "shop")
                .file("package.json", manifest.as_str())
                .file("bun.lock", lock.as_str()),
        )
        .grant_project("bot", "SEC", Permission::ProjectWrite)
        .start()
        .await
        .expect("the simulator starts");
    let client = Client::builder(sim.base_url().as_str())
        .credentials(Credentials::bearer("bot-token").unwrap())
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap();
    let host = BitbucketDc::new(client);
    let db = database();
    let remediator = Remediator::new(&host, &db, &registry, PlanOptions::recommended());
    let outcome = remediator.remediate_repo("SEC", "shop").await.unwrap();
    assert!(outcome.problems.is_empty(), "{:?}", outcome.problems);
    assert!(outcome.unsupported.is_empty(), "{:?}", outcome.unsupported);
    assert_eq!(outcome.opened.len(), 3, "lodash, node-fetch and qs");

    let head = host
        .branch_head("SEC", "shop", "gitproxy/security/npm-node-fetch")
        .await
        .unwrap()
        .expect("the node-fetch branch");
    let branch_lock = String::from_utf8(
        host.read_file("SEC", "shop", "bun.lock", &head)
            .await
            .unwrap(),
    )
    .unwrap();
    assert!(branch_lock.contains("\"node-fetch\": [\"node-fetch@2.6.7\""));
    assert!(branch_lock.contains("\"whatwg-url\": [\"whatwg-url@5.0.0\""));
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
    let fetch = description("node-fetch");
    assert!(
        fetch.contains(
            "every range on node-fetch allows the fixed version, so only bun.lock changes"
        ),
        "{fetch}"
    );
    let lodash = description("lodash");
    assert!(
        lodash.contains("package.json requires lodash `4.17.20`, which excludes the fixed version, so the range moves; bun.lock follows as Bun resolves it"),
        "{lodash}"
    );
    let qs = description("qs");
    assert!(qs.contains("qs 6.7.3 is forced with `overrides`"), "{qs}");
    sim.shutdown().await;
}

/// A workspace project: the project requires isomorphic-fetch, member `a` pins lodash 4.17.20
/// and requires member `b`, `b` pins express 4.17.1 and requires whatwg-url 7. Each fix is
/// written (a member's range moves in its own package.json and in the lockfile's record of that
/// workspace), accepted by Bun and equal to what Bun writes for the same change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workspace_projects_fixes_are_written_as_bun_writes_them() {
    let (_stand_in, registry, npm_registry) = stand_in().await;
    let db = database();
    let base = fixtures().join("bun/workspaces");
    let files: Vec<(&str, String)> = [
        "package.json",
        "packages/a/package.json",
        "packages/b/package.json",
    ]
    .iter()
    .map(|p| (*p, std::fs::read_to_string(base.join(p)).unwrap()))
    .chain(std::iter::once((
        "bun.lock",
        std::fs::read_to_string(base.join("bun.lock"))
            .unwrap()
            .replace(FIXTURE_REGISTRY, &npm_registry),
    )))
    .collect();
    let mut snapshot = Snapshot::new();
    for (path, text) in &files {
        snapshot.insert(*path, text.as_str());
    }
    let analysis = analyze(&snapshot);
    assert!(analysis.problems.is_empty(), "{:?}", analysis.problems);
    let lodash = analysis.find("lodash", "4.17.20").unwrap();
    assert_eq!(
        lodash.declared_in.as_ref().map(|d| d.file.as_str()),
        Some("packages/a/package.json")
    );
    let findings = db.scan(&analysis);
    let planned = plan(
        &analysis,
        &findings,
        &db,
        &registry,
        &PlanOptions::recommended(),
    )
    .await
    .unwrap();
    let names: Vec<&str> = planned.fixes.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["lodash", "node-fetch", "qs"]);
    let write = |dir: &Path, edits: Option<&gitproxy_remediation::edit::EditSet>| {
        for (path, text) in &files {
            let text = edits.and_then(|e| e.files.get(*path)).unwrap_or(text);
            let target = dir.join(path);
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::write(target, text).unwrap();
        }
    };
    for fix in &planned.fixes {
        let edits = apply_fix(fix, &analysis, &snapshot, &registry)
            .await
            .unwrap();
        let what = format!("workspaces {}", fix.name);
        assert!(!edits.needs_package_manager, "{what}: {:?}", edits.notes);
        let new_lock = edits.files["bun.lock"].clone();
        if fix.name == "lodash" {
            assert!(
                edits.files.contains_key("packages/a/package.json"),
                "{what}"
            );
            assert!(new_lock.contains("    \"packages/a\": {\n      \"name\": \"a\",\n      \"version\": \"1.0.0\",\n      \"dependencies\": {\n        \"b\": \"workspace:*\",\n        \"lodash\": \"4.17.21\","), "{new_lock}");
        }
        // Bun accepts the branch as it is and leaves it as it is.
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), Some(&edits));
        let (ok, log) = bun(
            dir.path(),
            &npm_registry,
            &["install", "--frozen-lockfile", "--lockfile-only"],
        )
        .await;
        assert!(ok, "{what}: {log}");
        let (ok, log) = bun(dir.path(), &npm_registry, &["install", "--lockfile-only"]).await;
        assert!(ok, "{what}: {log}");
        let after = std::fs::read_to_string(dir.path().join("bun.lock")).unwrap();
        assert_eq!(after, new_lock, "{what}: Bun rewrote the lockfile");
        // Bun's own fix from the original lockfile writes the same.
        let own = tempfile::tempdir().unwrap();
        write(own.path(), None);
        for (path, text) in &edits.files {
            if path.ends_with("package.json") {
                std::fs::write(own.path().join(path), text).unwrap();
            }
        }
        let manifests_moved = edits.files.keys().any(|p| p.ends_with("package.json"));
        let args: &[&str] = if manifests_moved {
            &["install", "--lockfile-only"]
        } else {
            &["update", &fix.name, "--lockfile-only"]
        };
        let (ok, log) = bun(own.path(), &npm_registry, args).await;
        assert!(ok, "{what}: {log}");
        let own_lock = std::fs::read_to_string(own.path().join("bun.lock")).unwrap();
        assert_eq!(own_lock, new_lock, "{what}: Bun fixes it differently");
    }
}
