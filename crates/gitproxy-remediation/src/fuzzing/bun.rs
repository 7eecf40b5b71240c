//! The Bun fuzz entry: `bun.lock` read by the analysis and moved by a planned fix.

use super::check;
use crate::files::Snapshot;

/// Bun: the input is `bun.lock` next to a project that requires `a`; an advisory on `b` (fixed
/// in 1.5.0, which brings `c` and, for `d`, an optional peer) is planned and applied against a
/// registry in memory. The analysis and the edit must not panic, and a lockfile the edit writes
/// must read back with every `b` at 1.5.0 and be one the edit itself would rewrite again (in
/// Bun's layout, and laid out as the model of Bun lays out its own graph).
pub fn fuzz_bun(data: &[u8]) {
    bun_fixed_locks(data);
}

/// The `bun.lock` texts the fixes of [`fuzz_bun`] write.
pub(super) fn bun_fixed_locks(data: &[u8]) -> Vec<String> {
    use crate::advisories::AdvisoryDb;
    use crate::osv::Record;
    use crate::plan::{plan, PlanOptions};
    use crate::registry::StaticRegistry;
    use crate::Ecosystem;
    let manifest = r#"{"name": "x", "dependencies": {"a": "^1.0.0"}}"#;
    let snapshot = Snapshot::new()
        .with("package.json", manifest)
        .with("bun.lock", data);
    let analysis = check(&snapshot);
    let mut db = AdvisoryDb::new();
    let record = br#"{"id": "B-1", "affected": [{"package": {"ecosystem": "npm", "name": "b"}, "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.5.0"}]}]}]}"#;
    match Record::from_json("fuzz", record) {
        Ok(r) => {
            db.insert(r);
        }
        Err(e) => panic!("the fuzz advisory is refused: {e}"),
    }
    let meta = |name: &str, version: &str, extra: &str| {
        format!(
            r#"{{"name": "{name}", "version": "{version}", {extra}"dist": {{"integrity": "sha512-{name}{version}", "tarball": "https://registry.npmjs.org/{name}/-/{name}-{version}.tgz"}}}}"#
        )
    };
    let registry = StaticRegistry::new()
        .publish(Ecosystem::Npm, "b", "1.0.0", &[(None, "sha512-b100")])
        .publish(Ecosystem::Npm, "b", "1.5.0", &[(None, "sha512-b150")])
        .publish(Ecosystem::Npm, "c", "2.0.0", &[(None, "sha512-c200")])
        .npm_manifest("b", "1.0.0", &meta("b", "1.0.0", ""))
        .npm_manifest(
            "b",
            "1.5.0",
            &meta(
                "b",
                "1.5.0",
                r#""dependencies": {"c": "^2.0.0"}, "peerDependencies": {"d": "*"}, "peerDependenciesMeta": {"d": {"optional": true}}, "bin": {"b": "./b.js"}, "os": ["!win32"], "#,
            ),
        )
        .npm_manifest("c", "2.0.0", &meta("c", "2.0.0", ""));
    let runtime = match tokio::runtime::Builder::new_current_thread().build() {
        Ok(rt) => rt,
        Err(e) => panic!("no runtime: {e}"),
    };
    runtime.block_on(async {
        let mut written = Vec::new();
        let findings = db.scan(&analysis);
        let Ok(planned) = plan(
            &analysis,
            &findings,
            &db,
            &registry,
            &PlanOptions::recommended(),
        )
        .await
        else {
            return written;
        };
        for fix in &planned.fixes {
            let Ok(set) = crate::edit::apply_fix(fix, &analysis, &snapshot, &registry).await else {
                continue;
            };
            let Some(text) = set.files.get("bun.lock") else {
                continue;
            };
            let manifest = set
                .files
                .get("package.json")
                .map_or(manifest, String::as_str);
            let fixed = Snapshot::new()
                .with("package.json", manifest)
                .with("bun.lock", text.as_str());
            let again = analyze_clean(&fixed, text);
            let b: Vec<_> = (again.dependencies.iter())
                .filter(|d| d.name == "b")
                .map(|d| d.version.clone())
                .collect();
            assert!(
                b.iter().all(|v| v.as_deref() == Some("1.5.0")),
                "b after the fix: {b:?}\n{text}"
            );
            if let Err(why) = crate::edit::bun_lock_rewritable(text) {
                panic!("the fixed bun.lock would be left to Bun ({why})\n{text}");
            }
            written.push(text.clone());
        }
        written
    })
}

/// The analysis of a lockfile the edit wrote, which must read without a problem.
fn analyze_clean(snapshot: &Snapshot, text: &str) -> crate::analysis::Analysis {
    let analysis = check(snapshot);
    assert!(
        analysis.problems.is_empty(),
        "the fixed bun.lock does not read: {:?}\n{text}",
        analysis.problems
    );
    analysis
}
