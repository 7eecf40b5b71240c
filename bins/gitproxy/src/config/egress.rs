//! The egress settings: proxy selection and TLS trust, resolved through the egress crate with
//! every explicit value named by its source.

use std::path::Path;

use gitproxy_egress::{CaSource, ProxyConfig, TrustConfig};

use super::sources::{err, Given, Layers, Source};
use super::ConfigError;
use crate::settings;

/// Flags and file values are explicit settings; the environment (both casings) is the fallback,
/// resolved by the egress crate, whose errors name the variable.
pub(super) fn resolve_proxy(layers: &Layers<'_>) -> Result<ProxyConfig, ConfigError> {
    let mut builder = ProxyConfig::builder().env(layers.env);
    if let Some(raw) = layers.explicit(&settings::HTTPS_PROXY) {
        builder = builder.https_proxy_from(raw.value, raw.source.to_string());
    }
    if let Some(raw) = layers.explicit(&settings::HTTP_PROXY) {
        builder = builder.http_proxy_from(raw.value, raw.source.to_string());
    }
    if let Some(raw) = layers.explicit(&settings::NO_PROXY) {
        builder = builder.no_proxy(raw.value);
    }
    // Loopback targets never use the proxy unless GITPROXY_PROXY_LOOPBACK=true (for end-to-end
    // tests that run the proxy, the cloud and Bitbucket on one machine).
    let through = layers.parse(&settings::PROXY_LOOPBACK, super::validate::boolean)?;
    if let Some(through) = through {
        builder = builder.bypass_loopback(!through);
    }
    builder.build().map_err(|e| ConfigError(e.to_string()))
}

/// Platform roots (from the given environment) plus the internal CA, if any: a PEM file, or the
/// single-line base64 form of the PEM.
pub(super) fn resolve_trust(layers: &Layers<'_>) -> Result<TrustConfig, ConfigError> {
    let mut builder = TrustConfig::builder().platform_roots_from_env_map(layers.env);
    match layers.given(&settings::CUSTOM_CA_CERT) {
        Some(Given::Value(raw)) => {
            builder = builder.add_ca(CaSource::base64_pem(raw.source.to_string(), raw.value));
        }
        Some(Given::File(path, source)) => builder = builder.add_ca(ca_file(&path, &source)?),
        None => {}
    }
    builder.build().map_err(|e| ConfigError(e.to_string()))
}

/// A CA PEM file, read here so a missing file names the setting; a DER file is told to convert.
fn ca_file(path: &Path, source: &Source) -> Result<CaSource, ConfigError> {
    let bytes = std::fs::read(path).map_err(|e| {
        let fix = "mount the CA there or fix the path";
        err(
            source,
            format!("cannot read CA file {}: {e}; {fix}", path.display()),
        )
    })?;
    let input = format!("{source} {}", path.display());
    Ok(CaSource::pem_file_bytes(input, bytes))
}
