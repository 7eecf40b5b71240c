//! The cloud side: a tunnel hub with TLS from a CA minted at start, one tenant and its access key,
//! and typed operation calls (the catalogue of `gitproxy_remediation::catalogue`) the way the
//! cloud's Test Connection, scan and fix send them.

use std::net::SocketAddr;
use std::time::Duration;

use gitproxy_remediation::advisories::{AgentSync, OsvExport};
use gitproxy_tunnel::{AccessKey, Hub, HubConfig, KeyTable, Operation};

use crate::{Error, Pki};

const TENANT: &str = "acme";

/// A running hub and the access key its agent uses.
#[derive(Debug)]
pub struct Cloud {
    hub: Hub,
    key: String,
}

impl Cloud {
    /// Binds a hub on `addr` presenting a certificate for `127.0.0.1` signed by `pki`.
    pub async fn start(pki: &Pki, addr: SocketAddr) -> Result<Cloud, Error> {
        let key = format!("e2e-access-key-{:016x}", random_u64());
        let config = HubConfig::builder(pki.server_config(&["127.0.0.1"])?)
            .call_timeout(Duration::from_secs(60))
            .build()?;
        let hub = Hub::bind(
            addr,
            config,
            KeyTable::new().with_key(AccessKey::new(&key)?, TENANT),
        )
        .await?;
        Ok(Cloud { hub, key })
    }

    /// The cloud endpoint the agent dials (`GITPROXY_CLOUD_URL`).
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.hub.local_addr().port())
    }

    /// The hub's address.
    pub fn addr(&self) -> SocketAddr {
        self.hub.local_addr()
    }

    /// The access key the agent presents (`GITPROXY_ACCESS_KEY`).
    pub fn access_key(&self) -> &str {
        &self.key
    }

    /// Waits until an agent of the tenant is connected.
    pub async fn wait_agent(&self, timeout: Duration) -> Result<(), Error> {
        Ok(self.hub.wait_ready(TENANT, 1, timeout).await?)
    }

    /// Waits until `n` connections of the tenant are ready (one per replica with one connection each).
    pub async fn wait_agents(&self, n: usize, timeout: Duration) -> Result<(), Error> {
        Ok(self.hub.wait_ready(TENANT, n, timeout).await?)
    }

    /// The cloud's advisory job: brings every connected replica's data for `ecosystems` up to
    /// date from the OSV directory `export` (a delta since each one's watermark, or a full sync).
    pub async fn sync_advisories(&self, export: &OsvExport, ecosystems: &[&str]) -> Vec<AgentSync> {
        export.sync_agents(&self.hub, TENANT, ecosystems).await
    }

    /// Calls operation `op` (its name, mutating flag and response type come from its type) and
    /// returns the agent's typed answer.
    pub async fn call<O: Operation>(&self, op: &O) -> Result<O::Response, Error> {
        self.hub
            .call(TENANT, op)
            .await
            .map_err(|e| Error::Operation {
                operation: O::NAME.to_owned(),
                message: e.to_string(),
            })
    }
}

/// A random number for the access key (no global state, no extra dependency).
fn random_u64() -> u64 {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(u64::from(std::process::id()));
    hasher.finish()
}
