//! The operations the agent serves through the tunnel: the library's catalogue service
//! ([`gitproxy_remediation::service`]) wired to the configuration, with every finished operation
//! counted in the metrics and written as one audit line.

use std::sync::Arc;

use gitproxy_remediation::advisories::AdvisoryStore;
use gitproxy_remediation::service::{Metered, Service};
use gitproxy_tunnel::Router;

use crate::config::Config;
use crate::engine::{egress_connector, options};
use gitproxy_remediation::service::metrics::Metrics;

/// The router serving every operation of the catalogue, metered by `metrics`.
pub(crate) fn router(
    config: &Config,
    metrics: Arc<Metrics>,
    advisories: Arc<AdvisoryStore>,
) -> anyhow::Result<Router> {
    let service = Service {
        local: config.bitbucket.clone(),
        advisories,
        connector: egress_connector(config)?,
        options: options(config, Some(&metrics)),
        observer: Arc::new(Metered {
            metrics,
            actor: "cloud",
        }),
    };
    Ok(service.router())
}
