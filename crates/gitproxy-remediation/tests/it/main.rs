//! Integration tests of the remediation engine: on the real OSV data in `../shared/osv`, the
//! cargo-audit oracle, the Bitbucket simulator, and Cargo.lock fixes checked by the real cargo.

mod branches;
mod bun_lock;
mod cargo_lock;
mod ci_logs;
mod e2e;
mod engine;
mod gating;
mod gomod;
mod gradle;
mod limits;
mod maven_tools;
mod no_registry;
mod npm_lock;
mod nuget;
mod oracle;
mod osv_mirror;
mod pnpm_lock;
mod poetry;
mod python_locks;
mod real_osv;
mod refresh;
mod registry;
mod ruby_composer;
mod ruby_composer_tools;
mod yarn_lock;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use gitproxy_remediation::advisories::AdvisoryDb;
use gitproxy_remediation::osv::Record;

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

/// A database of records that each affect one package from its first release up to `fixed`:
/// `(id, ecosystem, name, fixed)`, an `ECOSYSTEM` range for PyPI, Maven, NuGet, RubyGems and
/// Packagist and a `SEMVER` range for the others, as OSV writes them.
pub(crate) fn fixed_in_db(source: &str, records: &[(&str, &str, &str, &str)]) -> AdvisoryDb {
    let mut db = AdvisoryDb::new();
    for (id, ecosystem, name, fixed) in records {
        let kind = match *ecosystem {
            "PyPI" | "Maven" | "NuGet" | "RubyGems" | "Packagist" => "ECOSYSTEM",
            _ => "SEMVER",
        };
        let record = format!(
            r#"{{"id": "{id}", "summary": "bad {name}", "affected": [{{"package": {{"ecosystem": "{ecosystem}", "name": "{name}"}},
                "ranges": [{{"type": "{kind}", "events": [{{"introduced": "0"}}, {{"fixed": "{fixed}"}}]}}]}}]}}"#
        );
        db.insert(Record::from_json(source, record.as_bytes()).unwrap());
    }
    db
}

/// `/npm/NAME` -> each packument file `NAME.json` of `dir`, its text passed through `rewrite`,
/// as the npm registry stand-ins serve them.
pub(crate) fn packument_routes(
    dir: &Path,
    rewrite: impl Fn(String) -> String,
) -> BTreeMap<String, Vec<u8>> {
    let mut routes = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let text = rewrite(std::fs::read_to_string(&path).unwrap());
        routes.insert(format!("/npm/{name}"), text.into_bytes());
    }
    routes
}
