//! Unit tests of the connector: settings validation, target parsing, and the CONNECT exchange.

use std::time::Duration;

use hyper_util::client::legacy::connect::Connection;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::{Alpn, EgressConnector, Target, Timeouts};
use crate::{CaSource, Error, ProxyConfig, TrustConfig};

fn trust() -> TrustConfig {
    let pem = gitproxy_test_support::Pki::new("test").unwrap().ca_pem();
    TrustConfig::builder()
        .without_platform_roots()
        .add_ca(CaSource::pem("test", pem))
        .build()
        .unwrap()
}

#[test]
fn timeouts_are_validated() {
    let ok = Duration::from_secs(5);
    assert!(Timeouts::new(ok, ok, ok).is_ok());
    for (connect, proxy_connect, handshake, setting) in [
        (Duration::ZERO, ok, ok, "timeouts.connect"),
        (ok, Duration::ZERO, ok, "timeouts.proxy_connect"),
        (ok, ok, Duration::from_secs(601), "timeouts.handshake"),
    ] {
        match Timeouts::new(connect, proxy_connect, handshake) {
            Err(Error::InvalidSetting { setting: got, .. }) => assert_eq!(got, setting),
            other => panic!("expected an invalid setting, got {other:?}"),
        }
    }
    assert_eq!(Timeouts::default().connect(), Duration::from_secs(10));
}

#[test]
fn keepalive_is_validated() {
    let err = EgressConnector::builder(ProxyConfig::direct(), trust())
        .tcp_keepalive(Duration::ZERO, Duration::from_secs(1))
        .build()
        .unwrap_err();
    assert!(err
        .to_string()
        .starts_with("invalid egress setting tcp_keepalive"));
    assert!(EgressConnector::builder(ProxyConfig::direct(), trust())
        .without_tcp_keepalive()
        .build()
        .is_ok());
}

#[test]
fn targets_from_uris() {
    let target = Target::from_uri(&"https://Bitbucket.Corp./x".parse().unwrap()).unwrap();
    assert_eq!(
        (target.tls, target.host.as_str(), target.port),
        (true, "bitbucket.corp", 443)
    );
    let target = Target::from_uri(&"http://[::1]:7990/".parse().unwrap()).unwrap();
    assert_eq!(
        (target.tls, target.host.as_str(), target.port),
        (false, "::1", 7990)
    );
    assert_eq!(target.authority(), "[::1]:7990");
    let target = Target::from_uri(&"wss://cloud.test/v1".parse().unwrap()).unwrap();
    assert!(target.tls);
    for bad in ["/relative", "ftp://host/"] {
        let err = Target::from_uri(&bad.parse().unwrap()).unwrap_err();
        assert!(matches!(err, Error::InvalidTarget { .. }), "{bad}: {err:?}");
    }
}

#[test]
fn alpn_protocols() {
    assert_eq!(Alpn::default(), Alpn::Http1);
    assert_eq!(Alpn::Http1.protocols(), [b"http/1.1".to_vec()]);
    assert_eq!(
        Alpn::Http2AndHttp1.protocols(),
        [b"h2".to_vec(), b"http/1.1".to_vec()]
    );
}

#[test]
fn debug_never_shows_the_proxy_password() {
    let proxy = ProxyConfig::builder()
        .proxy("http://u:hunter2@proxy.test:3128")
        .build()
        .unwrap();
    let connector = EgressConnector::builder(proxy, trust()).build().unwrap();
    let debug = format!("{connector:?}");
    assert!(debug.contains("http://u:***@proxy.test:3128"), "{debug}");
    assert!(!debug.contains("hunter2"), "{debug}");
}

#[tokio::test]
async fn plain_http_through_a_proxy_is_marked_proxied() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = ProxyConfig::builder()
        .http_proxy(format!("http://{}", listener.local_addr().unwrap()))
        .build()
        .unwrap();
    let connector = EgressConnector::builder(proxy, trust()).build().unwrap();
    let accept = tokio::spawn(async move { listener.accept().await.map(|_| ()) });
    let stream = connector
        .connect(&"http://example.test/".parse().unwrap())
        .await
        .unwrap();
    accept.await.unwrap().unwrap();
    assert!(stream.is_proxied_http() && !stream.is_tls());
    assert!(stream.connected().is_proxied());
    assert!(stream.peer_certificates().is_none());
}

#[tokio::test]
async fn a_2xx_with_trailing_bytes_is_a_protocol_error_and_the_tunnel_is_otherwise_clean() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        for answer in [
            "HTTP/1.1 200 Connection established\r\n\r\n",
            "HTTP/1.1 200 OK\r\n\r\nsurprise",
        ] {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 512];
            let _ = socket.read(&mut buf).await.unwrap();
            socket.write_all(answer.as_bytes()).await.unwrap();
            // Echo one message through the "tunnel", then close.
            let n = socket.read(&mut buf).await.unwrap_or(0);
            let _ = socket.write_all(&buf[..n]).await;
        }
    });
    let proxy = ProxyConfig::builder()
        .proxy(format!("http://{addr}"))
        .build()
        .unwrap();
    let connector = EgressConnector::builder(proxy.clone(), trust())
        .build()
        .unwrap();
    let target = Target::from_uri(&"https://bitbucket.test/".parse().unwrap()).unwrap();
    let proxy_url = proxy.https_proxy().unwrap();

    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut tunnel = connector.tunnel(tcp, proxy_url, &target).await.unwrap();
    tunnel.write_all(b"ping").await.unwrap();
    let mut echo = [0u8; 4];
    tunnel.read_exact(&mut echo).await.unwrap();
    assert_eq!(&echo, b"ping");

    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let err = connector.tunnel(tcp, proxy_url, &target).await.unwrap_err();
    assert!(matches!(err, Error::ProxyProtocol { .. }), "{err:?}");
    drop(err);
    server.abort();
}

/// The bound hyper-util's legacy client (and so the bitbucket-dc client) puts on connectors.
fn assert_hyper_util_connector<C>(_: &C)
where
    C: tower_service::Service<http::Uri> + Clone + Send + Sync + 'static,
    C::Response: hyper_util::client::legacy::connect::Connection
        + hyper::rt::Read
        + hyper::rt::Write
        + tokio::io::AsyncRead
        + tokio::io::AsyncWrite
        + Unpin
        + Send,
    C::Future: Send + Unpin + 'static,
    C::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
}

#[test]
fn the_connector_meets_hyper_utils_contract() {
    let connector = EgressConnector::builder(ProxyConfig::direct(), trust())
        .build()
        .unwrap();
    assert_hyper_util_connector(&connector);
}

#[tokio::test]
async fn sockets_get_nodelay_and_the_configured_keepalive() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let connector = EgressConnector::builder(ProxyConfig::direct(), trust())
        .tcp_keepalive(Duration::from_secs(25), Duration::from_secs(5))
        .build()
        .unwrap();
    let stream = connector
        .tcp_connect(crate::Peer::Target, "127.0.0.1", &[addr])
        .await
        .unwrap();
    let socket = socket2::SockRef::from(&stream);
    assert!(socket.keepalive().unwrap());
    assert_eq!(
        socket.tcp_keepalive_time().unwrap(),
        Duration::from_secs(25)
    );
    assert_eq!(
        socket.tcp_keepalive_interval().unwrap(),
        Duration::from_secs(5)
    );
    assert!(stream.nodelay().unwrap());
}
