//! Results as a terminal shows them: plain-text tables of scans, fix results and Test Connection
//! reports (the `gitproxy` CLI prints these; JSON output is the types' serde form).

use std::fmt::Write as _;

use crate::catalogue::{ApplyResult, CheckReport, Status};
use crate::local::LocalPlan;
use crate::remediate::StatusReport;
use crate::scan::RepoScan;

/// Scans as a table: one line per vulnerability (repository, ecosystem, package, version,
/// advisory, fixed versions), then each repository's problems and files of unsupported formats,
/// and a total line that says when the scan was only partly supported.
pub fn scans_table(scans: &[RepoScan]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<20} {:<10} {:<28} {:<12} {:<22} FIXED IN",
        "REPOSITORY", "ECOSYSTEM", "PACKAGE", "VERSION", "ADVISORY"
    );
    let mut total = 0;
    for scan in scans {
        for f in &scan.findings {
            total += 1;
            let _ = writeln!(
                out,
                "{:<20} {:<10} {:<28} {:<12} {:<22} {}",
                scan.repository,
                f.ecosystem,
                f.package,
                f.version.as_deref().unwrap_or("-"),
                f.id,
                if f.fixed.is_empty() {
                    "-".to_owned()
                } else {
                    f.fixed.join(", ")
                }
            );
        }
        for p in &scan.problems {
            let _ = writeln!(out, "{:<20} problem: {p}", scan.repository);
        }
        for u in &scan.unsupported {
            let _ = writeln!(
                out,
                "{:<20} unsupported: {} ({}, {}): not checked",
                scan.repository, u.file, u.format, u.ecosystem
            );
        }
    }
    let _ = write!(
        out,
        "{total} vulnerabilities in {} repositories",
        scans.len()
    );
    let unsupported: usize = scans.iter().map(|s| s.unsupported.len()).sum();
    if unsupported > 0 {
        let _ = write!(
            out,
            "; partly unsupported: {unsupported} files of unsupported formats were not checked"
        );
    }
    out.push('\n');
    out
}

/// A fix result as a table: per repository the pull requests opened, updated and left
/// unchanged and the number of problems; a dry run as the status table of what is planned.
pub fn apply_table(result: &ApplyResult) -> String {
    let mut out = String::new();
    match result {
        ApplyResult::Applied(outcomes) => {
            let _ = writeln!(
                out,
                "{:<20} {:<10} {:<10} {:<10} PROBLEMS",
                "REPOSITORY", "OPENED", "UPDATED", "UNCHANGED"
            );
            for o in outcomes {
                let ids = |v: &[i64]| {
                    if v.is_empty() {
                        "-".to_owned()
                    } else {
                        v.iter()
                            .map(|i| format!("#{i}"))
                            .collect::<Vec<_>>()
                            .join(",")
                    }
                };
                let _ = writeln!(
                    out,
                    "{:<20} {:<10} {:<10} {:<10} {}",
                    o.repo,
                    ids(&o.opened),
                    ids(&o.updated),
                    ids(&o.unchanged),
                    o.problems.len()
                );
            }
            for o in outcomes {
                for u in &o.unsupported {
                    let _ = writeln!(
                        out,
                        "{:<20} unsupported: {} ({}, {}): not checked",
                        o.repo, u.file, u.format, u.ecosystem
                    );
                }
            }
        }
        ApplyResult::Preview(planned) => {
            let _ = writeln!(out, "dry run: nothing was written");
            out.push_str(
                &StatusReport {
                    remediations: planned.clone(),
                    ..StatusReport::default()
                }
                .to_markdown(),
            );
        }
    }
    out
}

/// The fixes of a local checkout: per fix the package, versions, files and who refreshes the
/// lockfile, each note indented below; then the unfixable packages and the problems.
pub fn local_table(plan: &LocalPlan) -> String {
    let mut out = String::new();
    for fix in &plan.fixes {
        let files: Vec<&str> = fix.files.keys().map(String::as_str).collect();
        let files = if files.is_empty() {
            "no file changes".to_owned()
        } else {
            files.join(", ")
        };
        let _ = writeln!(
            out,
            "{} {} {} -> {} ({}): {files}",
            fix.ecosystem.osv_name(),
            fix.package,
            fix.from,
            fix.to,
            fix.advisories.join(", ")
        );
        for note in fix
            .lockfile
            .describe(fix.ecosystem)
            .iter()
            .chain(&fix.notes)
        {
            let _ = writeln!(out, "    {note}");
        }
    }
    for u in &plan.unfixable {
        let _ = writeln!(
            out,
            "unfixable: {} {} ({})",
            u.name,
            u.version,
            u.advisories.join(", ")
        );
    }
    for p in &plan.problems {
        let _ = writeln!(out, "problem: {p}");
    }
    for u in &plan.unsupported {
        let _ = writeln!(
            out,
            "unsupported: {} ({}, {}): not checked",
            u.file, u.format, u.ecosystem
        );
    }
    let _ = writeln!(out, "{} fixes planned, nothing written", plan.fixes.len());
    out
}

/// Test Connection as lines: one per stage with its mark (`[PASS]`, `[FAIL]`, `[skip]`) and fix,
/// then the result.
pub fn check_lines(report: &CheckReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Test Connection to {} (project {})",
        report.server_url, report.project
    );
    for stage in &report.stages {
        let mark = match stage.status {
            Status::Pass => "[PASS]",
            Status::Fail => "[FAIL]",
            Status::Skip => "[skip]",
        };
        let _ = writeln!(out, "{mark} {:<20} {}", stage.name, stage.detail);
        if let Some(fix) = &stage.fix {
            let _ = writeln!(out, "       fix: {fix}");
        }
    }
    let failed = report
        .stages
        .iter()
        .filter(|s| s.status == Status::Fail)
        .count();
    if report.ok {
        let _ = writeln!(out, "result: connection OK");
    } else {
        let _ = writeln!(out, "result: FAILED ({failed} check failed)");
    }
    out
}

#[cfg(test)]
mod tests;
