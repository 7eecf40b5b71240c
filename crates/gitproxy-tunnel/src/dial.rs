//! How the agent reaches the cloud: a pluggable [`Connector`] that returns a TLS stream to the cloud
//! (directly, or through the corporate proxy when the egress rules say so, with the configured trust).

use std::io;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use http::Uri;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::error::Error;

/// A byte stream the tunnel can run over.
pub trait Io: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Io for T {}

/// A boxed [`Io`].
pub type BoxIo = Box<dyn Io>;

/// Opens a TLS stream (ALPN `http/1.1`) to the cloud at `https://host:port`: directly or through a CONNECT
/// proxy, verifying the cloud's certificate with the configured trust. The egress crate's connector is the
/// production implementation; [`DirectTlsConnector`] serves tests, benchmarks and the demo.
#[async_trait]
pub trait Connector: Send + Sync + 'static {
    /// Opens the stream. TLS errors should use [`io::ErrorKind::InvalidData`].
    async fn connect(&self, uri: &Uri) -> io::Result<BoxIo>;
}

/// Direct TCP (keepalive 20 s / 8 s, no Nagle) and rustls with a caller-built client configuration.
#[derive(Clone)]
pub struct DirectTlsConnector {
    tls: Arc<rustls::ClientConfig>,
}

impl std::fmt::Debug for DirectTlsConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectTlsConnector").finish_non_exhaustive()
    }
}

impl DirectTlsConnector {
    /// A connector trusting what `tls` trusts; its ALPN is replaced by `http/1.1`.
    pub fn new(tls: Arc<rustls::ClientConfig>) -> Self {
        let mut tls = (*tls).clone();
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        DirectTlsConnector { tls: Arc::new(tls) }
    }
}

/// Applies the protocol's TCP keepalive and disables Nagle on a socket the agent dialed.
pub fn tune_tcp(stream: &TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let keepalive = socket2::TcpKeepalive::new()
        .with_time(Duration::from_secs(20))
        .with_interval(Duration::from_secs(8));
    socket2::SockRef::from(stream).set_tcp_keepalive(&keepalive)
}

#[async_trait]
impl Connector for DirectTlsConnector {
    async fn connect(&self, uri: &Uri) -> io::Result<BoxIo> {
        let host = uri
            .host()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "url has no host"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = uri.port_u16().unwrap_or(443);
        let stream = TcpStream::connect((host.as_str(), port)).await?;
        tune_tcp(&stream)?;
        let name = ServerName::try_from(host)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let tls = tokio_rustls::TlsConnector::from(self.tls.clone())
            .connect(name, stream)
            .await?;
        Ok(Box::new(tls))
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
