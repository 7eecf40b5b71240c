//! Where raw values come from: flags, the environment (only the variables of the settings table)
//! and the TOML file (only the keys of the settings table), layered flag > environment > file,
//! each value tagged with its [`Source`].

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::ops::Range;
use std::path::PathBuf;

use serde::Deserialize as _;
use toml::Spanned;

use super::ConfigError;
use crate::cli::GlobalArgs;
use crate::settings::{self, Kind, Setting};

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
                err(
                    &Source::Env(name),
                    "the value is not valid UTF-8; set it to UTF-8 text or unset it",
                )
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
        self.env
            .get(name)
            .filter(|v| !v.trim().is_empty())
            .map(|v| Raw {
                value: v.clone(),
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

/// `registries` in the TOML file: the flag's list as a string, or a table of ecosystem = URL.
#[derive(Debug, serde::Deserialize)]
#[serde(untagged)]
enum FileRegistries {
    /// `registries = "npm=https://...,Go=https://..."` or `"public"`.
    List(String),
    /// `[registries]` with `npm = "https://..."` lines.
    Table(BTreeMap<String, String>),
}

/// A TOML value of the setting's type, as text (a registries table as the list).
fn file_text(kind: Kind, value: toml::Value) -> Result<String, toml::de::Error> {
    Ok(match kind {
        Kind::Text => String::deserialize(value)?,
        Kind::Path => PathBuf::deserialize(value)?.display().to_string(),
        Kind::Count => u32::deserialize(value)?.to_string(),
        Kind::Bytes => u64::deserialize(value)?.to_string(),
        Kind::Registries => match FileRegistries::deserialize(value)? {
            FileRegistries::List(list) => list,
            FileRegistries::Table(table) => {
                let entries: Vec<String> = table.iter().map(|(k, v)| format!("{k}={v}")).collect();
                entries.join(",")
            }
        },
    })
}

/// Reads the TOML file: every key must be a TOML key of the settings table, of its type.
fn load_file(path: PathBuf, source: &Source) -> Result<HashMap<&'static str, String>, ConfigError> {
    let text = std::fs::read_to_string(&path).map_err(|e| {
        let fix = "fix the path or drop the setting";
        err(
            source,
            format!("cannot read {}: {e}; {fix}", path.display()),
        )
    })?;
    let invalid = |span: Option<Range<usize>>, message: &str| {
        let at = span.map_or_else(String::new, |span| {
            let (line, column) = line_column(&text, span.start);
            format!(" at line {line}, column {column}")
        });
        let file = path.display();
        err(
            source,
            format!("{file} is not a valid configuration file{at}: {message}"),
        )
    };
    let document: BTreeMap<Spanned<String>, Spanned<toml::Value>> =
        toml::from_str(&text).map_err(|e| invalid(e.span(), e.message()))?;
    let mut entries: Vec<_> = document.into_iter().collect();
    entries.sort_by_key(|(key, _)| key.span().start);
    let mut values = HashMap::new();
    for (key, value) in entries {
        let found = settings::ALL.iter().find_map(|s| {
            let of =
                |k: Option<&'static str>, kind| k.filter(|k| k == key.get_ref()).map(|k| (k, kind));
            of(s.toml, s.kind).or_else(|| of(s.toml_file, Kind::Path))
        });
        let Some((name, kind)) = found else {
            let keys = settings::ALL.iter().flat_map(Setting::toml_keys);
            let expected: Vec<String> = keys.map(|k| format!("`{k}`")).collect();
            let message = format!(
                "unknown field `{}`, expected one of {}",
                key.get_ref(),
                expected.join(", ")
            );
            return Err(invalid(Some(key.span()), &message));
        };
        let span = value.span();
        let text =
            file_text(kind, value.into_inner()).map_err(|e| invalid(Some(span), e.message()))?;
        values.insert(name, text);
    }
    Ok(values)
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
