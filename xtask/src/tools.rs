//! Installs the system tools the test suites need when they are missing, or fails loudly.

use std::process::Command;

use anyhow::{bail, Context, Result};

/// A tool a test suite runs, and the Debian package that provides it.
struct Tool {
    binary: &'static str,
    package: &'static str,
}

const TEST_TOOLS: &[Tool] = &[
    Tool {
        binary: "git",
        package: "git",
    },
    // gitproxy-egress runs a real HTTP proxy in its tests (Debian installs it in /usr/bin).
    Tool {
        binary: "tinyproxy",
        package: "tinyproxy",
    },
    // `cargo xtask chart` mints a test CA for the chart's customCaCert value set.
    Tool {
        binary: "openssl",
        package: "openssl",
    },
];

/// Makes sure every tool in [`TEST_TOOLS`] is on `PATH`, installing missing ones with apt-get.
pub(crate) fn ensure_test_tools() -> Result<()> {
    let missing: Vec<&Tool> = TEST_TOOLS.iter().filter(|t| !on_path(t.binary)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let packages: Vec<&str> = missing.iter().map(|t| t.package).collect();
    eprintln!(
        "xtask: installing missing test tools: {}",
        packages.join(" ")
    );
    apt_get(&["update"])?;
    let mut args = vec!["install", "-y", "--no-install-recommends"];
    args.extend(&packages);
    apt_get(&args)?;
    for tool in missing {
        if !on_path(tool.binary) {
            bail!(
                "`{}` is still missing after installing the `{}` package; install it by hand",
                tool.binary,
                tool.package
            );
        }
    }
    Ok(())
}

fn on_path(binary: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {binary}")])
        .output()
        .map(|out| out.status.success())
        .unwrap_or(false)
}

fn apt_get(args: &[&str]) -> Result<()> {
    let status = Command::new("apt-get")
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .context("could not run apt-get; install the test tools by hand (see README.md)")?;
    if !status.success() {
        bail!(
            "`apt-get {}` failed ({status}); the tests need these tools",
            args.join(" ")
        );
    }
    Ok(())
}
