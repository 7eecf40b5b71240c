//! The scan pipeline: analyse a snapshot (a repository's default branch or a local checkout),
//! match it against the OSV data, and report each vulnerable dependency. The CLI's `scan` and the
//! `remediation.scan` operation both call it.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::advisories::AdvisoryDb;
use crate::analysis::maven::fetch_maven_poms;
use crate::analysis::{analyze_into, Unsupported};
use crate::files::Snapshot;
use crate::host::{BitbucketHost, RepoAt};
use crate::registry::Registry;
use crate::{Error, ScanOptions};

/// One vulnerable dependency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanFinding {
    /// Advisory id.
    pub id: String,
    /// Other ids.
    pub aliases: Vec<String>,
    /// Ecosystem (OSV name).
    pub ecosystem: String,
    /// Package.
    pub package: String,
    /// Version in use.
    pub version: Option<String>,
    /// Fixed versions.
    pub fixed: Vec<String>,
    /// Where it is declared.
    pub location: String,
    /// One-line summary.
    pub summary: Option<String>,
}

/// Whether a scan looked at every manifest and lockfile it recognised.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Coverage {
    /// Every recognised manifest and lockfile was analysed.
    #[default]
    Complete,
    /// Some recognised files are of formats the engine does not analyse ([`RepoScan::unsupported`]):
    /// no finding there does not mean no vulnerability there.
    PartlyUnsupported,
}

/// The scan of one repository or checkout.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoScan {
    /// Repository slug or directory.
    pub repository: String,
    /// Branch scanned.
    pub branch: Option<String>,
    /// Commit scanned.
    pub commit: Option<String>,
    /// Dependencies found.
    pub dependencies: usize,
    /// Vulnerabilities found.
    pub findings: Vec<ScanFinding>,
    /// Files that could not be analysed.
    pub problems: Vec<String>,
    /// Manifests and lockfiles of recognised formats the engine does not analyse.
    #[serde(default)]
    pub unsupported: Vec<Unsupported>,
    /// `partly-unsupported` when `unsupported` is not empty, else `complete`.
    #[serde(default)]
    pub coverage: Coverage,
    /// How old the advisory data of each ecosystem was (filled in by the agent's service).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub advisory_data: Vec<crate::advisories::DataAge>,
    /// Warnings about the scan as a whole, such as `stale advisory data`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl RepoScan {
    /// True when some recognised file was not analysed because its format is unsupported.
    pub fn is_partly_unsupported(&self) -> bool {
        !self.unsupported.is_empty()
    }
}

/// [`Coverage::PartlyUnsupported`] when any file is listed, else [`Coverage::Complete`].
pub fn coverage_of(unsupported: &[Unsupported]) -> Coverage {
    if unsupported.is_empty() {
        Coverage::Complete
    } else {
        Coverage::PartlyUnsupported
    }
}

/// Analyses a snapshot and matches it against the OSV data; `name` labels the result.
///
/// Dependencies are matched as the analysis finds them and only the vulnerable ones are kept, so
/// a lockfile of hundreds of thousands of entries never sits in memory as a whole list.
pub fn scan_snapshot(name: &str, snapshot: &Snapshot, db: &AdvisoryDb) -> RepoScan {
    let mut matched = db.matcher();
    analyze_into(snapshot, &mut matched);
    let findings = matched
        .vulnerable
        .into_iter()
        .flat_map(|(dep, found)| {
            found.into_iter().map(move |f| ScanFinding {
                summary: f.summary(),
                id: f.id,
                aliases: f.aliases,
                ecosystem: dep.ecosystem.osv_name().to_owned(),
                package: dep.name.clone(),
                version: dep.version.clone(),
                fixed: f.fixed,
                location: dep.location.to_string(),
            })
        })
        .collect();
    RepoScan {
        repository: name.to_owned(),
        branch: None,
        commit: None,
        dependencies: matched.dependencies,
        findings,
        problems: matched.problems.iter().map(ToString::to_string).collect(),
        coverage: coverage_of(&matched.unsupported),
        unsupported: matched.unsupported,
        ..RepoScan::default()
    }
}

/// Scans one repository's default branch; an empty repository is a scan with one problem.
/// Parent POMs and BOMs from outside the repository come from `registry`.
pub async fn scan_repo(
    host: &dyn BitbucketHost,
    db: &AdvisoryDb,
    registry: &dyn Registry,
    project: &str,
    repo: &str,
    options: &ScanOptions,
) -> Result<RepoScan, Error> {
    let Some(head) = host.default_branch(project, repo).await? else {
        return Ok(RepoScan {
            repository: repo.to_owned(),
            problems: vec!["the repository is empty".to_owned()],
            ..RepoScan::default()
        });
    };
    let mut snapshot = Snapshot::from_repo_with(
        &RepoAt {
            host,
            project,
            repo,
            commit: &head.commit,
        },
        options,
    )
    .await?;
    fetch_maven_poms(&mut snapshot, registry).await;
    let mut scan = scan_snapshot(repo, &snapshot, db);
    scan.branch = Some(head.branch);
    scan.commit = Some(head.commit);
    Ok(scan)
}

/// Scans a local checkout.
pub fn scan_dir(path: &Path, db: &AdvisoryDb, options: &ScanOptions) -> Result<RepoScan, Error> {
    let snapshot = Snapshot::from_dir_with(path, options)?;
    Ok(scan_snapshot(&path.display().to_string(), &snapshot, db))
}

#[cfg(test)]
mod tests;
