//! Connection diagnostics: every stage of reaching a URL, with a stable failure code and a fix.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderValue, Request};
use http_body_util::Empty;
use hyper_util::rt::TokioExecutor;
use serde::Serialize;
use tokio::time::Instant;
use url::Url;

use crate::cert::CertInfo;
use crate::connect::{EgressStream, Target, Transport};
use crate::proxy::redact_userinfo;
use crate::{CaProblem, Decision, EgressConnector, Error, Peer, Reason, TlsFailure};

/// The stages of a connection, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Stage {
    /// Building the proxy and trust settings.
    Config,
    /// Choosing direct or proxy, and why.
    ProxyDecision,
    /// Resolving the host to connect to (the proxy's when proxied).
    Dns,
    /// Opening the TCP connection (to the proxy when proxied).
    TcpConnect,
    /// Asking the proxy for a tunnel (CONNECT).
    ProxyConnect,
    /// The TLS handshake with the server, verifying its certificate.
    TlsHandshake,
    /// One HTTP request, to see the server answer.
    Http,
}

impl Stage {
    /// Every stage, in order.
    pub const ALL: [Stage; 7] = [
        Stage::Config,
        Stage::ProxyDecision,
        Stage::Dns,
        Stage::TcpConnect,
        Stage::ProxyConnect,
        Stage::TlsHandshake,
        Stage::Http,
    ];
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stage::Config => "configuration",
            Stage::ProxyDecision => "proxy decision",
            Stage::Dns => "dns",
            Stage::TcpConnect => "tcp connect",
            Stage::ProxyConnect => "proxy CONNECT",
            Stage::TlsHandshake => "tls handshake",
            Stage::Http => "http",
        })
    }
}

/// How a stage went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StageStatus {
    /// It worked.
    Passed,
    /// It failed; the report's `failure` says why.
    Failed,
    /// It did not apply or was not attempted.
    Skipped,
}

/// One stage's outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct StageReport {
    /// Which stage.
    pub stage: Stage,
    /// How it went.
    pub status: StageStatus,
    /// What happened, in a sentence.
    pub detail: String,
    /// How long it took, in milliseconds.
    pub elapsed_ms: f64,
}

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

/// The outcome of [`diagnose`]: one entry per stage, and the failure if any.
///
/// Serializes to JSON for the cloud's Test Connection; `Display` renders one line per stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct DiagnosisReport {
    /// The URL diagnosed (password redacted).
    pub url: String,
    /// Whether every stage passed.
    pub ok: bool,
    /// The proxy decision, once made.
    pub decision: Option<Decision>,
    /// The stages in order.
    pub stages: Vec<StageReport>,
    /// The certificate the server presented, even when it was rejected.
    pub certificate: Option<CertInfo>,
    /// The HTTP status of the probe request.
    pub http_status: Option<u16>,
    /// The first failure.
    pub failure: Option<Failure>,
}

impl DiagnosisReport {
    fn new(url: &str) -> DiagnosisReport {
        DiagnosisReport {
            url: redact_userinfo(url),
            ok: false,
            decision: None,
            stages: Vec::new(),
            certificate: None,
            http_status: None,
            failure: None,
        }
    }

    /// A report for settings that could not even be built, e.g. a garbage `customCaCert`.
    pub fn from_config_error(url: &Url, error: &Error) -> DiagnosisReport {
        let mut report = DiagnosisReport::new(url.as_str());
        let (code, hint) = classify_config(error);
        report.fail(
            Stage::Config,
            0.0,
            Failure {
                code,
                stage: Stage::Config,
                message: error.to_string(),
                hint,
            },
        );
        report
    }

    /// The failure's code, if the diagnosis failed.
    pub fn failure_code(&self) -> Option<FailureCode> {
        self.failure.as_ref().map(|f| f.code)
    }

    /// The report of one stage.
    pub fn stage(&self, stage: Stage) -> Option<&StageReport> {
        self.stages.iter().find(|s| s.stage == stage)
    }

    fn pass(&mut self, stage: Stage, elapsed_ms: f64, detail: String) {
        self.stages.push(StageReport {
            stage,
            status: StageStatus::Passed,
            detail,
            elapsed_ms,
        });
    }

    fn skip(&mut self, stage: Stage, detail: &str) {
        self.stages.push(StageReport {
            stage,
            status: StageStatus::Skipped,
            detail: detail.to_owned(),
            elapsed_ms: 0.0,
        });
    }

    /// Records the failure and marks every later stage as not attempted.
    fn fail(&mut self, stage: Stage, elapsed_ms: f64, mut failure: Failure) {
        failure.stage = stage;
        self.stages.push(StageReport {
            stage,
            status: StageStatus::Failed,
            detail: failure.message.clone(),
            elapsed_ms,
        });
        self.failure = Some(failure);
        self.finish();
    }

    fn finish(&mut self) {
        for stage in Stage::ALL {
            if self.stage(stage).is_none() {
                self.skip(stage, "not attempted");
            }
        }
        self.stages
            .sort_by_key(|s| Stage::ALL.iter().position(|x| *x == s.stage));
        self.ok = self.failure.is_none();
    }
}

impl fmt::Display for DiagnosisReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "connection diagnosis for {}: {}",
            self.url,
            if self.ok { "ok" } else { "failed" }
        )?;
        for stage in &self.stages {
            let mark = match stage.status {
                StageStatus::Passed => "pass",
                StageStatus::Failed => "FAIL",
                StageStatus::Skipped => "skip",
            };
            write!(
                f,
                "  [{mark}] {:<15} {}",
                stage.stage.to_string(),
                stage.detail
            )?;
            if stage.status != StageStatus::Skipped {
                write!(f, " ({:.1} ms)", stage.elapsed_ms)?;
            }
            writeln!(f)?;
        }
        if let Some(failure) = &self.failure {
            writeln!(f, "error {}: {}", failure.code, failure.message)?;
            writeln!(f, "hint: {}", failure.hint)?;
        }
        Ok(())
    }
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

impl EgressConnector {
    /// Diagnoses `url` with this connector's settings; see [`diagnose`].
    pub async fn diagnose(&self, url: &Url) -> DiagnosisReport {
        diagnose(self, url).await
    }
}

/// Runs every stage of connecting to `url` with `connector`'s settings and reports each.
///
/// Never fails: problems are in the report. Names are resolved with the connector's
/// [`crate::Resolver`]; the HTTP stage sends one `GET` of the URL's path and accepts any answer
/// from the server (even 401) as reachable, within the handshake timeout.
pub async fn diagnose(connector: &EgressConnector, url: &Url) -> DiagnosisReport {
    let mut report = DiagnosisReport::new(url.as_str());
    let trust = connector.trust();
    let proxy_config = connector.proxy_config();
    let mut config = format!(
        "trusting {} platform roots and {} extra CAs",
        trust.platform_root_count(),
        trust.extra_cas().len()
    );
    for ca in trust.extra_cas() {
        config.push_str(&format!(" ({})", ca.subject));
    }
    if !proxy_config.warnings().is_empty() {
        config.push_str(&format!(
            "; warnings: {}",
            proxy_config.warnings().join("; ")
        ));
    }
    report.pass(Stage::Config, 0.0, config);

    let started = Instant::now();
    let target = match url_target(url) {
        Ok(target) => target,
        Err(err) => {
            let failure = failure_for(&err, &Context::default());
            report.fail(Stage::ProxyDecision, ms(started), failure);
            return report;
        }
    };
    let decision = proxy_config.decide(&target.scheme, &target.host, target.port);
    report.pass(Stage::ProxyDecision, ms(started), decision.to_string());
    report.decision = Some(decision.clone());
    let mut context = Context {
        target: target.clone(),
        decision: Some(decision.clone()),
        certificate: None,
    };

    let (peer, host, port) = match decision.proxy() {
        Some(proxy) => (Peer::Proxy, proxy.host().to_owned(), proxy.port()),
        None => (Peer::Target, target.host.clone(), target.port),
    };
    let started = Instant::now();
    let addrs = match connector.resolve(peer, &host, port).await {
        Ok(addrs) => addrs,
        Err(err) => {
            report.fail(Stage::Dns, ms(started), failure_for(&err, &context));
            return report;
        }
    };
    let listed: Vec<String> = addrs.iter().map(|a| a.ip().to_string()).collect();
    let mut detail = format!("{peer} {host} -> {}", listed.join(", "));
    if peer == Peer::Proxy {
        detail.push_str(&format!("; the proxy resolves {}", target.host));
    }
    report.pass(Stage::Dns, ms(started), detail);

    let started = Instant::now();
    let tcp = match connector.tcp_connect(peer, &host, &addrs).await {
        Ok(tcp) => tcp,
        Err(err) => {
            report.fail(Stage::TcpConnect, ms(started), failure_for(&err, &context));
            return report;
        }
    };
    let peer_addr = tcp
        .peer_addr()
        .map_or_else(|_| "?".to_owned(), |a| a.to_string());
    report.pass(
        Stage::TcpConnect,
        ms(started),
        format!("connected to {peer} at {peer_addr}"),
    );

    let tcp = match (decision.proxy(), target.tls) {
        (Some(proxy), true) => {
            let started = Instant::now();
            match connector.tunnel(tcp, proxy, &target).await {
                Ok(tcp) => {
                    report.pass(
                        Stage::ProxyConnect,
                        ms(started),
                        format!("proxy {proxy} opened a tunnel to {}", target.authority()),
                    );
                    tcp
                }
                Err(err) => {
                    report.fail(
                        Stage::ProxyConnect,
                        ms(started),
                        failure_for(&err, &context),
                    );
                    return report;
                }
            }
        }
        (Some(_), false) => {
            report.skip(
                Stage::ProxyConnect,
                "not used: plain http goes to the proxy as absolute-form requests",
            );
            tcp
        }
        (None, _) => {
            report.skip(Stage::ProxyConnect, "not used: direct connection");
            tcp
        }
    };

    let stream = if target.tls {
        let started = Instant::now();
        let alpn = connector.alpn().protocols();
        let (config, presented) = trust.capturing_client_config(&alpn);
        let result = connector
            .tls_handshake(tcp, &target, Arc::clone(&config))
            .await;
        context.certificate = presented
            .end_entity()
            .and_then(|der| CertInfo::from_der(&der).ok());
        report.certificate = context.certificate.clone();
        match result {
            Ok(tls) => {
                let (_, session) = tls.get_ref();
                let version = session
                    .protocol_version()
                    .and_then(|v| v.as_str())
                    .unwrap_or("TLS");
                let alpn = session
                    .alpn_protocol()
                    .map(|p| String::from_utf8_lossy(p).into_owned())
                    .unwrap_or_else(|| "none".to_owned());
                let cert = context
                    .certificate
                    .as_ref()
                    .map_or_else(|| "no certificate".to_owned(), ToString::to_string);
                report.pass(
                    Stage::TlsHandshake,
                    ms(started),
                    format!("{version}, ALPN {alpn}, certificate verified: {cert}"),
                );
                EgressStream::new(Transport::Tls(Box::new(tls)), false)
            }
            Err(err) => {
                report.fail(
                    Stage::TlsHandshake,
                    ms(started),
                    failure_for(&err, &context),
                );
                return report;
            }
        }
    } else {
        report.skip(Stage::TlsHandshake, "not used: plain http");
        EgressStream::new(Transport::Tcp(tcp), decision.proxy().is_some())
    };

    let started = Instant::now();
    let auth = connector.proxy_authorization(&target_uri(&target, url, true));
    let limit = connector.timeouts().handshake();
    match tokio::time::timeout(limit, http_probe(stream, &target, url, auth)).await {
        Ok(Ok((status, reason))) => {
            report.http_status = Some(status);
            let via_proxy = decision.proxy().is_some() && !target.tls;
            if let Some(failure) = via_proxy
                .then(|| proxy_http_failure(status, &reason, &context))
                .flatten()
            {
                report.fail(Stage::Http, ms(started), failure);
                return report;
            }
            report.pass(
                Stage::Http,
                ms(started),
                format!("GET {} answered {status} {reason}", url.path()),
            );
        }
        Ok(Err(message)) => {
            let failure = Failure {
                code: FailureCode::HttpFailed,
                stage: Stage::Http,
                message: format!("the HTTP request failed: {message}"),
                hint: "the server accepted the connection but did not answer HTTP; check the URL's scheme and port".to_owned(),
            };
            report.fail(Stage::Http, ms(started), failure);
            return report;
        }
        Err(_) => {
            let err = Error::Timeout {
                stage: Stage::Http,
                peer: Peer::Target,
                peer_host: target.host.clone(),
                after: limit,
            };
            report.fail(Stage::Http, ms(started), failure_for(&err, &context));
            return report;
        }
    }
    report.finish();
    report
}

fn url_target(url: &Url) -> Result<Target, Error> {
    let invalid = |reason: &str| Error::InvalidTarget {
        target: redact_userinfo(url.as_str()),
        reason: reason.to_owned(),
    };
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| invalid("the URL has no host"))?;
    let tls = match url.scheme() {
        "https" | "wss" => true,
        "http" | "ws" => false,
        _ => return Err(invalid("only http and https URLs are supported")),
    };
    Ok(Target {
        tls,
        scheme: url.scheme().to_owned(),
        host: crate::no_proxy::normalize_host(host),
        port: url
            .port_or_known_default()
            .unwrap_or(if tls { 443 } else { 80 }),
    })
}

/// The request target: absolute-form (`scheme://host:port/path?query`) or origin-form.
fn target_uri(target: &Target, url: &Url, absolute: bool) -> http::Uri {
    let mut path = url.path().to_owned();
    if path.is_empty() {
        path.push('/');
    }
    if let Some(query) = url.query() {
        path.push('?');
        path.push_str(query);
    }
    let text = if absolute {
        format!("{}://{}{path}", target.scheme, target.authority())
    } else {
        path
    };
    text.parse().unwrap_or_else(|_| http::Uri::from_static("/"))
}

async fn http_probe(
    stream: EgressStream,
    target: &Target,
    url: &Url,
    proxy_auth: Option<HeaderValue>,
) -> Result<(u16, String), String> {
    let h2 = stream.negotiated_h2();
    let absolute = h2 || stream.is_proxied_http();
    let mut request = Request::get(target_uri(target, url, absolute))
        .header(http::header::USER_AGENT, "gitproxy-egress-diagnose")
        .body(Empty::<Bytes>::new())
        .map_err(|e| e.to_string())?;
    if !h2 {
        let host = if target.port == if target.tls { 443 } else { 80 } {
            target.host.clone()
        } else {
            target.authority()
        };
        let host = HeaderValue::from_str(&host).map_err(|e| e.to_string())?;
        request.headers_mut().insert(http::header::HOST, host);
    }
    if let Some(auth) = proxy_auth {
        request
            .headers_mut()
            .insert(http::header::PROXY_AUTHORIZATION, auth);
    }
    let response = if h2 {
        let (mut sender, conn) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), stream)
                .await
                .map_err(|e| e.to_string())?;
        tokio::spawn(conn);
        sender.send_request(request).await
    } else {
        let (mut sender, conn) = hyper::client::conn::http1::handshake(stream)
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(conn);
        sender.send_request(request).await
    }
    .map_err(|e| e.to_string())?;
    let status = response.status();
    Ok((
        status.as_u16(),
        status.canonical_reason().unwrap_or("").to_owned(),
    ))
}

/// A proxy's answer to a plain-http request that means the proxy, not the server, failed.
fn proxy_http_failure(status: u16, reason: &str, context: &Context) -> Option<Failure> {
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
struct Context {
    target: Target,
    decision: Option<Decision>,
    certificate: Option<CertInfo>,
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

fn classify_config(error: &Error) -> (FailureCode, String) {
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

fn failure_for(error: &Error, context: &Context) -> Failure {
    let host = context.target.host.as_str();
    let (stage, code, message, hint) = match error {
        Error::InvalidProxyUrl { .. }
        | Error::InvalidCa { .. }
        | Error::EmptyTrustStore
        | Error::InvalidSetting { .. }
        | Error::InvalidTarget { .. } => {
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
