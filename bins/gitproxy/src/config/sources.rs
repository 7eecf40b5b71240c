//! Where raw values come from: flags, the environment (only the variables of the settings table)
//! and the TOML file (`config/file.rs`), layered flag > environment > file, each value tagged
//! with its [`Source`].

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;

use super::file::load_file;
use super::ConfigError;
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

/// An error naming the value's source.
pub(super) fn err(source: &Source, message: impl fmt::Display) -> ConfigError {
    ConfigError(format!("{source}: {message}"))
}

/// What `resolve` reads besides the flags: the environment (as data), whether stdout is a terminal.
#[derive(Debug)]
pub(crate) struct Environment {
    /// Environment variables.
    pub(crate) vars: HashMap<String, String>,
    /// Whether stdout is a terminal (picks the default log format).
    pub(crate) stdout_is_terminal: bool,
    /// The container's memory limit, from its cgroup (none: no limit set or no cgroup found).
    pub(crate) memory_limit: Option<u64>,
}

impl Environment {
    /// The process environment: only the variables of the settings table are read, so an unrelated
    /// variable that is not UTF-8 is never looked at; one of ours that is not UTF-8 is an error
    /// naming it, never showing its value.
    pub(crate) fn process() -> Result<Environment, ConfigError> {
        use std::io::IsTerminal as _;
        let mut vars = HashMap::new();
        for name in settings::env_vars() {
            if let Some(value) = std::env::var_os(name) {
                let value = value.into_string().map_err(|_| {
                    let fix = "set it to UTF-8 text or unset it";
                    err(
                        &Source::Env(name),
                        format!("the value is not valid UTF-8; {fix}"),
                    )
                })?;
                vars.insert(name.to_owned(), value);
            }
        }
        let stdout_is_terminal = std::io::stdout().is_terminal();
        Ok(Environment {
            vars,
            stdout_is_terminal,
            memory_limit: CGROUP_MEMORY_LIMITS.iter().find_map(|path| {
                std::fs::read_to_string(path)
                    .ok()
                    .and_then(|text| cgroup_memory_limit(&text))
            }),
        })
    }
}

/// Where a container's memory limit is read: cgroup v2, then v1.
const CGROUP_MEMORY_LIMITS: [&str; 2] = [
    "/sys/fs/cgroup/memory.max",
    "/sys/fs/cgroup/memory/memory.limit_in_bytes",
];

/// A cgroup memory limit file's value in bytes: none for `max` (v2) or v1's "unlimited" (a
/// value near `i64::MAX`, rounded down to the page size).
pub(super) fn cgroup_memory_limit(text: &str) -> Option<u64> {
    text.trim()
        .parse::<u64>()
        .ok()
        .filter(|&bytes| bytes > 0 && bytes < 1 << 62)
}

/// A raw value and its source.
pub(super) struct Raw {
    pub(super) value: String,
    pub(super) source: Source,
}

/// A value given as itself or as a file holding it (secrets, the CA).
pub(super) enum Given {
    /// The value itself.
    Value(Raw),
    /// A file holding the value.
    File(PathBuf, Source),
}

/// The flags, the environment and the TOML file's values, for picking values by precedence.
pub(super) struct Layers<'a> {
    flags: &'a GlobalArgs,
    pub(super) env: &'a HashMap<String, String>,
    /// The TOML file's path and its values as text, by key.
    file: Option<(PathBuf, HashMap<&'static str, String>)>,
}

impl<'a> Layers<'a> {
    /// The layers, reading the TOML file named by `--config` or `GITPROXY_CONFIG`.
    pub(super) fn new(
        flags: &'a GlobalArgs,
        env: &'a HashMap<String, String>,
    ) -> Result<Layers<'a>, ConfigError> {
        let mut layers = Layers {
            flags,
            env,
            file: None,
        };
        if let Some((path, source)) = layers.pick_path(&settings::CONFIG) {
            layers.file = Some((path.clone(), load_file(path, &source)?));
        }
        Ok(layers)
    }

    /// A non-blank environment variable.
    pub(super) fn env(&self, name: Option<&'static str>) -> Option<Raw> {
        let name = name?;
        let value = self.env.get(name).filter(|v| !v.trim().is_empty())?.clone();
        Some(Raw {
            value,
            source: Source::Env(name),
        })
    }

    /// The value of a TOML key, when a file was read.
    fn file(&self, key: Option<&'static str>) -> Option<Raw> {
        let (path, values) = self.file.as_ref()?;
        Some(Raw {
            value: values.get(key?)?.clone(),
            source: Source::File(key?, path.clone()),
        })
    }

    /// The setting's flag (clap checked that a flag not taking a path is UTF-8).
    fn flag(&self, setting: &Setting) -> Option<Raw> {
        Some(Raw {
            value: self.flags.get(setting)?.to_string_lossy().into_owned(),
            source: Source::Flag(setting.flag?),
        })
    }

    /// flag > env > file, by the setting's names.
    pub(super) fn pick(&self, setting: &Setting) -> Option<Raw> {
        self.flag(setting)
            .or_else(|| self.env(setting.env))
            .or_else(|| self.file(setting.toml))
    }

    /// The picked value parsed by `parse`; an error names the value's source.
    pub(super) fn parse<T>(
        &self,
        setting: &Setting,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ConfigError> {
        self.pick(setting)
            .map(|raw| parse(&raw.value).map_err(|e| err(&raw.source, e)))
            .transpose()
    }

    /// The picked value parsed by `parse`, or the table's default parsed the same way.
    pub(super) fn parse_or_default<T>(
        &self,
        setting: &Setting,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<T, ConfigError> {
        match self.parse(setting, &parse)? {
            Some(value) => Ok(value),
            None => Ok(parse(setting.default).expect("the table's default is valid")),
        }
    }

    /// A path setting: flag > env > file, the flag kept as given.
    pub(super) fn pick_path(&self, setting: &Setting) -> Option<(PathBuf, Source)> {
        if let (Some(path), Some(flag)) = (self.flags.get(setting), setting.flag) {
            return Some((PathBuf::from(path), Source::Flag(flag)));
        }
        let raw = self.env(setting.env).or_else(|| self.file(setting.toml))?;
        Some((PathBuf::from(raw.value), raw.source))
    }

    /// A path setting naming a directory that exists; `fix` says what to point it at.
    pub(super) fn existing_dir(
        &self,
        setting: &Setting,
        fix: &str,
    ) -> Result<Option<PathBuf>, ConfigError> {
        match self.pick_path(setting) {
            Some((path, source)) if !path.is_dir() => {
                let shown = path.display();
                Err(err(&source, format!("{shown} is not a directory; {fix}")))
            }
            picked => Ok(picked.map(|(path, _)| path)),
        }
    }

    /// A value set explicitly (flag or file) when the environment does not set the setting:
    /// the environment is then read by the egress crate itself.
    pub(super) fn explicit(&self, setting: &Setting) -> Option<Raw> {
        let env_has = setting
            .env_vars()
            .any(|name| self.env(Some(name)).is_some());
        self.flag(setting)
            .or_else(|| self.file(setting.toml).filter(|_| !env_has))
    }

    /// A value or a file holding it: flag file > env value > env file > file's value > file's path.
    pub(super) fn given(&self, setting: &Setting) -> Option<Given> {
        let file = |raw: Raw| Given::File(PathBuf::from(raw.value), raw.source);
        if let (Some(path), Some(flag)) = (self.flags.get(setting), setting.flag) {
            return Some(Given::File(PathBuf::from(path), Source::Flag(flag)));
        }
        (self.env(setting.env).map(Given::Value))
            .or_else(|| self.env(setting.env_file).map(file))
            .or_else(|| self.file(setting.toml).map(Given::Value))
            .or_else(|| self.file(setting.toml_file).map(file))
    }
}

/// The host name, the default agent id (`HOSTNAME`, else /etc/hostname), checked like one.
pub(super) fn default_agent_id(env: &HashMap<String, String>) -> Result<String, ConfigError> {
    let hostname = env.get(settings::HOSTNAME).filter(|h| !h.trim().is_empty());
    let id = (hostname.cloned())
        .or_else(|| {
            let name = std::fs::read_to_string("/etc/hostname").ok()?;
            Some(name.trim().to_owned()).filter(|h| !h.is_empty())
        })
        .unwrap_or_else(|| "gitproxy".to_owned());
    gitproxy_tunnel::protocol::validate_agent_id(&id).map_err(|e| {
        let set = settings::AGENT_ID.names();
        err(
            &Source::Default,
            format!("host name as agent id: {e}; set {set}"),
        )
    })?;
    Ok(id)
}
