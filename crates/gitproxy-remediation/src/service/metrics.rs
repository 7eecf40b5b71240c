//! A small metrics registry passed around by reference (no globals), rendered in Prometheus text format.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use gitproxy_tunnel::Health;

use crate::advisories::AdvisoryStore;

/// Latency histogram bucket bounds, in seconds.
const BUCKETS: [f64; 10] = [0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

#[derive(Debug, Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Debug, Default)]
struct Inner {
    operations: BTreeMap<(String, String), u64>,
    latency: BTreeMap<String, Histogram>,
    bitbucket_calls: BTreeMap<String, u64>,
    registry_calls: BTreeMap<(String, String), u64>,
    tunnel: Health,
    /// Whose data ages are exposed.
    advisories: Option<Arc<AdvisoryStore>>,
}

/// Counters and histograms of the agent.
#[derive(Debug, Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

impl Metrics {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts one finished operation and its latency.
    pub fn operation(&self, name: &str, outcome: &str, elapsed: Duration) {
        let mut inner = self.lock();
        *inner
            .operations
            .entry((name.to_owned(), outcome.to_owned()))
            .or_default() += 1;
        let h = inner.latency.entry(name.to_owned()).or_default();
        let secs = elapsed.as_secs_f64();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                h.counts[i] += 1;
            }
        }
        h.count += 1;
        h.sum += secs;
    }

    /// Exposes the age of `store`'s data per ecosystem, as of each rendering.
    pub fn advisory_source(&self, store: Arc<AdvisoryStore>) {
        self.lock().advisories = Some(store);
    }

    /// Counts one Bitbucket call by status (`200`, `401`, ... or `error` without a response).
    pub fn bitbucket_call(&self, status: &str) {
        *self
            .lock()
            .bitbucket_calls
            .entry(status.to_owned())
            .or_default() += 1;
    }

    /// Counts one package-registry call by ecosystem and status (`transport` without a response).
    pub fn registry_call(&self, ecosystem: &str, status: &str) {
        *self
            .lock()
            .registry_calls
            .entry((ecosystem.to_owned(), status.to_owned()))
            .or_default() += 1;
    }

    /// Records the tunnel's health: ready connections out of configured ones, and reconnects.
    pub fn tunnel(&self, health: Health) {
        self.lock().tunnel = health;
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let inner = self.lock();
        let mut out = String::new();
        out.push_str("# HELP gitproxy_operations_total Operations served, by name and outcome.\n");
        out.push_str("# TYPE gitproxy_operations_total counter\n");
        for ((name, outcome), n) in &inner.operations {
            let _ = writeln!(
                out,
                "gitproxy_operations_total{{operation=\"{}\",outcome=\"{}\"}} {n}",
                escape(name),
                escape(outcome)
            );
        }
        out.push_str("# HELP gitproxy_operation_duration_seconds Operation latency.\n");
        out.push_str("# TYPE gitproxy_operation_duration_seconds histogram\n");
        for (name, h) in &inner.latency {
            let name = escape(name);
            for (i, bound) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "gitproxy_operation_duration_seconds_bucket{{operation=\"{name}\",le=\"{bound}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "gitproxy_operation_duration_seconds_bucket{{operation=\"{name}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "gitproxy_operation_duration_seconds_sum{{operation=\"{name}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "gitproxy_operation_duration_seconds_count{{operation=\"{name}\"}} {}",
                h.count
            );
        }
        out.push_str("# HELP gitproxy_bitbucket_requests_total Bitbucket calls, by HTTP status.\n");
        out.push_str("# TYPE gitproxy_bitbucket_requests_total counter\n");
        for (status, n) in &inner.bitbucket_calls {
            let _ = writeln!(
                out,
                "gitproxy_bitbucket_requests_total{{status=\"{}\"}} {n}",
                escape(status)
            );
        }
        out.push_str("# HELP gitproxy_registry_requests_total Package registry calls, by ecosystem and HTTP status.\n");
        out.push_str("# TYPE gitproxy_registry_requests_total counter\n");
        for ((ecosystem, status), n) in &inner.registry_calls {
            let _ = writeln!(
                out,
                "gitproxy_registry_requests_total{{ecosystem=\"{}\",status=\"{}\"}} {n}",
                escape(ecosystem),
                escape(status)
            );
        }
        out.push_str("# HELP gitproxy_tunnel_connected Ready tunnel connections.\n");
        out.push_str("# TYPE gitproxy_tunnel_connected gauge\n");
        let _ = writeln!(out, "gitproxy_tunnel_connected {}", inner.tunnel.connected);
        out.push_str("# HELP gitproxy_tunnel_connections Configured tunnel connections.\n");
        out.push_str("# TYPE gitproxy_tunnel_connections gauge\n");
        let _ = writeln!(
            out,
            "gitproxy_tunnel_connections {}",
            inner.tunnel.connections
        );
        out.push_str("# HELP gitproxy_tunnel_reconnects_total Tunnel connections ready again after their first session.\n");
        out.push_str("# TYPE gitproxy_tunnel_reconnects_total counter\n");
        let _ = writeln!(
            out,
            "gitproxy_tunnel_reconnects_total {}",
            inner.tunnel.reconnects
        );
        if let Some(store) = &inner.advisories {
            out.push_str("# HELP gitproxy_advisory_data_age_seconds Age of the advisory data per ecosystem: since the watermark of synced data, or the newest record of mounted data.\n");
            out.push_str("# TYPE gitproxy_advisory_data_age_seconds gauge\n");
            for age in store.ages(SystemTime::now()) {
                if let Some(secs) = age.age_seconds {
                    let _ = writeln!(
                        out,
                        "gitproxy_advisory_data_age_seconds{{ecosystem=\"{}\"}} {secs}",
                        escape(&age.ecosystem)
                    );
                }
            }
        }
        out
    }
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests;
