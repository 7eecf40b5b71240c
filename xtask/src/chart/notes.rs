//! NOTES.txt, rendered offline by `helm install --dry-run=client`: the guide's troubleshooting commands,
//! and the package registries when they are set.

use std::path::Path;

use anyhow::Result;

use super::{args, output, Report, ACCESS_KEY, NAMESPACE, RELEASE};
use crate::tools::ChartTools;

/// `helm install --dry-run=client` (which renders NOTES.txt offline): whether it succeeded, the NOTES and stderr.
fn render_notes(
    chart: &Path,
    tools: &ChartTools,
    extra: &[String],
) -> Result<(bool, String, String)> {
    let out = output(
        tools
            .helm()
            .args(["install", RELEASE])
            .arg(chart)
            .args(["--namespace", NAMESPACE, "--dry-run=client", "--set"])
            .arg(format!("gitproxy.accessKey={ACCESS_KEY}"))
            .args(extra),
    )?;
    let text = String::from_utf8_lossy(&out.stdout);
    let notes = text.split_once("\nNOTES:\n").map_or("", |(_, notes)| notes);
    Ok((
        out.status.success(),
        notes.to_owned(),
        String::from_utf8_lossy(&out.stderr).trim().to_owned(),
    ))
}

/// NOTES.txt carries the guide's troubleshooting commands, and names the package registries when set.
pub(super) fn check_notes(chart: &Path, tools: &ChartTools, report: &mut Report) -> Result<()> {
    let (ok, notes, err) = render_notes(chart, tools, &[])?;
    report.check(
        "NOTES.txt",
        ok && !notes.is_empty(),
        format!("helm install --dry-run=client printed no NOTES: {err}"),
    );
    for needle in [
        "kubectl get pods -n backline -l app=gitproxy",
        "kubectl logs -n backline -l app=gitproxy --tail=200",
        "proxy.noProxy",
        "Bad Gateway",
        "x509: certificate signed by unknown authority",
        "--set-file customCaCert=ca.b64",
        "Test Connection",
        "gitproxy check",
        "--set registries.npm=",
    ] {
        report.check(
            "NOTES.txt",
            notes.contains(needle),
            format!("NOTES must mention {needle:?}"),
        );
    }
    report.check(
        "NOTES.txt",
        !notes.contains(ACCESS_KEY),
        "NOTES must not print the access key",
    );
    report.check(
        "NOTES.txt",
        !notes.contains("Package registries:"),
        "NOTES must list no package registry by default",
    );
    let case = "NOTES.txt registries";
    let (ok, notes, err) = render_notes(
        chart,
        tools,
        &args(&[
            "--set",
            "registries.go=https://proxy.golang.org/",
            "--set",
            "registries.npm=https://registry.npmjs.org/",
        ]),
    )?;
    report.check(
        case,
        ok && !notes.is_empty(),
        format!("helm install --dry-run=client printed no NOTES: {err}"),
    );
    for needle in [
        "Package registries:",
        "  npm: https://registry.npmjs.org/\n  Go: https://proxy.golang.org/\n",
        "proxy.noProxy",
        "customCaCert",
    ] {
        report.check(
            case,
            notes.contains(needle),
            format!("NOTES must mention {needle:?}"),
        );
    }
    report.check(
        case,
        !notes.contains("--set registries.npm="),
        "NOTES must not suggest setting registries when they are set",
    );
    Ok(())
}
