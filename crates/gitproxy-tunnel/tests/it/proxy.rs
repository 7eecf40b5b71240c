//! Through a real corporate proxy: tinyproxy tunnels the agent's TLS with CONNECT, and the agent trusts
//! the cloud's certificate only because it was given the internal CA that signed it.

use std::time::Duration;

use gitproxy_egress::ProxyConfig;
use gitproxy_test_support::Tinyproxy;
use gitproxy_tunnel::ops::Echo;
use gitproxy_tunnel::{AccessKey, Agent, AgentConfig, Router};

use crate::support::{connector, fast_backoff, start_hub, url, wait_state, Pki, KEY, TENANT, WAIT};

/// The egress rules of a cluster behind a proxy: everything via tinyproxy (loopback included, since the
/// test's cloud runs on loopback).
fn via(proxy: &Tinyproxy) -> ProxyConfig {
    ProxyConfig::builder()
        .proxy(proxy.url())
        .bypass_loopback(false)
        .build()
        .expect("proxy config")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tunnel_works_through_tinyproxy_with_an_internal_ca() {
    let internal_ca = Pki::new("corp internal ca").expect("ca");
    let hub = start_hub(&internal_ca).await;
    let proxy = Tinyproxy::start().expect("tinyproxy starts");
    let config = AgentConfig::builder(
        &url(hub.local_addr()),
        AccessKey::new(KEY).expect("key"),
        "behind-proxy",
        connector(&internal_ca, via(&proxy)),
    )
    .backoff(fast_backoff())
    .build()
    .expect("config");
    let agent = Agent::connect(config, Router::new());
    hub.wait_ready(TENANT, 2, WAIT)
        .await
        .expect("connected through the proxy");
    let echo = hub
        .call(
            TENANT,
            &Echo {
                message: "via proxy".into(),
            },
        )
        .await
        .expect("echo");
    assert_eq!(echo.message, "via proxy");
    let target = format!("CONNECT {}", hub.local_addr());
    proxy
        .wait_for_log(&target)
        .await
        .expect("tinyproxy carried the tunnel");
    agent.shutdown().await;

    // Without the internal CA the cloud's certificate is refused: a TLS error that names the fix.
    let untrusted = Pki::new("some other ca").expect("ca");
    let config = AgentConfig::builder(
        &url(hub.local_addr()),
        AccessKey::new(KEY).expect("key"),
        "no-ca",
        connector(&untrusted, via(&proxy)),
    )
    .backoff(fast_backoff())
    .build()
    .expect("config");
    let agent = Agent::connect(config, Router::new());
    let mut state = agent.state();
    let failed = wait_state(&mut state, "tls failure recorded", |s| {
        s.last_error().is_some()
    })
    .await;
    let error = failed.last_error().expect("error");
    assert!(
        error.contains("tls") && error.contains("customCaCert"),
        "{error}"
    );
    agent.shutdown().await;
    tokio::time::timeout(Duration::from_secs(5), hub.shutdown())
        .await
        .expect("hub stops");
}
