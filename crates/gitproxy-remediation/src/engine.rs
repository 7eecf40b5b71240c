//! The engine for one Bitbucket connection: the Bitbucket client over the caller's egress
//! connector, every call checked by the local policy, the OSV data and the selected registries.
//! The CLI commands and the tunnel operations ([`crate::service`]) both work through it.

use std::sync::Arc;

use bitbucket_dc::{Client, Credentials};
use gitproxy_egress::EgressConnector;

use crate::advisories::AdvisoryDb;
use crate::catalogue::ApplyResult;
use crate::ci::{CiServers, HttpBuildLogs};
use crate::host::{BitbucketDc, BitbucketHost as _};
use crate::local::{self, LocalPlan};
use crate::plan::PlanOptions;
use crate::policy::{Connection, Policy, PolicyHost};
use crate::registry::{self, HttpRegistry, RegistryUrls, ReleaseCache, SelectedRegistry};
use crate::remediate::{Remediator, RepoOutcome};
use crate::scan::{scan_repo, RepoScan};
use crate::{Error, ScanOptions};

/// The `User-Agent` of every Bitbucket request.
pub const USER_AGENT: &str = concat!("gitproxy/", env!("CARGO_PKG_VERSION"));

/// What every engine of the agent shares: the local settings and the caller's observers.
#[derive(Clone)]
pub struct EngineOptions {
    /// The configured branch prefix (ending in `/`); remediation branches live under
    /// `<prefix>security/`.
    pub branch_prefix: String,
    /// The package registries configured locally (Test Connection checks them too).
    pub registries: RegistryUrls,
    /// How repositories are read (the per-file size limit).
    pub scan: ScanOptions,
    /// Told about every Bitbucket HTTP attempt (e.g. to count calls by status).
    pub on_bitbucket_response: Option<bitbucket_dc::ResponseObserver>,
    /// Told about every package-registry HTTP request.
    pub on_registry_response: Option<registry::ResponseObserver>,
    /// The CI servers whose job logs CI-failure comments quote (none by default).
    pub ci_servers: CiServers,
    /// The local OSV mirror polled for advisory data (none by default; Test Connection checks it).
    pub osv_mirror: Option<url::Url>,
    /// Registry answers that never change, shared by every engine built from these options (and
    /// their clones): a released Maven POM is fetched once per agent, not once per scan.
    pub release_cache: ReleaseCache,
}

impl EngineOptions {
    /// Options with no observers.
    pub fn new(branch_prefix: &str, registries: RegistryUrls, scan: ScanOptions) -> EngineOptions {
        EngineOptions {
            branch_prefix: branch_prefix.to_owned(),
            registries,
            scan,
            on_bitbucket_response: None,
            on_registry_response: None,
            ci_servers: CiServers::default(),
            osv_mirror: None,
            release_cache: ReleaseCache::default(),
        }
    }
}

impl std::fmt::Debug for EngineOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineOptions")
            .field("branch_prefix", &self.branch_prefix)
            .field("registries", &self.registries)
            .field("scan", &self.scan)
            .field("ci_servers", &self.ci_servers)
            .field(
                "osv_mirror",
                &self.osv_mirror.as_ref().map(url::Url::as_str),
            )
            .field("release_cache", &self.release_cache)
            .finish_non_exhaustive()
    }
}

/// A Bitbucket client for `conn` through `connector`: anonymous unless `authenticated`, with
/// `on_response` told about every HTTP attempt.
pub fn bitbucket_client(
    conn: &Connection,
    connector: &EgressConnector,
    authenticated: bool,
    on_response: Option<&bitbucket_dc::ResponseObserver>,
) -> Result<Client, bitbucket_dc::Error> {
    let credentials = if authenticated {
        Credentials::basic(conn.username.clone(), conn.token.expose())?
    } else {
        Credentials::anonymous()
    };
    let mut builder = Client::builder(conn.url.as_str())
        .credentials(credentials)
        .user_agent(USER_AGENT)
        .connector(connector.clone());
    if let Some(observer) = on_response {
        builder = builder.on_response(observer.clone());
    }
    builder.build()
}

/// One repository of a project-wide run, told to the caller before the repository starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step<'a> {
    /// Its position, from 0.
    pub index: usize,
    /// How many repositories the run covers.
    pub total: usize,
    /// The repository slug.
    pub repository: &'a str,
}

/// The engine for one Bitbucket connection: a policy-checked host, the OSV data and the registry.
pub struct Engine {
    host: PolicyHost<BitbucketDc>,
    db: Arc<AdvisoryDb>,
    registry: SelectedRegistry<HttpRegistry<EgressConnector>>,
    project: String,
    branch_prefix: String,
    scan: ScanOptions,
    /// Job logs of the configured CI servers, when there are any.
    logs: Option<HttpBuildLogs<EgressConnector>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("project", &self.project)
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
}

/// The registries of `options` over `connector`, with the OSV data's fixed versions where none is
/// configured.
fn selected_registry(
    connector: EgressConnector,
    db: &Arc<AdvisoryDb>,
    options: &EngineOptions,
) -> SelectedRegistry<HttpRegistry<EgressConnector>> {
    let mut http = HttpRegistry::new(connector, options.registries.clone())
        .with_release_cache(options.release_cache.clone());
    if let Some(observer) = &options.on_registry_response {
        http = http.on_response(observer.clone());
    }
    SelectedRegistry::new(db.clone(), options.registries.clone(), http)
}

/// The fixes the engine would make to the local checkout `dir` (see [`crate::local`]), with the
/// registries of `options` reached over `connector`; nothing is written and no Bitbucket is
/// needed.
pub async fn fix_dir(
    dir: &std::path::Path,
    connector: EgressConnector,
    db: Arc<AdvisoryDb>,
    options: &EngineOptions,
) -> Result<LocalPlan, Error> {
    let registry = selected_registry(connector, &db, options);
    let prefix = format!("{}security/", options.branch_prefix);
    local::fix_dir(
        dir,
        &db,
        &registry,
        &PlanOptions::recommended(),
        &prefix,
        &options.scan,
    )
    .await
}

/// Scans the local checkout `dir` as [`crate::scan::scan_dir`] does, with the parent POMs and
/// BOMs from outside it fetched from the registries of `options` over `connector`; no Bitbucket
/// is needed.
pub async fn scan_dir(
    dir: &std::path::Path,
    connector: EgressConnector,
    db: Arc<AdvisoryDb>,
    options: &EngineOptions,
) -> Result<RepoScan, Error> {
    let registry = selected_registry(connector, &db, options);
    let mut snapshot = crate::files::Snapshot::from_dir_with(dir, &options.scan)?;
    crate::analysis::maven::fetch_maven_poms(&mut snapshot, &registry).await;
    Ok(crate::scan::scan_snapshot(
        &dir.display().to_string(),
        &snapshot,
        &db,
    ))
}

impl Engine {
    /// Builds the engine for `conn` over `connector`; the connection's server must be the one
    /// the policy allows.
    pub fn new(
        conn: &Connection,
        connector: EgressConnector,
        db: Arc<AdvisoryDb>,
        options: &EngineOptions,
    ) -> Result<Engine, Error> {
        let client = bitbucket_client(
            conn,
            &connector,
            true,
            options.on_bitbucket_response.as_ref(),
        )
        .map_err(|source| Error::BitbucketClient { source })?;
        let policy = Policy::new(conn.url.clone(), &conn.project, &options.branch_prefix);
        policy.check_server(&conn.url)?;
        let host = PolicyHost::new(BitbucketDc::new(client), policy);
        let logs = (!options.ci_servers.is_empty())
            .then(|| HttpBuildLogs::new(connector.clone(), options.ci_servers.clone()));
        Ok(Engine {
            host,
            logs,
            registry: selected_registry(connector, &db, options),
            db,
            project: conn.project.clone(),
            branch_prefix: format!("{}security/", options.branch_prefix),
            scan: options.scan,
        })
    }

    /// The project key.
    pub fn project(&self) -> &str {
        &self.project
    }

    /// A remediator over this engine.
    pub fn remediator(&self) -> Remediator<'_> {
        let remediator = Remediator::new(
            &self.host,
            &self.db,
            &self.registry,
            PlanOptions::recommended(),
        )
        .with_branch_prefix(self.branch_prefix.as_str())
        .with_scan_options(self.scan);
        match &self.logs {
            Some(logs) => remediator.with_build_logs(logs),
            None => remediator,
        }
    }

    /// Scans one repository's default branch.
    pub async fn scan_repo(&self, repo: &str) -> Result<RepoScan, Error> {
        scan_repo(
            &self.host,
            &self.db,
            &self.registry,
            &self.project,
            repo,
            &self.scan,
        )
        .await
    }

    /// Slugs of the project's repositories.
    pub async fn repositories(&self) -> Result<Vec<String>, Error> {
        self.host.repositories(&self.project).await
    }

    /// Scans every repository of the project, telling `progress` about each before its scan.
    pub async fn scan_project(
        &self,
        mut progress: impl FnMut(Step<'_>),
    ) -> Result<Vec<RepoScan>, Error> {
        let repos = self.repositories().await?;
        let mut scans = Vec::with_capacity(repos.len());
        for (index, repository) in repos.iter().enumerate() {
            progress(Step {
                index,
                total: repos.len(),
                repository,
            });
            scans.push(self.scan_repo(repository).await?);
        }
        Ok(scans)
    }

    /// Opens or updates the fix pull requests of every repository of the project, telling
    /// `progress` about each before it starts and `fixed` about each outcome; a repository that
    /// fails is reported in its outcome's `problems` and the others still run. With `dry_run`,
    /// plans only and writes nothing (`fixed` is not called).
    pub async fn fix_project(
        &self,
        dry_run: bool,
        mut progress: impl FnMut(Step<'_>),
        mut fixed: impl FnMut(&RepoOutcome),
    ) -> Result<ApplyResult, Error> {
        let remediator = self.remediator();
        let repos = self.repositories().await?;
        let step = |index, repository| Step {
            index,
            total: repos.len(),
            repository,
        };
        if dry_run {
            let mut planned = Vec::new();
            for (index, repository) in repos.iter().enumerate() {
                progress(step(index, repository));
                planned.extend(remediator.preview_repo(&self.project, repository).await?);
            }
            return Ok(ApplyResult::Preview(planned));
        }
        let mut outcomes = Vec::with_capacity(repos.len());
        for (index, repository) in repos.iter().enumerate() {
            progress(step(index, repository));
            let outcome = remediator
                .remediate_repo(&self.project, repository)
                .await
                .unwrap_or_else(|e| RepoOutcome {
                    repo: repository.clone(),
                    problems: vec![e.to_string()],
                    ..RepoOutcome::default()
                });
            fixed(&outcome);
            outcomes.push(outcome);
        }
        Ok(ApplyResult::Applied(outcomes))
    }
}
