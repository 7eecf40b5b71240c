//! `cargo xtask e2e`: builds the real `gitproxy` binary, then runs the end-to-end suite
//! (`tests/e2e`) against it: the customer guide's scenarios through a real tinyproxy and an
//! internal CA.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};

/// The package of the end-to-end suite (excluded from the plain `cargo test --workspace` step of
/// `cargo xtask test`, which runs it here once the binary is built).
pub(crate) const PACKAGE: &str = "gitproxy-e2e";

/// The tests of the suite that run the container image; `cargo xtask image-e2e` builds the image and runs
/// them ([`image_test_args`]), the plain e2e step leaves them to it.
pub(crate) const IMAGE_TESTS: &str = "image::";

/// The arguments of the `cargo test` run of the suite.
pub(crate) fn test_args() -> [&'static str; 8] {
    [
        "test",
        "--package",
        PACKAGE,
        "--test",
        "it",
        "--",
        "--skip",
        IMAGE_TESTS,
    ]
}

/// The arguments of the `cargo test` run of the image tests.
pub(crate) fn image_test_args() -> [&'static str; 7] {
    [
        "test",
        "--package",
        PACKAGE,
        "--test",
        "it",
        "--",
        IMAGE_TESTS,
    ]
}

pub(crate) fn run(root: &Path) -> Result<()> {
    crate::tools::ensure_test_tools()?;
    crate::step(
        root,
        "build gitproxy",
        &["build", "--package", "gitproxy", "--bin", "gitproxy"],
    )?;
    let binary = crate::demo::target_dir(root).join("debug/gitproxy");
    eprintln!("xtask: ==> e2e ({})", binary.display());
    let started = Instant::now();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(test_args())
        .env("GITPROXY_BIN", &binary)
        .current_dir(root)
        .status()
        .context("could not start `cargo test` for the e2e suite")?;
    if !status.success() {
        bail!("step `e2e` failed ({status})");
    }
    eprintln!(
        "xtask: e2e passed in {:.1} s (build included)",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[cfg(test)]
mod tests;
