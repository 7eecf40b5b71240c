//! Test Connection as `gitproxy check` prints it: one line per stage of the library's report
//! ([`gitproxy_remediation::connection::check`]) with its mark and fix.

use std::fmt::Write as _;

use gitproxy_remediation::catalogue::{CheckReport, Status};

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
