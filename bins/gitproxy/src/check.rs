//! Test Connection as the agent runs it: the library's checks
//! ([`gitproxy_remediation::connection`]) with the agent's egress connector and metered client,
//! and the report as `gitproxy check` prints it.

use std::fmt::Write as _;
use std::sync::Arc;

use gitproxy_egress::EgressConnector;
use gitproxy_remediation::catalogue::{CheckReport, Status};
use gitproxy_remediation::connection::{test_connection, Target};
use gitproxy_remediation::registry::RegistryUrls;

use crate::config::BitbucketConn;
use crate::engine::bitbucket_client;
use crate::metrics::Metrics;

/// Runs the whole Test Connection for `conn`; with `metrics`, Bitbucket calls are counted.
pub(crate) async fn run_check(
    conn: &BitbucketConn,
    registries: &RegistryUrls,
    connector: &EgressConnector,
    metrics: Option<&Arc<Metrics>>,
) -> CheckReport {
    let client = |authenticated| bitbucket_client(conn, connector, authenticated, metrics);
    let target = Target {
        url: &conn.url,
        username: &conn.username,
        project: &conn.project,
    };
    test_connection(target, registries, connector, &client).await
}

/// One line per stage with a pass/fail mark and the fix.
pub(crate) fn render(report: &CheckReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Test Connection to {} (project {})",
        report.server_url, report.project
    );
    for stage in &report.stages {
        let mark = match stage.status {
            Status::Pass => "[PASS]",
            Status::Fail => "[FAIL]",
            Status::Skip => "[skip]",
        };
        let _ = writeln!(out, "{mark} {:<20} {}", stage.name, stage.detail);
        if let Some(fix) = &stage.fix {
            let _ = writeln!(out, "       fix: {fix}");
        }
    }
    let failed = report
        .stages
        .iter()
        .filter(|s| s.status == Status::Fail)
        .count();
    if report.ok {
        let _ = writeln!(out, "result: connection OK");
    } else {
        let _ = writeln!(out, "result: FAILED ({failed} check failed)");
    }
    out
}

#[cfg(test)]
mod tests;
