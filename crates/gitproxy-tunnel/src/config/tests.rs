//! Unit tests of configuration validation and secret redaction.

use std::sync::Arc;
use std::time::Duration;

use super::*;

struct NoNetwork;

#[async_trait::async_trait]
impl Connector for NoNetwork {
    async fn connect(&self, _uri: &http::Uri) -> std::io::Result<crate::dial::BoxIo> {
        Err(std::io::Error::other("unit tests do not dial"))
    }
}

fn connector() -> Arc<dyn Connector> {
    Arc::new(NoNetwork)
}

const SECRET: &str = "super-secret-access-key-123456";

fn builder(url: &str) -> AgentConfigBuilder {
    AgentConfig::builder(
        url,
        AccessKey::new(SECRET).expect("key"),
        "agent-1",
        connector(),
    )
}

#[test]
fn defaults_are_the_protocol_defaults() {
    let c = builder("https://cloud.example").build().expect("valid");
    assert_eq!(c.connections, 2);
    assert_eq!(c.max_concurrent_ops, 64);
    assert_eq!(c.ping_interval, Duration::from_secs(20));
    assert_eq!(c.port, 443);
    assert_eq!(c.fatal_retry, Duration::from_secs(300));
    assert_eq!(c.body_limit("echo"), 1 << 20);
}

#[test]
fn invalid_values_are_refused_with_a_clear_message() {
    let cases = [
        builder("http://cloud.example").build(),
        builder("not a url").build(),
        builder("https://cloud.example").connections(0).build(),
        builder("https://cloud.example")
            .max_concurrent_ops(0)
            .build(),
        builder("https://cloud.example")
            .ping(Duration::ZERO, Duration::from_secs(1))
            .build(),
        builder("https://cloud.example")
            .body_limit("Bad Name", 10)
            .build(),
        AgentConfig::builder(
            "https://c.example",
            AccessKey::new(SECRET).expect("key"),
            "bad id",
            connector(),
        )
        .build(),
    ];
    for case in cases {
        let err = case.expect_err("refused");
        assert!(matches!(err, Error::Config(_)), "{err}");
        assert!(!err.to_string().contains(SECRET));
    }
    assert!(AccessKey::new("short").is_err());
    assert!(AccessKey::new("has a space in the middle!").is_err());
}

#[test]
fn the_access_key_never_shows() {
    let c = builder("https://cloud.example")
        .body_limit("echo", 10)
        .build()
        .expect("valid");
    assert_eq!(c.body_limit("echo"), 10);
    for text in [
        format!("{c:?}"),
        format!("{:?}", c.access_key),
        format!("{}", c.access_key),
    ] {
        assert!(!text.contains(SECRET), "{text}");
    }
    assert!(c.access_key.ct_eq(SECRET));
    assert!(!c.access_key.ct_eq("super-secret-access-key-12345"));
}

#[test]
fn hub_config_validates() {
    let tls = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_cert_resolver(Arc::new(rustls::server::ResolvesServerCertUsingSni::new()));
    let tls = Arc::new(tls);
    assert!(HubConfig::builder(tls.clone()).build().is_ok());
    assert!(HubConfig::builder(tls.clone())
        .poll_wait(Duration::ZERO)
        .build()
        .is_err());
    assert!(HubConfig::builder(tls).max_failover(17).build().is_err());
}
