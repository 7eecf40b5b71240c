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
use gitproxy_remediation::policy::{validate_branch_prefix, validate_project_key};
use gitproxy_remediation::registry::RegistryUrls;
use gitproxy_remediation::ScanOptions;
use gitproxy_tunnel::protocol::validate_agent_id;
use url::Url;

use crate::cli::GlobalArgs;
use crate::settings;

pub(crate) use secrets::Secret;
pub(crate) use sources::{Environment, Source};
pub(crate) use validate::parse_duration;

use sources::{err, Layers};
use validate::parse_url;

/// An invalid configuration: the binary exits with 64 (EX_USAGE) before binding anything.
#[derive(Debug)]
pub(crate) struct ConfigError(pub(crate) String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

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
    /// Resolves and validates every setting, in the order of the fields (the first error wins).
    pub(crate) fn resolve(
        flags: &GlobalArgs,
        environment: &Environment,
    ) -> Result<Config, ConfigError> {
        let layers = Layers::new(flags, &environment.vars)?;
        let cloud_url = layers.parse_or_default(&settings::CLOUD_URL, |v| {
            let url = parse_url(v, "use the cloud endpoint, e.g. https://app.backline.ai")?;
            match url.scheme() {
                "https" => Ok(url),
                _ => Err("the cloud endpoint must use https".to_owned()),
            }
        })?;
        let access_key = secrets::resolve(&layers, &settings::ACCESS_KEY)?;
        let agent_id = match layers.parse(&settings::AGENT_ID, |v| {
            validate_agent_id(v.trim()).map(|()| v.trim().to_owned())
        })? {
            Some(id) => id,
            None => {
                let id = sources::default_agent_id(&environment.vars);
                validate_agent_id(&id).map_err(|e| {
                    let set = settings::AGENT_ID.names();
                    err(
                        &Source::Default,
                        format!("host name as agent id: {e}; set {set}"),
                    )
                })?;
                id
            }
        };
        let connections =
            layers.parse_or_default(&settings::CONNECTIONS, |v| match v.trim().parse::<u32>() {
                Ok(n) if (1..=16).contains(&n) => Ok(n),
                _ => Err(format!("`{v}` is not a number of connections from 1 to 16")),
            })?;
        let mut scan = ScanOptions::default();
        if let Some(n) = layers.parse(&settings::MAX_FILE_BYTES, |v| {
            match v.trim().parse::<u64>() {
                Ok(n) if n >= 1024 => Ok(n),
                _ => Err(format!("`{v}` is not a file size in bytes of at least 1024; use e.g. 67108864 for 64 MiB")),
            }
        })? {
            scan.max_file_bytes = n;
        }
        Ok(Config {
            cloud_url,
            access_key,
            agent_id,
            connections,
            scan,
            proxy: egress::resolve_proxy(&layers)?,
            trust: egress::resolve_trust(&layers)?,
            bitbucket: LocalBitbucket {
                url: layers.parse(&settings::BITBUCKET_URL, |v| {
                    parse_url(v, "use the base URL of Bitbucket Data Center, e.g. https://bitbucket.company.com")
                })?,
                username: layers.parse(&settings::BITBUCKET_USERNAME, |v| Ok(v.trim().to_owned()))?,
                token: secrets::resolve(&layers, &settings::BITBUCKET_TOKEN)?,
                project: layers.parse(&settings::BITBUCKET_PROJECT, |v| {
                    validate_project_key(v.trim()).map(|()| v.trim().to_owned())
                })?,
            },
            branch_prefix: layers.parse_or_default(&settings::BRANCH_PREFIX, |v| {
                validate_branch_prefix(v.trim()).map(|()| v.trim().to_owned())
            })?,
            listen: layers.parse_or_default(&settings::LISTEN, |v| {
                v.trim().parse::<SocketAddr>().map_err(|e| {
                    format!("`{v}` is not an address ({e}); write it like 0.0.0.0:8080")
                })
            })?,
            log_format: layers
                .parse(&settings::LOG_FORMAT, |v| match v.trim() {
                    "json" => Ok(LogFormat::Json),
                    "text" => Ok(LogFormat::Text),
                    other => Err(format!("`{other}` is not a log format; use json or text")),
                })?
                .unwrap_or(match environment.stdout_is_terminal {
                    true => LogFormat::Text,
                    false => LogFormat::Json,
                }),
            log_level: layers.parse_or_default(&settings::LOG_LEVEL, |v| {
                let level = v.trim();
                match tracing_subscriber::EnvFilter::try_new(level) {
                    Ok(_) => Ok(level.to_owned()),
                    Err(e) => Err(format!("`{level}` is not a log filter ({e}); use e.g. info or gitproxy=debug")),
                }
            })?,
            shutdown_grace: layers.parse_or_default(&settings::SHUTDOWN_GRACE, |v| {
                match parse_duration(v)? {
                    grace if grace > Duration::from_secs(3600) => {
                        Err("the grace period must be at most 1h".to_owned())
                    }
                    grace => Ok(grace),
                }
            })?,
            osv_dir: match layers.pick_path(&settings::OSV_DIR) {
                Some((path, source)) if !path.is_dir() => {
                    let fix = "point it at the OSV data (<ECOSYSTEM>/all.zip)";
                    return Err(err(&source, format!("{} is not a directory; {fix}", path.display())));
                }
                picked => picked.map(|(path, _)| path),
            },
            registries: layers
                .parse(&settings::REGISTRIES, |v| v.parse::<RegistryUrls>().map_err(|e| e.to_string()))?
                .unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests;
