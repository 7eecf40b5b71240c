//! Connection diagnostics: every stage of reaching a URL, with a stable failure code and a fix.

mod classify;
mod report;

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderValue, Request};
use http_body_util::Empty;
use hyper_util::rt::TokioExecutor;
use tokio::time::Instant;
use url::Url;

use crate::cert::CertInfo;
use crate::connect::{EgressStream, Target, Transport};
use crate::proxy::redact_userinfo;
use crate::{EgressConnector, Error, Peer};

use classify::{failure_for, proxy_http_failure, Context};

pub use classify::{Failure, FailureCode};
pub use report::{DiagnosisReport, Stage, StageReport, StageStatus};

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
