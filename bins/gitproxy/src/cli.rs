//! The command line as clap parses it: raw flags only ("low args"); `config` resolves and validates them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// The on-prem agent of the remediation service for Bitbucket Data Center.
///
/// It opens only outbound connections: to the service's cloud over HTTPS and to the
/// customer's Bitbucket Data Center server. Every setting can also come from the environment
/// (`GITPROXY_*`, `HTTPS_PROXY`, `NO_PROXY`, ...) or a TOML file; flags win over the
/// environment, which wins over the file. See docs/configuration.md.
#[derive(Debug, Parser)]
#[command(name = "gitproxy", version, about, long_about = None)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Settings shared by every command (all optional here; defaults and validation live in `config`,
/// names and `--help` text in `settings`).
#[derive(Debug, Default, Args)]
pub(crate) struct GlobalArgs {
    /// TOML configuration file.
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Cloud endpoint.
    #[arg(long, global = true, value_name = "URL")]
    pub(crate) cloud_url: Option<String>,
    /// File holding the cloud access key.
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) access_key_file: Option<PathBuf>,
    /// This replica's id.
    #[arg(long, global = true, value_name = "ID")]
    pub(crate) agent_id: Option<String>,
    /// Tunnel connections to the cloud.
    #[arg(long, global = true, value_name = "N")]
    pub(crate) connections: Option<String>,
    /// Largest manifest or lockfile read, in bytes.
    #[arg(long, global = true, value_name = "BYTES")]
    pub(crate) max_file_bytes: Option<String>,
    /// Proxy for https targets.
    #[arg(long, global = true, value_name = "URL")]
    pub(crate) https_proxy: Option<String>,
    /// Proxy for http targets.
    #[arg(long, global = true, value_name = "URL")]
    pub(crate) http_proxy: Option<String>,
    /// Hosts reached directly, comma separated.
    #[arg(long, global = true, value_name = "LIST")]
    pub(crate) no_proxy: Option<String>,
    /// PEM file of the internal CA.
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) custom_ca_cert_file: Option<PathBuf>,
    /// Bitbucket Data Center base URL.
    #[arg(long, global = true, value_name = "URL")]
    pub(crate) bitbucket_url: Option<String>,
    /// Bitbucket username.
    #[arg(long, global = true, value_name = "NAME")]
    pub(crate) bitbucket_username: Option<String>,
    /// File holding the Bitbucket HTTP access token.
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) bitbucket_token_file: Option<PathBuf>,
    /// Bitbucket project key.
    #[arg(long, global = true, value_name = "KEY")]
    pub(crate) project: Option<String>,
    /// Branches the agent may write to start with this.
    #[arg(long, global = true, value_name = "PREFIX")]
    pub(crate) branch_prefix: Option<String>,
    /// Probe and metrics listener.
    #[arg(long, global = true, value_name = "ADDR")]
    pub(crate) listen: Option<String>,
    /// `json` or `text`.
    #[arg(long, global = true, value_name = "FORMAT")]
    pub(crate) log_format: Option<String>,
    /// Log filter, e.g. `info` or `gitproxy=debug`.
    #[arg(long, global = true, value_name = "FILTER")]
    pub(crate) log_level: Option<String>,
    /// Time to finish in-flight operations on SIGTERM, e.g. `30s`.
    #[arg(long, global = true, value_name = "DURATION")]
    pub(crate) shutdown_grace: Option<String>,
    /// OSV data directory (`<ECOSYSTEM>/all.zip` or `*.json` records).
    #[arg(long, global = true, value_name = "DIR")]
    pub(crate) osv: Option<PathBuf>,
    /// Package registries asked for releases and lockfile checksums, comma separated
    /// `ECOSYSTEM=URL` entries (npm, crates.io, PyPI, Go, Maven) or `public`.
    #[arg(long, global = true, value_name = "LIST")]
    pub(crate) registries: Option<String>,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the agent: connect to the cloud through the tunnel and serve its operations.
    Run,
    /// Test the connection to Bitbucket (network path, credentials, project, permissions).
    Check(OutputArgs),
    /// Scan the project's repositories (or a local checkout) for vulnerable dependencies.
    Scan(ScanArgs),
    /// Open or update fix pull requests in the project's repositories.
    Fix(FixArgs),
    /// Show the state of every remediation of the project.
    Status(OutputArgs),
    /// Print the settings table (flags, environment variables, TOML keys, Helm values) as JSON.
    #[command(hide = true)]
    Settings,
}

/// Output selection.
#[derive(Debug, Args)]
pub(crate) struct OutputArgs {
    /// Print JSON for scripts instead of a table.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `scan` options.
#[derive(Debug, Args)]
pub(crate) struct ScanArgs {
    /// Scan this local checkout instead of the Bitbucket project (no Bitbucket settings needed).
    #[arg(long, value_name = "DIR")]
    pub(crate) path: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

/// `fix` options.
#[derive(Debug, Args)]
pub(crate) struct FixArgs {
    /// Show what would change without writing anything.
    #[arg(long)]
    pub(crate) dry_run: bool,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}
