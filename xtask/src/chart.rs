//! `cargo xtask chart`: lints, renders, validates and packages the Helm chart in `charts/gitproxy`.
//!
//! The tools come from [`crate::tools::ChartTools`]. Each value set is rendered with `helm template`
//! ([`render`]), every object is validated against the Kubernetes schemas, and the facts the chart promises
//! are asserted on the rendered objects ([`checks`]), which python3 with PyYAML flattens into
//! `path<TAB>json` lines ([`objects`]) so xtask needs no YAML parser. Bad value sets must be refused
//! ([`refusals`]), NOTES.txt must carry the guide's commands ([`notes`]), the chart's and image's sources
//! must pass their linters ([`sources`]), and the packaged chart must render like the directory ([`package`]).

use std::path::Path;
use std::process::{Command, Output};

use anyhow::{bail, Context, Result};

use crate::tools::ChartTools;

mod checks;
mod contract;
mod notes;
mod objects;
mod package;
mod refusals;
mod render;
mod sources;

#[cfg(test)]
mod tests;

/// The guide's namespace and release name: `kubectl get pods -n backline -l app=gitproxy`.
const NAMESPACE: &str = "backline";
const RELEASE: &str = "backline";
const FULLNAME: &str = "backline-gitproxy";
const ACCESS_KEY: &str = "test-access-key-1";

/// `cargo xtask chart`.
pub(crate) fn run(root: &Path) -> Result<()> {
    let tools = ChartTools::ensure(root)?;
    let chart = root.join("charts/gitproxy");
    // One directory per run, so teammates running `cargo xtask test` in the same checkout do not collide.
    let work = root
        .join("target/chart-check")
        .join(std::process::id().to_string());
    if work.exists() {
        std::fs::remove_dir_all(&work)
            .with_context(|| format!("could not clean {}", work.display()))?;
    }
    std::fs::create_dir_all(&work)
        .with_context(|| format!("could not create {}", work.display()))?;

    let mut report = Report::default();
    sources::check_metadata(root, &chart, &tools, &mut report)?;
    sources::check_dockerfile(root, &tools, &mut report)?;
    sources::lint(&chart, &tools, &mut report)?;
    let ca_b64 = render::make_test_ca(&work)?;
    let rendered = render::render_cases(&chart, &work, &tools, &ca_b64, &mut report)?;
    render::validate_objects(&work, &tools, &rendered, &mut report)?;
    checks::check_cases(&rendered, &ca_b64, &mut report)?;
    refusals::check_refusals(&chart, &work, &tools, &mut report)?;
    notes::check_notes(&chart, &tools, &mut report)?;
    let package = package::package(&chart, &work, &tools, &rendered, &mut report)?;

    for failure in &report.failures {
        eprintln!("xtask: chart: FAILED {failure}");
    }
    eprintln!(
        "chart: {} passed, {} failed",
        report.passed,
        report.failures.len()
    );
    if !report.failures.is_empty() {
        bail!(
            "{} chart check(s) failed; see the FAILED lines above",
            report.failures.len()
        );
    }
    // Published only when every check passed; the rename is atomic within target/.
    let name = package.file_name().context("helm package named no file")?;
    let published = root.join("target").join(name);
    std::fs::rename(&package, &published).with_context(|| {
        format!(
            "could not move the chart package to {}",
            published.display()
        )
    })?;
    std::fs::remove_dir_all(&work)
        .with_context(|| format!("could not remove {}", work.display()))?;
    eprintln!("xtask: chart packaged as {}", published.display());
    Ok(())
}

/// Owned `helm` arguments.
fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// Runs a command and captures its output.
fn output(cmd: &mut Command) -> Result<Output> {
    cmd.output()
        .with_context(|| format!("could not run {:?}", cmd.get_program()))
}

/// Passed and failed assertions, each failure naming the value set and what was expected.
#[derive(Debug, Default)]
struct Report {
    passed: usize,
    failures: Vec<String>,
}

impl Report {
    fn check(&mut self, case: &str, ok: bool, what: impl Into<String>) {
        if ok {
            self.passed += 1;
        } else {
            self.failures.push(format!("[{case}] {}", what.into()));
        }
    }

    fn eq(&mut self, case: &str, what: &str, actual: Option<String>, expected: &str) {
        let ok = actual.as_deref() == Some(expected);
        self.check(
            case,
            ok,
            format!("{what}: expected {expected:?}, found {actual:?}"),
        );
    }
}
