//! A transparent TLS-intercepting proxy (the Zscaler-style middlebox of the design notes): it terminates
//! TLS with a certificate of its own CA, forwards each request over a fresh TLS connection, and drops
//! hop-by-hop headers such as `Connection` and `Upgrade`, so a WebSocket upgrade never reaches the server.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::{Either, Empty};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;

use crate::Error;

/// Headers that concern one connection only; the proxy drops them both ways.
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "upgrade",
    "keep-alive",
    "proxy-connection",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
];

type ProxyBody = Either<Incoming, Empty<Bytes>>;

/// Starts the proxy on a loopback port: TLS from clients with `tls`, each request forwarded to `upstream`
/// over a fresh TLS connection trusted with `upstream_trust` (the server name is `upstream`'s address).
/// Returns the proxy's address; it runs until the runtime stops.
pub async fn intercepting_proxy(
    tls: Arc<rustls::ServerConfig>,
    upstream: SocketAddr,
    upstream_trust: Arc<rustls::ClientConfig>,
) -> Result<SocketAddr, Error> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| Error::io("bind the intercepting proxy", "127.0.0.1:0", e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::io("read the intercepting proxy's address", "127.0.0.1:0", e))?;
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    let connector = tokio_rustls::TlsConnector::from(upstream_trust);
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let _ = tcp.set_nodelay(true);
            let acceptor = acceptor.clone();
            let connector = connector.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                    let connector = connector.clone();
                    async move { Ok::<_, Infallible>(forward(&connector, upstream, req).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    Ok(addr)
}

fn strip_hop_by_hop(headers: &mut HeaderMap) {
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
}

async fn forward(
    connector: &tokio_rustls::TlsConnector,
    upstream: SocketAddr,
    req: Request<Incoming>,
) -> Response<ProxyBody> {
    let bad_gateway = || {
        let mut res = Response::new(Either::Right(Empty::new()));
        *res.status_mut() = StatusCode::BAD_GATEWAY;
        res
    };
    let Ok(tcp) = tokio::net::TcpStream::connect(upstream).await else {
        return bad_gateway();
    };
    let _ = tcp.set_nodelay(true);
    let name = ServerName::IpAddress(upstream.ip().into());
    let Ok(io) = connector.connect(name, tcp).await else {
        return bad_gateway();
    };
    let Ok((mut sender, conn)) = hyper::client::conn::http1::handshake(TokioIo::new(io)).await
    else {
        return bad_gateway();
    };
    tokio::spawn(conn);
    let (mut parts, body) = req.into_parts();
    strip_hop_by_hop(&mut parts.headers);
    match sender.send_request(Request::from_parts(parts, body)).await {
        Ok(res) => {
            let (mut parts, body) = res.into_parts();
            strip_hop_by_hop(&mut parts.headers);
            Response::from_parts(parts, Either::Left(body))
        }
        Err(_) => bad_gateway(),
    }
}
