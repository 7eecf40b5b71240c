//! Loopback HTTP and HTTPS servers (hyper, h1 and h2) that answer every request with its path, and a
//! TLS server that streams a large answer ([`streaming_tls`]).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use gitproxy_test_support::Leaf;

/// A server on 127.0.0.1 that counts the connections it accepted.
pub(crate) struct TestServer {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl TestServer {
    /// Serves HTTPS with `leaf`, offering h2 and http/1.1 in ALPN.
    pub(crate) async fn https(leaf: Leaf) -> TestServer {
        TestServer::https_with(leaf, rustls::DEFAULT_VERSIONS).await
    }

    /// Serves HTTPS with `leaf`, speaking only TLS 1.2.
    pub(crate) async fn https_tls12_only(leaf: Leaf) -> TestServer {
        TestServer::https_with(leaf, &[&rustls::version::TLS12]).await
    }

    async fn https_with(
        leaf: Leaf,
        versions: &[&'static rustls::SupportedProtocolVersion],
    ) -> TestServer {
        let config = leaf
            .server_config_with(versions, &[b"h2", b"http/1.1"])
            .expect("server certificate");
        TestServer::start(Some(tokio_rustls::TlsAcceptor::from(config))).await
    }

    /// Serves plain HTTP.
    pub(crate) async fn http() -> TestServer {
        TestServer::start(None).await
    }

    async fn start(tls: Option<tokio_rustls::TlsAcceptor>) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&accepted);
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let _ = tcp.set_nodelay(true);
                counter.fetch_add(1, Ordering::SeqCst);
                let tls = tls.clone();
                tokio::spawn(async move {
                    match tls {
                        Some(acceptor) => {
                            if let Ok(stream) = acceptor.accept(tcp).await {
                                serve(TokioIo::new(stream)).await;
                            }
                        }
                        None => serve(TokioIo::new(tcp)).await,
                    }
                });
            }
        });
        TestServer {
            addr,
            accepted,
            task,
        }
    }

    /// The server's port.
    pub(crate) fn port(&self) -> u16 {
        self.addr.port()
    }

    /// How many TCP connections the server accepted.
    pub(crate) fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve<I>(io: I)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = service_fn(
        |request: hyper::Request<hyper::body::Incoming>| async move {
            let body = format!(
                "hello {} {:?} proxy-auth={}",
                request.uri(),
                request.version(),
                request.headers().contains_key("proxy-authorization")
            );
            Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from(body))))
        },
    );
    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
        .serve_connection(io, service)
        .await;
}

/// A TLS server on 127.0.0.1 (`http/1.1` in ALPN) that reads a decimal length and a newline, answers
/// with that many bytes from the start of `body` (at most all of it) in uneven writes of 70,001 bytes,
/// so records of every size reach the client, and closes with close_notify.
pub(crate) async fn streaming_tls(leaf: Leaf, body: Bytes) -> SocketAddr {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    let config = leaf
        .server_config_with(rustls::DEFAULT_VERSIONS, &[b"http/1.1"])
        .expect("server certificate");
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let _ = tcp.set_nodelay(true);
            let acceptor = acceptor.clone();
            let body = body.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut tls = tokio::io::BufReader::new(tls);
                let mut line = String::new();
                if tls.read_line(&mut line).await.is_err() {
                    return;
                }
                let len = line.trim().parse::<usize>().unwrap_or(0).min(body.len());
                for chunk in body[..len].chunks(70_001) {
                    if tls.write_all(chunk).await.is_err() {
                        return;
                    }
                }
                let _ = tls.shutdown().await;
            });
        }
    });
    addr
}
