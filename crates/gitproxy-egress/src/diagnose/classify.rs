//! Classifying a failed stage: a stable failure code and the fix, in the customer guide's terms.

use std::fmt;

use serde::Serialize;

use super::Stage;
use crate::cert::CertInfo;
use crate::connect::Target;
use crate::{CaProblem, Decision, Error, Peer, Reason, TlsFailure};

/// Stable machine-readable failure classes (serialized in snake_case, see [`FailureCode::as_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FailureCode {
    /// The URL cannot be used.
    InvalidUrl,
    /// A proxy URL cannot be used.
    InvalidProxyUrl,
    /// A CA input (customCaCert, CA file) cannot be used.
    InvalidCa,
    /// A CA input holds an expired CA.
    CaExpired,
    /// No trusted CA at all.
    EmptyTrustStore,
    /// Another setting is out of range.
    InvalidSetting,
    /// A host name does not resolve.
    DnsFailure,
    /// Nothing listens at the address.
    ConnectionRefused,
    /// The TCP connection failed otherwise.
    ConnectionFailed,
    /// A stage did not finish in time.
    Timeout,
    /// The proxy cannot reach the target (CONNECT answered 5xx, typically 502 Bad Gateway).
    ProxyBadGateway,
    /// The proxy's policy forbids the target (403).
    ProxyForbidden,
    /// The proxy wants (other) credentials (407).
    ProxyAuthRequired,
    /// The proxy refused CONNECT with another status.
    ProxyRefused,
    /// The proxy did not speak HTTP.
    ProxyProtocolError,
    /// The server's certificate chain does not lead to a trusted CA.
    TlsUnknownAuthority,
    /// The certificate is for another host name.
    TlsHostnameMismatch,
    /// The certificate has expired.
    TlsExpired,
    /// The certificate is not valid yet.
    TlsNotYetValid,
    /// The TLS handshake failed otherwise.
    TlsHandshakeFailed,
    /// The HTTP request failed.
    HttpFailed,
}

impl FailureCode {
    /// The stable code, e.g. `tls_unknown_authority`.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureCode::InvalidUrl => "invalid_url",
            FailureCode::InvalidProxyUrl => "invalid_proxy_url",
            FailureCode::InvalidCa => "invalid_ca",
            FailureCode::CaExpired => "ca_expired",
            FailureCode::EmptyTrustStore => "empty_trust_store",
            FailureCode::InvalidSetting => "invalid_setting",
            FailureCode::DnsFailure => "dns_failure",
            FailureCode::ConnectionRefused => "connection_refused",
            FailureCode::ConnectionFailed => "connection_failed",
            FailureCode::Timeout => "timeout",
            FailureCode::ProxyBadGateway => "proxy_bad_gateway",
            FailureCode::ProxyForbidden => "proxy_forbidden",
            FailureCode::ProxyAuthRequired => "proxy_auth_required",
            FailureCode::ProxyRefused => "proxy_refused",
            FailureCode::ProxyProtocolError => "proxy_protocol_error",
            FailureCode::TlsUnknownAuthority => "tls_unknown_authority",
            FailureCode::TlsHostnameMismatch => "tls_hostname_mismatch",
            FailureCode::TlsExpired => "tls_expired",
            FailureCode::TlsNotYetValid => "tls_not_yet_valid",
            FailureCode::TlsHandshakeFailed => "tls_handshake_failed",
            FailureCode::HttpFailed => "http_failed",
        }
    }
}

impl fmt::Display for FailureCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a diagnosis failed and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Failure {
    /// The stable class.
    pub code: FailureCode,
    /// The stage that failed.
    pub stage: Stage,
    /// What failed.
    pub message: String,
    /// The fix, in the customer guide's terms.
    pub hint: String,
}

/// A proxy's answer to a plain-http request that means the proxy, not the server, failed.
pub(super) fn proxy_http_failure(status: u16, reason: &str, context: &Context) -> Option<Failure> {
    let proxy = context.decision.as_ref()?.proxy()?;
    let err = match status {
        407 | 502 | 504 => Error::ProxyRefused {
            proxy: proxy.to_string(),
            target: context.target.authority(),
            status,
            status_line: format!("{status} {reason}"),
        },
        _ => return None,
    };
    let mut failure = failure_for(&err, context);
    failure.stage = Stage::Http;
    Some(failure)
}

/// What the classifier knows besides the error.
#[derive(Debug, Default)]
pub(super) struct Context {
    pub(super) target: Target,
    pub(super) decision: Option<Decision>,
    pub(super) certificate: Option<CertInfo>,
}

impl Default for Target {
    fn default() -> Self {
        Target {
            tls: true,
            scheme: "https".to_owned(),
            host: String::new(),
            port: 443,
        }
    }
}

pub(super) fn classify_config(error: &Error) -> (FailureCode, String) {
    match error {
        Error::InvalidCa { input, problem } => {
            let code = if matches!(problem, CaProblem::Expired { .. }) {
                FailureCode::CaExpired
            } else {
                FailureCode::InvalidCa
            };
            (code, format!("{input} must hold the certificate (PEM) of the CA that signs your Bitbucket server's certificate, base64-encoded on a single line (`base64 -w0 ca.pem`); fix it following Trusting an Internal CA and upgrade"))
        }
        Error::InvalidProxyUrl { origin, .. } => (
            FailureCode::InvalidProxyUrl,
            format!("fix {origin}: it must be an http:// proxy URL such as http://proxy.corp:3128, with credentials as http://user:password@proxy.corp:3128"),
        ),
        Error::EmptyTrustStore => (
            FailureCode::EmptyTrustStore,
            "the agent has no CA to verify servers with: provide customCaCert, or use an image with the ca-certificates bundle".to_owned(),
        ),
        Error::InvalidTarget { .. } => (
            FailureCode::InvalidUrl,
            "enter the Server URL as https://host[:port], e.g. https://bitbucket.company.com".to_owned(),
        ),
        Error::InvalidServerUrl { server, .. } => (FailureCode::InvalidUrl, server.hint().to_owned()),
        _ => (
            FailureCode::InvalidSetting,
            "correct the setting named in the message".to_owned(),
        ),
    }
}

/// A domain suggestion for noProxy: `.corp.example` for `bitbucket.corp.example`.
fn parent_domain(host: &str) -> Option<String> {
    if host.parse::<std::net::IpAddr>().is_ok() {
        return None;
    }
    let (_, parent) = host.split_once('.')?;
    (!parent.is_empty()).then(|| format!(".{parent}"))
}

pub(super) fn failure_for(error: &Error, context: &Context) -> Failure {
    let host = context.target.host.as_str();
    let (stage, code, message, hint) = match error {
        Error::InvalidProxyUrl { .. }
        | Error::InvalidCa { .. }
        | Error::EmptyTrustStore
        | Error::InvalidSetting { .. }
        | Error::InvalidTarget { .. }
        | Error::InvalidServerUrl { .. } => {
            let (code, hint) = classify_config(error);
            (Stage::Config, code, error.to_string(), hint)
        }
        Error::Dns { peer, host: name, .. } => {
            let hint = match (peer, context.decision.as_ref().map(Decision::reason)) {
                (Peer::Proxy, _) => format!("the proxy's host name `{name}` does not resolve from the agent: check proxy.url"),
                (Peer::Target, Some(Reason::NoProxyEntry { entry, origin })) => format!(
                    "`{name}` does not resolve from the agent's network; check the Server URL's host name and the cluster's DNS. It is reached directly because of entry `{entry}` of {origin}; if only the proxy can reach it, remove it from proxy.noProxy"
                ),
                (Peer::Target, _) => format!("`{name}` does not resolve from the agent's network; check the Server URL's host name and the cluster's DNS"),
            };
            (Stage::Dns, FailureCode::DnsFailure, error.to_string(), hint)
        }
        Error::Connect { peer, source, addr, .. } => {
            let refused = source.kind() == std::io::ErrorKind::ConnectionRefused;
            let code = if refused {
                FailureCode::ConnectionRefused
            } else {
                FailureCode::ConnectionFailed
            };
            let hint = match (peer, refused) {
                (Peer::Proxy, _) => "the proxy is not reachable at that address: check proxy.url (host and port)".to_owned(),
                (Peer::Target, true) => format!("nothing listens at {addr}: check the port of the Server URL (Bitbucket usually listens on 443 or 7990)"),
                (Peer::Target, false) => "check that the server is reachable from the agent's network (network policy, firewall); if it is only reachable through the proxy, remove it from proxy.noProxy".to_owned(),
            };
            (Stage::TcpConnect, code, error.to_string(), hint)
        }
        Error::Timeout { stage, peer, peer_host, .. } => {
            let hint = match peer {
                Peer::Proxy => format!("the proxy {peer_host} did not answer in time: check proxy.url and that the agent may reach the proxy"),
                Peer::Target => format!("{peer_host} did not answer in time: check that it is reachable from the agent's network (network policy, firewall) and that the URL's port serves {}", if context.target.tls { "HTTPS" } else { "HTTP" }),
            };
            (*stage, FailureCode::Timeout, error.to_string(), hint)
        }
        Error::ProxyRefused { proxy, target, status, status_line } => {
            let message = format!("proxy {proxy} answered {status_line} to the request for {target}");
            let (code, hint) = match status {
                // tinyproxy answers wrong credentials with 401 rather than 407.
                401 | 407 => {
                    let with_credentials = context
                        .decision
                        .as_ref()
                        .and_then(Decision::proxy)
                        .is_some_and(|p| p.has_credentials());
                    let hint = if with_credentials {
                        "the proxy rejected the credentials in the proxy URL: check the user name and password in proxy.url".to_owned()
                    } else {
                        "the proxy requires authentication: put the credentials in the proxy URL, http://user:password@proxy:port".to_owned()
                    };
                    (FailureCode::ProxyAuthRequired, hint)
                }
                403 => (
                    FailureCode::ProxyForbidden,
                    format!("the proxy's policy forbids connections to {target}: ask your proxy administrators to allow it; if {host} is an internal server, add it to proxy.noProxy instead"),
                ),
                500..=599 => {
                    let domain = parent_domain(host)
                        .map(|d| format!(" (or your internal domain, e.g. `{d}`)"))
                        .unwrap_or_default();
                    (
                        FailureCode::ProxyBadGateway,
                        format!("Bad Gateway: the agent's request to {host} is routed through your cluster's outbound proxy, which can't reach an internal server. Add the Bitbucket host `{host}`{domain} to proxy.noProxy in your Backline values and upgrade, so the agent reaches it directly"),
                    )
                }
                _ => (
                    FailureCode::ProxyRefused,
                    format!("the proxy refused the connection to {target}: check the proxy's policy, or add {host} to proxy.noProxy if it is internal"),
                ),
            };
            (Stage::ProxyConnect, code, message, hint)
        }
        Error::ProxyProtocol { .. } => (
            Stage::ProxyConnect,
            FailureCode::ProxyProtocolError,
            error.to_string(),
            "check that proxy.url points at an HTTP proxy (not a SOCKS or TLS port)".to_owned(),
        ),
        Error::Tls { failure, .. } => tls_failure(failure, context),
        Error::Io { peer, .. } => (
            Stage::TcpConnect,
            FailureCode::ConnectionFailed,
            error.to_string(),
            format!("the connection to the {peer} broke; retry, and check the network path if it persists"),
        ),
    };
    Failure {
        code,
        stage,
        message,
        hint,
    }
}

fn tls_failure(failure: &TlsFailure, context: &Context) -> (Stage, FailureCode, String, String) {
    let host = context.target.host.as_str();
    let cert = context.certificate.as_ref();
    let presented = cert.map_or_else(String::new, |c| {
        format!(
            " (the server presented `{}` issued by `{}`)",
            c.subject, c.issuer
        )
    });
    let proxied = context
        .decision
        .as_ref()
        .is_some_and(|d| d.proxy().is_some());
    let (code, message, hint) = match failure {
        TlsFailure::UnknownAuthority => {
            let issuer =
                cert.map_or_else(|| "its issuer".to_owned(), |c| format!("`{}`", c.issuer));
            let mut hint = format!("the server's TLS certificate is signed by an internal or corporate CA that the agent doesn't trust (it ships only standard public CAs): provide that CA, {issuer}, to the agent as customCaCert (the CA's PEM, base64-encoded on a single line) following Trusting an Internal CA, then retry Test Connection");
            if proxied {
                hint.push_str("; if your proxy inspects TLS, its CA must be provided too");
            }
            (
                FailureCode::TlsUnknownAuthority,
                format!("x509: certificate signed by unknown authority{presented}"),
                hint,
            )
        }
        TlsFailure::HostnameMismatch => {
            let names = cert.map_or_else(|| "other names".to_owned(), |c| c.names().join(", "));
            (
                FailureCode::TlsHostnameMismatch,
                format!("x509: certificate is valid for {names}, not {host}"),
                format!("use a Server URL whose host name is in the certificate ({names}), or reissue the server's certificate to include {host}"),
            )
        }
        TlsFailure::Expired => {
            let when = cert.map_or_else(String::new, |c| format!(" on {}", c.not_after));
            (
                FailureCode::TlsExpired,
                format!("x509: certificate has expired{when}{presented}"),
                format!("renew the TLS certificate of {host}; the agent cannot trust an expired certificate"),
            )
        }
        TlsFailure::NotYetValid => {
            let when = cert.map_or_else(String::new, |c| format!(" until {}", c.not_before));
            (
                FailureCode::TlsNotYetValid,
                format!("x509: certificate is not yet valid{when}{presented}"),
                "check the clocks of the agent's node and of the server, or install a certificate that is valid now".to_owned(),
            )
        }
        TlsFailure::Other(detail) => (
            FailureCode::TlsHandshakeFailed,
            format!("tls handshake with {host} failed: {detail}"),
            "check that the URL's port serves HTTPS with TLS 1.2 or newer".to_owned(),
        ),
    };
    (Stage::TlsHandshake, code, message, hint)
}

#[cfg(test)]
mod tests;
