//! `gitproxy`: the on-prem agent's command line; flags become a validated configuration, then wiring.

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod audit;
mod check;
mod cli;
mod config;
mod engine;
mod logging;
mod metrics;
mod ops;
mod probes;
mod run;
mod settings;
mod standalone;

use std::io::Write as _;
use std::process::ExitCode;

use clap::{CommandFactory as _, FromArgMatches as _};

use crate::cli::{Cli, Command};
use crate::config::{Config, ConfigError, Environment};

/// EX_USAGE: invalid configuration.
const EXIT_USAGE: u8 = 64;

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    if let Command::Settings = cli.command {
        print(&(serde_json::to_string_pretty(&settings::to_json()).unwrap_or_default() + "\n"));
        return ExitCode::SUCCESS;
    }
    let config = match Environment::process().and_then(|env| Config::resolve(&cli.global, &env)) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("gitproxy: invalid configuration: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    logging::init(config.log_format, &config.log_level);
    for warning in config.trust.warnings() {
        tracing::warn!("{warning}");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("gitproxy: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dispatch(cli.command, config)) {
        Ok(code) => code,
        Err(e) => {
            if let Some(usage) = e.downcast_ref::<ConfigError>() {
                eprintln!("gitproxy: invalid configuration: {usage}");
                return ExitCode::from(EXIT_USAGE);
            }
            tracing::error!(error = %format!("{e:#}"), "gitproxy failed");
            eprintln!("gitproxy: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn print(text: &str) {
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`gitproxy scan | head`) is not an error.
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

async fn dispatch(command: Command, config: Config) -> anyhow::Result<ExitCode> {
    match command {
        Command::Run => {
            run::run(config).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Check(args) => {
            let conn = config.connection()?;
            let connector = engine::egress_connector(&config)?;
            let options = engine::options(&config, None);
            let report = gitproxy_remediation::connection::check(&conn, &connector, &options).await;
            audit::AuditEvent {
                actor: "cli".to_owned(),
                bitbucket_user: Some(conn.username.clone()),
                operation: "check".to_owned(),
                project: Some(conn.project.clone()),
                repository: None,
                outcome: if report.ok { "ok" } else { "failed" }.to_owned(),
                detail: report.failure().map(|f| format!("{} failed", f.name)),
            }
            .emit();
            if args.json {
                print(&(serde_json::to_string_pretty(&report)? + "\n"));
            } else {
                print(&check::render(&report));
            }
            Ok(if report.ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Scan(args) => {
            print(&standalone::scan(&config, args.path.as_deref(), args.output.json).await?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Fix(args) => {
            print(&standalone::fix(&config, args.dry_run, args.output.json).await?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Settings => Ok(ExitCode::SUCCESS),
        Command::Status(args) => {
            print(&standalone::status(&config, args.json).await?);
            Ok(ExitCode::SUCCESS)
        }
    }
}
