//! Shared test parts: a hub with a key table (TLS from the test-support PKI), agent configurations
//! and waiting helpers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use gitproxy_egress::{CaSource, EgressConnector, ProxyConfig, TrustConfig};
pub(crate) use gitproxy_test_support::Pki;
use gitproxy_tunnel::{
    AccessKey, Agent, AgentConfig, AgentConfigBuilder, AgentState, Backoff, Connector, Hub,
    HubConfig, KeyTable, OpHandler,
};
use tokio::sync::watch;

pub(crate) const TENANT: &str = "acme";
pub(crate) const KEY: &str = "test-access-key-0123456789abcdef";
pub(crate) const WAIT: Duration = Duration::from_secs(20);

/// A TLS server identity for `127.0.0.1` and `localhost`, signed by `pki`.
pub(crate) fn server_tls(pki: &Pki) -> Arc<rustls::ServerConfig> {
    pki.server_config(&["127.0.0.1", "localhost"])
        .expect("server tls")
}

/// The egress connector an agent would build with `pki`'s CA as `customCaCert` (and no platform
/// roots), going direct or through `proxy`.
pub(crate) fn connector(pki: &Pki, proxy: ProxyConfig) -> Arc<dyn Connector> {
    let trust = TrustConfig::builder()
        .without_platform_roots()
        .add_ca(CaSource::pem("test ca", pki.ca_pem()))
        .build()
        .expect("trust");
    Arc::new(
        EgressConnector::builder(proxy, trust)
            .build()
            .expect("connector"),
    )
}

pub(crate) fn key() -> AccessKey {
    AccessKey::new(KEY).expect("valid key")
}

/// A fast backoff for tests: 20 ms to 300 ms.
pub(crate) fn fast_backoff() -> Backoff {
    Backoff::new(
        Duration::from_millis(20),
        Duration::from_millis(300),
        Duration::from_secs(60),
    )
    .expect("backoff")
}

pub(crate) fn hub_config(pki: &Pki) -> HubConfig {
    HubConfig::builder(server_tls(pki))
        .ping(Duration::from_millis(500), Duration::from_secs(10))
        .poll_wait(Duration::from_secs(2))
        .call_timeout(Duration::from_secs(60))
        .build()
        .expect("hub config")
}

/// A hub on a loopback port with the test key for [`TENANT`].
pub(crate) async fn start_hub(pki: &Pki) -> Hub {
    start_hub_at(pki, "127.0.0.1:0".parse().expect("addr")).await
}

pub(crate) async fn start_hub_at(pki: &Pki, addr: SocketAddr) -> Hub {
    Hub::bind(
        addr,
        hub_config(pki),
        KeyTable::new().with_key(key(), TENANT),
    )
    .await
    .expect("hub binds")
}

pub(crate) fn url(addr: SocketAddr) -> String {
    format!("https://127.0.0.1:{}", addr.port())
}

/// An agent configuration toward `addr`, trusting `pki`, with a fast backoff.
pub(crate) fn agent_config(pki: &Pki, addr: SocketAddr, agent_id: &str) -> AgentConfigBuilder {
    AgentConfig::builder(
        &url(addr),
        key(),
        agent_id,
        connector(pki, ProxyConfig::direct()),
    )
    .backoff(fast_backoff())
    .ping(Duration::from_secs(5), Duration::from_secs(10))
}

/// Starts an agent and waits until the hub sees `connections` ready connections for [`TENANT`].
pub(crate) async fn start_agent(
    hub: &Hub,
    config: AgentConfigBuilder,
    handler: impl OpHandler,
    connections: usize,
) -> Agent {
    let agent = Agent::connect(config.build().expect("agent config"), handler);
    hub.wait_ready(TENANT, connections, WAIT)
        .await
        .expect("agent connects");
    agent
}

/// Waits until the agent's state satisfies `pred`.
pub(crate) async fn wait_state(
    rx: &mut watch::Receiver<AgentState>,
    what: &str,
    pred: impl Fn(&AgentState) -> bool,
) -> AgentState {
    let reached = match tokio::time::timeout(WAIT, rx.wait_for(|s| pred(s))).await {
        Ok(Ok(state)) => Some(state.clone()),
        _ => None,
    };
    reached.unwrap_or_else(|| {
        panic!(
            "agent state never reached: {what}; last: {:?}",
            *rx.borrow()
        )
    })
}
