//! The built-in HTTPS support behind the `rustls` feature: rustls (ring) with the platform's
//! trusted roots or a caller's configuration, and recognising rustls failures in error chains.

use std::sync::Arc;
use std::time::Duration;

use hyper_util::client::legacy::connect::HttpConnector;

use crate::client::config;
use crate::error::Error;

/// rustls (ring) trusting the platform's root certificates.
pub(crate) fn native_roots_config() -> Result<rustls::ClientConfig, Error> {
    use hyper_rustls::ConfigBuilderExt as _;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| {
            config(&format!(
                "the TLS provider rejected the default protocol versions ({err}): report this bug"
            ))
        })?;
    let builder = builder.with_native_roots().map_err(|err| {
        config(&format!(
            "no trusted root certificates could be loaded from the platform ({err}): install the CA bundle, or pass a TLS configuration or a connector"
        ))
    })?;
    Ok(builder.with_no_client_auth())
}

/// An HTTP(S) connector using `tls` for `https` URLs, HTTP/1.1 and HTTP/2.
pub(crate) fn https_connector(
    tls: rustls::ClientConfig,
    connect_timeout: Duration,
) -> hyper_rustls::HttpsConnector<HttpConnector> {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_connect_timeout(Some(connect_timeout));
    http.set_nodelay(true);
    hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .wrap_connector(http)
}

/// A rustls error anywhere in the chain (also wrapped, possibly repeatedly, in `io::Error`s),
/// rendered.
pub(crate) fn find_tls_error(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    if let Some(tls) = err.downcast_ref::<rustls::Error>() {
        return Some(tls.to_string());
    }
    if let Some(io) = err.downcast_ref::<std::io::Error>() {
        if let Some(inner) = io.get_ref() {
            if let Some(found) = find_tls_error(inner as &(dyn std::error::Error + 'static)) {
                return Some(found);
            }
        }
    }
    err.source().and_then(find_tls_error)
}
