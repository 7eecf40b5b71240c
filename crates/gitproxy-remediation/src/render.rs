//! Results as a terminal shows them: plain-text tables of scans, fix results and Test Connection
//! reports (the `gitproxy` CLI prints these; JSON output is the types' serde form).

use std::fmt::Write as _;

use crate::advisories::DataAge;
use crate::catalogue::{ApplyResult, CheckReport, Status};
use crate::local::LocalPlan;
use crate::remediate::StatusReport;
use crate::scan::RepoScan;

/// Scans as a table: one line per vulnerability (repository, ecosystem, package, version,
/// advisory, fixed versions), then each repository's problems and files of unsupported formats,
/// and a total line that says when the scan was only partly supported.
pub fn scans_table(scans: &[RepoScan]) -> String {
    let mut out = String::new();
    let mut warnings: Vec<&String> = Vec::new();
    for w in scans.iter().flat_map(|s| &s.warnings) {
        if !warnings.contains(&w) {
            warnings.push(w);
        }
    }
    for w in &warnings {
        let _ = writeln!(out, "WARNING: {w}");
    }
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
                "{:<20} unsupported: {} ({}, {}): not checked; {}",
                scan.repository,
                u.file,
                u.format,
                u.ecosystem,
                u.remedy()
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
    if let Some(scan) = scans.first() {
        out.push_str(&advisory_line(&scan.advisory_data));
    }
    out
}

/// The age of the advisory data per ecosystem on one line (`advisory data: Go 2 days old,
/// npm 9 days old (stale, synced to 2024-01-01T00:00:00Z)`), or nothing when none is known.
pub fn advisory_line(ages: &[DataAge]) -> String {
    if ages.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = ages
        .iter()
        .map(|a| {
            let age = match a.age_seconds {
                Some(s) if s < 2 * 3600 => format!("{} minutes old", s / 60),
                Some(s) if s < 2 * 86_400 => format!("{} hours old", s / 3600),
                Some(s) => format!("{} days old", s / 86_400),
                None => "of unknown age".to_owned(),
            };
            let mut notes = Vec::new();
            if a.stale {
                notes.push("stale".to_owned());
            }
            if let Some(w) = &a.watermark {
                notes.push(format!("synced to {w}"));
            }
            match notes.is_empty() {
                true => format!("{} {age}", a.ecosystem),
                false => format!("{} {age} ({})", a.ecosystem, notes.join(", ")),
            }
        })
        .collect();
    format!("advisory data: {}\n", parts.join(", "))
}

/// A status report as the terminal shows it: its warnings first (such as `stale advisory
/// data`), the table of remediations, then the age of the advisory data.
pub fn status_text(report: &StatusReport) -> String {
    let mut out = String::new();
    for w in &report.warnings {
        let _ = writeln!(out, "WARNING: {w}");
    }
    out.push_str(&report.to_markdown());
    out.push_str(&advisory_line(&report.advisory_data));
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
                        "{:<20} unsupported: {} ({}, {}): not checked; {}",
                        o.repo,
                        u.file,
                        u.format,
                        u.ecosystem,
                        u.remedy()
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
            "unsupported: {} ({}, {}): not checked; {}",
            u.file,
            u.format,
            u.ecosystem,
            u.remedy()
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
    out.push_str(&advisory_line(&report.advisory_data));
    if report.ok {
        let _ = writeln!(out, "result: connection OK");
    } else {
        let _ = writeln!(out, "result: FAILED ({failed} check failed)");
    }
    out
}

#[cfg(test)]
mod tests;
