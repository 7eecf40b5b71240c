//! `bitbucket-dc-sim`: serves a seeded Bitbucket Data Center simulator and prints its base URL and credentials.

// A command-line tool talks to its user on the terminal.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use bitbucket_dc_sim::{Seed, Simulator};
use clap::Parser;

/// Serve an in-process Bitbucket Data Center simulator over real git repositories.
#[derive(Debug, Parser)]
#[command(
    name = "bitbucket-dc-sim",
    version,
    after_help = ADMIN_HELP,
)]
struct Args {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:7990")]
    listen: SocketAddr,
    /// Seed file (JSON, or TOML when it ends in .toml); the built-in demo seed when absent.
    #[arg(long)]
    seed: Option<PathBuf>,
    /// Context path such as /bitbucket (overrides the seed file's).
    #[arg(long)]
    context_path: Option<String>,
    /// PEM certificate chain to serve HTTPS with (needs --tls-key).
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Do not serve the admin endpoints under <base>/_sim/.
    #[arg(long)]
    no_admin: bool,
}

const ADMIN_HELP: &str = "\
Admin endpoints (simulator-only, loopback peers only, no authentication; --no-admin turns them off):
  GET    <base>/_sim/faults     the current fault switches
  POST   <base>/_sim/faults     change them; a JSON object, every field optional:
           {\"clear\": true, \"rateLimit\": {\"capacity\": 5, \"refillPerSecond\": 1} | null,
            \"userRateLimits\": {\"alice\": {...} | null}, \"latencyMs\": 200 | null,
            \"failNext\": {\"count\": 2, \"status\": 503, \"retryAfter\": 5},
            \"failMatching\": {\"pathContains\": \"/pull-requests\", \"status\": 500},
            \"dropNext\": 1, \"dropMatching\": \"/raw/\"}
  DELETE <base>/_sim/faults     clear every switch
  GET    <base>/_sim/requests   the request log (?start=N skips the first N entries; no credentials)
  DELETE <base>/_sim/requests   clear the request log";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let seed = match &args.seed {
        Some(path) => Seed::from_path(path)?,
        None => Seed::demo(),
    };
    let credentials: Vec<(String, Option<String>, Vec<String>)> = seed
        .users
        .iter()
        .map(|u| (u.name.clone(), u.password.clone(), u.tokens.clone()))
        .collect();
    let repos: Vec<(String, String)> = seed
        .projects
        .iter()
        .flat_map(|p| p.repos.iter().map(|r| (p.key.clone(), r.slug.clone())))
        .collect();
    let mut builder = seed
        .apply(Simulator::builder())
        .listen(args.listen)
        .admin_endpoints(!args.no_admin);
    if let Some(path) = args.context_path {
        builder = builder.context_path(path);
    }
    if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        let cert =
            std::fs::read(cert).with_context(|| format!("could not read {}", cert.display()))?;
        let key =
            std::fs::read(key).with_context(|| format!("could not read {}", key.display()))?;
        builder = builder.tls(cert, key);
    }
    let sim = builder
        .start()
        .await
        .context("could not start the simulator")?;

    let mut out = std::io::stdout().lock();
    writeln!(out, "base_url: {}", sim.base_url())?;
    for (name, password, tokens) in &credentials {
        let password = password.as_deref().unwrap_or("-");
        writeln!(
            out,
            "user: {name} password: {password} tokens: {}",
            tokens.join(",")
        )?;
    }
    for (key, slug) in &repos {
        writeln!(
            out,
            "repo: {key}/{slug} clone: {}",
            sim.clone_url(key, slug)
        )?;
    }
    if !args.no_admin {
        writeln!(out, "admin: {}_sim/ (loopback only)", sim.base_url())?;
    }
    writeln!(out, "ready")?;
    out.flush()?;
    drop(out);

    tokio::signal::ctrl_c()
        .await
        .context("could not wait for ctrl-c")?;
    sim.shutdown().await;
    Ok(())
}
