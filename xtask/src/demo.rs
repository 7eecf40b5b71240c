//! `cargo xtask demo`: builds the agent and the demo driver, then runs the driver: the Bitbucket
//! simulator with a vulnerable sample project, a local tunnel hub and a real `gitproxy run`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};

/// The shared OSV data the demo reads: `../shared/osv` beside the project root.
pub(crate) fn shared_osv(root: &Path) -> Result<PathBuf> {
    let osv = root.join("../shared/osv");
    let missing: Vec<&str> = ["crates.io", "Go", "PyPI"]
        .into_iter()
        .filter(|eco| !osv.join(eco).join("all.zip").is_file())
        .collect();
    if !missing.is_empty() {
        bail!(
            "OSV data missing: {} has no <ECOSYSTEM>/all.zip for {}; the checkout expects the shared data at ../shared/osv beside the project root",
            osv.display(),
            missing.join(", ")
        );
    }
    Ok(osv)
}

/// The cargo target directory (`CARGO_TARGET_DIR` or `target/`).
pub(crate) fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|dir| {
            if dir.is_absolute() {
                dir
            } else {
                root.join(dir)
            }
        })
        .unwrap_or_else(|| root.join("target"))
}

/// The arguments of `cargo build` for the agent and the demo driver.
pub(crate) fn build_args() -> [&'static str; 9] {
    [
        "build",
        "--package",
        "gitproxy",
        "--bin",
        "gitproxy",
        "--package",
        "gitproxy-e2e",
        "--bin",
        "gitproxy-demo",
    ]
}

pub(crate) fn run(root: &Path) -> Result<()> {
    let osv = shared_osv(root)?;
    crate::step(root, "build gitproxy and the demo driver", &build_args())?;
    let debug = target_dir(root).join("debug");
    eprintln!("xtask: ==> demo");
    let started = Instant::now();
    let status = Command::new(debug.join("gitproxy-demo"))
        .arg("--osv")
        .arg(&osv)
        .arg("--gitproxy")
        .arg(debug.join("gitproxy"))
        .arg("--workdir")
        .arg(target_dir(root).join("demo"))
        .current_dir(root)
        .status()
        .context("could not start the demo driver (target/debug/gitproxy-demo)")?;
    if !status.success() {
        bail!("the demo failed ({status}); the agent's log is in target/demo/agent.log");
    }
    eprintln!(
        "xtask: demo passed in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[cfg(test)]
mod tests;
