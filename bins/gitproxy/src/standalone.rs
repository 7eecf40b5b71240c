//! The remediation engine without the cloud: `scan` (project or local checkout), `fix [--dry-run]`
//! and `status` against the configured project with local OSV data, and their printing.

use std::fmt::Write as _;
use std::io::IsTerminal as _;
use std::path::Path;
use std::sync::Arc;

use gitproxy_remediation::advisories::AdvisoryDb;
use gitproxy_remediation::catalogue::ApplyResult;
use gitproxy_remediation::engine::Step;
use gitproxy_remediation::remediate::StatusReport;
use gitproxy_remediation::scan::{scan_dir, RepoScan};

use crate::config::Config;
use crate::engine::{engine, load_osv};

/// A progress line on stderr, only when stderr is a terminal.
#[derive(Debug)]
struct Progress {
    enabled: bool,
}

impl Progress {
    fn new() -> Progress {
        Progress {
            enabled: std::io::stderr().is_terminal(),
        }
    }

    fn step(&self, step: Step<'_>) {
        if self.enabled {
            let (i, total, what) = (step.index, step.total, step.repository);
            let width = 30;
            let done = (width * i).checked_div(total).unwrap_or(width);
            eprint!(
                "\r[{}{}] {i}/{total} {what:<40.40}",
                "#".repeat(done),
                "-".repeat(width - done),
            );
        }
    }

    fn finish(&self) {
        if self.enabled {
            eprint!("\r{:<90}\r", "");
        }
    }
}

/// Renders scans as a table.
pub(crate) fn render_scans(scans: &[RepoScan]) -> String {
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
    }
    let _ = writeln!(
        out,
        "{total} vulnerabilities in {} repositories",
        scans.len()
    );
    out
}

/// `gitproxy scan`.
pub(crate) async fn scan(
    config: &Config,
    path: Option<&Path>,
    json: bool,
) -> anyhow::Result<String> {
    let db = load_osv(config)?;
    let scans = match path {
        Some(path) => vec![scan_dir(path, &db, &config.scan)?],
        None => {
            let conn = config.connection()?;
            let progress = Progress::new();
            let scans = engine(config, &conn, db)?
                .scan_project(|step| progress.step(step))
                .await?;
            progress.finish();
            scans
        }
    };
    audit_cli("scan", config, None, "ok");
    Ok(if json {
        serde_json::to_string_pretty(&scans)? + "\n"
    } else {
        render_scans(&scans)
    })
}

/// Renders a fix result as a table.
pub(crate) fn render_fix(result: &ApplyResult) -> String {
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
        }
        ApplyResult::Preview(planned) => {
            let _ = writeln!(out, "dry run: nothing was written");
            out.push_str(
                &StatusReport {
                    remediations: planned.clone(),
                }
                .to_markdown(),
            );
        }
    }
    out
}

/// `gitproxy fix`.
pub(crate) async fn fix(config: &Config, dry_run: bool, json: bool) -> anyhow::Result<String> {
    let db = load_osv(config)?;
    let conn = config.connection()?;
    let progress = Progress::new();
    let result = engine(config, &conn, db)?
        .fix_project(
            dry_run,
            |step| progress.step(step),
            |outcome| {
                let ok = outcome.problems.is_empty();
                audit_cli(
                    "fix",
                    config,
                    Some(&outcome.repo),
                    if ok { "ok" } else { "error" },
                );
            },
        )
        .await?;
    progress.finish();
    Ok(if json {
        serde_json::to_string_pretty(&result)? + "\n"
    } else {
        render_fix(&result)
    })
}

/// `gitproxy status`: reads pull requests and builds only, so it needs no OSV data.
pub(crate) async fn status(config: &Config, json: bool) -> anyhow::Result<String> {
    let db = match config.osv_dir {
        Some(_) => load_osv(config)?,
        None => Arc::new(AdvisoryDb::new()),
    };
    let conn = config.connection()?;
    let engine = engine(config, &conn, db)?;
    let report = engine.remediator().status(&conn.project).await?;
    audit_cli("status", config, None, "ok");
    Ok(if json {
        serde_json::to_string_pretty(&report)? + "\n"
    } else {
        report.to_markdown()
    })
}

fn audit_cli(operation: &str, config: &Config, repo: Option<&str>, outcome: &str) {
    crate::audit::AuditEvent {
        actor: "cli".to_owned(),
        bitbucket_user: config.bitbucket.username.clone(),
        operation: operation.to_owned(),
        project: config.bitbucket.project.clone(),
        repository: repo.map(str::to_owned),
        outcome: outcome.to_owned(),
        detail: None,
    }
    .emit();
}
