//! Resolves flags, environment and the TOML file into one validated [`Config`] ("high args").
//!
//! Precedence: flags > environment > file > default. Every error names the setting and where its
//! value came from, e.g. `GITPROXY_CUSTOM_CA_CERT (environment): ...`. Secrets come from a value or
//! a file (`*_FILE`, for Kubernetes Secret mounts) and are held in [`Secret`], which never prints.
//! The names of every setting come from [`crate::settings`].

mod egress;
mod secrets;
mod sources;
mod validate;

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use gitproxy_egress::{ProxyConfig, TrustConfig};
use gitproxy_remediation::registry::RegistryUrls;
use gitproxy_remediation::ScanOptions;
use url::Url;

use crate::cli::GlobalArgs;
use crate::settings;

pub(crate) use secrets::Secret;
pub(crate) use sources::{Environment, Source};
pub(crate) use validate::{parse_duration, parse_registries};

use sources::{FileRegistries, Layers};
use validate::parse_url;

/// The default cloud endpoint.
pub(crate) const DEFAULT_CLOUD_URL: &str = settings::CLOUD_URL.default;
/// The default prefix of branches the agent may write.
pub(crate) const DEFAULT_BRANCH_PREFIX: &str = settings::BRANCH_PREFIX.default;
/// The default probe and metrics listener.
pub(crate) const DEFAULT_LISTEN: &str = settings::LISTEN.default;

/// An invalid configuration: the binary exits with 64 (EX_USAGE) before binding anything.
#[derive(Debug)]
pub(crate) struct ConfigError(pub(crate) String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// An error naming the value's source.
fn err(source: &Source, message: impl fmt::Display) -> ConfigError {
    ConfigError(format!("{source}: {message}"))
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
            missing.push(settings::BITBUCKET_URL.names());
        }
        if self.username.is_none() {
            missing.push(settings::BITBUCKET_USERNAME.names());
        }
        if self.token.is_none() {
            missing.push(settings::BITBUCKET_TOKEN.names());
        }
        if self.project.is_none() {
            missing.push(settings::BITBUCKET_PROJECT.names());
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
    /// How repositories are read for a scan (the per-file size limit).
    pub(crate) scan: ScanOptions,
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

impl Config {
    /// Resolves and validates every setting.
    pub(crate) fn resolve(
        flags: &GlobalArgs,
        environment: &Environment,
    ) -> Result<Config, ConfigError> {
        let env = &environment.vars;
        let (file, file_path) = sources::load_file(flags, env)?;
        let layers = Layers { env, file_path };

        let cloud_url = match layers.pick(
            &settings::CLOUD_URL,
            flags.cloud_url.as_ref(),
            file.cloud_url.as_ref(),
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
            &settings::ACCESS_KEY,
            flags.access_key_file.as_ref(),
            file.access_key_file.as_ref(),
        )?;

        let agent_id = match layers.pick(
            &settings::AGENT_ID,
            flags.agent_id.as_ref(),
            file.agent_id.as_ref(),
        ) {
            Some(raw) => {
                gitproxy_tunnel::protocol::validate_agent_id(raw.value.trim())
                    .map_err(|e| err(&raw.source, e))?;
                raw.value.trim().to_owned()
            }
            None => {
                let id = sources::default_agent_id(env);
                gitproxy_tunnel::protocol::validate_agent_id(&id).map_err(|e| {
                    err(
                        &Source::Default,
                        format!(
                            "host name as agent id: {e}; set {}",
                            settings::AGENT_ID.names()
                        ),
                    )
                })?;
                id
            }
        };

        let file_connections = file.connections.map(|n| n.to_string());
        let connections = match layers.pick(
            &settings::CONNECTIONS,
            flags.connections.as_ref(),
            file_connections.as_ref(),
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

        let file_max_file_bytes = file.max_file_bytes.map(|n| n.to_string());
        let scan = match layers.pick(
            &settings::MAX_FILE_BYTES,
            flags.max_file_bytes.as_ref(),
            file_max_file_bytes.as_ref(),
        ) {
            Some(raw) => match raw.value.trim().parse::<u64>() {
                Ok(n) if n >= 1024 => {
                    let mut options = ScanOptions::default();
                    options.max_file_bytes = n;
                    options
                },
                _ => {
                    return Err(err(
                        &raw.source,
                        format!(
                            "`{}` is not a file size in bytes of at least 1024; use e.g. 67108864 for 64 MiB",
                            raw.value
                        ),
                    ))
                }
            },
            None => ScanOptions::default(),
        };

        let proxy = egress::resolve_proxy(flags, &layers, &file)?;
        let trust = egress::resolve_trust(flags, &layers, &file)?;

        let bitbucket_url = layers
            .pick(
                &settings::BITBUCKET_URL,
                flags.bitbucket_url.as_ref(),
                file.bitbucket_url.as_ref(),
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
                &settings::BITBUCKET_USERNAME,
                flags.bitbucket_username.as_ref(),
                file.bitbucket_username.as_ref(),
            )
            .map(|raw| raw.value.trim().to_owned());
        let token = layers.secret(
            &settings::BITBUCKET_TOKEN,
            flags.bitbucket_token_file.as_ref(),
            file.bitbucket_token_file.as_ref(),
        )?;
        let project = match layers.pick(
            &settings::BITBUCKET_PROJECT,
            flags.project.as_ref(),
            file.project.as_ref(),
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
            &settings::BRANCH_PREFIX,
            flags.branch_prefix.as_ref(),
            file.branch_prefix.as_ref(),
        ) {
            Some(raw) => {
                let prefix = raw.value.trim().to_owned();
                gitproxy_remediation::policy::validate_branch_prefix(&prefix)
                    .map_err(|e| err(&raw.source, e))?;
                prefix
            }
            None => DEFAULT_BRANCH_PREFIX.to_owned(),
        };

        let listen = match layers.pick(
            &settings::LISTEN,
            flags.listen.as_ref(),
            file.listen.as_ref(),
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
            &settings::LOG_FORMAT,
            flags.log_format.as_ref(),
            file.log_format.as_ref(),
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
            &settings::LOG_LEVEL,
            flags.log_level.as_ref(),
            file.log_level.as_ref(),
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
            &settings::SHUTDOWN_GRACE,
            flags.shutdown_grace.as_ref(),
            file.shutdown_grace.as_ref(),
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

        let osv_dir = layers.pick_path(
            &settings::OSV_DIR,
            flags.osv.as_ref(),
            file.osv_dir.as_ref(),
        );
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
            &settings::REGISTRIES,
            flags.registries.as_ref(),
            file_registries.as_ref(),
        ) {
            Some(raw) => parse_registries(&raw.value).map_err(|e| err(&raw.source, e))?,
            None => RegistryUrls::none(),
        };

        Ok(Config {
            cloud_url,
            access_key,
            agent_id,
            connections,
            scan,
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

#[cfg(test)]
mod tests;
