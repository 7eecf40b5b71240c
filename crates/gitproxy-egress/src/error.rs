//! The crate's one error type: configuration mistakes and connection failures, each saying what to do next.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use crate::server_url::{Server, ServerUrlProblem};

/// Everything that can go wrong while configuring or opening an outbound connection.
///
/// Messages are written for the person who has to fix the setting: they name the input or the
/// peer, the cause, and the next step. Proxy passwords never appear in them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A proxy URL (explicit setting or environment variable) could not be used.
    #[error("invalid proxy URL in {origin}: `{value}`: {reason}; set it to a URL like http://proxy.corp:3128 (credentials as http://user:password@proxy.corp:3128) or unset it")]
    InvalidProxyUrl {
        /// Where the value came from: `proxy.url`, `HTTPS_PROXY`, ...
        origin: String,
        /// The value with any password replaced by `***`.
        value: String,
        /// Why it was rejected.
        reason: String,
    },

    /// An extra CA certificate input could not be used.
    #[error("invalid CA certificate in {input}: {problem}")]
    InvalidCa {
        /// Which input: `customCaCert`, a file path, ...
        input: String,
        /// What is wrong with it.
        problem: CaProblem,
    },

    /// No trusted root at all: nothing could ever be verified.
    #[error("no trusted CA certificates: the platform store is empty or was not loaded and no extra CA was given; install the ca-certificates package, point SSL_CERT_FILE at a PEM bundle, or provide customCaCert")]
    EmptyTrustStore,

    /// A setting of the connector is out of range.
    #[error("invalid egress setting {setting}: {reason}")]
    InvalidSetting {
        /// The setting's name.
        setting: &'static str,
        /// Why it was rejected.
        reason: String,
    },

    /// A server's base URL cannot be used; see [`server_url`](crate::server_url).
    #[error("{}", problem.message(*server))]
    InvalidServerUrl {
        /// Which server.
        server: Server,
        /// What is wrong with the URL.
        problem: ServerUrlProblem,
    },

    /// The URL or URI to connect to cannot be used.
    #[error("cannot connect to `{target}`: {reason}")]
    InvalidTarget {
        /// The target as given (userinfo removed).
        target: String,
        /// Why it cannot be used.
        reason: String,
    },

    /// Name resolution failed.
    #[error("could not resolve {peer} host `{host}`: {source}; check the host name and the cluster's DNS")]
    Dns {
        /// Whether the name was the target's or the proxy's.
        peer: Peer,
        /// The name that did not resolve.
        host: String,
        /// The resolver's error.
        #[source]
        source: io::Error,
    },

    /// The TCP connection could not be opened.
    #[error("could not connect to {peer} {host} at {addr}: {source}; {hint}")]
    Connect {
        /// Whether this was the target or the proxy.
        peer: Peer,
        /// The host name that was connected to.
        host: String,
        /// The address that was tried last.
        addr: SocketAddr,
        /// The socket error.
        #[source]
        source: io::Error,
        /// What to check next.
        hint: String,
    },

    /// A stage did not finish in time.
    #[error("{stage} with {peer_host} timed out after {}; check that the {peer} is reachable from the agent's network (firewall, proxy) or raise the timeout", humanize(*after))]
    Timeout {
        /// The stage that timed out.
        stage: crate::Stage,
        /// Whether the stage talked to the target or the proxy.
        peer: Peer,
        /// The host of that peer.
        peer_host: String,
        /// The configured limit.
        after: Duration,
    },

    /// The proxy answered CONNECT with a non-2xx status.
    #[error("proxy {proxy} refused CONNECT to {target}: {status_line}; {}", proxy_status_hint(*status, target))]
    ProxyRefused {
        /// The proxy, password redacted.
        proxy: String,
        /// The `host:port` the tunnel was for.
        target: String,
        /// The status code of the proxy's answer.
        status: u16,
        /// The proxy's status line without the HTTP version, e.g. `502 Bad Gateway`.
        status_line: String,
    },

    /// The proxy's answer to CONNECT was not valid HTTP.
    #[error("proxy {proxy} sent an invalid answer to CONNECT {target}: {reason}; check that proxy.url points at an HTTP proxy")]
    ProxyProtocol {
        /// The proxy, password redacted.
        proxy: String,
        /// The `host:port` the tunnel was for.
        target: String,
        /// What was wrong.
        reason: String,
    },

    /// The TLS handshake failed.
    #[error("tls handshake with {host} failed: {failure}; {}", failure.hint())]
    Tls {
        /// The server name that was verified.
        host: String,
        /// The classified cause.
        failure: TlsFailure,
        /// The underlying error.
        #[source]
        source: io::Error,
    },

    /// Reading or writing the connection failed after it was established.
    #[error("i/o error talking to {peer} {host}: {source}")]
    Io {
        /// Whether this was the target or the proxy.
        peer: Peer,
        /// The host of that peer.
        host: String,
        /// The socket error.
        #[source]
        source: io::Error,
    },
}

/// Which end of a connection an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Peer {
    /// The server the caller wants to reach.
    Target,
    /// The HTTP proxy in between.
    Proxy,
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Peer::Target => "server",
            Peer::Proxy => "proxy",
        })
    }
}

/// What is wrong with a CA certificate input.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CaProblem {
    /// The file could not be read.
    Unreadable(String),
    /// The value is not base64.
    NotBase64(String),
    /// The (decoded) value is neither PEM nor a DER certificate.
    NotPem,
    /// A file holds a DER (binary) certificate where PEM is expected.
    Der,
    /// A PEM block is damaged.
    BadPem(String),
    /// Valid PEM, but no `CERTIFICATE` block in it.
    NoCertificate {
        /// The PEM block types that were found instead, if any.
        found: Vec<String>,
    },
    /// A certificate block does not hold a parsable X.509 certificate.
    BadCertificate(String),
    /// The CA certificate has expired.
    Expired {
        /// The certificate's subject.
        subject: String,
        /// When it expired (RFC 3339).
        not_after: String,
    },
    /// The certificate is explicitly not a CA (basicConstraints CA:FALSE), e.g. the server's own certificate.
    NotCa {
        /// The certificate's subject.
        subject: String,
    },
}

impl fmt::Display for CaProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaProblem::Unreadable(err) => write!(f, "cannot read the file ({err}); check the path and that the file is mounted"),
            CaProblem::NotBase64(err) => write!(f, "not base64 ({err}); encode the CA's PEM file on a single line, e.g. `base64 -w0 ca.pem`"),
            CaProblem::NotPem => f.write_str("not a PEM certificate (no -----BEGIN CERTIFICATE----- block); give the CA certificate in PEM form"),
            CaProblem::Der => f.write_str("the file holds a DER (binary) certificate, not PEM; convert it to PEM with `openssl x509 -inform DER -in ca.der -out ca.pem` and give the PEM file"),
            CaProblem::BadPem(err) => write!(f, "damaged PEM ({err}); export the CA certificate again"),
            CaProblem::NoCertificate { found } if found.is_empty() => f.write_str("no certificate in it; give the CA certificate (-----BEGIN CERTIFICATE-----)"),
            CaProblem::NoCertificate { found } => write!(f, "no certificate in it, only {}; give the CA certificate (-----BEGIN CERTIFICATE-----), never a private key", found.join(", ")),
            CaProblem::BadCertificate(err) => write!(f, "not a valid X.509 certificate ({err}); export the CA certificate again"),
            CaProblem::Expired { subject, not_after } => write!(f, "the CA certificate `{subject}` expired on {not_after}; provide the current CA certificate"),
            CaProblem::NotCa { subject } => write!(f, "`{subject}` is not a CA certificate (basicConstraints CA:FALSE); give the CA that signed the server's certificate, not the server certificate itself"),
        }
    }
}

/// The classified cause of a failed TLS handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsFailure {
    /// The chain does not lead to a trusted root.
    UnknownAuthority,
    /// The certificate is not valid for the host name.
    HostnameMismatch,
    /// The certificate (or one in its chain) has expired.
    Expired,
    /// The certificate (or one in its chain) is not valid yet.
    NotYetValid,
    /// Anything else: protocol versions, alerts, bad signatures, ...
    Other(String),
}

impl TlsFailure {
    pub(crate) fn from_io(err: &io::Error) -> TlsFailure {
        use rustls::CertificateError as C;
        let Some(tls) = err
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        else {
            return TlsFailure::Other(err.to_string());
        };
        match tls {
            rustls::Error::InvalidCertificate(cert) => match cert {
                C::UnknownIssuer => TlsFailure::UnknownAuthority,
                C::NotValidForName | C::NotValidForNameContext { .. } => {
                    TlsFailure::HostnameMismatch
                }
                C::Expired | C::ExpiredContext { .. } => TlsFailure::Expired,
                C::NotValidYet | C::NotValidYetContext { .. } => TlsFailure::NotYetValid,
                other => TlsFailure::Other(format!("invalid certificate: {other:?}")),
            },
            other => TlsFailure::Other(other.to_string()),
        }
    }

    fn hint(&self) -> &'static str {
        match self {
            TlsFailure::UnknownAuthority => "if the server's certificate is signed by an internal or corporate CA, provide that CA as customCaCert",
            TlsFailure::HostnameMismatch => "use the host name the server's certificate was issued for, or reissue the certificate",
            TlsFailure::Expired => "renew the server's certificate",
            TlsFailure::NotYetValid => "check the clocks of the agent and the server, or wait until the certificate becomes valid",
            TlsFailure::Other(_) => "check that the URL points at a TLS server that supports TLS 1.2 or newer",
        }
    }
}

impl fmt::Display for TlsFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // The exact wording of Go's crypto/x509, which the customer guide quotes.
            TlsFailure::UnknownAuthority => {
                f.write_str("x509: certificate signed by unknown authority")
            }
            TlsFailure::HostnameMismatch => {
                f.write_str("x509: certificate is not valid for the requested host name")
            }
            TlsFailure::Expired => f.write_str("x509: certificate has expired"),
            TlsFailure::NotYetValid => f.write_str("x509: certificate is not yet valid"),
            TlsFailure::Other(msg) => f.write_str(msg),
        }
    }
}

/// The next step for a failed TCP connection to `peer`.
pub(crate) fn connect_hint(peer: Peer, err: &io::Error) -> &'static str {
    match (peer, err.kind()) {
        (Peer::Proxy, io::ErrorKind::ConnectionRefused) => {
            "nothing listens at the proxy address; check proxy.url (host and port)"
        }
        (Peer::Target, io::ErrorKind::ConnectionRefused) => {
            "nothing listens there; check the port in the server URL (Bitbucket usually listens on 443 or 7990)"
        }
        (Peer::Proxy, _) => "check proxy.url and that the proxy is reachable from the agent",
        (Peer::Target, _) => "check the server URL and that the server is reachable from the agent's network",
    }
}

/// The next step for a CONNECT refused with `status`.
pub(crate) fn proxy_status_hint(status: u16, target: &str) -> String {
    let host = target
        .rsplit_once(':')
        .map_or(target, |(host, _)| host)
        .trim_start_matches('[')
        .trim_end_matches(']');
    match status {
        401 | 407 => "the proxy requires authentication: put the credentials in the proxy URL (http://user:password@proxy:port) and check them".to_owned(),
        403 => format!("the proxy's policy forbids tunnels to {target}; ask the proxy's administrators to allow it, or if {host} is internal add it to proxy.noProxy"),
        500..=599 => format!("the proxy cannot reach {host}; if it is an internal server, add {host} or its domain to proxy.noProxy so the agent reaches it directly"),
        _ => "check the proxy's policy for this destination".to_owned(),
    }
}

pub(crate) fn humanize(duration: Duration) -> String {
    if duration.subsec_millis() == 0 {
        format!("{} s", duration.as_secs())
    } else {
        format!("{} ms", duration.as_millis())
    }
}
