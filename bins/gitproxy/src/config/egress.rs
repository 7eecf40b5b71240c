//! The egress settings: proxy selection and TLS trust, resolved through the egress crate with
//! every explicit value named by its source.

use std::path::Path;

use gitproxy_egress::{CaSource, ProxyConfig, TrustConfig};

use super::sources::{FileConfig, Layers, Source};
use super::{err, ConfigError};
use crate::cli::GlobalArgs;
use crate::settings;

/// Flags and file values are explicit settings; the environment (both casings) is the fallback,
/// resolved by the egress crate, whose errors name the variable.
pub(super) fn resolve_proxy(
    flags: &GlobalArgs,
    layers: &Layers<'_>,
    file: &FileConfig,
) -> Result<ProxyConfig, ConfigError> {
    let mut builder = ProxyConfig::builder().env(layers.env);
    let explicit = |setting: &settings::Setting,
                    flag: Option<&String>,
                    file_value: Option<&String>|
     -> Option<(String, Source)> {
        if let (Some(v), Some(name)) = (flag, setting.flag) {
            return Some((v.clone(), Source::Flag(name)));
        }
        if layers.env_has(setting) {
            return None;
        }
        Some((file_value?.clone(), layers.file_source(setting.toml)?))
    };
    if let Some((v, source)) = explicit(
        &settings::HTTPS_PROXY,
        flags.https_proxy.as_ref(),
        file.https_proxy.as_ref(),
    ) {
        builder = builder.https_proxy_from(v, source.to_string());
    }
    if let Some((v, source)) = explicit(
        &settings::HTTP_PROXY,
        flags.http_proxy.as_ref(),
        file.http_proxy.as_ref(),
    ) {
        builder = builder.http_proxy_from(v, source.to_string());
    }
    if let Some((v, _)) = explicit(
        &settings::NO_PROXY,
        flags.no_proxy.as_ref(),
        file.no_proxy.as_ref(),
    ) {
        builder = builder.no_proxy(v);
    }
    // Loopback targets never use the proxy unless GITPROXY_PROXY_LOOPBACK=true (for end-to-end
    // tests that run the proxy, the cloud and Bitbucket on one machine).
    if let Some(raw) = settings::PROXY_LOOPBACK
        .env
        .and_then(|name| layers.env(name))
    {
        let through = match raw.value.trim() {
            "true" | "1" => true,
            "false" | "0" => false,
            other => {
                return Err(err(
                    &raw.source,
                    format!("`{other}` is not a boolean; use true or false"),
                ))
            }
        };
        builder = builder.bypass_loopback(!through);
    }
    builder.build().map_err(|e| ConfigError(e.to_string()))
}

/// Platform roots (from the given environment) plus the internal CA, if any.
pub(super) fn resolve_trust(
    flags: &GlobalArgs,
    layers: &Layers<'_>,
    file: &FileConfig,
) -> Result<TrustConfig, ConfigError> {
    let setting = &settings::CUSTOM_CA_CERT;
    let mut builder = TrustConfig::builder().platform_roots_from_env_map(layers.env);
    let env = |name: Option<&'static str>| name.and_then(|n| layers.env(n));
    let ca = if let (Some(path), Some(flag)) = (&flags.custom_ca_cert_file, setting.flag) {
        Some(ca_file(path, &Source::Flag(flag))?)
    } else if let Some(raw) = env(setting.env) {
        Some(CaSource::base64_pem(raw.source.to_string(), raw.value))
    } else if let Some(raw) = env(setting.env_file) {
        Some(ca_file(Path::new(&raw.value), &raw.source)?)
    } else if let (Some(value), Some(source)) =
        (&file.custom_ca_cert, layers.file_source(setting.toml))
    {
        Some(CaSource::base64_pem(source.to_string(), value.clone()))
    } else if let (Some(path), Some(source)) = (
        &file.custom_ca_cert_file,
        layers.file_source(setting.toml_file),
    ) {
        Some(ca_file(path, &source)?)
    } else {
        None
    };
    if let Some(ca) = ca {
        builder = builder.add_ca(ca);
    }
    builder.build().map_err(|e| ConfigError(e.to_string()))
}

/// A CA PEM file, read here so a missing file names the setting; a DER file is told to convert.
fn ca_file(path: &Path, source: &Source) -> Result<CaSource, ConfigError> {
    let bytes = std::fs::read(path).map_err(|e| {
        err(
            source,
            format!(
                "cannot read CA file {}: {e}; mount the CA there or fix the path",
                path.display()
            ),
        )
    })?;
    Ok(CaSource::pem_file_bytes(
        format!("{source} {}", path.display()),
        bytes,
    ))
}
