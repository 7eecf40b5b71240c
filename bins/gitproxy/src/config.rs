//! Resolves flags, environment and the TOML file into one validated [`Config`] ("high args").
//!
//! Precedence: flags > environment > file > default. Every error names the setting and where its
//! value came from, e.g. `GITPROXY_CUSTOM_CA_CERT (environment): ...`. Secrets come from a value or
//! a file (`*_FILE`, for Kubernetes Secret mounts) and are held in [`Secret`] or the remediation
//! crate's [`Token`], which never print.
//! The names of every setting come from [`crate::settings`].

mod egress;
mod file;
mod secrets;
mod sources;
mod validate;

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use gitproxy_egress::{ProxyConfig, Server, TrustConfig};
use gitproxy_remediation::ci::{CiCredential, CiKind, CiServers};
use gitproxy_remediation::policy::{
    validate_branch_prefix, validate_project_key, Connection, LocalConnection, Token,
};
use gitproxy_remediation::registry::RegistryUrls;
use gitproxy_remediation::ScanOptions;
use gitproxy_tunnel::protocol::validate_agent_id;
use url::Url;

use crate::cli::GlobalArgs;
use crate::logging::check_filter;
use crate::settings;

pub(crate) use crate::logging::LogFormat;
pub(crate) use secrets::Secret;
pub(crate) use sources::Environment;
pub(crate) use validate::parse_duration;

use sources::Layers;
use validate::{checked, server_url};

/// An invalid configuration: the binary exits with 64 (EX_USAGE) before binding anything.
#[derive(Debug)]
pub(crate) struct ConfigError(pub(crate) String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

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
    /// Locally configured Bitbucket settings (they win over the cloud's).
    pub(crate) bitbucket: LocalConnection,
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
    /// Where synced advisory data is persisted (none: memory only).
    pub(crate) advisory_store: Option<PathBuf>,
    /// Age past which advisory data is reported stale.
    pub(crate) max_advisory_age: Duration,
    /// Most memory the advisory data may take while a sync is applied, in bytes.
    pub(crate) max_advisory_memory: u64,
    /// The local OSV mirror polled for advisory data (none by default), through the egress rules.
    pub(crate) osv_mirror: Option<Url>,
    /// Time between two polls of the OSV mirror.
    pub(crate) osv_mirror_interval: Duration,
    /// Package registries the agent may ask (none by default), reached through the egress rules.
    pub(crate) registries: RegistryUrls,
    /// CI servers whose job logs the agent may read, with their credentials (none by default).
    pub(crate) ci_servers: CiServers,
}

impl Config {
    /// Resolves and validates every setting, in the order of the fields (the first error wins).
    pub(crate) fn resolve(
        flags: &GlobalArgs,
        environment: &Environment,
    ) -> Result<Config, ConfigError> {
        let layers = Layers::new(flags, &environment.vars)?;
        Ok(Config {
            cloud_url: layers.parse_or_default(&settings::CLOUD_URL, server_url(Server::Cloud))?,
            access_key: secrets::resolve(&layers, &settings::ACCESS_KEY, Secret::new)?,
            agent_id: match layers.parse(&settings::AGENT_ID, checked(validate_agent_id))? {
                Some(id) => id,
                None => sources::default_agent_id(&environment.vars)?,
            },
            connections: layers.parse_or_default(&settings::CONNECTIONS, validate::connections)?,
            scan: (layers.parse(&settings::MAX_FILE_BYTES, validate::scan_options)?)
                .unwrap_or_default(),
            proxy: egress::resolve_proxy(&layers)?,
            trust: egress::resolve_trust(&layers)?,
            bitbucket: LocalConnection {
                url: layers.parse(&settings::BITBUCKET_URL, server_url(Server::Bitbucket))?,
                username: layers
                    .parse(&settings::BITBUCKET_USERNAME, |v| Ok(v.trim().to_owned()))?,
                token: secrets::resolve(&layers, &settings::BITBUCKET_TOKEN, Token::new)?,
                project: layers
                    .parse(&settings::BITBUCKET_PROJECT, checked(validate_project_key))?,
            },
            branch_prefix: layers
                .parse_or_default(&settings::BRANCH_PREFIX, checked(validate_branch_prefix))?,
            listen: layers.parse_or_default(&settings::LISTEN, validate::listen)?,
            log_format: match layers.parse(&settings::LOG_FORMAT, str::parse)? {
                Some(format) => format,
                None if environment.stdout_is_terminal => LogFormat::Text,
                None => LogFormat::Json,
            },
            log_level: layers.parse_or_default(&settings::LOG_LEVEL, check_filter)?,
            shutdown_grace: layers.parse_or_default(&settings::SHUTDOWN_GRACE, |v| {
                match parse_duration(v)? {
                    grace if grace > Duration::from_secs(3600) => {
                        Err("the grace period must be at most 1h".to_owned())
                    }
                    grace => Ok(grace),
                }
            })?,
            osv_dir: layers.existing_dir(
                &settings::OSV_DIR,
                "point it at the OSV data (<ECOSYSTEM>/all.zip)",
            )?,
            advisory_store: layers
                .pick_path(&settings::ADVISORY_STORE)
                .map(|(path, _)| path),
            max_advisory_age: match layers.parse(&settings::MAX_ADVISORY_AGE, parse_age)? {
                Some(age) if age.is_zero() => {
                    return Err(ConfigError(format!(
                        "{}: must be more than 0; write it like 7d or 36h",
                        settings::MAX_ADVISORY_AGE.names()
                    )))
                }
                Some(age) => age,
                None => Duration::from_secs(7 * 86_400),
            },
            max_advisory_memory: match layers
                .parse(&settings::MAX_ADVISORY_MEMORY, validate::advisory_memory)?
            {
                Some(bytes) => bytes,
                // A scan of the largest repositories measured takes about 140 MiB besides the
                // advisory data (docs/benchmarks.md): 40 % leaves it room under the limit.
                None => environment
                    .memory_limit
                    .map_or(128 << 20, |limit| limit / 5 * 2),
            },
            osv_mirror: layers.parse(&settings::OSV_MIRROR, validate::mirror_url)?,
            osv_mirror_interval: match layers
                .parse(&settings::OSV_MIRROR_INTERVAL, parse_duration)?
            {
                Some(every) if every < Duration::from_secs(60) => {
                    return Err(ConfigError(format!(
                        "{}: must be at least 1m; write it like 15m or 1h",
                        settings::OSV_MIRROR_INTERVAL.names()
                    )))
                }
                Some(every) => every,
                None => Duration::from_secs(3600),
            },
            registries: (layers.parse(&settings::REGISTRIES, validate::registries)?)
                .unwrap_or_default(),
            ci_servers: ci_servers(&layers)?,
        })
    }

    /// The complete local connection, or an error naming every missing setting.
    pub(crate) fn connection(&self) -> Result<Connection, ConfigError> {
        let local = &self.bitbucket;
        match (&local.url, &local.username, &local.token, &local.project) {
            (Some(url), Some(username), Some(token), Some(project)) => Ok(Connection {
                url: url.clone(),
                username: username.clone(),
                token: token.clone(),
                project: project.clone(),
            }),
            _ => {
                let missing: Vec<String> = [
                    (local.url.is_none(), &settings::BITBUCKET_URL),
                    (local.username.is_none(), &settings::BITBUCKET_USERNAME),
                    (local.token.is_none(), &settings::BITBUCKET_TOKEN),
                    (local.project.is_none(), &settings::BITBUCKET_PROJECT),
                ]
                .into_iter()
                .filter(|(missing, _)| *missing)
                .map(|(_, setting)| setting.names())
                .collect();
                let set = missing.join(", ");
                Err(ConfigError(format!(
                    "bitbucket connection not configured: set {set}"
                )))
            }
        }
    }
}

/// A data age: days (`7d`) or any duration (`36h`, `90m`).
fn parse_age(text: &str) -> Result<Duration, String> {
    match text.trim().strip_suffix('d') {
        Some(days) => days
            .parse::<u64>()
            .map(|d| Duration::from_secs(d * 86_400))
            .map_err(|_| format!("`{text}` is not an age; write it like 7d or 36h")),
        None => parse_duration(text),
    }
}

/// The CI servers and the credentials given for them; a Jenkins token needs its user.
fn ci_servers(layers: &Layers<'_>) -> Result<CiServers, ConfigError> {
    let mut servers =
        (layers.parse(&settings::CI_SERVERS, validate::ci_servers)?).unwrap_or_default();
    let user = layers.parse(&settings::JENKINS_USERNAME, |v| Ok(v.trim().to_owned()))?;
    if let Some(token) = secrets::resolve(layers, &settings::JENKINS_TOKEN, Token::new)? {
        let user = user.ok_or_else(|| {
            ConfigError(format!(
                "{}: the Jenkins API token needs its user; set {}",
                settings::JENKINS_TOKEN.names(),
                settings::JENKINS_USERNAME.names()
            ))
        })?;
        servers = servers.with_credential(CiKind::Jenkins, CiCredential::Basic { user, token });
    }
    if let Some(token) = secrets::resolve(layers, &settings::BAMBOO_TOKEN, Token::new)? {
        servers = servers.with_credential(CiKind::Bamboo, CiCredential::Bearer(token));
    }
    Ok(servers)
}

#[cfg(test)]
mod tests;
