//! The connector: direct TCP or an HTTP CONNECT tunnel through the selected proxy, then rustls.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::{HeaderValue, Uri};
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use rustls::ClientConfig;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use crate::proxy::authority;
use crate::{Error, Peer, ProxyConfig, ProxyUrl, Resolver, Stage, TlsFailure, TrustConfig};

/// Which application protocols the TLS handshake offers (ALPN).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Alpn {
    /// `http/1.1` only (the default; what the Bitbucket client and WebSocket upgrades need).
    #[default]
    Http1,
    /// `h2` only.
    Http2,
    /// `h2`, falling back to `http/1.1`.
    Http2AndHttp1,
}

impl Alpn {
    pub(crate) fn protocols(self) -> Vec<Vec<u8>> {
        match self {
            Alpn::Http1 => vec![b"http/1.1".to_vec()],
            Alpn::Http2 => vec![b"h2".to_vec()],
            Alpn::Http2AndHttp1 => vec![b"h2".to_vec(), b"http/1.1".to_vec()],
        }
    }
}

/// Time limits for the stages of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    connect: Duration,
    proxy_connect: Duration,
    handshake: Duration,
}

impl Timeouts {
    const MAX: Duration = Duration::from_secs(600);

    /// Limits for name resolution + TCP connect, the CONNECT exchange with the proxy, and the
    /// TLS handshake (also used for the HTTP answer in diagnostics). Each must be in (0, 10 min].
    pub fn new(
        connect: Duration,
        proxy_connect: Duration,
        handshake: Duration,
    ) -> Result<Timeouts, Error> {
        for (setting, value) in [
            ("timeouts.connect", connect),
            ("timeouts.proxy_connect", proxy_connect),
            ("timeouts.handshake", handshake),
        ] {
            if value.is_zero() || value > Self::MAX {
                return Err(Error::InvalidSetting {
                    setting,
                    reason: format!("{value:?} is not between 1 ms and 10 minutes"),
                });
            }
        }
        Ok(Timeouts {
            connect,
            proxy_connect,
            handshake,
        })
    }

    /// The limit for name resolution plus TCP connect.
    pub fn connect(&self) -> Duration {
        self.connect
    }

    /// The limit for the CONNECT exchange with the proxy.
    pub fn proxy_connect(&self) -> Duration {
        self.proxy_connect
    }

    /// The limit for the TLS handshake.
    pub fn handshake(&self) -> Duration {
        self.handshake
    }
}

impl Default for Timeouts {
    /// 10 s each.
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            proxy_connect: Duration::from_secs(10),
            handshake: Duration::from_secs(10),
        }
    }
}

/// Opens outbound connections the way the configuration says: direct or through the proxy, with
/// TLS verified against this connector's [`TrustConfig`].
///
/// It is a `tower_service::Service<http::Uri>` for hyper-util's legacy client:
/// `Client::builder(TokioExecutor::new()).build(connector)`. For `https` targets it does TLS
/// itself (do not stack hyper-rustls on top) and reports h2 when ALPN picked it. For plain
/// `http` targets through a proxy it reports [`Connected::proxy`] so the client sends
/// absolute-form requests; such requests must carry the proxy's credentials, so pass each
/// request through [`EgressConnector::prepare_request`] (or add
/// [`EgressConnector::proxy_authorization`] yourself). `https` targets need nothing: the
/// credentials travel in the CONNECT request.
///
/// Trust differs per destination by building one connector per destination (cloud, Bitbucket).
#[derive(Clone)]
pub struct EgressConnector {
    inner: Arc<Inner>,
}

struct Inner {
    proxy: ProxyConfig,
    trust: TrustConfig,
    tls: Arc<ClientConfig>,
    alpn: Alpn,
    timeouts: Timeouts,
    resolver: Resolver,
    keepalive: Option<(Duration, Duration)>,
    refused_advice: Option<String>,
}

/// Builder for [`EgressConnector`].
#[derive(Debug)]
pub struct EgressConnectorBuilder {
    proxy: ProxyConfig,
    trust: TrustConfig,
    alpn: Alpn,
    timeouts: Timeouts,
    resolver: Resolver,
    keepalive: Option<(Duration, Duration)>,
    refused_advice: Option<String>,
}

impl EgressConnectorBuilder {
    /// What to check when a target refuses the TCP connection, for a connector that serves one
    /// destination (e.g. the cloud: its URL and port 443). The default is about Bitbucket's ports.
    pub fn refused_advice(mut self, advice: impl Into<String>) -> Self {
        self.refused_advice = Some(advice.into());
        self
    }

    /// The protocols offered in ALPN.
    pub fn alpn(mut self, alpn: Alpn) -> Self {
        self.alpn = alpn;
        self
    }

    /// The stage time limits.
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// The resolver for target and proxy names.
    pub fn resolver(mut self, resolver: Resolver) -> Self {
        self.resolver = resolver;
        self
    }

    /// TCP keepalive: first probe after `idle`, then every `interval` (default 20 s / 8 s).
    pub fn tcp_keepalive(mut self, idle: Duration, interval: Duration) -> Self {
        self.keepalive = Some((idle, interval));
        self
    }

    /// Turns TCP keepalive off.
    pub fn without_tcp_keepalive(mut self) -> Self {
        self.keepalive = None;
        self
    }

    /// Validates the settings and builds the connector.
    pub fn build(self) -> Result<EgressConnector, Error> {
        if let Some((idle, interval)) = self.keepalive {
            if idle < Duration::from_secs(1) || interval < Duration::from_secs(1) {
                return Err(Error::InvalidSetting {
                    setting: "tcp_keepalive",
                    reason: format!(
                        "idle {idle:?} and interval {interval:?} must be at least 1 s each"
                    ),
                });
            }
        }
        let tls = self.trust.client_config(&self.alpn.protocols());
        Ok(EgressConnector {
            inner: Arc::new(Inner {
                proxy: self.proxy,
                trust: self.trust,
                tls,
                alpn: self.alpn,
                timeouts: self.timeouts,
                resolver: self.resolver,
                keepalive: self.keepalive,
                refused_advice: self.refused_advice,
            }),
        })
    }
}

/// A target taken apart: scheme, normalized host, effective port.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) tls: bool,
    pub(crate) scheme: String,
    pub(crate) host: String,
    pub(crate) port: u16,
}

impl Target {
    pub(crate) fn from_uri(uri: &Uri) -> Result<Target, Error> {
        let invalid = |reason: &str| Error::InvalidTarget {
            target: strip_userinfo(&uri.to_string()),
            reason: reason.to_owned(),
        };
        let scheme = uri
            .scheme_str()
            .ok_or_else(|| invalid("the URI has no scheme; use https://host[:port]"))?
            .to_ascii_lowercase();
        let tls = match scheme.as_str() {
            "https" | "wss" => true,
            "http" | "ws" => false,
            _ => return Err(invalid("only http and https targets are supported")),
        };
        let host = uri
            .host()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| invalid("the URI has no host"))?;
        let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
        Ok(Target {
            tls,
            scheme,
            host: crate::no_proxy::normalize_host(host),
            port,
        })
    }

    pub(crate) fn authority(&self) -> String {
        authority(&self.host, self.port)
    }
}

fn strip_userinfo(text: &str) -> String {
    crate::proxy::redact_userinfo(text)
}

impl EgressConnector {
    /// Starts a builder from the proxy and trust settings.
    pub fn builder(proxy: ProxyConfig, trust: TrustConfig) -> EgressConnectorBuilder {
        EgressConnectorBuilder {
            proxy,
            trust,
            alpn: Alpn::default(),
            timeouts: Timeouts::default(),
            resolver: Resolver::system(),
            keepalive: Some((Duration::from_secs(20), Duration::from_secs(8))),
            refused_advice: None,
        }
    }

    /// The proxy settings.
    pub fn proxy_config(&self) -> &ProxyConfig {
        &self.inner.proxy
    }

    /// The trust settings.
    pub fn trust(&self) -> &TrustConfig {
        &self.inner.trust
    }

    /// The stage time limits.
    pub fn timeouts(&self) -> &Timeouts {
        &self.inner.timeouts
    }

    pub(crate) fn alpn(&self) -> Alpn {
        self.inner.alpn
    }

    /// The `Proxy-Authorization` value a request to `uri` must carry: only for plain `http`
    /// targets sent through a proxy with credentials (absolute-form requests).
    pub fn proxy_authorization(&self, uri: &Uri) -> Option<HeaderValue> {
        if !uri
            .scheme_str()
            .is_some_and(|s| s.eq_ignore_ascii_case("http"))
        {
            return None;
        }
        self.inner.proxy.explain_uri(uri).proxy()?.authorization()
    }

    /// Adds `Proxy-Authorization` to `request` when [`EgressConnector::proxy_authorization`] says so.
    pub fn prepare_request<B>(&self, request: &mut http::Request<B>) {
        if let Some(value) = self.proxy_authorization(request.uri()) {
            request
                .headers_mut()
                .insert(http::header::PROXY_AUTHORIZATION, value);
        }
    }

    /// Opens a connection to `uri` (scheme, host and port are used).
    pub async fn connect(&self, uri: &Uri) -> Result<EgressStream, Error> {
        let target = Target::from_uri(uri)?;
        let decision = self
            .inner
            .proxy
            .decide(&target.scheme, &target.host, target.port);
        let tcp = match decision.proxy() {
            None => {
                let addrs = self
                    .resolve(Peer::Target, &target.host, target.port)
                    .await?;
                self.tcp_connect(Peer::Target, &target.host, &addrs).await?
            }
            Some(proxy) => {
                let addrs = self
                    .resolve(Peer::Proxy, proxy.host(), proxy.port())
                    .await?;
                self.tcp_connect(Peer::Proxy, proxy.host(), &addrs).await?
            }
        };
        if !target.tls {
            return Ok(EgressStream::new(
                Transport::Tcp(tcp),
                decision.proxy().is_some(),
            ));
        }
        let tcp = match decision.proxy() {
            Some(proxy) => self.tunnel(tcp, proxy, &target).await?,
            None => tcp,
        };
        let tls = self
            .tls_handshake(tcp, &target, Arc::clone(&self.inner.tls))
            .await?;
        Ok(EgressStream::new(Transport::Tls(Box::new(tls)), false))
    }

    pub(crate) async fn resolve(
        &self,
        peer: Peer,
        host: &str,
        port: u16,
    ) -> Result<Vec<SocketAddr>, Error> {
        let limit = self.inner.timeouts.connect;
        match tokio::time::timeout(limit, self.inner.resolver.resolve(host, port)).await {
            Ok(Ok(addrs)) => Ok(addrs),
            Ok(Err(source)) => Err(Error::Dns {
                peer,
                host: host.to_owned(),
                source,
            }),
            Err(_) => Err(Error::Timeout {
                stage: Stage::Dns,
                peer,
                peer_host: host.to_owned(),
                after: limit,
            }),
        }
    }

    /// Tries each address in turn within the connect limit.
    pub(crate) async fn tcp_connect(
        &self,
        peer: Peer,
        host: &str,
        addrs: &[SocketAddr],
    ) -> Result<TcpStream, Error> {
        let limit = self.inner.timeouts.connect;
        let attempt = async {
            let mut last = None;
            for addr in addrs {
                match TcpStream::connect(addr).await {
                    Ok(stream) => return Ok(stream),
                    Err(err) => last = Some((*addr, err)),
                }
            }
            let (addr, source) = last.unwrap_or_else(|| {
                (
                    SocketAddr::from(([0, 0, 0, 0], 0)),
                    io::Error::new(io::ErrorKind::NotFound, "no address to connect to"),
                )
            });
            let hint = match (&self.inner.refused_advice, peer, source.kind()) {
                (Some(advice), Peer::Target, io::ErrorKind::ConnectionRefused) => advice.clone(),
                _ => crate::error::connect_hint(peer, &source).to_owned(),
            };
            Err(Error::Connect {
                peer,
                host: host.to_owned(),
                addr,
                source,
                hint,
            })
        };
        let stream = match tokio::time::timeout(limit, attempt).await {
            Ok(result) => result?,
            Err(_) => {
                return Err(Error::Timeout {
                    stage: Stage::TcpConnect,
                    peer,
                    peer_host: host.to_owned(),
                    after: limit,
                })
            }
        };
        let io_err = |source| Error::Io {
            peer,
            host: host.to_owned(),
            source,
        };
        stream.set_nodelay(true).map_err(io_err)?;
        if let Some((idle, interval)) = self.inner.keepalive {
            let keepalive = socket2::TcpKeepalive::new()
                .with_time(idle)
                .with_interval(interval);
            socket2::SockRef::from(&stream)
                .set_tcp_keepalive(&keepalive)
                .map_err(io_err)?;
        }
        Ok(stream)
    }

    /// Asks the proxy for a tunnel to `target`; returns the stream once the proxy said 2xx.
    pub(crate) async fn tunnel(
        &self,
        stream: TcpStream,
        proxy: &ProxyUrl,
        target: &Target,
    ) -> Result<TcpStream, Error> {
        let limit = self.inner.timeouts.proxy_connect;
        match tokio::time::timeout(limit, connect_tunnel(stream, proxy, target)).await {
            Ok(result) => result,
            Err(_) => Err(Error::Timeout {
                stage: Stage::ProxyConnect,
                peer: Peer::Proxy,
                peer_host: proxy.host().to_owned(),
                after: limit,
            }),
        }
    }

    pub(crate) async fn tls_handshake(
        &self,
        stream: TcpStream,
        target: &Target,
        config: Arc<ClientConfig>,
    ) -> Result<TlsStream<TcpStream>, Error> {
        let name = ServerName::try_from(target.host.clone()).map_err(|_| Error::InvalidTarget {
            target: target.authority(),
            reason: "the host is not a valid TLS server name".to_owned(),
        })?;
        let limit = self.inner.timeouts.handshake;
        let connector = tokio_rustls::TlsConnector::from(config);
        match tokio::time::timeout(limit, connector.connect(name, stream)).await {
            Ok(Ok(tls)) => Ok(tls),
            Ok(Err(source)) => Err(Error::Tls {
                host: target.host.clone(),
                failure: TlsFailure::from_io(&source),
                source,
            }),
            Err(_) => Err(Error::Timeout {
                stage: Stage::TlsHandshake,
                peer: Peer::Target,
                peer_host: target.host.clone(),
                after: limit,
            }),
        }
    }
}

const MAX_CONNECT_RESPONSE: usize = 16 * 1024;

async fn connect_tunnel(
    mut stream: TcpStream,
    proxy: &ProxyUrl,
    target: &Target,
) -> Result<TcpStream, Error> {
    let authority = target.authority();
    let io_err = |source| Error::Io {
        peer: Peer::Proxy,
        host: proxy.host().to_owned(),
        source,
    };
    let protocol = |reason: String| Error::ProxyProtocol {
        proxy: proxy.to_string(),
        target: authority.clone(),
        reason,
    };
    let mut request = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    if let Some(value) = proxy.authorization() {
        let value = value
            .to_str()
            .map_err(|_| protocol("bad credentials".into()))?;
        request.push_str("Proxy-Authorization: ");
        request.push_str(value);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.map_err(io_err)?;

    let mut buf = Vec::with_capacity(512);
    let header_end = loop {
        let mut chunk = [0u8; 1024];
        let n = stream.read(&mut chunk).await.map_err(io_err)?;
        if n == 0 {
            return Err(protocol(if buf.is_empty() {
                "the proxy closed the connection without answering".to_owned()
            } else {
                "the proxy closed the connection in the middle of its answer".to_owned()
            }));
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
        if buf.len() > MAX_CONNECT_RESPONSE {
            return Err(protocol("the answer's headers exceed 16 KiB".to_owned()));
        }
    };
    let head = String::from_utf8_lossy(&buf[..header_end]);
    let status_line = head.lines().next().unwrap_or_default().trim();
    let (version, rest) = status_line.split_once(' ').unwrap_or((status_line, ""));
    let status: u16 = rest
        .get(..3)
        .and_then(|code| code.parse().ok())
        .filter(|_| version.starts_with("HTTP/1."))
        .ok_or_else(|| protocol(format!("not an HTTP status line: `{status_line}`")))?;
    if !(200..300).contains(&status) {
        tracing::debug!(proxy = %proxy, target = %authority, %status_line, "proxy refused CONNECT");
        return Err(Error::ProxyRefused {
            proxy: proxy.to_string(),
            target: authority.clone(),
            status,
            status_line: rest.trim().to_owned(),
        });
    }
    if buf.len() > header_end {
        return Err(protocol(
            "the proxy sent data after its 2xx answer before the client spoke".to_owned(),
        ));
    }
    Ok(stream)
}

impl fmt::Debug for EgressConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EgressConnector")
            .field("proxy", &self.inner.proxy)
            .field("trust", &self.inner.trust)
            .field("alpn", &self.inner.alpn)
            .field("timeouts", &self.inner.timeouts)
            .field("resolver", &self.inner.resolver)
            .field("keepalive", &self.inner.keepalive)
            .finish()
    }
}

impl tower_service::Service<Uri> for EgressConnector {
    type Response = EgressStream;
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<EgressStream, Error>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let connector = self.clone();
        Box::pin(async move { connector.connect(&uri).await })
    }
}

/// A connection opened by [`EgressConnector`]: plain TCP or TLS, possibly through a proxy.
///
/// Implements hyper's `Read`/`Write` and hyper-util's `Connection` (for the client) as well as
/// tokio's `AsyncRead`/`AsyncWrite` (for WebSocket and other byte-stream users).
pub struct EgressStream {
    io: TokioIo<Transport>,
    proxied_http: bool,
}

pub(crate) enum Transport {
    Tcp(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl EgressStream {
    pub(crate) fn new(transport: Transport, proxied_http: bool) -> EgressStream {
        EgressStream {
            io: TokioIo::new(transport),
            proxied_http,
        }
    }

    /// Whether the stream is TLS.
    pub fn is_tls(&self) -> bool {
        matches!(self.io.inner(), Transport::Tls(_))
    }

    /// Whether ALPN selected HTTP/2.
    pub fn negotiated_h2(&self) -> bool {
        match self.io.inner() {
            Transport::Tls(tls) => tls.get_ref().1.alpn_protocol() == Some(b"h2"),
            Transport::Tcp(_) => false,
        }
    }

    /// Whether this is a plain-HTTP connection to a proxy (requests must be absolute-form).
    pub fn is_proxied_http(&self) -> bool {
        self.proxied_http
    }

    /// The DER certificate chain the server presented, for TLS streams.
    pub fn peer_certificates(&self) -> Option<Vec<Vec<u8>>> {
        match self.io.inner() {
            Transport::Tls(tls) => tls
                .get_ref()
                .1
                .peer_certificates()
                .map(|chain| chain.iter().map(|c| c.to_vec()).collect()),
            Transport::Tcp(_) => None,
        }
    }
}

impl fmt::Debug for EgressStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EgressStream")
            .field("tls", &self.is_tls())
            .field("h2", &self.negotiated_h2())
            .field("proxied_http", &self.proxied_http)
            .finish()
    }
}

impl Connection for EgressStream {
    fn connected(&self) -> Connected {
        let connected = Connected::new().proxy(self.proxied_http);
        if self.negotiated_h2() {
            connected.negotiated_h2()
        } else {
            connected
        }
    }
}

impl hyper::rt::Read for EgressStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for EgressStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        hyper::rt::Write::poll_write(Pin::new(&mut self.get_mut().io), cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        hyper::rt::Write::poll_flush(Pin::new(&mut self.get_mut().io), cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        hyper::rt::Write::poll_shutdown(Pin::new(&mut self.get_mut().io), cx)
    }

    fn is_write_vectored(&self) -> bool {
        hyper::rt::Write::is_write_vectored(&self.io)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        hyper::rt::Write::poll_write_vectored(Pin::new(&mut self.get_mut().io), cx, bufs)
    }
}

impl AsyncRead for EgressStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(self.get_mut().io.inner_mut()).poll_read(cx, buf)
    }
}

impl AsyncWrite for EgressStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(self.get_mut().io.inner_mut()).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(self.get_mut().io.inner_mut()).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(self.get_mut().io.inner_mut()).poll_shutdown(cx)
    }
}

impl AsyncRead for Transport {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Tcp(tcp) => Pin::new(tcp).poll_read(cx, buf),
            Transport::Tls(tls) => Pin::new(tls.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Transport {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Transport::Tcp(tcp) => Pin::new(tcp).poll_write(cx, buf),
            Transport::Tls(tls) => Pin::new(tls.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Tcp(tcp) => Pin::new(tcp).poll_flush(cx),
            Transport::Tls(tls) => Pin::new(tls.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Tcp(tcp) => Pin::new(tcp).poll_shutdown(cx),
            Transport::Tls(tls) => Pin::new(tls.as_mut()).poll_shutdown(cx),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Transport::Tcp(tcp) => Pin::new(tcp).poll_write_vectored(cx, bufs),
            Transport::Tls(tls) => Pin::new(tls.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Transport::Tcp(tcp) => tcp.is_write_vectored(),
            Transport::Tls(tls) => tls.is_write_vectored(),
        }
    }
}

#[cfg(test)]
mod tests;
