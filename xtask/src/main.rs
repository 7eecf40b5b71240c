//! `cargo xtask`: the project's automation entry point (tests, demo, benchmarks, packaging).

// A command-line tool talks to its user on the terminal.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod chart;
mod tidy;
mod tools;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{bail, Context, Result};

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  test               install missing test tools, then fmt check, clippy -D warnings, chart checks, every test
  chart              helm lint, render + validate the Helm chart for several value sets, package it into target/
  demo               simulator + local hub + agent, real pull requests (not yet available)
  bench <suite>      run a benchmark suite and print its figures; suites: bitbucket, egress, remediation
";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = project_root();
    match args.first().map(String::as_str) {
        Some("test") => test(&root),
        Some("chart") => chart::run(&root),
        Some("demo") => demo(),
        Some("bench") => bench(&root, &args[1..]),
        Some("help" | "--help" | "-h") | None => {
            eprint!("{USAGE}");
            Ok(())
        }
        Some(other) => bail!("unknown command `{other}`\n\n{USAGE}"),
    }
}

/// The workspace root: the parent of this crate's manifest directory.
fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

fn test(root: &Path) -> Result<()> {
    tools::ensure_test_tools()?;
    step(
        root,
        "cargo fmt --check",
        &["fmt", "--all", "--", "--check"],
    )?;
    step(
        root,
        "cargo clippy",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    eprintln!("xtask: ==> chart checks");
    chart::run(root)?;
    step(
        root,
        "cargo test",
        &["test", "--workspace", "--no-fail-fast"],
    )?;
    eprintln!("xtask: all checks passed");
    Ok(())
}

fn demo() -> Result<()> {
    bail!("`cargo xtask demo` is not yet available: it lands with the agent (issue 6)")
}

fn bench(root: &Path, args: &[String]) -> Result<()> {
    match args.first().map(String::as_str) {
        Some("bitbucket") => step(
            root,
            "bench bitbucket",
            &["bench", "--package", "bitbucket-dc", "--bench", "bitbucket"],
        ),
        Some("egress") => step(
            root,
            "bench egress",
            &["bench", "--package", "gitproxy-egress", "--bench", "egress"],
        ),
        Some("remediation") => {
            // The suite times `cargo audit` side by side with the engine and re-runs the oracle.
            if !Command::new("cargo")
                .args(["audit", "--version"])
                .output()
                .is_ok_and(|o| o.status.success())
            {
                step(
                    root,
                    "install cargo-audit",
                    &["install", "cargo-audit", "--locked"],
                )?;
            }
            step(
                root,
                "bench remediation",
                &[
                    "bench",
                    "--package",
                    "gitproxy-remediation",
                    "--bench",
                    "remediation",
                ],
            )
        }
        Some(other) => {
            bail!("unknown benchmark suite `{other}`; available: bitbucket, egress, remediation")
        }
        None => bail!("name a benchmark suite; available: bitbucket, egress, remediation"),
    }
}

/// Runs `cargo <args>` in the workspace root and fails with the step's name when it fails.
fn step(root: &Path, name: &str, args: &[&str]) -> Result<()> {
    eprintln!("xtask: ==> {name}");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(args)
        .current_dir(root)
        .status()
        .with_context(|| format!("could not start `cargo {}`", args.join(" ")))?;
    if !status.success() {
        bail!("step `{name}` failed ({status})");
    }
    Ok(())
}
