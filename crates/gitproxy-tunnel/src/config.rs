//! Validated configuration of the agent side and of the hub side, with the protocol's defaults.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use url::Url;

use crate::backoff::Backoff;
use crate::dial::Connector;
use crate::error::Error;
use crate::protocol::{validate_agent_id, validate_op_name};
use crate::secret::AccessKey;

/// The agent's tunnel configuration; build it with [`AgentConfig::builder`], which validates every value.
#[derive(Clone)]
pub struct AgentConfig {
    pub(crate) url: Url,
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) access_key: AccessKey,
    pub(crate) agent_id: String,
    pub(crate) version: String,
    pub(crate) connector: Arc<dyn Connector>,
    pub(crate) connections: u32,
    pub(crate) max_concurrent_ops: u32,
    pub(crate) ping_interval: Duration,
    pub(crate) ping_timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) backoff: Backoff,
    pub(crate) fatal_retry: Duration,
    pub(crate) upgrade_retry: Duration,
    pub(crate) shutdown_deadline: Duration,
    pub(crate) op_timeout: Duration,
    pub(crate) default_body_limit: u64,
    pub(crate) body_limits: HashMap<String, u64>,
    pub(crate) idempotency_ttl: Duration,
    pub(crate) idempotency_capacity: usize,
}

impl fmt::Debug for AgentConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgentConfig")
            .field("url", &self.url.as_str())
            .field("access_key", &self.access_key)
            .field("agent_id", &self.agent_id)
            .field("version", &self.version)
            .field("connections", &self.connections)
            .field("max_concurrent_ops", &self.max_concurrent_ops)
            .field("ping_interval", &self.ping_interval)
            .field("backoff", &self.backoff)
            .field("fatal_retry", &self.fatal_retry)
            .field("shutdown_deadline", &self.shutdown_deadline)
            .field("default_body_limit", &self.default_body_limit)
            .finish_non_exhaustive()
    }
}

impl AgentConfig {
    /// Starts a configuration for the cloud at `url` (`https://host[:port]`), with the access key, this
    /// replica's id and the connector that opens TLS streams to the cloud (the egress layer's, which picks
    /// the proxy and trusts the platform roots plus `customCaCert`).
    pub fn builder(
        url: &str,
        access_key: AccessKey,
        agent_id: &str,
        connector: Arc<dyn Connector>,
    ) -> AgentConfigBuilder {
        AgentConfigBuilder {
            url: url.to_owned(),
            access_key,
            agent_id: agent_id.to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            connector,
            connections: 2,
            max_concurrent_ops: 64,
            ping_interval: Duration::from_secs(20),
            ping_timeout: Duration::from_secs(20),
            connect_timeout: Duration::from_secs(15),
            backoff: Backoff::protocol_default(),
            fatal_retry: Duration::from_secs(300),
            upgrade_retry: Duration::from_secs(600),
            shutdown_deadline: Duration::from_secs(30),
            op_timeout: Duration::from_secs(600),
            default_body_limit: 1 << 20,
            body_limits: HashMap::new(),
            idempotency_ttl: Duration::from_secs(600),
            idempotency_capacity: 4096,
        }
    }

    /// The cloud URL.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// This replica's id.
    pub fn agent_id(&self) -> &str {
        &self.agent_id
    }

    /// The request body limit of operation `name`.
    pub fn body_limit(&self, name: &str) -> u64 {
        self.body_limits
            .get(name)
            .copied()
            .unwrap_or(self.default_body_limit)
    }
}

/// Builder of [`AgentConfig`]; [`AgentConfigBuilder::build`] validates.
pub struct AgentConfigBuilder {
    url: String,
    access_key: AccessKey,
    agent_id: String,
    version: String,
    connector: Arc<dyn Connector>,
    connections: u32,
    max_concurrent_ops: u32,
    ping_interval: Duration,
    ping_timeout: Duration,
    connect_timeout: Duration,
    backoff: Backoff,
    fatal_retry: Duration,
    upgrade_retry: Duration,
    shutdown_deadline: Duration,
    op_timeout: Duration,
    default_body_limit: u64,
    body_limits: HashMap<String, u64>,
    idempotency_ttl: Duration,
    idempotency_capacity: usize,
}

impl fmt::Debug for AgentConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgentConfigBuilder")
            .field("url", &self.url)
            .field("access_key", &self.access_key)
            .field("agent_id", &self.agent_id)
            .finish_non_exhaustive()
    }
}

impl AgentConfigBuilder {
    /// The agent's version string (default: this crate's version).
    pub fn version(mut self, version: &str) -> Self {
        version.clone_into(&mut self.version);
        self
    }
    /// Parallel tunnels of this replica, 1 to 16 (default 2).
    pub fn connections(mut self, n: u32) -> Self {
        self.connections = n;
        self
    }
    /// Concurrent operations per connection, 1 to 10,000 (default 64).
    pub fn max_concurrent_ops(mut self, n: u32) -> Self {
        self.max_concurrent_ops = n;
        self
    }
    /// HTTP/2 PING interval and timeout (default 20 s each).
    pub fn ping(mut self, interval: Duration, timeout: Duration) -> Self {
        self.ping_interval = interval;
        self.ping_timeout = timeout;
        self
    }
    /// Connect + TLS + upgrade timeout (default 15 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }
    /// Reconnect backoff (default 1 s to 60 s, reset after 60 s).
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }
    /// Pause after a fatal error such as a wrong access key (default 5 min).
    pub fn fatal_retry(mut self, pause: Duration) -> Self {
        self.fatal_retry = pause;
        self
    }
    /// How long to stay on long-poll before trying the upgrade again (default 10 min).
    pub fn upgrade_retry(mut self, pause: Duration) -> Self {
        self.upgrade_retry = pause;
        self
    }
    /// How long graceful shutdown waits for in-flight operations (default 30 s).
    pub fn shutdown_deadline(mut self, deadline: Duration) -> Self {
        self.shutdown_deadline = deadline;
        self
    }
    /// Upper bound of one operation (default 10 min).
    pub fn op_timeout(mut self, timeout: Duration) -> Self {
        self.op_timeout = timeout;
        self
    }
    /// Request body limit of operations without their own limit (default 1 MiB).
    pub fn default_body_limit(mut self, bytes: u64) -> Self {
        self.default_body_limit = bytes;
        self
    }
    /// Request body limit of operation `name`.
    pub fn body_limit(mut self, name: &str, bytes: u64) -> Self {
        self.body_limits.insert(name.to_owned(), bytes);
        self
    }
    /// Idempotency window and capacity (default 10 min, 4,096 keys).
    pub fn idempotency(mut self, ttl: Duration, capacity: usize) -> Self {
        self.idempotency_ttl = ttl;
        self.idempotency_capacity = capacity;
        self
    }

    /// Validates every value and builds the configuration.
    pub fn build(self) -> Result<AgentConfig, Error> {
        let url = Url::parse(&self.url).map_err(|e| {
            Error::Config(format!(
                "cloud url {:?} is not a url ({e}); use https://<host>[:port]",
                self.url
            ))
        })?;
        if url.scheme() != "https" {
            return Err(Error::Config(format!(
                "cloud url {url} must use https; the access key never travels in clear text"
            )));
        }
        let host = url
            .host_str()
            .ok_or_else(|| Error::Config(format!("cloud url {url} has no host")))?
            .to_owned();
        let port = url.port_or_known_default().unwrap_or(443);
        validate_agent_id(&self.agent_id).map_err(Error::Config)?;
        if self.version.is_empty() || self.version.len() > 64 {
            return Err(Error::Config(
                "agent version must be 1 to 64 characters".into(),
            ));
        }
        range("connections", self.connections.into(), 1, 16)?;
        range(
            "max_concurrent_ops",
            self.max_concurrent_ops.into(),
            1,
            10_000,
        )?;
        positive("ping interval", self.ping_interval)?;
        positive("ping timeout", self.ping_timeout)?;
        positive("connect timeout", self.connect_timeout)?;
        positive("fatal retry", self.fatal_retry)?;
        positive("upgrade retry", self.upgrade_retry)?;
        positive("op timeout", self.op_timeout)?;
        positive("idempotency window", self.idempotency_ttl)?;
        range("default body limit", self.default_body_limit, 1, u64::MAX)?;
        range(
            "idempotency capacity",
            self.idempotency_capacity as u64,
            1,
            1 << 20,
        )?;
        for (name, limit) in &self.body_limits {
            validate_op_name(name).map_err(Error::Config)?;
            range("body limit", *limit, 1, u64::MAX)?;
        }
        Ok(AgentConfig {
            url,
            host,
            port,
            access_key: self.access_key,
            agent_id: self.agent_id,
            version: self.version,
            connector: self.connector,
            connections: self.connections,
            max_concurrent_ops: self.max_concurrent_ops,
            ping_interval: self.ping_interval,
            ping_timeout: self.ping_timeout,
            connect_timeout: self.connect_timeout,
            backoff: self.backoff,
            fatal_retry: self.fatal_retry,
            upgrade_retry: self.upgrade_retry,
            shutdown_deadline: self.shutdown_deadline,
            op_timeout: self.op_timeout,
            default_body_limit: self.default_body_limit,
            body_limits: self.body_limits,
            idempotency_ttl: self.idempotency_ttl,
            idempotency_capacity: self.idempotency_capacity,
        })
    }
}

fn range(what: &str, value: u64, min: u64, max: u64) -> Result<(), Error> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(Error::Config(format!(
            "{what} must be between {min} and {max} (got {value})"
        )))
    }
}

fn positive(what: &str, value: Duration) -> Result<(), Error> {
    if value.is_zero() {
        Err(Error::Config(format!("{what} must be positive")))
    } else {
        Ok(())
    }
}

/// The hub's configuration; build it with [`HubConfig::builder`].
#[derive(Clone)]
pub struct HubConfig {
    pub(crate) tls: Arc<rustls::ServerConfig>,
    pub(crate) ping_interval: Duration,
    pub(crate) ping_timeout: Duration,
    pub(crate) poll_wait: Duration,
    pub(crate) call_timeout: Duration,
    pub(crate) max_failover: u32,
}

impl fmt::Debug for HubConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HubConfig")
            .field("ping_interval", &self.ping_interval)
            .field("ping_timeout", &self.ping_timeout)
            .field("poll_wait", &self.poll_wait)
            .field("call_timeout", &self.call_timeout)
            .field("max_failover", &self.max_failover)
            .finish_non_exhaustive()
    }
}

impl HubConfig {
    /// Starts a configuration with the hub's TLS identity.
    pub fn builder(tls: Arc<rustls::ServerConfig>) -> HubConfigBuilder {
        HubConfigBuilder {
            config: HubConfig {
                tls,
                ping_interval: Duration::from_secs(20),
                ping_timeout: Duration::from_secs(20),
                poll_wait: Duration::from_secs(25),
                call_timeout: Duration::from_secs(600),
                max_failover: 3,
            },
        }
    }

    pub(crate) fn tls_with_alpn(&self) -> Arc<rustls::ServerConfig> {
        let mut tls = (*self.tls).clone();
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        Arc::new(tls)
    }
}

/// Builder of [`HubConfig`]; [`HubConfigBuilder::build`] validates.
#[derive(Debug)]
pub struct HubConfigBuilder {
    config: HubConfig,
}

impl HubConfigBuilder {
    /// HTTP/2 PING and latency probe interval, and PING timeout (default 20 s each).
    pub fn ping(mut self, interval: Duration, timeout: Duration) -> Self {
        self.config.ping_interval = interval;
        self.config.ping_timeout = timeout;
        self
    }
    /// How long a long-poll is held (default 25 s).
    pub fn poll_wait(mut self, wait: Duration) -> Self {
        self.config.poll_wait = wait;
        self
    }
    /// Default timeout of a call until its response headers (default 10 min).
    pub fn call_timeout(mut self, timeout: Duration) -> Self {
        self.config.call_timeout = timeout;
        self
    }
    /// How many other connections a call tries when its connection drops (default 3).
    pub fn max_failover(mut self, n: u32) -> Self {
        self.config.max_failover = n;
        self
    }
    /// Validates and builds.
    pub fn build(self) -> Result<HubConfig, Error> {
        positive("ping interval", self.config.ping_interval)?;
        positive("ping timeout", self.config.ping_timeout)?;
        positive("poll wait", self.config.poll_wait)?;
        positive("call timeout", self.config.call_timeout)?;
        range("max failover", self.config.max_failover.into(), 0, 16)?;
        Ok(self.config)
    }
}

#[cfg(test)]
mod tests;
