//! Wiring of the remediation engine for one Bitbucket connection: the egress connector, the
//! Bitbucket client (metered), the policy-checked host, the OSV data and the selected registries.
//! The CLI commands and the tunnel operations both build their engine here.

use std::sync::Arc;

use bitbucket_dc::{Client, Credentials};
use gitproxy_egress::EgressConnector;
use gitproxy_remediation::advisories::AdvisoryDb;
use gitproxy_remediation::host::BitbucketDc;
use gitproxy_remediation::plan::PlanOptions;
use gitproxy_remediation::policy::{Policy, PolicyHost};
use gitproxy_remediation::registry::{HttpRegistry, SelectedRegistry};
use gitproxy_remediation::remediate::Remediator;
use gitproxy_remediation::scan::{scan_repo, RepoScan};
use gitproxy_remediation::ScanOptions;

use crate::config::{BitbucketConn, Config, ConfigError};
use crate::metrics::Metrics;

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

/// The connector every Bitbucket and registry request uses: the egress rules (proxy, noProxy, CA).
pub(crate) fn egress_connector(config: &Config) -> anyhow::Result<EgressConnector> {
    Ok(EgressConnector::builder(config.proxy.clone(), config.trust.clone()).build()?)
}

/// A Bitbucket client for `conn` through the egress connector; with `metrics`, every HTTP
/// attempt is counted by its status (`transport` when no response arrived).
pub(crate) fn bitbucket_client(
    conn: &BitbucketConn,
    connector: &EgressConnector,
    authenticated: bool,
    metrics: Option<&Arc<Metrics>>,
) -> Result<Client, bitbucket_dc::Error> {
    let credentials = if authenticated {
        Credentials::basic(conn.username.clone(), conn.token.expose())?
    } else {
        Credentials::anonymous()
    };
    let mut builder = Client::builder(conn.url.as_str())
        .credentials(credentials)
        .user_agent(concat!("gitproxy/", env!("CARGO_PKG_VERSION")))
        .connector(connector.clone());
    if let Some(metrics) = metrics {
        let metrics = metrics.clone();
        builder = builder.on_response(Arc::new(move |_method, status| {
            metrics.bitbucket_call(&status_label(status));
        }));
    }
    builder.build()
}

/// The metrics label of one HTTP call: its status, or `transport` without a response.
pub(crate) fn status_label(status: Option<http::StatusCode>) -> String {
    status
        .map(|s| s.as_u16().to_string())
        .unwrap_or_else(|| "transport".to_owned())
}

/// The engine for one Bitbucket connection: a policy-checked host, the OSV data and the registry.
pub(crate) struct Engine {
    /// The host, every call checked by the local policy.
    pub(crate) host: PolicyHost<BitbucketDc>,
    /// OSV data.
    pub(crate) db: Arc<AdvisoryDb>,
    /// Candidate versions and lockfile digests.
    pub(crate) registry: SelectedRegistry<HttpRegistry<EgressConnector>>,
    /// The project key.
    pub(crate) project: String,
    /// Where remediation branches live: the configured branch prefix and `security/`.
    pub(crate) branch_prefix: String,
    /// How repositories are read (the per-file size limit).
    pub(crate) scan: ScanOptions,
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
    /// Builds the engine for `conn`; with `metrics`, Bitbucket and registry calls are counted.
    pub(crate) fn new(
        conn: &BitbucketConn,
        config: &Config,
        db: Arc<AdvisoryDb>,
        metrics: Option<Arc<Metrics>>,
    ) -> anyhow::Result<Engine> {
        let connector = egress_connector(config)?;
        let client = bitbucket_client(conn, &connector, true, metrics.as_ref())?;
        let policy = Policy::new(conn.url.clone(), &conn.project, &config.branch_prefix);
        policy.check_server(&conn.url)?;
        let host = PolicyHost::new(BitbucketDc::new(client), policy);
        let mut http = HttpRegistry::new(connector, config.registries.clone());
        if let Some(metrics) = metrics {
            http = http.on_response(Arc::new(move |ecosystem, status| {
                metrics.registry_call(ecosystem.osv_name(), &status_label(status));
            }));
        }
        Ok(Engine {
            host,
            registry: SelectedRegistry::new(db.clone(), config.registries.clone(), http),
            db,
            project: conn.project.clone(),
            branch_prefix: format!("{}security/", config.branch_prefix),
            scan: config.scan,
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
        .with_scan_options(self.scan)
    }

    /// Scans one repository's default branch.
    pub(crate) async fn scan_repo(
        &self,
        repo: &str,
    ) -> Result<RepoScan, gitproxy_remediation::Error> {
        scan_repo(&self.host, &self.db, &self.project, repo, &self.scan).await
    }

    /// Slugs of the project's repositories.
    pub(crate) async fn repositories(&self) -> Result<Vec<String>, gitproxy_remediation::Error> {
        use gitproxy_remediation::host::BitbucketHost as _;
        self.host.repositories(&self.project).await
    }
}
