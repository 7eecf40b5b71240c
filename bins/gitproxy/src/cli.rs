//! The command line as clap parses it: raw flags only ("low args"), the global ones built from the
//! settings table; `config` resolves and validates them.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::path::PathBuf;

use clap::{ArgMatches, Args, FromArgMatches, Parser, Subcommand};

use crate::settings::{self, Setting};

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

/// Settings shared by every command, as given on the command line: the value of each global flag
/// of the settings table, by flag name (the flags are declared there; defaults and validation
/// live in `config`).
#[derive(Debug, Default, Clone)]
pub(crate) struct GlobalArgs(BTreeMap<&'static str, OsString>);

impl GlobalArgs {
    /// The value of the setting's flag, if given.
    pub(crate) fn get(&self, setting: &Setting) -> Option<&OsStr> {
        self.0.get(setting.flag?).map(OsString::as_os_str)
    }

    /// These flags with the setting's flag given as `value`.
    #[cfg(test)]
    pub(crate) fn with(mut self, setting: &Setting, value: impl Into<OsString>) -> GlobalArgs {
        self.0
            .insert(setting.flag.expect("the setting has a flag"), value.into());
        self
    }
}

impl Args for GlobalArgs {
    fn augment_args(command: clap::Command) -> clap::Command {
        settings::ALL
            .iter()
            .filter_map(Setting::arg)
            .fold(command, clap::Command::arg)
    }

    fn augment_args_for_update(command: clap::Command) -> clap::Command {
        GlobalArgs::augment_args(command)
    }
}

impl FromArgMatches for GlobalArgs {
    fn from_arg_matches(matches: &ArgMatches) -> Result<GlobalArgs, clap::Error> {
        let mut args = GlobalArgs::default();
        args.update_from_arg_matches(matches)?;
        Ok(args)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        for flag in settings::ALL.iter().filter_map(|s| s.flag) {
            if let Some(value) = matches
                .get_raw(flag)
                .and_then(|mut values| values.next_back())
            {
                self.0.insert(flag, value.to_owned());
            }
        }
        Ok(())
    }
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
    /// Compute the fixes of this local checkout and print each one's files, writing nothing
    /// (no Bitbucket settings needed).
    #[arg(long, value_name = "DIR")]
    pub(crate) path: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}
