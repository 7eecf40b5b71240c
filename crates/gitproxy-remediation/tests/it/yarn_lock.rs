//! yarn 1 itself accepts every classic yarn.lock fix: real packuments (`fixtures/yarn`) served
//! by the loopback stand-in give the agent what it writes, and each fix branch then passes
//! `yarn install --frozen-lockfile --offline` from an offline mirror of the real tarballs (so
//! every `integrity` is checked against the tarball), after which a plain `yarn install
//! --offline` leaves the lockfile byte for byte as the agent wrote it, and yarn resolving the
//! same change itself (online against the stand-in) writes that very lockfile. One branch per
//! tier: the
//! entry alone (with new dependencies added), the declared range, the parent, `resolutions`.
//! Without a registry, and for a Berry lockfile, the manifest carries the fix and the plan names
//! `yarn install`. yarn comes from npm, installed by `cargo xtask test` under `target/tools/yarn`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use gitproxy_remediation::advisories::AdvisoryDb;
use gitproxy_remediation::analysis::analyze;
use gitproxy_remediation::edit::apply_fix;
use gitproxy_remediation::files::Snapshot;
use gitproxy_remediation::plan::{plan, LockfileRefresh, PlanOptions, Tier};
use gitproxy_remediation::registry::{CachedRegistry, HttpRegistry, StaticRegistry};
use gitproxy_remediation::Ecosystem;
use hyper_util::client::legacy::connect::HttpConnector;

use crate::registry::StandIn;
use crate::{fixed_in_db, fixtures, packument_routes};

fn yarn_fixtures() -> PathBuf {
    fixtures().join("yarn")
}

/// yarn 1 from npm, installed by `cargo xtask test` under `target/tools/yarn`.
fn yarn() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/tools/yarn/node_modules/yarn/bin/yarn.js")
}

fn database() -> AdvisoryDb {
    fixed_in_db(
        "yarn-lock",
        &[
            ("GHSA-r683-j2x4-v87g", "npm", "node-fetch", "2.6.7"),
            ("GHSA-xvch-5gv4-984h", "npm", "minimist", "1.2.6"),
        ],
    )
}

/// Runs yarn 1 in `dir`, offline, from the mirror of captured tarballs, with its own empty
/// configuration and cache.
fn run_yarn(dir: &Path, args: &[&str]) -> (bool, String) {
    run_yarn_with(dir, None, args)
}

/// [`run_yarn`], or with `registry` online against the stand-in (tarballs still from the
/// mirror; anything over HTTPS goes to a dead loopback proxy, so nothing leaves the machine).
fn run_yarn_with(dir: &Path, registry: Option<&str>, args: &[&str]) -> (bool, String) {
    let home = dir.join(".home");
    // yarn writes to (and on an integrity failure deletes from) its mirror: a copy per run.
    let mirror = home.join("mirror");
    std::fs::create_dir_all(&mirror).unwrap();
    for entry in std::fs::read_dir(yarn_fixtures().join("tarballs")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, mirror.join(path.file_name().unwrap())).unwrap();
    }
    let mut rc = format!("yarn-offline-mirror {:?}\n", mirror.display().to_string());
    if let Some(registry) = registry {
        rc.push_str(&format!(
            "registry {registry:?}\nhttps-proxy \"http://127.0.0.1:9\"\n"
        ));
    }
    std::fs::write(dir.join(".yarnrc"), rc).unwrap();
    let mode = if registry.is_some() {
        "--prefer-offline"
    } else {
        "--offline"
    };
    let out = std::process::Command::new("node")
        .arg(yarn())
        .args(args)
        .args([
            mode,
            "--ignore-scripts",
            "--non-interactive",
            "--no-progress",
            "--cache-folder",
        ])
        .arg(home.join("cache"))
        .current_dir(dir)
        .env("HOME", &home)
        .env("YARN_IGNORE_PATH", "1")
        .env_remove("npm_config_registry")
        .output()
        .expect("node runs yarn (installed by `cargo xtask test` under target/tools/yarn)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn project(name: &str) -> (String, String) {
    let base = yarn_fixtures().join(name);
    (
        std::fs::read_to_string(base.join("package.json")).unwrap(),
        std::fs::read_to_string(base.join("yarn.lock")).unwrap(),
    )
}

/// The lockfile without the entries of `package`.
fn without_entry(lock: &str, package: &str) -> String {
    let (head, body) = lock.split_once("\n\n\n").unwrap();
    let kept: Vec<&str> = body
        .trim_end()
        .split("\n\n")
        .filter(|block| !block.starts_with(&format!("{package}@")))
        .collect();
    format!("{head}\n\n\n{}\n", kept.join("\n\n"))
}

fn advisories(db: &AdvisoryDb, snapshot: &Snapshot) -> BTreeSet<(String, String)> {
    let analysis = analyze(snapshot);
    db.scan(&analysis)
        .iter()
        .map(|f| {
            let d = &analysis.dependencies[f.dependency];
            (
                f.id.clone(),
                format!("{}@{}", d.name, d.version.clone().unwrap_or_default()),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn yarn_fix_branches_pass_a_frozen_offline_install_and_yarn_keeps_the_lockfile() {
    let stand_in =
        StandIn::start(packument_routes(&yarn_fixtures().join("packuments"), |t| t)).await;
    let registry = CachedRegistry::new(HttpRegistry::new(HttpConnector::new(), stand_in.urls()));
    let npm_registry = format!("http://{}/npm/", stand_in.addr);
    let db = database();
    // The originals are what yarn itself accepts.
    for name in ["classic", "parent", "pinned"] {
        let (manifest, lock) = project(name);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("package.json"), &manifest).unwrap();
        std::fs::write(dir.path().join("yarn.lock"), &lock).unwrap();
        let (ok, log) = run_yarn(dir.path(), &["install", "--frozen-lockfile"]);
        assert!(ok, "{name}: the original does not install: {log}");
    }
    let cases: [(&str, &str, &str, Tier, &[&str]); 4] = [
        // isomorphic-fetch requires node-fetch ^2.6.1: the entry moves and 2.6.7's new
        // dependency whatwg-url (with tr46 and webidl-conversions) is added.
        (
            "classic",
            "node-fetch",
            "2.6.7",
            Tier::LockfileUpdate,
            &[
                "node-fetch@^2.6.1:\n  version \"2.6.7\"",
                "whatwg-url@^5.0.0:\n  version \"5.0.0\"",
                "tr46@~0.0.3:",
                "webidl-conversions@^3.0.0:",
            ],
        ),
        // The project pins minimist 1.2.5 (a dev dependency): the declared range moves.
        (
            "classic",
            "minimist",
            "1.2.6",
            Tier::ManifestBump,
            &["minimist@1.2.6:\n  version \"1.2.6\""],
        ),
        // mkdirp 0.5.1 pins minimist 0.0.8; mkdirp 0.5.2 (within ^0.5.1) requires ^1.2.5.
        (
            "parent",
            "minimist",
            "1.2.6",
            Tier::Override,
            &[
                "mkdirp@^0.5.1:\n  version \"0.5.2\"",
                "minimist@^1.2.5:\n  version \"1.2.6\"",
            ],
        ),
        // The project pins mkdirp 0.5.1 itself, so no release of it can move: `resolutions`.
        (
            "pinned",
            "minimist",
            "1.2.6",
            Tier::Override,
            &["minimist@0.0.8, minimist@1.2.6:\n  version \"1.2.6\""],
        ),
    ];
    for (name, package, to, tier, expected) in cases {
        let (manifest, lock) = project(name);
        let snapshot = Snapshot::new()
            .with("package.json", manifest.as_str())
            .with("yarn.lock", lock.as_str());
        let before = advisories(&db, &snapshot);
        let analysis = analyze(&snapshot);
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
        let fix = planned
            .by_package()
            .into_iter()
            .find(|f| f.name == package)
            .unwrap_or_else(|| panic!("{name}: no fix for {package}: {planned:?}"));
        assert_eq!((fix.to.as_str(), fix.tier), (to, tier), "{name} {package}");
        assert_eq!(fix.lockfile, LockfileRefresh::Agent, "{name} {package}");
        let edits = apply_fix(&fix, &analysis, &snapshot, &registry)
            .await
            .unwrap();
        assert!(!edits.needs_package_manager, "{name}: {:?}", edits.notes);
        let new_lock = edits
            .files
            .get("yarn.lock")
            .expect("yarn.lock changes")
            .clone();
        for text in expected {
            assert!(
                new_lock.contains(text),
                "{name} {package}: no {text:?} in\n{new_lock}"
            );
        }
        let new_manifest = edits.files.get("package.json").unwrap_or(&manifest).clone();
        match (name, package) {
            ("classic", "minimist") => {
                assert!(
                    new_manifest.contains("\"minimist\": \"1.2.6\""),
                    "{new_manifest}"
                );
                assert!(!new_lock.contains("minimist@1.2.5"), "{new_lock}");
            }
            ("parent", _) => {
                assert!(!edits.files.contains_key("package.json"));
                assert!(!new_lock.contains("0.0.8"), "{new_lock}");
                assert!(
                    edits
                        .notes
                        .iter()
                        .any(|n| n.contains("mkdirp moves to 0.5.2")),
                    "{:?}",
                    edits.notes
                );
            }
            ("pinned", _) => {
                assert!(
                    new_manifest.contains("\"resolutions\": {\n    \"minimist\": \"1.2.6\"\n  }"),
                    "{new_manifest}"
                );
                assert!(
                    edits.notes.iter().any(|n| n.contains("`resolutions`")),
                    "{:?}",
                    edits.notes
                );
            }
            _ => assert!(!edits.files.contains_key("package.json")),
        }

        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("package.json"), &new_manifest).unwrap();
        std::fs::write(dir.path().join("yarn.lock"), &new_lock).unwrap();
        let (ok, log) = run_yarn(dir.path(), &["install", "--frozen-lockfile"]);
        assert!(
            ok,
            "{name} {package}: yarn install --frozen-lockfile failed: {log}\n{new_lock}"
        );
        let (ok, log) = run_yarn(dir.path(), &["install"]);
        assert!(ok, "{name} {package}: yarn install failed: {log}");
        let after = std::fs::read_to_string(dir.path().join("yarn.lock")).unwrap();
        assert_eq!(
            after, new_lock,
            "{name} {package}: yarn rewrote the lockfile"
        );

        // yarn's own resolution of the same change writes the same lockfile (yarn names the
        // npm registry's tarball host where the agent keeps the lockfile's): for a lockfile
        // update, the original without the package's entry; for a manifest change, the
        // original with the new manifest. (The parent tier takes the parent's lowest release
        // that takes the fix, where yarn would take its newest.)
        let own = match tier {
            Tier::LockfileUpdate => Some(without_entry(&lock, package)),
            _ if name == "parent" => None,
            _ => Some(lock.clone()),
        };
        if let Some(start) = own {
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join("package.json"), &new_manifest).unwrap();
            std::fs::write(dir.path().join("yarn.lock"), &start).unwrap();
            let (ok, log) = run_yarn_with(dir.path(), Some(&npm_registry), &["install"]);
            assert!(ok, "{name} {package}: yarn install failed: {log}");
            let by_yarn = std::fs::read_to_string(dir.path().join("yarn.lock"))
                .unwrap()
                .replace(
                    "https://registry.npmjs.org/",
                    "https://registry.yarnpkg.com/",
                );
            assert_eq!(
                by_yarn, new_lock,
                "{name} {package}: yarn resolves it differently"
            );
        }

        let fixed = snapshot
            .clone()
            .with("package.json", new_manifest.as_str())
            .with("yarn.lock", new_lock.as_str());
        let left = advisories(&db, &fixed);
        assert!(
            left.iter()
                .all(|(_, p)| !p.starts_with(&format!("{package}@"))),
            "{name}: {left:?}"
        );
        assert!(left.is_subset(&before), "{name}: {left:?} vs {before:?}");
    }
}

/// Without a registry that gives the new version's metadata, and for any Berry lockfile, the
/// lockfile is left alone: the declared range or `resolutions` carries the fix and the plan
/// names `yarn install`.
#[tokio::test]
async fn without_a_registry_and_for_berry_the_manifest_changes_and_yarn_relocks() {
    let db = database();
    // Versions only, no digests or metadata: what the OSV data's fixed versions give.
    let mut versions = StaticRegistry::new();
    for (name, version) in [
        ("node-fetch", "2.6.1"),
        ("node-fetch", "2.6.7"),
        ("minimist", "1.2.5"),
        ("minimist", "1.2.6"),
    ] {
        versions = versions.publish(Ecosystem::Npm, name, version, &[]);
    }
    let (manifest, lock) = project("classic");
    let snapshot = Snapshot::new()
        .with("package.json", manifest.as_str())
        .with("yarn.lock", lock.as_str());
    let analysis = analyze(&snapshot);
    let planned = plan(
        &analysis,
        &db.scan(&analysis),
        &db,
        &versions,
        &PlanOptions::recommended(),
    )
    .await
    .unwrap();
    for fix in planned.by_package() {
        assert_eq!(
            fix.lockfile,
            LockfileRefresh::Command("yarn install".into()),
            "{}",
            fix.name
        );
        let edits = apply_fix(&fix, &analysis, &snapshot, &versions)
            .await
            .unwrap();
        assert!(!edits.files.contains_key("yarn.lock"), "{}", fix.name);
        assert!(edits.needs_package_manager);
        let new_manifest = &edits.files["package.json"];
        match fix.name.as_str() {
            "minimist" => {
                assert_eq!(fix.tier, Tier::ManifestBump);
                assert!(
                    new_manifest.contains("\"minimist\": \"1.2.6\""),
                    "{new_manifest}"
                );
            }
            _ => {
                assert_eq!(fix.tier, Tier::Override);
                assert!(
                    new_manifest.contains("\"resolutions\": {\n    \"node-fetch\": \"2.6.7\"\n  }"),
                    "{new_manifest}"
                );
            }
        }
        assert!(
            edits.notes.iter().any(|n| n.contains("run `yarn install`")),
            "{:?}",
            edits.notes
        );
    }

    // Berry, with a registry that gives everything: still the manifest and `yarn install`.
    let stand_in =
        StandIn::start(packument_routes(&yarn_fixtures().join("packuments"), |t| t)).await;
    let registry = CachedRegistry::new(HttpRegistry::new(HttpConnector::new(), stand_in.urls()));
    let base = yarn_fixtures().join("berry");
    let read = |p: &str| std::fs::read_to_string(base.join(p)).unwrap();
    let snapshot = Snapshot::new()
        .with("package.json", read("package.json"))
        .with(
            "packages/lib/package.json",
            read("packages/lib/package.json"),
        )
        .with("yarn.lock", read("yarn.lock"));
    let analysis = analyze(&snapshot);
    let planned = plan(
        &analysis,
        &db.scan(&analysis),
        &db,
        &registry,
        &PlanOptions::recommended(),
    )
    .await
    .unwrap();
    let fix = planned
        .by_package()
        .into_iter()
        .find(|f| f.name == "minimist")
        .unwrap();
    assert_eq!((fix.from.as_str(), fix.tier), ("1.2.5", Tier::ManifestBump));
    assert_eq!(
        fix.lockfile,
        LockfileRefresh::Command("yarn install".into())
    );
    let edits = apply_fix(&fix, &analysis, &snapshot, &registry)
        .await
        .unwrap();
    assert_eq!(edits.files.keys().collect::<Vec<_>>(), ["package.json"]);
    assert!(edits.files["package.json"].contains("\"minimist\": \"1.2.6\""));
    assert!(
        edits
            .notes
            .iter()
            .any(|n| n.contains("yarn Berry lockfile")),
        "{:?}",
        edits.notes
    );
}

/// A yarn repository through the Bitbucket simulator: one pull request per vulnerable package,
/// each branch's yarn.lock the one yarn accepts above, each description saying why its tier was
/// needed.
#[tokio::test]
async fn yarn_fix_pull_requests_through_the_simulator() {
    use bitbucket_dc::{Client, Credentials};
    use bitbucket_dc_sim::{Permission, ProjectSeed, RepoSeed, Simulator, UserSeed};
    use gitproxy_remediation::host::{BitbucketDc, BitbucketHost};
    use gitproxy_remediation::remediate::Remediator;

    let (manifest, lock) = project("classic");
    let sim = Simulator::builder()
        .user(UserSeed::new("bot").token("bot-token"))
        .project(ProjectSeed::new("SEC").name("Security"))
        .repo(
            RepoSeed::new("SEC", "shop")
                .file("package.json", manifest.as_str())
                .file("yarn.lock", lock.as_str()),
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
    let stand_in =
        StandIn::start(packument_routes(&yarn_fixtures().join("packuments"), |t| t)).await;
    let registry = CachedRegistry::new(HttpRegistry::new(HttpConnector::new(), stand_in.urls()));
    let db = database();
    let remediator = Remediator::new(&host, &db, &registry, PlanOptions::recommended());
    let outcomes = remediator.remediate_project("SEC").await.unwrap();
    assert_eq!(outcomes.len(), 1);
    assert!(
        outcomes[0].problems.is_empty(),
        "{:?}",
        outcomes[0].problems
    );
    assert_eq!(outcomes[0].opened.len(), 2, "node-fetch and minimist");

    let read = |branch: &'static str, path: &'static str| {
        let host = &host;
        async move {
            let head = host
                .branch_head("SEC", "shop", branch)
                .await
                .unwrap()
                .unwrap();
            String::from_utf8(host.read_file("SEC", "shop", path, &head).await.unwrap()).unwrap()
        }
    };
    let fetch_lock = read("gitproxy/security/npm-node-fetch", "yarn.lock").await;
    assert!(
        fetch_lock.contains("node-fetch@^2.6.1:\n  version \"2.6.7\""),
        "{fetch_lock}"
    );
    assert!(fetch_lock.contains("whatwg-url@^5.0.0:"), "{fetch_lock}");
    assert_eq!(
        read("gitproxy/security/npm-node-fetch", "package.json").await,
        manifest
    );
    let minimist_manifest = read("gitproxy/security/npm-minimist", "package.json").await;
    assert_eq!(
        minimist_manifest,
        manifest.replace("\"minimist\": \"1.2.5\"", "\"minimist\": \"1.2.6\"")
    );
    let minimist_lock = read("gitproxy/security/npm-minimist", "yarn.lock").await;
    assert!(
        minimist_lock.contains("minimist@1.2.6:\n  version \"1.2.6\""),
        "{minimist_lock}"
    );

    let prs = host
        .pull_requests("SEC", "shop", "gitproxy/")
        .await
        .unwrap();
    let description = |name: &str| {
        prs.iter()
            .find(|p| p.title.contains(name))
            .and_then(|p| p.description.clone())
            .unwrap_or_else(|| panic!("a pull request for {name}: {prs:?}"))
    };
    let fetch = description("node-fetch");
    assert!(fetch.contains("How: lockfile update"), "{fetch}");
    assert!(
        fetch.contains(
            "node-fetch moves from 2.6.1 to 2.6.7 within the ranges that require it (`^2.6.1`)"
        ),
        "{fetch}"
    );
    assert!(fetch.contains("whatwg-url@5.0.0"), "{fetch}");
    let minimist = description("minimist");
    assert!(
        minimist.contains("How: manifest version bump"),
        "{minimist}"
    );
    assert!(
        minimist.contains("package.json declares minimist as `1.2.5`, which does not allow 1.2.6"),
        "{minimist}"
    );
}
