//! `gitproxy`: the on-prem agent's command line; flags become a validated configuration, then wiring.

use std::process::ExitCode;

use clap::Parser;

/// The on-prem agent of the remediation service for Bitbucket Data Center.
///
/// It opens only outbound connections: to the service's cloud over HTTPS and to the
/// customer's Bitbucket Data Center server.
#[derive(Debug, Parser)]
#[command(name = "gitproxy", version, about, long_about = None)]
struct Cli {}

fn main() -> ExitCode {
    let _cli = Cli::parse();
    ExitCode::SUCCESS
}
