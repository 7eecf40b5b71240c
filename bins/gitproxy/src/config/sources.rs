//! Where raw values come from: flags, the environment (only the variables of the settings table)
//! and the TOML file, layered flag > environment > file, each value tagged with its [`Source`].

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::secrets::{read_secret, secret_value, Secret};
use super::{err, ConfigError};
use crate::cli::GlobalArgs;
use crate::settings::{self, Setting};

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// A command-line flag, e.g. `--cloud-url`.
    Flag(&'static str),
    /// An environment variable.
    Env(&'static str),
    /// A key of the TOML file.
    File(&'static str, PathBuf),
    /// The built-in default.
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag(flag) => write!(f, "--{flag} (flag)"),
            Source::Env(var) => write!(f, "{var} (environment)"),
            Source::File(key, path) => write!(f, "{key} (file {})", path.display()),
            Source::Default => f.write_str("default"),
        }
    }
}

/// The TOML file: the same settings in snake case; secrets only as file paths.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileConfig {
    pub(super) cloud_url: Option<String>,
    pub(super) access_key_file: Option<PathBuf>,
    pub(super) agent_id: Option<String>,
    pub(super) connections: Option<u32>,
    pub(super) max_file_bytes: Option<u64>,
    pub(super) https_proxy: Option<String>,
    pub(super) http_proxy: Option<String>,
    pub(super) no_proxy: Option<String>,
    pub(super) custom_ca_cert: Option<String>,
    pub(super) custom_ca_cert_file: Option<PathBuf>,
    pub(super) bitbucket_url: Option<String>,
    pub(super) bitbucket_username: Option<String>,
    pub(super) bitbucket_token_file: Option<PathBuf>,
    pub(super) project: Option<String>,
    pub(super) branch_prefix: Option<String>,
    pub(super) listen: Option<String>,
    pub(super) log_format: Option<String>,
    pub(super) log_level: Option<String>,
    pub(super) shutdown_grace: Option<String>,
    pub(super) osv_dir: Option<PathBuf>,
    pub(super) registries: Option<FileRegistries>,
}

/// `registries` in the TOML file: the flag's list as a string, or a table of ecosystem = URL.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum FileRegistries {
    /// `registries = "npm=https://...,Go=https://..."` or `"public"`.
    List(String),
    /// `[registries]` with `npm = "https://..."` lines.
    Table(std::collections::BTreeMap<String, String>),
}

/// What `resolve` reads besides the flags: the environment (as data) and whether stdout is a terminal.
#[derive(Debug)]
pub(crate) struct Environment {
    /// Environment variables.
    pub(crate) vars: HashMap<String, String>,
    /// Whether stdout is a terminal (picks the default log format).
    pub(crate) stdout_is_terminal: bool,
}

impl Environment {
    /// The process environment: only the variables of the settings table are read, so an unrelated
    /// variable that is not UTF-8 is never looked at; one of ours that is not UTF-8 is an error
    /// naming it, never showing its value.
    pub(crate) fn process() -> Result<Environment, ConfigError> {
        use std::io::IsTerminal as _;
        let mut vars = HashMap::new();
        for name in settings::env_vars() {
            let Some(value) = std::env::var_os(name) else {
                continue;
            };
            let value = value.into_string().map_err(|_| {
                ConfigError(format!(
                    "{name} (environment): the value is not valid UTF-8; set it to UTF-8 text or unset it"
                ))
            })?;
            vars.insert(name.to_owned(), value);
        }
        Ok(Environment {
            vars,
            stdout_is_terminal: std::io::stdout().is_terminal(),
        })
    }
}

/// A raw value and its source.
pub(super) struct Raw {
    pub(super) value: String,
    pub(super) source: Source,
}

/// The environment and the TOML file's path, for picking values by precedence.
pub(super) struct Layers<'a> {
    pub(super) env: &'a HashMap<String, String>,
    pub(super) file_path: Option<PathBuf>,
}

impl Layers<'_> {
    /// A non-blank environment variable.
    pub(super) fn env(&self, name: &'static str) -> Option<Raw> {
        self.env
            .get(name)
            .filter(|v| !v.trim().is_empty())
            .map(|v| Raw {
                value: v.clone(),
                source: Source::Env(name),
            })
    }

    /// Whether any of the setting's environment variables is set (not blank).
    pub(super) fn env_has(&self, setting: &Setting) -> bool {
        setting.env_vars().any(|name| self.env(name).is_some())
    }

    /// The source of a TOML key, when a file was read.
    pub(super) fn file_source(&self, key: Option<&'static str>) -> Option<Source> {
        Some(Source::File(key?, self.file_path.clone()?))
    }

    fn file(&self, key: Option<&'static str>, value: Option<&String>) -> Option<Raw> {
        let source = self.file_source(key)?;
        value.map(|v| Raw {
            value: v.clone(),
            source,
        })
    }

    /// flag > env > file, by the setting's names.
    pub(super) fn pick(
        &self,
        setting: &Setting,
        flag: Option<&String>,
        file: Option<&String>,
    ) -> Option<Raw> {
        if let (Some(v), Some(name)) = (flag, setting.flag) {
            return Some(Raw {
                value: v.clone(),
                source: Source::Flag(name),
            });
        }
        setting
            .env
            .and_then(|name| self.env(name))
            .or_else(|| self.file(setting.toml, file))
    }

    /// A path setting: flag > env > file.
    pub(super) fn pick_path(
        &self,
        setting: &Setting,
        flag: Option<&PathBuf>,
        file: Option<&PathBuf>,
    ) -> Option<(PathBuf, Source)> {
        if let (Some(p), Some(name)) = (flag, setting.flag) {
            return Some((p.clone(), Source::Flag(name)));
        }
        if let Some(raw) = setting.env.and_then(|name| self.env(name)) {
            return Some((PathBuf::from(raw.value), raw.source));
        }
        Some((file?.clone(), self.file_source(setting.toml)?))
    }

    /// A secret: flag file > env value > env file > file's path.
    pub(super) fn secret(
        &self,
        setting: &Setting,
        flag: Option<&PathBuf>,
        file: Option<&PathBuf>,
    ) -> Result<Option<Secret>, ConfigError> {
        if let (Some(path), Some(name)) = (flag, setting.flag) {
            return read_secret(path, &Source::Flag(name)).map(Some);
        }
        if let Some(raw) = setting.env.and_then(|name| self.env(name)) {
            return secret_value(&raw.value, &raw.source).map(Some);
        }
        if let Some(raw) = setting.env_file.and_then(|name| self.env(name)) {
            return read_secret(Path::new(&raw.value), &raw.source).map(Some);
        }
        if let (Some(path), Some(source)) = (file, self.file_source(setting.toml_file)) {
            return read_secret(path, &source).map(Some);
        }
        Ok(None)
    }
}

/// The host name, the default agent id.
pub(super) fn default_agent_id(env: &HashMap<String, String>) -> String {
    env.get(settings::HOSTNAME)
        .filter(|h| !h.trim().is_empty())
        .cloned()
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_owned())
                .filter(|h| !h.is_empty())
        })
        .unwrap_or_else(|| "gitproxy".to_owned())
}

/// Reads the TOML file named by `--config` or `GITPROXY_CONFIG`.
pub(super) fn load_file(
    flags: &GlobalArgs,
    env: &HashMap<String, String>,
) -> Result<(FileConfig, Option<PathBuf>), ConfigError> {
    let layers = Layers {
        env,
        file_path: None,
    };
    let Some((path, source)) = layers.pick_path(&settings::CONFIG, flags.config.as_ref(), None)
    else {
        return Ok((FileConfig::default(), None));
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        err(
            &source,
            format!(
                "cannot read {}: {e}; fix the path or drop the setting",
                path.display()
            ),
        )
    })?;
    let file: FileConfig = toml::from_str(&text).map_err(|e| {
        let at = e
            .span()
            .map(|span| {
                let (line, column) = line_column(&text, span.start);
                format!(" at line {line}, column {column}")
            })
            .unwrap_or_default();
        err(
            &source,
            format!(
                "{} is not a valid configuration file{at}: {}",
                path.display(),
                e.message()
            ),
        )
    })?;
    Ok((file, Some(path)))
}

/// The 1-based line and column (in characters) of byte `offset` in `text`.
pub(super) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit_once('\n')
        .map_or(before, |(_, last)| last)
        .chars()
        .count()
        + 1;
    (line, column)
}
