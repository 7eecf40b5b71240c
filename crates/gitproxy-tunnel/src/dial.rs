//! How the agent reaches the cloud: a pluggable [`Connector`] that returns a TLS stream to the cloud
//! (directly, or through the corporate proxy when the egress rules say so, with the configured trust).

use std::io;
use std::time::Duration;

use async_trait::async_trait;
use http::Uri;
use tokio::io::{AsyncRead, AsyncWrite};

use crate::error::Error;

/// A byte stream the tunnel can run over.
pub trait Io: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Io for T {}

/// A boxed [`Io`].
pub type BoxIo = Box<dyn Io>;

/// Opens a TLS stream (ALPN `http/1.1`) to the cloud at `https://host:port`: directly or through a CONNECT
/// proxy, verifying the cloud's certificate with the configured trust. `gitproxy_egress::EgressConnector`
/// is the implementation; the trait keeps the agent testable over other byte streams.
#[async_trait]
pub trait Connector: Send + Sync + 'static {
    /// Opens the stream. TLS errors should use [`io::ErrorKind::InvalidData`].
    async fn connect(&self, uri: &Uri) -> io::Result<BoxIo>;
}

/// The production connector: the egress crate picks direct or CONNECT through the corporate proxy and
/// verifies the cloud's certificate with its trust (platform roots plus `customCaCert`). Build it with
/// ALPN `http/1.1` (the egress default).
#[async_trait]
impl Connector for gitproxy_egress::EgressConnector {
    async fn connect(&self, uri: &Uri) -> io::Result<BoxIo> {
        match gitproxy_egress::EgressConnector::connect(self, uri).await {
            Ok(stream) => Ok(Box::new(stream)),
            Err(err @ gitproxy_egress::Error::Tls { .. }) => {
                Err(io::Error::new(io::ErrorKind::InvalidData, err.to_string()))
            }
            Err(err) => Err(io::Error::other(err.to_string())),
        }
    }
}

/// Connects to `https://host:port` within `timeout`.
pub(crate) async fn connect(
    connector: &dyn Connector,
    host: &str,
    port: u16,
    timeout: Duration,
) -> Result<BoxIo, Error> {
    let endpoint = if host.contains(':') {
        format!(
            "[{}]:{port}",
            host.trim_start_matches('[').trim_end_matches(']')
        )
    } else {
        format!("{host}:{port}")
    };
    let uri: Uri = format!("https://{endpoint}").parse().map_err(|e| {
        Error::Config(format!(
            "cloud endpoint {endpoint:?} is not a valid uri: {e}"
        ))
    })?;
    match tokio::time::timeout(timeout, connector.connect(&uri)).await {
        Ok(Ok(io)) => Ok(io),
        Ok(Err(source)) if source.kind() == io::ErrorKind::InvalidData => {
            Err(Error::Tls { endpoint, source })
        }
        Ok(Err(source)) => Err(Error::Connect { endpoint, source }),
        Err(_) => Err(Error::Timeout {
            what: "connecting to the cloud",
            after: timeout,
        }),
    }
}
