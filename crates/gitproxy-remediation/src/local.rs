//! Fixes for a local checkout, written nowhere: the files each planned pull request would
//! change, so the ecosystem's own tools can check them before anything reaches Bitbucket
//! (`gitproxy fix --path DIR`, `cargo xtask fix-check DIR`).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::advisories::AdvisoryDb;
use crate::analysis::maven::fetch_maven_poms;
use crate::analysis::{analyze, Unsupported};
use crate::edit::apply_fix;
use crate::files::Snapshot;
use crate::plan::{plan, LockfileRefresh, PlanOptions, Unfixable};
use crate::registry::Registry;
use crate::{pr, Ecosystem, Error, ScanOptions};

/// What the engine would do to a local checkout.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LocalPlan {
    /// One entry per pull request the engine would open.
    pub fixes: Vec<LocalFix>,
    /// Vulnerable packages no published version fixes.
    pub unfixable: Vec<Unfixable>,
    /// Files the analysis could not read (too large, too deep, malformed).
    pub problems: Vec<String>,
    /// Manifests and lockfiles of unsupported formats: not checked, so no fix is planned there.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unsupported: Vec<Unsupported>,
}

/// One pull request's worth of edits.
#[derive(Clone, Debug, Serialize)]
pub struct LocalFix {
    /// The package's ecosystem.
    pub ecosystem: Ecosystem,
    /// The package.
    pub package: String,
    /// The vulnerable version.
    pub from: String,
    /// The version the fix moves to.
    pub to: String,
    /// The advisories it fixes.
    pub advisories: Vec<String>,
    /// The branch the agent would push it to.
    pub branch: String,
    /// Who refreshes the lockfile.
    pub lockfile: LockfileRefresh,
    /// Path relative to the checkout -> complete new contents; empty when nothing can change.
    pub files: BTreeMap<String, String>,
    /// What the pull request would say beside the diff (commands to run, caveats).
    pub notes: Vec<String>,
}

/// Plans every fix for the checkout at `dir` and computes each one's edits, with candidate
/// versions and lockfile data from `registry`; branches are named under `branch_prefix` (ending
/// with `/`). Nothing is written.
pub async fn fix_dir(
    dir: &Path,
    db: &AdvisoryDb,
    registry: &dyn Registry,
    options: &PlanOptions,
    branch_prefix: &str,
    scan: &ScanOptions,
) -> Result<LocalPlan, Error> {
    let mut snapshot = Snapshot::from_dir_with(dir, scan)?;
    fetch_maven_poms(&mut snapshot, registry).await;
    let analysis = analyze(&snapshot);
    let findings = db.scan(&analysis);
    let planned = plan(&analysis, &findings, db, registry, options).await?;
    let mut out = LocalPlan {
        unfixable: planned.unfixable.clone(),
        problems: analysis.problems.iter().map(ToString::to_string).collect(),
        unsupported: analysis.unsupported.clone(),
        ..LocalPlan::default()
    };
    for fix in planned.by_package() {
        let edits = match apply_fix(&fix, &analysis, &snapshot, registry).await {
            Ok(edits) => edits,
            // One failing fix does not stop the others, as in a run against Bitbucket.
            Err(e) => {
                match Unfixable::from_conflict(&fix, &e) {
                    Some(unfixable) => out.unfixable.push(unfixable),
                    None => {
                        (out.problems).push(format!("{} {} -> {}: {e}", fix.name, fix.from, fix.to))
                    }
                }
                continue;
            }
        };
        // The fix as the edits took it: who refreshes the lockfile, when an edit left it.
        let fix = edits.as_applied(&fix);
        let mut notes: Vec<String> = Vec::new();
        for note in fix.notes.iter().chain(&edits.notes) {
            if !notes.contains(note) {
                notes.push(note.clone());
            }
        }
        out.fixes.push(LocalFix {
            ecosystem: fix.ecosystem,
            branch: pr::branch_name_under(branch_prefix, fix.ecosystem, &fix.name),
            package: fix.name,
            from: fix.from,
            to: fix.to,
            advisories: fix.advisories,
            lockfile: fix.lockfile,
            files: edits.files,
            notes,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
