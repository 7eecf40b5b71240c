//! `gitproxy run`: the agent. Probes first, then the tunnel to the cloud (egress rules applied),
//! serving the operations; SIGTERM stops taking operations, lets in-flight ones finish within the
//! grace period and exits 0.

use std::sync::Arc;
use std::time::Duration;

use gitproxy_egress::EgressConnector;
use gitproxy_remediation::advisories::{AdvisoryStore, OsvMirror};
use gitproxy_remediation::Ecosystem;
use gitproxy_tunnel::{AccessKey, Agent, AgentConfig, Operation as _};
use tokio::sync::watch;

use crate::config::{Config, ConfigError};
use crate::ops::router;
use crate::probes::{self, ProbeState};
use crate::settings;
use gitproxy_remediation::service::metrics::Metrics;

/// Runs the agent until SIGTERM or SIGINT.
pub(crate) async fn run(config: Config) -> anyhow::Result<()> {
    let setting = &settings::ACCESS_KEY;
    let access_key = config.access_key.as_ref().ok_or_else(|| {
        ConfigError(format!(
            "access key not set: set {} (Helm {}), {} or --{}",
            setting.env_file.unwrap_or_default(),
            setting.helm.unwrap_or_default(),
            setting.env.unwrap_or_default(),
            setting.flag.unwrap_or_default()
        ))
    })?;
    let access_key = AccessKey::new(access_key.expose())
        .map_err(|e| ConfigError(format!("{}: {e}", setting.env.unwrap_or_default())))?;
    let connector = cloud_connector(&config)?;
    let agent_config = AgentConfig::builder(
        config.cloud_url.as_str(),
        access_key,
        &config.agent_id,
        Arc::new(connector),
    )
    .connections(config.connections)
    .shutdown_deadline(config.shutdown_grace)
    .body_limit(
        gitproxy_remediation::catalogue::SyncAdvisories::NAME,
        sync_body_limit(config.max_advisory_memory),
    )
    .build()
    .map_err(|e| ConfigError(format!("tunnel settings: {e}")))?;
    let advisories = crate::engine::advisory_store(&config)?;
    if !advisories.is_configured() {
        tracing::warn!(
            "no OSV data configured ({}): scan and apply operations will fail until it is set",
            settings::OSV_DIR.names()
        );
    }
    if config.connection().is_ok() {
        tracing::info!(
            bitbucket = %config.bitbucket.url.as_ref().map(|u| u.as_str()).unwrap_or_default(),
            project = config.bitbucket.project.as_deref().unwrap_or_default(),
            "bitbucket connection configured locally; connection details from the cloud are not used"
        );
    }

    let mirror = match &config.osv_mirror {
        Some(url) => Some(tokio::spawn(poll_mirror(
            OsvMirror::new(crate::engine::egress_connector(&config)?, url.clone()),
            Arc::clone(&advisories),
            config.osv_mirror_interval,
        ))),
        None => None,
    };
    let metrics = Arc::new(Metrics::default());
    metrics.advisory_source(advisories.clone());
    let router = router(&config, metrics.clone(), advisories)?;
    let listener = probes::bind(config.listen).await?;
    let probe_addr = listener.local_addr()?;
    let (ready_tx, ready_rx) = watch::channel(false);
    let (stop_tx, stop_rx) = watch::channel(false);
    let probe_task = tokio::spawn(probes::serve(
        listener,
        ProbeState {
            ready: ready_rx,
            metrics: metrics.clone(),
        },
        stop_rx,
    ));
    tracing::info!(addr = %probe_addr, "probes listening on /healthz, /readyz and /metrics");

    let agent = Agent::connect(agent_config, router);
    let (watcher_metrics, watcher_ready) = (metrics.clone(), ready_tx.clone());
    let watcher = agent.watch_health(move |health| {
        watcher_metrics.tunnel(health);
        watcher_ready.send_if_modified(|ready| {
            std::mem::replace(ready, health.is_ready()) != health.is_ready()
        });
    });

    shutdown_signal().await;
    tracing::info!(grace = ?config.shutdown_grace, "shutting down: no new operations, finishing in-flight ones");
    watcher.abort();
    if let Some(mirror) = mirror {
        mirror.abort();
    }
    ready_tx.send_replace(false);
    agent.shutdown().await;
    stop_tx.send_replace(true);
    let _ = probe_task.await;
    tracing::info!("stopped");
    Ok(())
}

/// Polls the local OSV mirror for every ecosystem the engine knows, now and then every `every`.
async fn poll_mirror(
    mirror: OsvMirror<EgressConnector>,
    store: Arc<AdvisoryStore>,
    every: Duration,
) {
    let ecosystems: Vec<&str> = Ecosystem::ALL.iter().map(|e| e.osv_name()).collect();
    tracing::info!(mirror = ?mirror, every = ?every, "polling the OSV mirror for advisory data");
    loop {
        mirror.poll(&store, &ecosystems).await;
        tokio::time::sleep(every).await;
    }
}

/// The connector to the cloud: a refused connection is about the cloud URL and port 443 (or the
/// proxy), not about Bitbucket's ports.
fn cloud_connector(config: &Config) -> anyhow::Result<EgressConnector> {
    let port = config.cloud_url.port_or_known_default().unwrap_or(443);
    let advice = format!(
        "nothing listens there; check the cloud URL {} ({}) and that the agent may reach it on port {port}, directly or through the https proxy (proxy.httpsProxy)",
        config.cloud_url,
        settings::CLOUD_URL.names()
    );
    Ok(
        EgressConnector::builder(config.proxy.clone(), config.trust.clone())
            .refused_advice(advice)
            .build()?,
    )
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for SIGTERM; stopping on ctrl-c only");
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// The request body limit of `advisories.sync`: 128 MiB, or half the advisory memory limit when
/// that is less, so the body and the archive decoded from it fit beside the data the agent holds
/// (a batch whose records would not fit is refused anyway, and should not cost the container its
/// memory on the way).
fn sync_body_limit(max_advisory_memory: u64) -> u64 {
    gitproxy_remediation::catalogue::SYNC_BODY_LIMIT.min(max_advisory_memory / 2)
}
