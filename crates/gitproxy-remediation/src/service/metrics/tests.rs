//! Unit tests of the metrics registry's Prometheus text.

use std::time::Duration;

use gitproxy_tunnel::Health;

use super::Metrics;

#[test]
fn operations_are_counted_by_name_and_outcome_with_latency_buckets() {
    let metrics = Metrics::default();
    metrics.operation("remediation.scan", "ok", Duration::from_millis(30));
    metrics.operation("remediation.scan", "ok", Duration::from_secs(2));
    metrics.operation("remediation.scan", "error", Duration::from_millis(5));
    let text = metrics.render();
    assert!(text
        .contains("gitproxy_operations_total{operation=\"remediation.scan\",outcome=\"ok\"} 2\n"));
    assert!(text.contains(
        "gitproxy_operations_total{operation=\"remediation.scan\",outcome=\"error\"} 1\n"
    ));
    assert!(text.contains("gitproxy_operation_duration_seconds_bucket{operation=\"remediation.scan\",le=\"0.05\"} 2\n"));
    assert!(text.contains("gitproxy_operation_duration_seconds_bucket{operation=\"remediation.scan\",le=\"+Inf\"} 3\n"));
    assert!(text
        .contains("gitproxy_operation_duration_seconds_count{operation=\"remediation.scan\"} 3\n"));
}

#[test]
fn tunnel_state_and_bitbucket_statuses_are_exposed() {
    let metrics = Metrics::default();
    metrics.tunnel(Health {
        connected: 1,
        connections: 2,
        reconnects: 3,
    });
    metrics.bitbucket_call("200");
    metrics.bitbucket_call("200");
    metrics.bitbucket_call("401");
    let text = metrics.render();
    assert!(text.contains("gitproxy_tunnel_connected 1\n"));
    assert!(text.contains("gitproxy_tunnel_connections 2\n"));
    assert!(text.contains("gitproxy_tunnel_reconnects_total 3\n"));
    assert!(text.contains("gitproxy_bitbucket_requests_total{status=\"200\"} 2\n"));
    assert!(text.contains("gitproxy_bitbucket_requests_total{status=\"401\"} 1\n"));
}

#[test]
fn registry_calls_are_counted_by_ecosystem_and_status() {
    let metrics = Metrics::default();
    let text = metrics.render();
    assert!(text.contains("# TYPE gitproxy_registry_requests_total counter\n"));
    assert!(!text.contains("gitproxy_registry_requests_total{"));
    metrics.registry_call("npm", "200");
    metrics.registry_call("npm", "200");
    metrics.registry_call("crates.io", "transport");
    let text = metrics.render();
    assert!(text.contains("gitproxy_registry_requests_total{ecosystem=\"npm\",status=\"200\"} 2\n"));
    assert!(text.contains(
        "gitproxy_registry_requests_total{ecosystem=\"crates.io\",status=\"transport\"} 1\n"
    ));
}

#[test]
fn label_values_are_escaped() {
    let metrics = Metrics::default();
    metrics.operation("a\"b", "ok", Duration::ZERO);
    assert!(metrics.render().contains("operation=\"a\\\"b\""));
}

#[test]
fn the_exposition_is_stable_byte_for_byte() {
    let metrics = Metrics::default();
    metrics.operation("remediation.apply", "ok", Duration::from_millis(300));
    metrics.operation("connection.test", "failed", Duration::from_millis(40));
    metrics.bitbucket_call("200");
    metrics.registry_call("npm", "transport");
    metrics.tunnel(Health {
        connected: 2,
        connections: 2,
        reconnects: 1,
    });
    assert_eq!(metrics.render(), include_str!("exposition.txt"));
}

#[test]
fn advisory_data_age_is_exposed_per_ecosystem() {
    use crate::advisories::{AdvisoryDb, AdvisoryStore, StoreOptions};
    let m = Metrics::default();
    assert!(!m.render().contains("gitproxy_advisory_data_age_seconds"));
    let day_old = std::time::SystemTime::now() - Duration::from_secs(86_400);
    let store = AdvisoryStore::open(
        Some(AdvisoryDb::new()),
        [("Go".to_owned(), day_old)].into(),
        StoreOptions::default(),
    );
    m.advisory_source(std::sync::Arc::new(store));
    let text = m.render();
    assert!(
        text.contains("# TYPE gitproxy_advisory_data_age_seconds gauge\n"),
        "{text}"
    );
    let line = text
        .lines()
        .find(|l| l.starts_with("gitproxy_advisory_data_age_seconds{ecosystem=\"Go\"} "))
        .expect("a Go line");
    let secs: u64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!((86_400..86_460).contains(&secs), "{line}");
}
