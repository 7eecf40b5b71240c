//! Resolves flags, environment and the TOML file into one validated [`Config`] ("high args").
//!
//! Precedence: flags > environment > file > default. Every error names the setting and where its
//! value came from, e.g. `GITPROXY_CUSTOM_CA_CERT (environment): ...`. Secrets come from a value or
//! a file (`*_FILE`, for Kubernetes Secret mounts) and are held in [`Secret`], which never prints.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use gitproxy_egress::{CaSource, ProxyConfig, TrustConfig};
use gitproxy_remediation::registry::RegistryUrls;
use gitproxy_remediation::Ecosystem;
use serde::Deserialize;
use url::Url;

use crate::cli::GlobalArgs;

/// The default cloud endpoint.
pub(crate) const DEFAULT_CLOUD_URL: &str = "https://app.backline.ai";
/// The default prefix of branches the agent may write.
pub(crate) const DEFAULT_BRANCH_PREFIX: &str = "gitproxy/";
/// The default probe and metrics listener.
pub(crate) const DEFAULT_LISTEN: &str = "0.0.0.0:8080";

/// An invalid configuration: the binary exits with 64 (EX_USAGE) before binding anything.
#[derive(Debug)]
pub(crate) struct ConfigError(pub(crate) String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

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

/// A secret value (access key, token). `Debug` and `Display` print `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub(crate) fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for the one place that sends it.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LogFormat {
    /// One JSON object per line (the default in a pod).
    Json,
    /// Readable lines (the default on a terminal).
    Text,
}

/// Bitbucket settings configured locally; any may be missing (the cloud then sends them).
#[derive(Debug, Clone, Default)]
pub(crate) struct LocalBitbucket {
    /// Base URL.
    pub(crate) url: Option<Url>,
    /// Username.
    pub(crate) username: Option<String>,
    /// HTTP access token.
    pub(crate) token: Option<Secret>,
    /// Project key.
    pub(crate) project: Option<String>,
}

/// A complete set of Bitbucket connection details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BitbucketConn {
    /// Base URL.
    pub(crate) url: Url,
    /// Username.
    pub(crate) username: String,
    /// HTTP access token.
    pub(crate) token: Secret,
    /// Project key.
    pub(crate) project: String,
}

impl LocalBitbucket {
    /// Whether every setting is given locally.
    pub(crate) fn is_complete(&self) -> bool {
        self.url.is_some()
            && self.username.is_some()
            && self.token.is_some()
            && self.project.is_some()
    }

    /// The complete connection, or an error naming every missing setting.
    pub(crate) fn complete(&self) -> Result<BitbucketConn, ConfigError> {
        let mut missing = Vec::new();
        if self.url.is_none() {
            missing.push("--bitbucket-url / GITPROXY_BITBUCKET_URL");
        }
        if self.username.is_none() {
            missing.push("--bitbucket-username / GITPROXY_BITBUCKET_USERNAME");
        }
        if self.token.is_none() {
            missing.push(
                "--bitbucket-token-file / GITPROXY_BITBUCKET_TOKEN / GITPROXY_BITBUCKET_TOKEN_FILE",
            );
        }
        if self.project.is_none() {
            missing.push("--project / GITPROXY_BITBUCKET_PROJECT");
        }
        match (&self.url, &self.username, &self.token, &self.project) {
            (Some(url), Some(username), Some(token), Some(project)) => Ok(BitbucketConn {
                url: url.clone(),
                username: username.clone(),
                token: token.clone(),
                project: project.clone(),
            }),
            _ => Err(ConfigError(format!(
                "bitbucket connection not configured: set {}",
                missing.join(", ")
            ))),
        }
    }
}

/// The validated configuration of every command.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// Cloud endpoint.
    pub(crate) cloud_url: Url,
    /// Cloud access key (required by `run` only).
    pub(crate) access_key: Option<Secret>,
    /// This replica's id.
    pub(crate) agent_id: String,
    /// Tunnel connections.
    pub(crate) connections: u32,
    /// Proxy selection for every outbound connection.
    pub(crate) proxy: ProxyConfig,
    /// Trust for every outbound TLS connection (platform roots plus the custom CA).
    pub(crate) trust: TrustConfig,
    /// Locally configured Bitbucket settings.
    pub(crate) bitbucket: LocalBitbucket,
    /// Prefix of the branches the agent may write.
    pub(crate) branch_prefix: String,
    /// Probe and metrics listener.
    pub(crate) listen: SocketAddr,
    /// Log format.
    pub(crate) log_format: LogFormat,
    /// Log filter.
    pub(crate) log_level: String,
    /// Time to finish in-flight operations on SIGTERM.
    pub(crate) shutdown_grace: Duration,
    /// OSV data directory.
    pub(crate) osv_dir: Option<PathBuf>,
    /// Package registries the agent may ask (none by default), reached through the egress rules.
    pub(crate) registries: RegistryUrls,
}

/// The TOML file: the same settings in snake case; secrets only as file paths.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileConfig {
    cloud_url: Option<String>,
    access_key_file: Option<PathBuf>,
    agent_id: Option<String>,
    connections: Option<u32>,
    https_proxy: Option<String>,
    http_proxy: Option<String>,
    no_proxy: Option<String>,
    custom_ca_cert: Option<String>,
    custom_ca_cert_file: Option<PathBuf>,
    bitbucket_url: Option<String>,
    bitbucket_username: Option<String>,
    bitbucket_token_file: Option<PathBuf>,
    project: Option<String>,
    branch_prefix: Option<String>,
    listen: Option<String>,
    log_format: Option<String>,
    log_level: Option<String>,
    shutdown_grace: Option<String>,
    osv_dir: Option<PathBuf>,
    registries: Option<FileRegistries>,
}

/// `registries` in the TOML file: the flag's list as a string, or a table of ecosystem = URL.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum FileRegistries {
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
    /// The process environment.
    pub(crate) fn process() -> Environment {
        use std::io::IsTerminal as _;
        Environment {
            vars: std::env::vars().collect(),
            stdout_is_terminal: std::io::stdout().is_terminal(),
        }
    }
}

/// A raw value and its source.
struct Raw {
    value: String,
    source: Source,
}

struct Layers<'a> {
    env: &'a HashMap<String, String>,
    file_path: Option<PathBuf>,
}

impl Layers<'_> {
    fn env(&self, name: &'static str) -> Option<Raw> {
        self.env
            .get(name)
            .filter(|v| !v.trim().is_empty())
            .map(|v| Raw {
                value: v.clone(),
                source: Source::Env(name),
            })
    }

    fn file(&self, key: &'static str, value: Option<&String>) -> Option<Raw> {
        let path = self.file_path.clone()?;
        value.map(|v| Raw {
            value: v.clone(),
            source: Source::File(key, path),
        })
    }

    /// flag > env > file.
    fn pick(
        &self,
        flag: (&'static str, Option<&String>),
        env: &'static str,
        file: (&'static str, Option<&String>),
    ) -> Option<Raw> {
        if let Some(v) = flag.1 {
            return Some(Raw {
                value: v.clone(),
                source: Source::Flag(flag.0),
            });
        }
        self.env(env).or_else(|| self.file(file.0, file.1))
    }

    /// A secret: flag file > env value > env file > file's path.
    fn secret(
        &self,
        flag: (&'static str, Option<&PathBuf>),
        env_value: &'static str,
        env_file: &'static str,
        file: (&'static str, Option<&PathBuf>),
    ) -> Result<Option<Secret>, ConfigError> {
        if let Some(path) = flag.1 {
            return read_secret(path, &Source::Flag(flag.0)).map(Some);
        }
        if let Some(raw) = self.env(env_value) {
            return Ok(Some(Secret::new(raw.value.trim())));
        }
        if let Some(raw) = self.env(env_file) {
            return read_secret(Path::new(&raw.value), &raw.source).map(Some);
        }
        if let (Some(path), Some(file_path)) = (file.1, &self.file_path) {
            return read_secret(path, &Source::File(file.0, file_path.clone())).map(Some);
        }
        Ok(None)
    }
}

fn read_secret(path: &Path, source: &Source) -> Result<Secret, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConfigError(format!(
            "{source}: cannot read secret file {}: {e}; mount the Secret there or fix the path",
            path.display()
        ))
    })?;
    let value = text.trim();
    if value.is_empty() {
        return Err(ConfigError(format!(
            "{source}: secret file {} is empty; put the value in the Secret",
            path.display()
        )));
    }
    Ok(Secret::new(value))
}

fn err(source: &Source, message: impl fmt::Display) -> ConfigError {
    ConfigError(format!("{source}: {message}"))
}

/// Parses `30s`, `500ms`, `2m`, `1h` or a number of seconds.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration; write it like 30s, 500ms or 2m"))?;
    match unit.trim() {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        "h" => Ok(Duration::from_secs(n * 3600)),
        other => Err(format!(
            "`{text}` has unknown unit `{other}`; use ms, s, m or h (e.g. 30s)"
        )),
    }
}

fn parse_url(raw: &Raw, what: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(raw.value.trim()).map_err(|e| {
        err(
            &raw.source,
            format!("`{}` is not a valid URL ({e}); {what}", raw.value),
        )
    })?;
    if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
        return Err(err(
            &raw.source,
            format!("`{}` must be an http(s) URL with a host; {what}", raw.value),
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(err(
            &raw.source,
            "the URL must not carry credentials; give them as username and token settings",
        ));
    }
    Ok(url)
}

fn default_agent_id(env: &HashMap<String, String>) -> String {
    env.get("HOSTNAME")
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
fn load_file(
    flags: &GlobalArgs,
    env: &HashMap<String, String>,
) -> Result<(FileConfig, Option<PathBuf>), ConfigError> {
    let (path, source) = match (&flags.config, env.get("GITPROXY_CONFIG")) {
        (Some(p), _) => (p.clone(), Source::Flag("config")),
        (None, Some(p)) if !p.trim().is_empty() => {
            (PathBuf::from(p), Source::Env("GITPROXY_CONFIG"))
        }
        _ => return Ok((FileConfig::default(), None)),
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
        err(
            &source,
            format!(
                "{} is not a valid configuration file: {}",
                path.display(),
                e.message()
            ),
        )
    })?;
    Ok((file, Some(path)))
}

impl Config {
    /// Resolves and validates every setting.
    pub(crate) fn resolve(
        flags: &GlobalArgs,
        environment: &Environment,
    ) -> Result<Config, ConfigError> {
        let env = &environment.vars;
        let (file, file_path) = load_file(flags, env)?;
        let layers = Layers { env, file_path };

        let cloud_url = match layers.pick(
            ("cloud-url", flags.cloud_url.as_ref()),
            "GITPROXY_CLOUD_URL",
            ("cloud_url", file.cloud_url.as_ref()),
        ) {
            Some(raw) => {
                let url = parse_url(&raw, "use the cloud endpoint, e.g. https://app.backline.ai")?;
                if url.scheme() != "https" {
                    return Err(err(&raw.source, "the cloud endpoint must use https"));
                }
                url
            }
            None => Url::parse(DEFAULT_CLOUD_URL).expect("the default cloud URL is valid"),
        };

        let access_key = layers.secret(
            ("access-key-file", flags.access_key_file.as_ref()),
            "GITPROXY_ACCESS_KEY",
            "GITPROXY_ACCESS_KEY_FILE",
            ("access_key_file", file.access_key_file.as_ref()),
        )?;

        let agent_id = match layers.pick(
            ("agent-id", flags.agent_id.as_ref()),
            "GITPROXY_AGENT_ID",
            ("agent_id", file.agent_id.as_ref()),
        ) {
            Some(raw) => {
                gitproxy_tunnel::protocol::validate_agent_id(raw.value.trim())
                    .map_err(|e| err(&raw.source, e))?;
                raw.value.trim().to_owned()
            }
            None => {
                let id = default_agent_id(env);
                gitproxy_tunnel::protocol::validate_agent_id(&id).map_err(|e| {
                    err(
                        &Source::Default,
                        format!("host name as agent id: {e}; set GITPROXY_AGENT_ID"),
                    )
                })?;
                id
            }
        };

        let file_connections = file.connections.map(|n| n.to_string());
        let connections = match layers.pick(
            ("connections", flags.connections.as_ref()),
            "GITPROXY_CONNECTIONS",
            ("connections", file_connections.as_ref()),
        ) {
            Some(raw) => match raw.value.trim().parse::<u32>() {
                Ok(n) if (1..=16).contains(&n) => n,
                _ => {
                    return Err(err(
                        &raw.source,
                        format!(
                            "`{}` is not a number of connections from 1 to 16",
                            raw.value
                        ),
                    ))
                }
            },
            None => 2,
        };

        let proxy = resolve_proxy(flags, &layers, &file)?;
        let trust = resolve_trust(flags, &layers, &file)?;

        let bitbucket_url = layers
            .pick(
                ("bitbucket-url", flags.bitbucket_url.as_ref()),
                "GITPROXY_BITBUCKET_URL",
                ("bitbucket_url", file.bitbucket_url.as_ref()),
            )
            .map(|raw| {
                parse_url(
                    &raw,
                    "use the base URL of Bitbucket Data Center, e.g. https://bitbucket.company.com",
                )
            })
            .transpose()?;
        let username = layers
            .pick(
                ("bitbucket-username", flags.bitbucket_username.as_ref()),
                "GITPROXY_BITBUCKET_USERNAME",
                ("bitbucket_username", file.bitbucket_username.as_ref()),
            )
            .map(|raw| raw.value.trim().to_owned());
        let token = layers.secret(
            ("bitbucket-token-file", flags.bitbucket_token_file.as_ref()),
            "GITPROXY_BITBUCKET_TOKEN",
            "GITPROXY_BITBUCKET_TOKEN_FILE",
            ("bitbucket_token_file", file.bitbucket_token_file.as_ref()),
        )?;
        let project = match layers.pick(
            ("project", flags.project.as_ref()),
            "GITPROXY_BITBUCKET_PROJECT",
            ("project", file.project.as_ref()),
        ) {
            Some(raw) => {
                let key = raw.value.trim();
                let valid = !key.is_empty()
                    && key.len() <= 128
                    && key
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '~');
                if !valid {
                    return Err(err(
                        &raw.source,
                        format!("`{key}` is not a Bitbucket project key; use the key shown in Bitbucket, e.g. PROJ"),
                    ));
                }
                Some(key.to_owned())
            }
            None => None,
        };

        let branch_prefix = match layers.pick(
            ("branch-prefix", flags.branch_prefix.as_ref()),
            "GITPROXY_BRANCH_PREFIX",
            ("branch_prefix", file.branch_prefix.as_ref()),
        ) {
            Some(raw) => {
                let prefix = raw.value.trim().to_owned();
                crate::policy::validate_branch_prefix(&prefix).map_err(|e| err(&raw.source, e))?;
                prefix
            }
            None => DEFAULT_BRANCH_PREFIX.to_owned(),
        };

        let listen = match layers.pick(
            ("listen", flags.listen.as_ref()),
            "GITPROXY_LISTEN",
            ("listen", file.listen.as_ref()),
        ) {
            Some(raw) => raw.value.trim().parse::<SocketAddr>().map_err(|e| {
                err(
                    &raw.source,
                    format!(
                        "`{}` is not an address ({e}); write it like 0.0.0.0:8080",
                        raw.value
                    ),
                )
            })?,
            None => DEFAULT_LISTEN
                .parse()
                .expect("the default listen address is valid"),
        };

        let log_format = match layers.pick(
            ("log-format", flags.log_format.as_ref()),
            "GITPROXY_LOG_FORMAT",
            ("log_format", file.log_format.as_ref()),
        ) {
            Some(raw) => match raw.value.trim() {
                "json" => LogFormat::Json,
                "text" => LogFormat::Text,
                other => {
                    return Err(err(
                        &raw.source,
                        format!("`{other}` is not a log format; use json or text"),
                    ))
                }
            },
            None if environment.stdout_is_terminal => LogFormat::Text,
            None => LogFormat::Json,
        };

        let log_level = match layers.pick(
            ("log-level", flags.log_level.as_ref()),
            "GITPROXY_LOG",
            ("log_level", file.log_level.as_ref()),
        ) {
            Some(raw) => {
                let level = raw.value.trim().to_owned();
                tracing_subscriber::EnvFilter::try_new(&level).map_err(|e| {
                    err(
                        &raw.source,
                        format!(
                            "`{level}` is not a log filter ({e}); use e.g. info or gitproxy=debug"
                        ),
                    )
                })?;
                level
            }
            None => "info".to_owned(),
        };

        let shutdown_grace = match layers.pick(
            ("shutdown-grace", flags.shutdown_grace.as_ref()),
            "GITPROXY_SHUTDOWN_GRACE",
            ("shutdown_grace", file.shutdown_grace.as_ref()),
        ) {
            Some(raw) => {
                let grace = parse_duration(&raw.value).map_err(|e| err(&raw.source, e))?;
                if grace > Duration::from_secs(3600) {
                    return Err(err(&raw.source, "the grace period must be at most 1h"));
                }
                grace
            }
            None => Duration::from_secs(30),
        };

        let osv_dir = match (&flags.osv, layers.env("GITPROXY_OSV_DIR"), &file.osv_dir) {
            (Some(p), _, _) => Some((p.clone(), Source::Flag("osv"))),
            (None, Some(raw), _) => Some((PathBuf::from(raw.value), raw.source)),
            (None, None, Some(p)) => layers
                .file_path
                .clone()
                .map(|fp| (p.clone(), Source::File("osv_dir", fp))),
            _ => None,
        };
        let osv_dir = match osv_dir {
            Some((path, source)) => {
                if !path.is_dir() {
                    return Err(err(
                        &source,
                        format!(
                            "{} is not a directory; point it at the OSV data (<ECOSYSTEM>/all.zip)",
                            path.display()
                        ),
                    ));
                }
                Some(path)
            }
            None => None,
        };

        let file_registries = file.registries.as_ref().map(|r| match r {
            FileRegistries::List(list) => list.clone(),
            FileRegistries::Table(table) => table
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(","),
        });
        let registries = match layers.pick(
            ("registries", flags.registries.as_ref()),
            "GITPROXY_REGISTRIES",
            ("registries", file_registries.as_ref()),
        ) {
            Some(raw) => parse_registries(&raw.value).map_err(|e| err(&raw.source, e))?,
            None => RegistryUrls::none(),
        };

        Ok(Config {
            cloud_url,
            access_key,
            agent_id,
            connections,
            proxy,
            trust,
            bitbucket: LocalBitbucket {
                url: bitbucket_url,
                username,
                token,
                project,
            },
            branch_prefix,
            listen,
            log_format,
            log_level,
            shutdown_grace,
            osv_dir,
            registries,
        })
    }
}

/// Parses the registries list: comma-separated `ECOSYSTEM=URL` entries, `public` for the five
/// public registries, `none` for no registry; a later entry replaces an earlier one.
pub(crate) fn parse_registries(list: &str) -> Result<RegistryUrls, String> {
    let mut urls = RegistryUrls::none();
    for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        match entry.to_ascii_lowercase().as_str() {
            // `public` names every ecosystem, so it replaces whatever came before it.
            "public" => {
                urls = RegistryUrls::public();
                continue;
            }
            "none" => {
                urls = RegistryUrls::none();
                continue;
            }
            _ => {}
        }
        let Some((name, url)) = entry.split_once('=') else {
            // The entry may be a bare URL with a password in it: show it without user info.
            let shown = match entry.rsplit_once('@') {
                Some((before, after)) => match before.split_once("://") {
                    Some((scheme, _)) => format!("{scheme}://***@{after}"),
                    None => format!("***@{after}"),
                },
                None => entry.to_owned(),
            };
            return Err(format!(
                "`{shown}` is not a registry entry; write ECOSYSTEM=URL (e.g. npm=https://registry.npmjs.org/), public or none"
            ));
        };
        let ecosystem: Ecosystem = name.trim().parse().map_err(|_| {
            format!(
                "`{}` is not an ecosystem; use npm, crates.io, PyPI, Go or Maven",
                name.trim()
            )
        })?;
        if let Ok(parsed) = Url::parse(url.trim()) {
            if !parsed.username().is_empty() || parsed.password().is_some() {
                return Err(format!(
                    "the {ecosystem} registry URL must not carry credentials; use a mirror that allows anonymous reads"
                ));
            }
        }
        urls = urls.with(ecosystem, url).map_err(|e| e.to_string())?;
    }
    Ok(urls)
}

fn resolve_proxy(
    flags: &GlobalArgs,
    layers: &Layers<'_>,
    file: &FileConfig,
) -> Result<ProxyConfig, ConfigError> {
    // Flags and file values are explicit settings; the environment (both casings) is the fallback,
    // resolved by the egress crate, whose errors name the variable.
    let mut builder = ProxyConfig::builder().env(layers.env);
    let mut explicit: Vec<Source> = Vec::new();
    let file_source = |key: &'static str| layers.file_path.clone().map(|p| Source::File(key, p));
    let env_has = |lower: &str, upper: &str| {
        [lower, upper]
            .iter()
            .any(|k| layers.env.get(*k).is_some_and(|v| !v.trim().is_empty()))
    };
    if let Some(v) = &flags.https_proxy {
        builder = builder.https_proxy(v.clone());
        explicit.push(Source::Flag("https-proxy"));
    } else if let (false, Some(v), Some(src)) = (
        env_has("https_proxy", "HTTPS_PROXY"),
        &file.https_proxy,
        file_source("https_proxy"),
    ) {
        builder = builder.https_proxy(v.clone());
        explicit.push(src);
    }
    if let Some(v) = &flags.http_proxy {
        builder = builder.http_proxy(v.clone());
        explicit.push(Source::Flag("http-proxy"));
    } else if let (false, Some(v), Some(src)) = (
        env_has("http_proxy", "HTTP_PROXY"),
        &file.http_proxy,
        file_source("http_proxy"),
    ) {
        builder = builder.http_proxy(v.clone());
        explicit.push(src);
    }
    if let Some(v) = &flags.no_proxy {
        builder = builder.no_proxy(v.clone());
    } else if let (false, Some(v)) = (env_has("no_proxy", "NO_PROXY"), &file.no_proxy) {
        builder = builder.no_proxy(v.clone());
    }
    // Loopback targets never use the proxy unless GITPROXY_PROXY_LOOPBACK=true (for end-to-end
    // tests that run the proxy, the cloud and Bitbucket on one machine).
    if let Some(raw) = layers.env("GITPROXY_PROXY_LOOPBACK") {
        let through = match raw.value.trim() {
            "true" | "1" => true,
            "false" | "0" => false,
            other => {
                return Err(err(
                    &raw.source,
                    format!("`{other}` is not a boolean; use true or false"),
                ))
            }
        };
        builder = builder.bypass_loopback(!through);
    }
    builder.build().map_err(|e| {
        let message = e.to_string();
        if message.contains("the explicit") {
            let names: Vec<String> = explicit.iter().map(ToString::to_string).collect();
            ConfigError(format!("{}: {message}", names.join(", ")))
        } else {
            ConfigError(message)
        }
    })
}

fn resolve_trust(
    flags: &GlobalArgs,
    layers: &Layers<'_>,
    file: &FileConfig,
) -> Result<TrustConfig, ConfigError> {
    let mut builder = TrustConfig::builder().platform_roots_from_env_map(layers.env);
    let ca = if let Some(path) = &flags.custom_ca_cert_file {
        Some(ca_file(path, &Source::Flag("custom-ca-cert-file"))?)
    } else if let Some(raw) = layers.env("GITPROXY_CUSTOM_CA_CERT") {
        Some(CaSource::base64_pem(raw.source.to_string(), raw.value))
    } else if let Some(raw) = layers.env("GITPROXY_CUSTOM_CA_CERT_FILE") {
        Some(ca_file(Path::new(&raw.value), &raw.source)?)
    } else if let (Some(value), Some(fp)) = (&file.custom_ca_cert, &layers.file_path) {
        Some(CaSource::base64_pem(
            Source::File("custom_ca_cert", fp.clone()).to_string(),
            value.clone(),
        ))
    } else if let (Some(path), Some(fp)) = (&file.custom_ca_cert_file, &layers.file_path) {
        Some(ca_file(
            path,
            &Source::File("custom_ca_cert_file", fp.clone()),
        )?)
    } else {
        None
    };
    if let Some(ca) = ca {
        builder = builder.add_ca(ca);
    }
    builder.build().map_err(|e| ConfigError(e.to_string()))
}

/// A CA PEM file, read here so a missing file names the setting.
fn ca_file(path: &Path, source: &Source) -> Result<CaSource, ConfigError> {
    let pem = std::fs::read_to_string(path).map_err(|e| {
        err(
            source,
            format!(
                "cannot read CA file {}: {e}; mount the CA there or fix the path",
                path.display()
            ),
        )
    })?;
    Ok(CaSource::pem(format!("{source} {}", path.display()), pem))
}

#[cfg(test)]
mod tests;
