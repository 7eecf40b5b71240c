//! The commands without the cloud: `check` (Test Connection), `scan` (project or local checkout),
//! `fix [--dry-run]` and `status` against the configured project with local OSV data; each
//! prints a table or JSON and writes one audit line per operation.

use std::io::IsTerminal as _;
use std::path::Path;
use std::time::{Duration, SystemTime};

use gitproxy_remediation::engine::{self, Step};
use gitproxy_remediation::render;
use gitproxy_remediation::service::{OpRecord, Outcome};
use serde::Serialize;

use crate::config::Config;
use crate::engine::{advisory_store, egress_connector, engine, options, required_advisories};

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

/// `gitproxy scan`: the output, and whether some file was of an unsupported format (the scan
/// is then only partly supported and the command exits with [`crate::EXIT_PARTLY_UNSUPPORTED`]).
pub(crate) async fn scan(
    config: &Config,
    path: Option<&Path>,
    json: bool,
) -> anyhow::Result<(String, bool)> {
    let store = required_advisories(config)?;
    let db = store.snapshot();
    let mut scans = match path {
        Some(path) => {
            let options = options(config, None);
            vec![engine::scan_dir(path, egress_connector(config)?, db, &options).await?]
        }
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
    let now = SystemTime::now();
    for scan in &mut scans {
        scan.advisory_data = store.ages(now);
        scan.warnings.extend(store.stale_warning(now));
    }
    audit_cli("scan", config, None, Outcome::Ok, None);
    let partial = scans.iter().any(|s| s.is_partly_unsupported());
    Ok((
        output(json, &scans, |scans| render::scans_table(scans))?,
        partial,
    ))
}

/// `gitproxy fix`.
pub(crate) async fn fix(config: &Config, dry_run: bool, json: bool) -> anyhow::Result<String> {
    let db = required_advisories(config)?.snapshot();
    let conn = config.connection()?;
    let progress = Progress::new();
    let result = engine(config, &conn, db)?
        .fix_project(
            dry_run,
            |step| progress.step(step),
            |outcome| {
                let ok = outcome.problems.is_empty();
                let result = if ok { Outcome::Ok } else { Outcome::Error };
                audit_cli("fix", config, Some(&outcome.repo), result, None);
            },
        )
        .await?;
    progress.finish();
    output(json, &result, render::apply_table)
}

/// `gitproxy fix --path DIR`: each fix's files for a local checkout, nothing written.
pub(crate) async fn fix_dir(config: &Config, dir: &Path, json: bool) -> anyhow::Result<String> {
    let db = required_advisories(config)?.snapshot();
    let options = options(config, None);
    let local = engine::fix_dir(dir, egress_connector(config)?, db, &options).await?;
    audit_cli(
        "fix",
        config,
        None,
        Outcome::Ok,
        Some("local checkout".to_owned()),
    );
    output(json, &local, render::local_table)
}

/// `gitproxy status`: reads pull requests and builds only, so it needs no OSV data; it reports
/// the age of the data there is.
pub(crate) async fn status(config: &Config, json: bool) -> anyhow::Result<String> {
    let store = advisory_store(config)?;
    let conn = config.connection()?;
    let engine = engine(config, &conn, store.snapshot())?;
    let mut report = engine.remediator().status(&conn.project).await?;
    let now = SystemTime::now();
    report.advisory_data = store.ages(now);
    report.warnings.extend(store.stale_warning(now));
    audit_cli("status", config, None, Outcome::Ok, None);
    output(json, &report, render::status_text)
}

/// `gitproxy check`: Test Connection against the configured server; `true` when every check passed.
pub(crate) async fn check(config: &Config, json: bool) -> anyhow::Result<(String, bool)> {
    let conn = config.connection()?;
    let options = options(config, None);
    let connector = egress_connector(config)?;
    let mut report = gitproxy_remediation::connection::check(&conn, &connector, &options).await;
    report.advisory_data = advisory_store(config)?.ages(SystemTime::now());
    let outcome = if report.ok {
        Outcome::Ok
    } else {
        Outcome::Failed
    };
    let detail = report.failure().map(|f| format!("{} failed", f.name));
    audit_cli("check", config, None, outcome, detail);
    Ok((output(json, &report, render::check_lines)?, report.ok))
}

/// `value` as pretty JSON, or as `render` prints it.
fn output<T: Serialize>(
    json: bool,
    value: &T,
    render: impl FnOnce(&T) -> String,
) -> anyhow::Result<String> {
    Ok(match json {
        true => serde_json::to_string_pretty(value)? + "\n",
        false => render(value),
    })
}

/// The audit line of a command run from the command line (it carries no duration).
fn audit_cli(
    operation: &'static str,
    config: &Config,
    repository: Option<&str>,
    outcome: Outcome,
    detail: Option<String>,
) {
    let record = OpRecord {
        operation,
        outcome,
        elapsed: Duration::ZERO,
        user: config.bitbucket.username.clone(),
        project: config.bitbucket.project.clone(),
        repository: repository.map(str::to_owned),
        detail,
    };
    gitproxy_remediation::service::audit::emit("cli", &record);
}
