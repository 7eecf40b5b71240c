//! Checks on the sources rather than the renders: `helm lint --strict`, Chart.yaml's appVersion, the
//! README values table against values.yaml, and hadolint on the image's Dockerfile.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{Context, Result};

use super::objects::{json_string, parse_yaml, Object};
use super::{args, output, Report, ACCESS_KEY};
use crate::tools::ChartTools;

#[cfg(test)]
mod tests;

pub(super) fn lint(chart: &Path, tools: &ChartTools, report: &mut Report) -> Result<()> {
    for (name, extra) in [
        (
            "lint",
            args(&["--set", &format!("gitproxy.accessKey={ACCESS_KEY}")]),
        ),
        ("lint disabled", args(&["--set", "gitproxy.enabled=false"])),
    ] {
        let out = output(
            tools
                .helm()
                .args(["lint", "--strict"])
                .arg(chart)
                .args(&extra),
        )?;
        let text = String::from_utf8_lossy(&out.stdout);
        report.check(
            name,
            out.status.success() && text.contains("0 chart(s) failed"),
            format!(
                "helm lint --strict failed:\n{text}{}",
                String::from_utf8_lossy(&out.stderr)
            ),
        );
        for line in text
            .lines()
            .filter(|l| l.contains("[WARNING]") || l.contains("[ERROR]"))
        {
            report.check(name, false, line.to_owned());
        }
    }
    eprintln!("xtask: chart: helm lint --strict done");
    Ok(())
}

/// Chart.yaml's appVersion is the workspace version; README.md lists every value with its default.
pub(super) fn check_metadata(
    root: &Path,
    chart: &Path,
    tools: &ChartTools,
    report: &mut Report,
) -> Result<()> {
    let manifest =
        std::fs::read_to_string(root.join("Cargo.toml")).context("could not read Cargo.toml")?;
    let version = workspace_version(&manifest)
        .context("no version under [workspace.package] in Cargo.toml")?;
    let meta = parse_yaml(tools, &chart.join("Chart.yaml"))?;
    let meta = meta.first().context("Chart.yaml is empty")?;
    report.eq("Chart.yaml", "apiVersion", meta.get("apiVersion"), "v2");
    report.eq(
        "Chart.yaml",
        "appVersion (the workspace version)",
        meta.get("appVersion"),
        &version,
    );
    let values = parse_yaml(tools, &chart.join("values.yaml"))?;
    let values = values.first().context("values.yaml is empty")?;
    let readme = std::fs::read_to_string(chart.join("README.md"))
        .context("could not read the chart README.md")?;
    let problems = readme_problems(values, &readme);
    let rows = readme_rows(&readme).len();
    for problem in &problems {
        report.check("README.md", false, problem.clone());
    }
    report.check(
        "README.md",
        problems.is_empty() && rows > 0,
        "README.md lists every value",
    );
    eprintln!("xtask: chart: appVersion {version}, README.md lists {rows} values");
    Ok(())
}

/// The `version` under `[workspace.package]` of the root manifest.
fn workspace_version(manifest: &str) -> Option<String> {
    let mut in_section = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_section = line == "[workspace.package]";
        } else if in_section {
            if let Some(rest) = line.strip_prefix("version") {
                let value = rest.trim_start().strip_prefix('=')?.trim();
                return Some(value.trim_matches('"').to_owned());
            }
        }
    }
    None
}

/// The `(value, default)` cells of the README's values table rows: "| `path` | default | description |".
fn readme_rows(readme: &str) -> BTreeMap<String, String> {
    readme
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("| `")?;
            let (path, rest) = rest.split_once('`')?;
            let cells: Vec<&str> = rest.split(" | ").collect();
            let default = cells.get(1)?.trim().to_owned();
            Some((path.to_owned(), default))
        })
        .collect()
}

/// Strips list indices: `a.b[0].c` -> `a.b`.
fn value_path(leaf: &str) -> &str {
    leaf.split_once('[').map_or(leaf, |(head, _)| head)
}

/// How the README writes a default: `` `x` ``, `` `""` ``, `` `[a, b]` ``.
fn readme_default(values: &Object, path: &str) -> Option<String> {
    if let Some(raw) = values.raw(path) {
        return Some(match json_string(raw) {
            Some(s) if s.is_empty() => "`\"\"`".to_owned(),
            Some(s) => format!("`{s}`"),
            None => format!("`{raw}`"),
        });
    }
    let items = values.strings(path);
    let scalar_list = !items.is_empty()
        && (0..items.len()).all(|i| values.raw(&format!("{path}[{i}]")).is_some());
    scalar_list.then(|| format!("`[{}]`", items.join(", ")))
}

/// Every value of values.yaml is documented (itself or a parent row), every row names a value, and rows of
/// scalars and scalar lists show the real default.
fn readme_problems(values: &Object, readme: &str) -> Vec<String> {
    let rows = readme_rows(readme);
    let mut problems = Vec::new();
    let paths: BTreeSet<&str> = values.fields.keys().map(|k| value_path(k)).collect();
    for path in &paths {
        let covered = rows.keys().any(|row| {
            path == row
                || path
                    .strip_prefix(row.as_str())
                    .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
        });
        if !covered {
            problems.push(format!(
                "value `{path}` is missing from the README values table"
            ));
        }
    }
    for (row, default) in &rows {
        if !values.has(row) {
            problems.push(format!("README row `{row}` names no value of values.yaml"));
            continue;
        }
        if let Some(expected) = readme_default(values, row) {
            if &expected != default {
                problems.push(format!(
                    "README row `{row}` shows default {default}, values.yaml has {expected}"
                ));
            }
        }
    }
    problems
}

/// hadolint on the image recipe.
pub(super) fn check_dockerfile(root: &Path, tools: &ChartTools, report: &mut Report) -> Result<()> {
    let dockerfile = root.join("bins/gitproxy/Dockerfile");
    let out = output(tools.hadolint().arg("--no-color").arg(&dockerfile))?;
    report.check(
        "Dockerfile",
        out.status.success(),
        format!(
            "hadolint: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    );
    // The image's user, files and entrypoint come from xtask/src/image/spec.rs, which reads the chart.
    let generated = crate::image::dockerfile::check(root);
    report.check(
        "Dockerfile",
        generated.is_ok(),
        generated.err().map(|e| e.to_string()).unwrap_or_default(),
    );
    eprintln!("xtask: chart: hadolint bins/gitproxy/Dockerfile done");
    Ok(())
}
