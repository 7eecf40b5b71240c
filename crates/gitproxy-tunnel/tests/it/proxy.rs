//! Through a real corporate proxy: tinyproxy tunnels the agent's TLS with CONNECT, and the agent trusts
//! the cloud's certificate only because it was given the internal CA that signed it.

use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use gitproxy_egress::ProxyConfig;
use gitproxy_tunnel::ops::Echo;
use gitproxy_tunnel::{AccessKey, Agent, AgentConfig, Router};

use crate::support::{fast_backoff, start_hub, url, wait_state, Pki, KEY, TENANT, WAIT};

/// A tinyproxy process on a free loopback port, killed on drop.
pub(crate) struct Tinyproxy {
    child: Child,
    pub(crate) addr: SocketAddr,
    dir: tempfile::TempDir,
}

impl Tinyproxy {
    pub(crate) fn start() -> Tinyproxy {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = TcpListener::bind("127.0.0.1:0")
            .expect("free port")
            .local_addr()
            .expect("addr")
            .port();
        let log = dir.path().join("tinyproxy.log");
        let config = dir.path().join("tinyproxy.conf");
        std::fs::write(
            &config,
            format!(
                "Port {port}\nListen 127.0.0.1\nTimeout 60\nMaxClients 100\nLogFile \"{}\"\nLogLevel Info\nDisableViaHeader Yes\n",
                log.display()
            ),
        )
        .expect("config");
        let child = Command::new("tinyproxy")
            .arg("-d")
            .arg("-c")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tinyproxy is installed (cargo xtask test installs it)");
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = std::time::Instant::now() + WAIT;
        while std::net::TcpStream::connect(addr).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "tinyproxy did not start listening"
            );
            std::thread::yield_now();
        }
        Tinyproxy { child, addr, dir }
    }

    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("tinyproxy.log")).unwrap_or_default()
    }
}

impl Drop for Tinyproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The egress rules of a cluster behind a proxy: everything via tinyproxy (loopback included, since the
/// test's cloud runs on loopback).
fn via(proxy: &Tinyproxy) -> ProxyConfig {
    ProxyConfig::builder()
        .proxy(format!("http://{}", proxy.addr))
        .bypass_loopback(false)
        .build()
        .expect("proxy config")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tunnel_works_through_tinyproxy_with_an_internal_ca() {
    let internal_ca = Pki::new("corp internal ca");
    let hub = start_hub(&internal_ca).await;
    let proxy = Tinyproxy::start();
    let config = AgentConfig::builder(
        &url(hub.local_addr()),
        AccessKey::new(KEY).expect("key"),
        "behind-proxy",
        internal_ca.connector(via(&proxy)),
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
    let log = proxy.log();
    let target = format!("CONNECT {}", hub.local_addr());
    assert!(
        log.contains(&target),
        "tinyproxy carried the tunnel:\n{log}"
    );
    agent.shutdown().await;

    // Without the internal CA the cloud's certificate is refused: a TLS error that names the fix.
    let untrusted = Pki::new("some other ca");
    let config = AgentConfig::builder(
        &url(hub.local_addr()),
        AccessKey::new(KEY).expect("key"),
        "no-ca",
        untrusted.connector(via(&proxy)),
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
