//! Shared test parts: an rcgen PKI, a hub with a key table, agent configurations and waiting helpers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use gitproxy_egress::{CaSource, EgressConnector, ProxyConfig, TrustConfig};
use gitproxy_tunnel::{
    AccessKey, Agent, AgentConfig, AgentConfigBuilder, AgentState, Backoff, Connector, Hub,
    HubConfig, KeyTable, OpHandler,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::sync::watch;

pub(crate) const TENANT: &str = "acme";
pub(crate) const KEY: &str = "test-access-key-0123456789abcdef";
pub(crate) const WAIT: Duration = Duration::from_secs(20);

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A certificate authority minted for one test, issuing server certificates for loopback names.
pub(crate) struct Pki {
    ca: rcgen::Certificate,
    ca_key: rcgen::KeyPair,
}

impl Pki {
    pub(crate) fn new(name: &str) -> Pki {
        let ca_key = rcgen::KeyPair::generate().expect("ca key");
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("ca params");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
        ];
        let ca = params.self_signed(&ca_key).expect("ca cert");
        Pki { ca, ca_key }
    }

    /// A TLS server identity for `127.0.0.1` and `localhost`, signed by this CA.
    pub(crate) fn server_config(&self) -> Arc<rustls::ServerConfig> {
        let key = rcgen::KeyPair::generate().expect("leaf key");
        let params =
            rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
                .expect("leaf params");
        let cert = params
            .signed_by(&key, &self.ca, &self.ca_key)
            .expect("leaf cert");
        let config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .expect("tls versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            )
            .expect("server config");
        Arc::new(config)
    }

    /// The egress connector an agent would build with this CA as `customCaCert` (and no platform roots),
    /// going direct or through `proxy`.
    pub(crate) fn connector(&self, proxy: ProxyConfig) -> Arc<dyn Connector> {
        let trust = TrustConfig::builder()
            .without_platform_roots()
            .add_ca(CaSource::pem("test ca", self.ca.pem()))
            .build()
            .expect("trust");
        Arc::new(
            EgressConnector::builder(proxy, trust)
                .build()
                .expect("connector"),
        )
    }

    /// A TLS client trusting only this CA.
    pub(crate) fn client_config(&self) -> Arc<rustls::ClientConfig> {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from(self.ca.der().to_vec()))
            .expect("add ca");
        Arc::new(
            rustls::ClientConfig::builder_with_provider(provider())
                .with_safe_default_protocol_versions()
                .expect("tls versions")
                .with_root_certificates(roots)
                .with_no_client_auth(),
        )
    }
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
    HubConfig::builder(pki.server_config())
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
        pki.connector(ProxyConfig::direct()),
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
