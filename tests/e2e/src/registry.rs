//! A package-registry stand-in over HTTPS: fixed paths in the metadata shapes the agent reads
//! (npm packuments, crates.io sparse-index lines, ...), 404 for everything else, and the log of
//! the paths it was asked for.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::rt::{TokioExecutor, TokioIo};

use crate::Error;

/// A loopback HTTPS server answering fixed paths; stops when dropped.
#[derive(Debug)]
pub struct RegistryStandIn {
    addr: SocketAddr,
    host: String,
    asked: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RegistryStandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl RegistryStandIn {
    /// Serves `routes` (path -> body) on a free loopback port with `tls`, whose certificate must
    /// be for `host` (`127.0.0.1` or `localhost`).
    pub async fn start(
        tls: Arc<rustls::ServerConfig>,
        host: &str,
        routes: BTreeMap<String, Vec<u8>>,
    ) -> Result<RegistryStandIn, Error> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| Error::io("bind the registry stand-in", "127.0.0.1:0", e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::io("read the registry stand-in address", "127.0.0.1:0", e))?;
        let acceptor = tokio_rustls::TlsAcceptor::from(tls);
        let routes = Arc::new(routes);
        let asked = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&asked);
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                let routes = Arc::clone(&routes);
                let log = Arc::clone(&log);
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let service = hyper::service::service_fn(
                        move |req: hyper::Request<hyper::body::Incoming>| {
                            let path = req.uri().path().to_owned();
                            let body = routes.get(&path).cloned();
                            log.lock().unwrap_or_else(|p| p.into_inner()).push(path);
                            async move { Ok::<_, Infallible>(answer(body)) }
                        },
                    );
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
        });
        Ok(RegistryStandIn {
            addr,
            host: host.to_owned(),
            asked,
            task,
        })
    }

    /// `https://<host>:<port>/`.
    pub fn url(&self) -> String {
        format!("https://{}:{}/", self.host, self.addr.port())
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The paths asked so far, in order.
    pub fn asked(&self) -> Vec<String> {
        self.asked.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

fn answer(body: Option<Vec<u8>>) -> hyper::Response<Full<Bytes>> {
    match body {
        Some(body) => hyper::Response::new(Full::new(Bytes::from(body))),
        None => {
            let mut response =
                hyper::Response::new(Full::new(Bytes::from_static(b"{\"error\":\"Not found\"}")));
            *response.status_mut() = hyper::StatusCode::NOT_FOUND;
            response
        }
    }
}
