//! `cargo xtask`: the project's automation entry point (tests, demo, benchmarks, packaging).

// A command-line tool talks to its user on the terminal.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod chart;
mod demo;
mod dist;
mod e2e;
mod fixcheck;
mod image;
#[cfg(test)]
mod tidy;
mod tools;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{bail, Context, Result};

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  test               install missing test tools, then fmt check, clippy -D warnings, chart checks, every test, then e2e and image-e2e
  chart              helm lint, render + validate the Helm chart for several value sets, package it into target/
  e2e                the customer guide's scenarios with the real binary, tinyproxy and an internal CA
  demo               simulator + local hub + a real `gitproxy run`: Test Connection, scan, fix, real pull requests
  dist               stripped release build of gitproxy in target/dist/ with its SHA-256 checksum and size
  image              OCI image layout, docker archive and SBOM of gitproxy in target/dist/ without Docker;
                     --check-reproducible builds twice and compares; --write-dockerfile regenerates the Dockerfile
  image-e2e          builds the image, then runs it for real with umoci + runc against the simulator and hub
  fix-check [--registries LIST] [--osv DIR] CHECKOUT
                     every fix gitproxy would open for a local checkout, each applied to a copy and checked
                     by the ecosystem's own tool against the real registries (default: public), then re-scanned
  bench <suite>      run a benchmark suite and print its figures; suites: advisories, bitbucket, egress, remediation, tunnel [--with-peers] [--runs N]
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
        Some("demo") => demo::run(&root),
        Some("e2e") => e2e::run(&root),
        Some("dist") => dist::run(&root),
        Some("image") => image::run(&root, &args[1..]),
        Some("image-e2e") => image::e2e(&root),
        Some("bench") => bench(&root, &args[1..]),
        Some("fix-check") => fixcheck::run(&root, &args[1..]),
        Some("help" | "--help" | "-h") | None => {
            eprint!("{USAGE}");
            Ok(())
        }
        Some(other) => bail!("unknown command `{other}`\n\n{USAGE}"),
    }
}

/// The workspace root: the parent of this crate's manifest directory.
///
/// `cargo run` and `cargo test` name that directory in the environment; the value compiled in is only the
/// fallback, because a target directory copied from another checkout keeps that checkout's path in it.
fn project_root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    manifest_dir
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

fn test(root: &Path) -> Result<()> {
    tools::ensure_test_tools()?;
    tools::ensure_python_tools(root)?;
    tools::ensure_pnpm(root)?;
    tools::ensure_yarn(root)?;
    tools::ensure_bun(root)?;
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
        &[
            "test",
            "--workspace",
            "--no-fail-fast",
            "--exclude",
            e2e::PACKAGE,
        ],
    )?;
    embedder_build(root)?;
    e2e::run(root)?;
    image::e2e(root)?;
    eprintln!("xtask: all checks passed");
    Ok(())
}

/// The suites `bench` runs (the usage text lists the same).
const BENCH_SUITES: &str = "advisories, bitbucket, egress, remediation, tunnel";

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
            tools::ensure_cargo_audit(root)?;
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
        Some("advisories") => step(
            root,
            "bench advisories",
            &[
                "bench",
                "--package",
                "gitproxy-remediation",
                "--bench",
                "advisories",
            ],
        ),
        Some("tunnel") => bench_tunnel(root, &args[1..]),
        Some(other) => {
            bail!("unknown benchmark suite `{other}`; available: {BENCH_SUITES}")
        }
        None => bail!("name a benchmark suite; available: {BENCH_SUITES}"),
    }
}

/// `bench tunnel [--with-peers] [--runs N]`: hub + agent against direct HTTP/2; with peers, Snyk Broker's server and
/// client from npm (installed under target/, never committed) relay the same requests.
fn bench_tunnel(root: &Path, args: &[String]) -> Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut bench = Command::new(cargo);
    bench
        .args(["bench", "--package", "gitproxy-tunnel", "--bench", "tunnel"])
        .current_dir(root);
    if args.iter().any(|a| a == "--with-peers") {
        let dir = root.join("target/bench-peers/snyk-broker");
        tools::ensure_snyk_broker(&dir)?;
        bench.env("TUNNEL_BENCH_PEERS_DIR", &dir);
    }
    // `--runs N`: the suite measures N runs in a row and prints one table of them.
    if let Some(i) = args.iter().position(|a| a == "--runs") {
        let n = args
            .get(i + 1)
            .filter(|n| n.parse::<u32>().is_ok_and(|n| n > 0))
            .context("--runs takes a positive number of runs")?;
        bench.args(["--", "--runs", n]);
    }
    eprintln!("xtask: ==> bench tunnel");
    let status = bench.status().context("could not start `cargo bench`")?;
    if !status.success() {
        bail!("step `bench tunnel` failed ({status})");
    }
    Ok(())
}

/// Runs `cargo <args>` in the workspace root and fails with the step's name when it fails.
/// The crates TLS pulls in, which an embedder of `bitbucket-dc` with its own connector must not
/// compile.
const TLS_CRATES: &[&str] = &["rustls", "ring", "hyper-rustls", "rustls-native-certs"];

/// `bitbucket-dc` as an embedder with its own connector uses it: without default features it
/// builds and passes its tests, and its normal dependency tree holds no TLS crate.
fn embedder_build(root: &Path) -> Result<()> {
    step(
        root,
        "bitbucket-dc without default features",
        &[
            "test",
            "--package",
            "bitbucket-dc",
            "--no-default-features",
            "--lib",
            "--tests",
        ],
    )?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "tree",
            "--package",
            "bitbucket-dc",
            "--no-default-features",
            "--edges",
            "normal",
            "--prefix",
            "none",
        ])
        .current_dir(root)
        .output()
        .context("could not start `cargo tree`")?;
    if !out.status.success() {
        bail!(
            "`cargo tree -p bitbucket-dc` failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let tree = String::from_utf8_lossy(&out.stdout);
    let found: Vec<&str> = tree
        .lines()
        .filter(|line| {
            let name = line.split_whitespace().next().unwrap_or_default();
            TLS_CRATES.contains(&name)
        })
        .collect();
    if !found.is_empty() {
        bail!(
            "bitbucket-dc without default features still depends on TLS crates: {}; keep them behind the `rustls` feature",
            found.join(", ")
        );
    }
    eprintln!(
        "xtask: bitbucket-dc without default features: {} crates, none of {}",
        tree.lines().count(),
        TLS_CRATES.join(", ")
    );
    Ok(())
}

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
