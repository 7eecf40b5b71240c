//! `gitproxy`: the on-prem agent's command line; flags become a validated configuration, then wiring.

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod cli;
mod config;
mod engine;
mod logging;
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
/// `gitproxy scan` finished, but some manifest or lockfile is of a recognised format the engine
/// does not analyse: the result is partial, not clean.
const EXIT_PARTLY_UNSUPPORTED: u8 = 3;

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
    let (text, ok) = match command {
        Command::Run => {
            run::run(config).await?;
            return Ok(ExitCode::SUCCESS);
        }
        Command::Check(args) => standalone::check(&config, args.json).await?,
        Command::Scan(args) => {
            let (text, partial) =
                standalone::scan(&config, args.path.as_deref(), args.output.json).await?;
            if partial {
                print(&text);
                return Ok(ExitCode::from(EXIT_PARTLY_UNSUPPORTED));
            }
            (text, true)
        }
        Command::Fix(args) => {
            let text = match &args.path {
                Some(dir) => standalone::fix_dir(&config, dir, args.output.json).await?,
                None => standalone::fix(&config, args.dry_run, args.output.json).await?,
            };
            (text, true)
        }
        Command::Settings => return Ok(ExitCode::SUCCESS),
        Command::Status(args) => (standalone::status(&config, args.json).await?, true),
    };
    print(&text);
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
