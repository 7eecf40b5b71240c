//! The remediation engine without the cloud: `scan` (project or local checkout), `fix [--dry-run]`
//! and `status` against the configured project with local OSV data; also the engine wiring the
//! tunnel operations share.

use std::fmt::Write as _;
use std::io::IsTerminal as _;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use gitproxy_egress::EgressConnector;
use gitproxy_remediation::advisories::AdvisoryDb;
use gitproxy_remediation::analysis::analyze;
use gitproxy_remediation::files::Snapshot;
use gitproxy_remediation::host::{BitbucketDc, BitbucketHost, RepoAt};
use gitproxy_remediation::plan::{CachedRegistry, Digest, PlanOptions, Registry, RegistryVersion};
use gitproxy_remediation::registry::{HttpRegistry, RegistryUrls};
use gitproxy_remediation::remediate::{RemediationStatus, Remediator, RepoOutcome, StatusReport};
use gitproxy_remediation::Ecosystem;
use serde::Serialize;

use crate::config::{BitbucketConn, Config, ConfigError};
use crate::policy::{Policy, PolicyHost};

/// Loads the OSV data directory.
pub(crate) fn load_osv(config: &Config) -> anyhow::Result<Arc<AdvisoryDb>> {
    let dir = config.osv_dir.as_ref().ok_or_else(|| {
        ConfigError(format!(
            "{}: not set; point it at the OSV data directory (<ECOSYSTEM>/all.zip or *.json records)",
            crate::settings::OSV_DIR.names()
        ))
    })?;
    let mut db = AdvisoryDb::new();
    let n = db.load_dir(dir)?;
    tracing::info!(records = n, dir = %dir.display(), "loaded OSV data");
    Ok(Arc::new(db))
}

/// Candidate versions from the OSV data itself: every `fixed` version the advisories name.
///
/// Used for the ecosystems without a configured registry (all of them by default: the agent then
/// contacts only the cloud and Bitbucket); lockfile digests are unknown and the pull request
/// notes the package-manager command to run.
#[derive(Debug, Clone)]
pub(crate) struct OsvRegistry {
    db: Arc<AdvisoryDb>,
}

impl OsvRegistry {
    /// A registry over `db`.
    pub(crate) fn new(db: Arc<AdvisoryDb>) -> OsvRegistry {
        OsvRegistry { db }
    }
}

#[async_trait]
impl Registry for OsvRegistry {
    async fn versions(
        &self,
        ecosystem: Ecosystem,
        name: &str,
    ) -> Result<Vec<RegistryVersion>, gitproxy_remediation::Error> {
        let wanted = ecosystem.normalize_name(name);
        let mut versions: Vec<String> = Vec::new();
        for record in self.db.records_for(ecosystem, name) {
            for affected in &record.affected {
                let Some(package) = &affected.package else {
                    continue;
                };
                if package.ecosystem != ecosystem.osv_name()
                    || ecosystem.normalize_name(&package.name) != wanted
                {
                    continue;
                }
                for range in &affected.ranges {
                    for event in &range.events {
                        if let Some(fixed) = &event.fixed {
                            if !versions.contains(fixed) {
                                versions.push(fixed.clone());
                            }
                        }
                    }
                }
            }
        }
        Ok(versions
            .into_iter()
            .map(|version| RegistryVersion {
                version,
                yanked: false,
            })
            .collect())
    }

    async fn digests(
        &self,
        _ecosystem: Ecosystem,
        _name: &str,
        _version: &str,
    ) -> Result<Vec<Digest>, gitproxy_remediation::Error> {
        Ok(Vec::new())
    }
}

/// The registries of one run: the configured ones over HTTP through the egress connector (each
/// question asked once per run), the OSV data's fixed versions for the other ecosystems.
pub(crate) struct AgentRegistry {
    osv: OsvRegistry,
    http: CachedRegistry<HttpRegistry<EgressConnector>>,
    urls: RegistryUrls,
}

impl std::fmt::Debug for AgentRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentRegistry")
            .field("urls", &self.urls)
            .finish_non_exhaustive()
    }
}

impl AgentRegistry {
    /// The registries `urls` (possibly none) over `connector`, OSV data for the rest; with
    /// `metrics`, every registry request is counted by ecosystem and status.
    pub(crate) fn new(
        db: Arc<AdvisoryDb>,
        urls: RegistryUrls,
        connector: EgressConnector,
        metrics: Option<&Arc<crate::metrics::Metrics>>,
    ) -> AgentRegistry {
        let mut http = HttpRegistry::new(connector, urls.clone());
        if let Some(metrics) = metrics {
            let metrics = Arc::clone(metrics);
            http = http.on_response(Arc::new(move |ecosystem, status| {
                metrics.registry_call(ecosystem.osv_name(), &crate::check::status_label(status));
            }));
        }
        AgentRegistry {
            osv: OsvRegistry::new(db),
            http: CachedRegistry::new(http),
            urls,
        }
    }
}

#[async_trait]
impl Registry for AgentRegistry {
    async fn versions(
        &self,
        ecosystem: Ecosystem,
        name: &str,
    ) -> Result<Vec<RegistryVersion>, gitproxy_remediation::Error> {
        if self.urls.get(ecosystem).is_some() {
            self.http.versions(ecosystem, name).await
        } else {
            self.osv.versions(ecosystem, name).await
        }
    }

    async fn digests(
        &self,
        ecosystem: Ecosystem,
        name: &str,
        version: &str,
    ) -> Result<Vec<Digest>, gitproxy_remediation::Error> {
        if self.urls.get(ecosystem).is_some() {
            self.http.digests(ecosystem, name, version).await
        } else {
            self.osv.digests(ecosystem, name, version).await
        }
    }
}

/// The engine for one Bitbucket connection: a policy-checked host, the OSV data and the registry.
pub(crate) struct Engine {
    /// The host, every call checked by the local policy.
    pub(crate) host: PolicyHost<BitbucketDc>,
    /// OSV data.
    pub(crate) db: Arc<AdvisoryDb>,
    /// Candidate versions and lockfile digests.
    pub(crate) registry: AgentRegistry,
    /// The project key.
    pub(crate) project: String,
    /// Where remediation branches live: the configured branch prefix and `security/`.
    pub(crate) branch_prefix: String,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("project", &self.project)
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// Builds the engine for `conn`.
    pub(crate) fn new(
        conn: &BitbucketConn,
        config: &Config,
        db: Arc<AdvisoryDb>,
        metrics: Option<Arc<crate::metrics::Metrics>>,
    ) -> anyhow::Result<Engine> {
        let connector = crate::check::egress_connector(config)?;
        let client = crate::check::bitbucket_client(conn, &connector, true, metrics.as_ref())?;
        let policy = Policy::new(conn.url.clone(), &conn.project, &config.branch_prefix);
        policy.check_server(&conn.url)?;
        let host = PolicyHost::new(BitbucketDc::new(client), policy);
        Ok(Engine {
            host,
            registry: AgentRegistry::new(
                db.clone(),
                config.registries.clone(),
                connector,
                metrics.as_ref(),
            ),
            db,
            project: conn.project.clone(),
            branch_prefix: format!("{}security/", config.branch_prefix),
        })
    }

    /// A remediator over this engine.
    pub(crate) fn remediator(&self) -> Remediator<'_> {
        Remediator::new(
            &self.host,
            &self.db,
            &self.registry,
            PlanOptions::recommended(),
        )
        .with_branch_prefix(self.branch_prefix.as_str())
    }

    /// Scans one repository's default branch.
    pub(crate) async fn scan_repo(&self, repo: &str) -> anyhow::Result<RepoScan> {
        let Some(head) = self.host.default_branch(&self.project, repo).await? else {
            return Ok(RepoScan {
                repository: repo.to_owned(),
                problems: vec!["the repository is empty".to_owned()],
                ..RepoScan::default()
            });
        };
        let snapshot = Snapshot::from_repo(&RepoAt {
            host: &self.host,
            project: &self.project,
            repo,
            commit: &head.commit,
        })
        .await?;
        let mut scan = scan_snapshot(repo, &snapshot, &self.db);
        scan.branch = Some(head.branch);
        scan.commit = Some(head.commit);
        Ok(scan)
    }

    /// Slugs of the project's repositories.
    pub(crate) async fn repositories(&self) -> anyhow::Result<Vec<String>> {
        Ok(self.host.repositories(&self.project).await?)
    }
}

/// One vulnerable dependency.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ScanFinding {
    /// Advisory id.
    pub(crate) id: String,
    /// Other ids.
    pub(crate) aliases: Vec<String>,
    /// Ecosystem (OSV name).
    pub(crate) ecosystem: String,
    /// Package.
    pub(crate) package: String,
    /// Version in use.
    pub(crate) version: Option<String>,
    /// Fixed versions.
    pub(crate) fixed: Vec<String>,
    /// Where it is declared.
    pub(crate) location: String,
    /// One-line summary.
    pub(crate) summary: Option<String>,
}

/// The scan of one repository or checkout.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct RepoScan {
    /// Repository slug or directory.
    pub(crate) repository: String,
    /// Branch scanned.
    pub(crate) branch: Option<String>,
    /// Commit scanned.
    pub(crate) commit: Option<String>,
    /// Dependencies found.
    pub(crate) dependencies: usize,
    /// Vulnerabilities found.
    pub(crate) findings: Vec<ScanFinding>,
    /// Files that could not be analysed.
    pub(crate) problems: Vec<String>,
}

/// Analyses a snapshot and matches it against the OSV data.
pub(crate) fn scan_snapshot(name: &str, snapshot: &Snapshot, db: &AdvisoryDb) -> RepoScan {
    let analysis = analyze(snapshot);
    let findings = db
        .scan(&analysis)
        .into_iter()
        .map(|f| {
            let dep = &analysis.dependencies[f.dependency];
            ScanFinding {
                summary: f.summary(),
                id: f.id,
                aliases: f.aliases,
                ecosystem: dep.ecosystem.osv_name().to_owned(),
                package: dep.name.clone(),
                version: dep.version.clone(),
                fixed: f.fixed,
                location: dep.location.to_string(),
            }
        })
        .collect();
    RepoScan {
        repository: name.to_owned(),
        branch: None,
        commit: None,
        dependencies: analysis.dependencies.len(),
        findings,
        problems: analysis.problems.iter().map(ToString::to_string).collect(),
    }
}

/// Scans a local checkout.
pub(crate) fn scan_path(path: &Path, db: &AdvisoryDb) -> anyhow::Result<RepoScan> {
    let snapshot = Snapshot::from_dir(path)?;
    Ok(scan_snapshot(&path.display().to_string(), &snapshot, db))
}

/// A progress line on stderr, only when stderr is a terminal.
#[derive(Debug)]
struct Progress {
    enabled: bool,
    total: usize,
}

impl Progress {
    fn new(total: usize) -> Progress {
        Progress {
            enabled: std::io::stderr().is_terminal(),
            total,
        }
    }

    fn step(&self, i: usize, what: &str) {
        if self.enabled {
            let width = 30;
            let done = (width * i).checked_div(self.total).unwrap_or(width);
            eprint!(
                "\r[{}{}] {i}/{} {what:<40.40}",
                "#".repeat(done),
                "-".repeat(width - done),
                self.total
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
        Some(path) => vec![scan_path(path, &db)?],
        None => {
            let conn = config.bitbucket.complete()?;
            let engine = Engine::new(&conn, config, db, None)?;
            let repos = engine.repositories().await?;
            let progress = Progress::new(repos.len());
            let mut scans = Vec::new();
            for (i, repo) in repos.iter().enumerate() {
                progress.step(i, repo);
                scans.push(engine.scan_repo(repo).await?);
            }
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

/// What `fix` did (or would do).
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub(crate) enum FixResult {
    /// The pull requests opened and updated.
    Applied(Vec<RepoOutcome>),
    /// The remediations a run would make.
    Preview(Vec<RemediationStatus>),
}

/// Renders a fix result as a table.
pub(crate) fn render_fix(result: &FixResult) -> String {
    let mut out = String::new();
    match result {
        FixResult::Applied(outcomes) => {
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
        FixResult::Preview(planned) => {
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
    let conn = config.bitbucket.complete()?;
    let engine = Engine::new(&conn, config, db, None)?;
    let remediator = engine.remediator();
    let repos = engine.repositories().await?;
    let progress = Progress::new(repos.len());
    let result = if dry_run {
        let mut planned = Vec::new();
        for (i, repo) in repos.iter().enumerate() {
            progress.step(i, repo);
            planned.extend(remediator.preview_repo(&conn.project, repo).await?);
        }
        FixResult::Preview(planned)
    } else {
        let mut outcomes = Vec::new();
        for (i, repo) in repos.iter().enumerate() {
            progress.step(i, repo);
            let outcome = remediator.remediate_repo(&conn.project, repo).await;
            let outcome = outcome.unwrap_or_else(|e| RepoOutcome {
                repo: repo.clone(),
                problems: vec![e.to_string()],
                ..RepoOutcome::default()
            });
            audit_cli(
                "fix",
                config,
                Some(repo),
                if outcome.problems.is_empty() {
                    "ok"
                } else {
                    "error"
                },
            );
            outcomes.push(outcome);
        }
        FixResult::Applied(outcomes)
    };
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
    let conn = config.bitbucket.complete()?;
    let engine = Engine::new(&conn, config, db, None)?;
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
