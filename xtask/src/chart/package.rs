//! `helm package`: the archive holds the chart's files and renders exactly like the chart directory.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use super::objects::Manifest;
use super::render::template;
use super::{args, output, Report, ACCESS_KEY};
use crate::tools::ChartTools;

/// `helm package` into the work directory, then the archive must hold the chart's files and render
/// exactly like the chart directory.
pub(super) fn package(
    chart: &Path,
    work: &Path,
    tools: &ChartTools,
    rendered: &BTreeMap<&'static str, Manifest>,
    report: &mut Report,
) -> Result<PathBuf> {
    let dest = work.join("package");
    let out = output(
        tools
            .helm()
            .arg("package")
            .arg(chart)
            .arg("--destination")
            .arg(&dest),
    )?;
    if !out.status.success() {
        bail!(
            "helm package failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let archive = text
        .trim()
        .rsplit_once(": ")
        .map(|(_, path)| PathBuf::from(path.trim()))
        .context("helm package did not say where it saved the chart")?;
    report.check(
        "package",
        archive.starts_with(&dest) && archive.exists(),
        format!(
            "helm package must write into {}, wrote {}",
            dest.display(),
            archive.display()
        ),
    );
    let listing = output(Command::new("tar").arg("-tzf").arg(&archive))?;
    let files: BTreeSet<String> = String::from_utf8_lossy(&listing.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    for file in [
        "Chart.yaml",
        "values.yaml",
        "values.schema.json",
        "README.md",
        "templates/NOTES.txt",
        "templates/deployment.yaml",
        "templates/networkpolicy.yaml",
    ] {
        report.check(
            "package",
            files.contains(&format!("gitproxy/{file}")),
            format!("the package must contain {file}"),
        );
    }
    let out = template(
        &archive,
        tools,
        &args(&["--set", &format!("gitproxy.accessKey={ACCESS_KEY}")]),
    )?;
    let same = rendered
        .get("defaults")
        .is_some_and(|m| m.yaml == String::from_utf8_lossy(&out.stdout));
    report.check(
        "package",
        out.status.success() && same,
        "the packaged chart must render like the chart directory",
    );
    Ok(archive)
}
