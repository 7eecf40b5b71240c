//! The settings table against the command line, the egress crate and docs/configuration.md.

use std::collections::BTreeSet;

use clap::CommandFactory as _;

use super::{env_vars, Setting, ALL};
use crate::cli::Cli;

const DOC: &str = include_str!("../../../../docs/configuration.md");

/// The backticked words of a column of the docs' settings table.
fn doc_column(column: usize) -> BTreeSet<String> {
    let section = DOC
        .split("## Settings")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("docs/configuration.md has a Settings section");
    let mut words = BTreeSet::new();
    for row in section.lines().filter(|l| l.starts_with('|')).skip(2) {
        let Some(cell) = row.split('|').nth(column + 1) else {
            continue;
        };
        for (i, part) in cell.split('`').enumerate() {
            if i % 2 == 1 {
                words.insert(part.to_owned());
            }
        }
    }
    words
}

fn table<'a>(f: impl Fn(&Setting) -> Vec<&'a str>) -> BTreeSet<String> {
    ALL.iter().flat_map(f).map(str::to_owned).collect()
}

#[test]
fn the_docs_list_exactly_the_tables_flags_variables_and_keys() {
    let flags = table(|s| s.flag.into_iter().collect());
    let doc_flags: BTreeSet<String> = doc_column(1)
        .into_iter()
        .filter_map(|w| w.strip_prefix("--").map(str::to_owned))
        .collect();
    assert_eq!(doc_flags, flags, "flags");

    let vars = table(|s| s.env_vars().collect());
    let doc_vars: BTreeSet<String> = doc_column(2)
        .into_iter()
        .filter(|w| w.chars().all(|c| c.is_ascii_alphabetic() || c == '_'))
        .filter(|w| w.contains('_') || w.chars().all(|c| c.is_ascii_uppercase()))
        .collect();
    assert_eq!(doc_vars, vars, "environment variables");

    let keys = table(|s| s.toml_keys().collect());
    let doc_keys: BTreeSet<String> = doc_column(3)
        .into_iter()
        .filter(|w| w.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .collect();
    assert_eq!(doc_keys, keys, "TOML keys");
}

#[test]
fn every_global_flag_is_in_the_table_and_back() {
    let command = Cli::command();
    let cli: BTreeSet<String> = command
        .get_arguments()
        .filter(|a| a.is_global_set())
        .filter_map(|a| a.get_long().map(str::to_owned))
        .collect();
    let flags = table(|s| s.flag.into_iter().collect());
    assert_eq!(cli, flags);
}

#[test]
fn help_shows_the_tables_variables_and_defaults() {
    let mut command = Cli::command();
    let help = command.render_long_help().to_string();
    for setting in ALL.iter().filter(|s| s.flag.is_some()) {
        for var in setting.env_vars() {
            assert!(help.contains(var), "{var} missing from --help:\n{help}");
        }
    }
    assert!(
        help.contains("[default: https://app.backline.ai]"),
        "{help}"
    );
}

#[test]
fn the_table_covers_what_the_egress_crate_reads() {
    let ours: BTreeSet<&str> = env_vars().collect();
    for var in gitproxy_egress::ProxyConfig::ENV_VARS
        .iter()
        .chain(gitproxy_egress::TrustConfig::ENV_VARS)
    {
        assert!(
            ours.contains(var),
            "{var} is read by egress but not in the table"
        );
    }
}

#[test]
fn the_json_export_names_every_setting() {
    let json = super::to_json();
    let rows = json.as_array().expect("an array");
    assert_eq!(rows.len(), ALL.len());
    assert_eq!(rows[1]["env"], "GITPROXY_CLOUD_URL");
    assert_eq!(rows[2]["secret"], true);
}

#[test]
fn global_flags_are_read_before_and_after_the_command() {
    use clap::Parser as _;
    let cli = Cli::try_parse_from([
        "gitproxy",
        "--cloud-url",
        "https://cloud.example",
        "scan",
        "--osv",
        "/data/osv",
        "--json",
    ])
    .expect("parses");
    assert_eq!(
        cli.global.get(&super::CLOUD_URL),
        Some(std::ffi::OsStr::new("https://cloud.example"))
    );
    assert_eq!(
        cli.global.get(&super::OSV_DIR),
        Some(std::ffi::OsStr::new("/data/osv"))
    );
    assert_eq!(cli.global.get(&super::LISTEN), None);
}
