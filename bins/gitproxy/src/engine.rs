//! Wiring of the remediation engine ([`gitproxy_remediation::engine`]) from the configuration:
//! the OSV data, the egress connector, the connection details and the engine options, with
//! metrics counting every Bitbucket and registry call when given.

use std::sync::Arc;

use gitproxy_egress::EgressConnector;
use gitproxy_remediation::advisories::{
    mounted_ages, AdvisoryDb, AdvisoryStore, StoreOptions, SyncLimits,
};
use gitproxy_remediation::engine::{Engine, EngineOptions};
use gitproxy_remediation::policy::Connection;

use crate::config::{Config, ConfigError};
use gitproxy_remediation::service::metrics::Metrics;

/// Loads the OSV data directory, if one is configured.
pub(crate) fn osv(config: &Config) -> anyhow::Result<Option<Arc<AdvisoryDb>>> {
    let Some(dir) = &config.osv_dir else {
        return Ok(None);
    };
    let mut db = AdvisoryDb::new();
    let n = db.load_dir(dir)?;
    tracing::info!(records = n, dir = %dir.display(), "loaded OSV data");
    Ok(Some(Arc::new(db)))
}

/// The agent's advisory store: the mounted OSV data (as current as its newest record), with the
/// data synced since and persisted in the advisory store directory replayed on top.
pub(crate) fn advisory_store(config: &Config) -> anyhow::Result<Arc<AdvisoryStore>> {
    let base = osv(config)?.map(|db| Arc::try_unwrap(db).unwrap_or_default());
    // The newest record of each ecosystem says how current mounted data is; the files' time
    // stands in for an ecosystem whose records carry no `modified` time.
    let mut ages = config
        .osv_dir
        .as_deref()
        .map(mounted_ages)
        .unwrap_or_default();
    if let Some(db) = &base {
        ages.extend(
            db.newest_modified()
                .into_iter()
                .map(|(eco, at)| (eco.to_owned(), at)),
        );
    }
    let options = StoreOptions {
        dir: config.advisory_store.clone(),
        max_age: config.max_advisory_age,
        limits: SyncLimits {
            max_memory_bytes: usize::try_from(config.max_advisory_memory).unwrap_or(usize::MAX),
            ..SyncLimits::default()
        },
    };
    Ok(Arc::new(AdvisoryStore::open(base, ages, options)))
}

/// The advisory store, which the command needs data in (mounted or synced).
pub(crate) fn required_advisories(config: &Config) -> anyhow::Result<Arc<AdvisoryStore>> {
    let store = advisory_store(config)?;
    if !store.is_configured() {
        return Err(anyhow::Error::new(ConfigError(format!(
            "{}: not set; point it at the OSV data directory (<ECOSYSTEM>/all.zip or *.json records)",
            crate::settings::OSV_DIR.names()
        ))));
    }
    Ok(store)
}

/// The connector every Bitbucket and registry request uses: the egress rules (proxy, noProxy, CA).
pub(crate) fn egress_connector(config: &Config) -> anyhow::Result<EgressConnector> {
    Ok(EgressConnector::builder(config.proxy.clone(), config.trust.clone()).build()?)
}

/// The engine options of the configuration; with `metrics`, every HTTP call is counted by its
/// status (`transport` when no response arrived).
pub(crate) fn options(config: &Config, metrics: Option<&Arc<Metrics>>) -> EngineOptions {
    let mut options = EngineOptions::new(
        &config.branch_prefix,
        config.registries.clone(),
        config.scan,
    );
    options.ci_servers = config.ci_servers.clone();
    options.osv_mirror = config.osv_mirror.clone();
    if let Some(metrics) = metrics {
        let m = metrics.clone();
        options.on_bitbucket_response = Some(Arc::new(move |_method, status| {
            m.bitbucket_call(&status_label(status));
        }));
        let m = metrics.clone();
        options.on_registry_response = Some(Arc::new(move |ecosystem, status| {
            m.registry_call(ecosystem.osv_name(), &status_label(status));
        }));
    }
    options
}

/// The engine of a CLI command for `conn` (not metered).
pub(crate) fn engine(
    config: &Config,
    conn: &Connection,
    db: Arc<AdvisoryDb>,
) -> anyhow::Result<Engine> {
    let options = options(config, None);
    Ok(Engine::new(conn, egress_connector(config)?, db, &options)?)
}

/// The metrics label of one HTTP call: its status, or `transport` without a response.
fn status_label(status: Option<http::StatusCode>) -> String {
    status
        .map(|s| s.as_u16().to_string())
        .unwrap_or_else(|| "transport".to_owned())
}
