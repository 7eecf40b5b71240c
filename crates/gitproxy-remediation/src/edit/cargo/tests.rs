//! Tests for crates.io edits: workspace manifests and lockfiles keep their comments, inherited
//! requirements are bumped in the root, parents that cannot move leave the lockfile alone, and
//! without a checksum from a registry Cargo.lock is never touched.

use crate::analysis::analyze;
use crate::edit::apply_fix;
use crate::edit::tests::{db, edits};
use crate::files::Snapshot;
use crate::plan::{LockfileRefresh, PackageFix, Tier};
use crate::registry::StaticRegistry;
use crate::Ecosystem;

#[tokio::test]
async fn cargo_workspace_manifest_and_lock_edits_keep_comments() {
    let root = "[workspace]\nmembers = [\"app\"]\n\n[workspace.dependencies]\n# Pinned for MSRV.\nsmallvec = \"1.6.0\" # keep\n";
    let app = "[package]\nname = \"app\"\nversion = \"0.1.0\"\n\n[dependencies]\nsmallvec = { workspace = true }\ntime = { version = \"=0.1.43\", default-features = false }\n\n[dev-dependencies]\ntime03 = { package = \"time\", version = \"0.3\" }\n";
    let lock = "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n \"smallvec\",\n \"time 0.1.43\",\n \"time 0.3.0\",\n]\n\n[[package]]\nname = \"smallvec\"\nversion = \"1.6.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"aaaa\"\n\n[[package]]\nname = \"time\"\nversion = \"0.1.43\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"bbbb\"\n\n[[package]]\nname = \"time\"\nversion = \"0.3.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"cccc\"\n";
    let snapshot = Snapshot::new()
        .with("Cargo.toml", root)
        .with("app/Cargo.toml", app)
        .with("Cargo.lock", lock);
    // smallvec 1.6.1 fits the existing "1.6.0" requirement: lockfile only. time needs 0.1.44,
    // outside `=0.1.43`: the manifest changes too.
    let db = db(&[
        ("R1", "crates.io", "smallvec", "1.6.1"),
        ("R2", "crates.io", "time", "0.1.44"),
    ]);
    // The resolver reads every locked version's index entry (no dependencies here).
    let reg = StaticRegistry::new()
        .publish(Ecosystem::CratesIo, "smallvec", "1.6.0", &[(None, "aaaa")])
        .publish(Ecosystem::CratesIo, "smallvec", "1.6.1", &[(None, "dddd")])
        .publish(Ecosystem::CratesIo, "time", "0.1.43", &[(None, "bbbb")])
        .publish(Ecosystem::CratesIo, "time", "0.1.44", &[(None, "eeee")])
        .publish(Ecosystem::CratesIo, "time", "0.3.0", &[(None, "cccc")]);
    let (plan, set) = edits(&snapshot, &db, &reg).await;
    let tiers: Vec<(&str, Tier)> = plan
        .fixes
        .iter()
        .map(|f| (f.name.as_str(), f.tier))
        .collect();
    assert_eq!(
        tiers,
        [
            ("smallvec", Tier::LockfileUpdate),
            ("time", Tier::ManifestBump)
        ]
    );
    assert!(
        !set.files.contains_key("Cargo.toml"),
        "the workspace requirement already allows 1.6.1"
    );
    assert_eq!(
        set.files["app/Cargo.toml"],
        app.replace("\"=0.1.43\"", "\"=0.1.44\"")
    );
    let expected = lock
        .replace("\"time 0.1.43\"", "\"time 0.1.44\"")
        .replace("version = \"1.6.0\"", "version = \"1.6.1\"")
        .replace("checksum = \"aaaa\"", "checksum = \"dddd\"")
        .replace("version = \"0.1.43\"", "version = \"0.1.44\"")
        .replace("checksum = \"bbbb\"", "checksum = \"eeee\"");
    assert_eq!(set.files["Cargo.lock"], expected);
}

#[tokio::test]
async fn cargo_inherited_bump_edits_the_workspace_root() {
    let root = "[workspace]\nmembers = [\"app\"]\n\n[workspace.dependencies]\n# Pinned for MSRV.\nsmallvec = \"=1.6.0\" # keep\n";
    let app = "[package]\nname = \"app\"\n\n[dependencies]\nsmallvec = { workspace = true }\n";
    let snapshot = Snapshot::new()
        .with("Cargo.toml", root)
        .with("app/Cargo.toml", app);
    let analysis = analyze(&snapshot);
    let fix = PackageFix {
        ecosystem: Ecosystem::CratesIo,
        name: "smallvec".into(),
        from: "1.6.0".into(),
        to: "1.6.1".into(),
        fixed_versions: Vec::new(),
        breaking: false,
        tier: Tier::ManifestBump,
        dependencies: vec![analysis
            .dependencies
            .iter()
            .position(|d| d.location.file == "app/Cargo.toml")
            .unwrap()],
        advisories: vec!["R1".into()],
        locations: Vec::new(),
        notes: Vec::new(),
        lockfile: crate::plan::LockfileRefresh::Agent,
        own_version: false,
    };
    let set = apply_fix(&fix, &analysis, &snapshot, &StaticRegistry::new())
        .await
        .unwrap();
    assert_eq!(
        set.files["Cargo.toml"],
        root.replace("\"=1.6.0\"", "\"=1.6.1\"")
    );
    assert!(!set.files.contains_key("app/Cargo.toml"));
}

#[tokio::test]
async fn cargo_parents_that_cannot_move_leave_the_lockfile_alone() {
    let lock = "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n \"hyper\",\n]\n\n[[package]]\nname = \"hyper\"\nversion = \"0.14.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\ndependencies = [\n \"h2\",\n]\n\n[[package]]\nname = \"h2\"\nversion = \"0.2.7\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n";
    let snapshot = Snapshot::new().with("Cargo.lock", lock);
    let db = db(&[("R1", "crates.io", "h2", "0.3.24")]);
    let reg = StaticRegistry::new().publish(Ecosystem::CratesIo, "h2", "0.3.24", &[(None, "ffff")]);
    let (plan, set) = edits(&snapshot, &db, &reg).await;
    assert_eq!(plan.fixes[0].tier, Tier::Override);
    assert!(plan.fixes[0].breaking);
    assert!(set.files.is_empty());
    assert!(set.needs_package_manager);
    assert!(
        set.notes
            .iter()
            .any(|n| n.contains("upgrade hyper@0.14.0 and run `cargo update`")),
        "{:?}",
        set.notes
    );
}

const APP_TOML: &str = "[package]\nname = \"app\"\nversion = \"0.1.0\"\n\n[dependencies]\nhyper = \"0.14\"\nsmallvec = \"1.6.0\"\n";
const APP_LOCK: &str = "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n \"hyper\",\n \"smallvec\",\n]\n\n[[package]]\nname = \"h2\"\nversion = \"0.3.20\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"aaaa\"\n\n[[package]]\nname = \"hyper\"\nversion = \"0.14.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"bbbb\"\ndependencies = [\n \"h2\",\n]\n\n[[package]]\nname = \"smallvec\"\nversion = \"1.6.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"cccc\"\n";

#[tokio::test]
async fn cargo_without_a_checksum_bumps_the_manifest_and_leaves_the_lock() {
    let snapshot = Snapshot::new()
        .with("Cargo.toml", APP_TOML)
        .with("Cargo.lock", APP_LOCK);
    let db = db(&[("R1", "crates.io", "smallvec", "1.6.1")]);
    let reg = StaticRegistry::new().publish(Ecosystem::CratesIo, "smallvec", "1.6.1", &[]);
    let (plan, set) = edits(&snapshot, &db, &reg).await;
    assert_eq!(plan.fixes[0].tier, Tier::ManifestBump);
    assert_eq!(
        plan.fixes[0].lockfile,
        LockfileRefresh::Command("cargo update -p smallvec --precise 1.6.1".into())
    );
    assert_eq!(set.files.keys().collect::<Vec<_>>(), ["Cargo.toml"]);
    assert_eq!(
        set.files["Cargo.toml"],
        APP_TOML.replace("smallvec = \"1.6.0\"", "smallvec = \"1.6.1\"")
    );
    assert!(set.needs_package_manager);
    assert!(
        set.notes
            .iter()
            .any(|n| n.contains("run `cargo update -p smallvec --precise 1.6.1`")),
        "{:?}",
        set.notes
    );
    // With the checksum and the index entries of the locked graph, the agent writes the
    // lockfile itself and the manifest stays.
    let hyper = r#"{"name":"hyper","vers":"0.14.0","deps":[{"name":"h2","req":"^0.3","features":[],"optional":false,"default_features":true,"target":null,"kind":"normal"}],"cksum":"bbbb","features":{}}"#;
    let reg = StaticRegistry::new()
        .publish(Ecosystem::CratesIo, "smallvec", "1.6.0", &[(None, "cccc")])
        .publish(Ecosystem::CratesIo, "smallvec", "1.6.1", &[(None, "dddd")])
        .publish(Ecosystem::CratesIo, "h2", "0.3.20", &[(None, "aaaa")])
        .index_file("hyper", hyper)
        .unwrap();
    let (plan, set) = edits(&snapshot, &db, &reg).await;
    assert_eq!(plan.fixes[0].lockfile, LockfileRefresh::Agent);
    assert_eq!(set.files.keys().collect::<Vec<_>>(), ["Cargo.lock"]);
    assert_eq!(
        set.files["Cargo.lock"],
        APP_LOCK
            .replace("version = \"1.6.0\"", "version = \"1.6.1\"")
            .replace("checksum = \"cccc\"", "checksum = \"dddd\"")
    );
}

#[tokio::test]
async fn cargo_transitive_without_a_checksum_changes_nothing_and_names_the_command() {
    // Cargo has no override: only Cargo.lock can carry h2's fix, and without a checksum the
    // agent does not write it; the plan names the command instead of a silent nothing.
    let snapshot = Snapshot::new()
        .with("Cargo.toml", APP_TOML)
        .with("Cargo.lock", APP_LOCK);
    let db = db(&[("R1", "crates.io", "h2", "0.3.24")]);
    let reg = StaticRegistry::new().publish(Ecosystem::CratesIo, "h2", "0.3.24", &[]);
    let (plan, set) = edits(&snapshot, &db, &reg).await;
    assert_eq!(plan.fixes[0].tier, Tier::LockfileUpdate);
    assert_eq!(
        plan.fixes[0].lockfile,
        LockfileRefresh::Command("cargo update -p h2 --precise 0.3.24".into())
    );
    assert!(set.files.is_empty(), "{:?}", set.files.keys());
    assert!(set.needs_package_manager);
    assert!(
        set.notes
            .iter()
            .any(|n| n.contains("run `cargo update -p h2 --precise 0.3.24`")),
        "{:?}",
        set.notes
    );
}
