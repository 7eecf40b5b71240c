//! Outbound connections for the gitproxy agent: proxy selection (NO_PROXY), CONNECT tunnelling,
//! internal CA trust, and connection diagnostics that say what to fix.
//!
//! Only this crate decides between direct and proxied connections and builds TLS trust stores.
//!
//! ```text
//! ProxyConfig ──┐
//!               ├─> EgressConnector ──> hyper-util Client / bitbucket-dc / tunnel
//! TrustConfig ──┘           └─────────> diagnose(url) -> DiagnosisReport (JSON, lines)
//! ```
//!
//! # Proxy selection
//!
//! [`ProxyConfig`] takes explicit settings first (the Helm values `proxy.url` and
//! `proxy.noProxy`, or separate http/https proxies) and falls back, setting by setting, to the
//! environment, given as data ([`ProxyConfig::from_env_map`]) so tests never touch the process
//! environment:
//!
//! - `https://` targets use `https_proxy`, then `all_proxy`; `http://` targets use `http_proxy`,
//!   then `all_proxy`. The agent is not a CGI program, so upper-case `HTTP_PROXY` is honoured.
//! - Both casings are read. When both are set and differ, the lower-case one wins (as with curl
//!   in the same pod) and a warning is logged and kept in [`ProxyConfig::warnings`]. Empty values
//!   count as unset; an explicit empty proxy setting switches the environment's proxy off.
//! - `host:port` without a scheme means `http://host:port`; the port defaults to 80. Only
//!   `http://` proxies are supported, with optional Basic credentials in the URL
//!   (`http://user:password@proxy:3128`, percent-encoded). Invalid URLs are rejected with an error
//!   naming the setting and the value, password shown as `***`. NTLM/Kerberos are not supported.
//!
//! # NO_PROXY rules ([`NoProxy`])
//!
//! A superset of curl, Go and hyper-util, chosen so that over-bypassing shows up as a visible
//! connection error rather than internal host names leaking to the proxy:
//!
//! 1. The list is split on commas; entries are trimmed, empty ones dropped, lower-cased, and one
//!    trailing dot is ignored (on entries and on target hosts).
//! 2. `*` as an entry (anywhere in the list) sends every target directly.
//! 3. `example.com`, `.example.com` and `*.example.com` all match `example.com` itself and any
//!    subdomain, on a label boundary: `a.b.example.com` matches, `notexample.com` does not.
//! 4. IP literals (`10.0.0.1`, `::1`, `[::1]`) and CIDR ranges (`10.0.0.0/8`, `fd00::/8`) match only
//!    targets given as IP literals. Names are never resolved: `10.0.0.0/8` does not cover
//!    `bitbucket.corp` even if it resolves into that range; list the name too.
//! 5. An optional `:port` restricts an entry to that port (`bitbucket.corp:7990`,
//!    `10.0.0.1:443`, `[::1]:8443`); IPv6 needs brackets to carry a port (`::1:8443` is an address).
//! 6. Loopback targets (`localhost`, `*.localhost`, 127.0.0.0/8, ::1) always go direct, whatever the
//!    list says. [`ProxyConfigBuilder::bypass_loopback`]`(false)` turns this off; tests use it to
//!    send loopback traffic through a proxy running on loopback.
//! 7. Entries that cannot be understood (`10.0.0.0/33`, `host:port` with a bad port) are skipped
//!    with a warning, like curl and Go do, instead of stopping the agent.
//!
//! Every decision is explainable: [`ProxyConfig::explain`] returns a [`Decision`] saying direct or
//! proxy and the rule (entry, loopback, no proxy configured) that decided it; it is logged at
//! debug level, never with credentials.
//!
//! # Trust
//!
//! [`TrustConfig`] starts from the platform roots (rustls-native-certs; `SSL_CERT_FILE` and
//! `SSL_CERT_DIR` replace the platform store when set) and adds extra CAs from a PEM file, PEM text
//! or the single-line base64 form of the Helm value `customCaCert` ([`CaSource`]). Bad input
//! (not base64, not PEM, no certificate, expired CA, a server certificate instead of a CA) is an
//! error naming the input and the reason. TLS 1.2 is the minimum and nothing turns verification
//! off. Build one trust configuration, and one connector, per destination (cloud, Bitbucket).
//!
//! # Server URLs
//!
//! [`server_url`] checks the base URL of a [`Server`] the agent is configured to contact: http(s)
//! with a host (https for the cloud endpoint), no user-info and no credential query parameter
//! ([`credential_query_key`]); its errors never show the query or a password.
//!
//! # Connecting
//!
//! [`EgressConnector`] is a hyper-util connector: direct TCP, or CONNECT through the proxy (with
//! `Proxy-Authorization: Basic` when the proxy URL has credentials), then rustls for `https`.
//! A refused CONNECT is [`Error::ProxyRefused`] with the proxy's status line. Plain `http` targets
//! through a proxy are sent as absolute-form requests; see [`EgressConnector::prepare_request`].
//! Connect, CONNECT and handshake have their own [`Timeouts`]; TCP keepalive is on (20 s / 8 s).
//!
//! # Diagnostics
//!
//! [`diagnose`] runs configuration, proxy decision, DNS, TCP connect, CONNECT, TLS handshake and
//! one HTTP request, recording each ([`DiagnosisReport`]). A failure gets a stable
//! [`FailureCode`] and a hint in the customer guide's terms: `proxy_bad_gateway` says to add the
//! host to `proxy.noProxy`; `tls_unknown_authority` carries
//! `x509: certificate signed by unknown authority`, names the issuer the server presented and says
//! to provide the CA as `customCaCert`.

mod cert;
mod connect;
mod credentials;
mod diagnose;
mod error;
mod no_proxy;
mod proxy;
mod resolver;
mod server_url;
mod trust;

pub use cert::CertInfo;
pub use connect::{Alpn, EgressConnector, EgressConnectorBuilder, EgressStream, Timeouts};
pub use credentials::credential_query_key;
pub use diagnose::{
    diagnose, DiagnosisReport, Failure, FailureCode, Stage, StageReport, StageStatus,
};
pub use error::{CaProblem, Error, Peer, TlsFailure};
pub use no_proxy::{NoProxy, NoProxyEntry};
pub use proxy::{Decision, ProxyConfig, ProxyConfigBuilder, ProxyUrl, Reason};
pub use resolver::Resolver;
pub use server_url::{server_url, Server, ServerUrlProblem};
pub use trust::{CaSource, TrustConfig, TrustConfigBuilder};
