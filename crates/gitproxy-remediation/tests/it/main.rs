//! Integration tests of the remediation engine: on the real OSV data in `../shared/osv`, the
//! cargo-audit oracle, the Bitbucket simulator, and Cargo.lock fixes checked by the real cargo.

mod branches;
mod cargo_lock;
mod ci_logs;
mod e2e;
mod engine;
mod gating;
mod gomod;
mod gradle;
mod limits;
mod no_registry;
mod npm_lock;
mod nuget;
mod oracle;
mod pnpm_lock;
mod poetry;
mod python_locks;
mod real_osv;
mod refresh;
mod registry;
mod ruby_composer;
mod ruby_composer_tools;
mod yarn_lock;

use std::path::PathBuf;

use gitproxy_remediation::advisories::AdvisoryDb;

/// `../shared` next to the project root.
pub(crate) fn shared() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

/// The crate's test fixtures.
pub(crate) fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Loads one ecosystem archive from `../shared/osv`.
pub(crate) fn load(ecosystem_dir: &str) -> AdvisoryDb {
    let mut db = AdvisoryDb::new();
    let n = db
        .load_zip_file(&shared().join("osv").join(ecosystem_dir).join("all.zip"))
        .expect("the shared OSV archive loads");
    assert_eq!(n, db.len());
    db
}
