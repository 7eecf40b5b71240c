//! TLS trust: platform roots plus extra CAs (PEM file, PEM text, or the single-line base64 Helm value).

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::cert::{unix_now, CertInfo};
use crate::{CaProblem, Error};

/// Where an extra CA certificate comes from; each names itself in errors.
#[derive(Clone)]
pub struct CaSource {
    input: String,
    kind: CaKind,
}

#[derive(Clone)]
enum CaKind {
    PemFile(PathBuf),
    Pem(String),
    PemBytes(Vec<u8>),
    Base64(String),
}

impl CaSource {
    /// A PEM file (one or more certificates), e.g. a mounted secret.
    pub fn pem_file(path: impl Into<PathBuf>) -> CaSource {
        let path = path.into();
        CaSource {
            input: path.display().to_string(),
            kind: CaKind::PemFile(path),
        }
    }

    /// PEM text; `input` names the setting it came from.
    pub fn pem(input: impl Into<String>, pem: impl Into<String>) -> CaSource {
        CaSource {
            input: input.into(),
            kind: CaKind::Pem(pem.into()),
        }
    }

    /// The bytes of a PEM file read by the caller; `input` names the setting and the file.
    ///
    /// A DER (binary) certificate is refused with the command that converts it to PEM.
    pub fn pem_file_bytes(input: impl Into<String>, bytes: impl Into<Vec<u8>>) -> CaSource {
        CaSource {
            input: input.into(),
            kind: CaKind::PemBytes(bytes.into()),
        }
    }

    /// Base64 of a PEM file on one line (the form of the Helm value); `input` names the setting.
    ///
    /// Whitespace and line breaks are ignored; raw PEM given by mistake is accepted too.
    pub fn base64_pem(input: impl Into<String>, value: impl Into<String>) -> CaSource {
        CaSource {
            input: input.into(),
            kind: CaKind::Base64(value.into()),
        }
    }

    /// The Helm value `customCaCert`: base64 of the PEM of the CA that signs Bitbucket's certificate.
    pub fn custom_ca_cert(value: impl Into<String>) -> CaSource {
        CaSource::base64_pem("customCaCert", value)
    }

    /// The name used for this input in errors.
    pub fn input(&self) -> &str {
        &self.input
    }

    /// Decodes and checks the certificates of this input.
    fn load(
        &self,
        now: i64,
        warnings: &mut Vec<String>,
    ) -> Result<Vec<(CertificateDer<'static>, CertInfo)>, Error> {
        let fail = |problem| Error::InvalidCa {
            input: self.input.clone(),
            problem,
        };
        let (bytes, is_file) = match &self.kind {
            CaKind::PemFile(path) => (read_file(path).map_err(fail)?, true),
            CaKind::PemBytes(bytes) => (bytes.clone(), true),
            CaKind::Pem(text) => (text.as_bytes().to_vec(), false),
            CaKind::Base64(value) => (decode_base64(value).map_err(fail)?, false),
        };
        if is_file && !is_pem(&bytes) && CertInfo::from_der(&bytes).is_ok() {
            return Err(fail(CaProblem::Der));
        }
        let ders = parse_certificates(&bytes).map_err(fail)?;
        if holds_private_key(&bytes) {
            let message = format!(
                "{}: the CA input holds a private key besides the certificate; remove the key from it (only the CA certificate is needed, and its key must stay secret)",
                self.input
            );
            tracing::warn!("{message}");
            warnings.push(message);
        }
        let mut out = Vec::with_capacity(ders.len());
        for der in ders {
            let info = CertInfo::from_der(&der).map_err(|e| fail(CaProblem::BadCertificate(e)))?;
            if info.expired_at(now) {
                return Err(fail(CaProblem::Expired {
                    subject: info.subject,
                    not_after: info.not_after,
                }));
            }
            if info.is_ca == Some(false) {
                return Err(fail(CaProblem::NotCa {
                    subject: info.subject,
                }));
            }
            out.push((der, info));
        }
        Ok(out)
    }
}

impl fmt::Debug for CaSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            CaKind::PemFile(_) => "pem_file",
            CaKind::Pem(_) => "pem",
            CaKind::PemBytes(_) => "pem_file_bytes",
            CaKind::Base64(_) => "base64_pem",
        };
        f.debug_struct("CaSource")
            .field("input", &self.input)
            .field("kind", &kind)
            .finish()
    }
}

fn read_file(path: &Path) -> Result<Vec<u8>, CaProblem> {
    std::fs::read(path).map_err(|err| CaProblem::Unreadable(err.to_string()))
}

fn decode_base64(value: &str) -> Result<Vec<u8>, CaProblem> {
    let compact: String = value.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.starts_with("-----BEGIN") {
        tracing::info!("a base64 CA input holds PEM text; using it as PEM");
        return Ok(value.as_bytes().to_vec());
    }
    if compact.is_empty() {
        return Err(CaProblem::NotBase64("the value is empty".to_owned()));
    }
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    engine
        .decode(compact.as_bytes())
        .map_err(|err| CaProblem::NotBase64(err.to_string()))
}

fn is_pem(bytes: &[u8]) -> bool {
    bytes.windows(10).any(|w| w == b"-----BEGIN")
}

/// Whether a PEM input has a private key block (`PRIVATE KEY`, `RSA PRIVATE KEY`, ...).
fn holds_private_key(bytes: &[u8]) -> bool {
    String::from_utf8_lossy(bytes).lines().any(|line| {
        line.trim()
            .strip_prefix("-----BEGIN ")
            .is_some_and(|rest| rest.ends_with("PRIVATE KEY-----"))
    })
}

/// PEM certificates, or a single DER certificate.
fn parse_certificates(bytes: &[u8]) -> Result<Vec<CertificateDer<'static>>, CaProblem> {
    if !is_pem(bytes) {
        // A DER certificate base64-encoded directly is accepted; anything else is not PEM.
        return match CertInfo::from_der(bytes) {
            Ok(_) => Ok(vec![CertificateDer::from(bytes.to_vec())]),
            Err(_) => Err(CaProblem::NotPem),
        };
    }
    let mut certs = Vec::new();
    for cert in CertificateDer::pem_slice_iter(bytes) {
        certs.push(cert.map_err(|err| CaProblem::BadPem(err.to_string()))?);
    }
    if certs.is_empty() {
        let text = String::from_utf8_lossy(bytes);
        let mut found: Vec<String> = text
            .lines()
            .filter_map(|line| line.trim().strip_prefix("-----BEGIN "))
            .filter_map(|rest| rest.strip_suffix("-----"))
            .map(str::to_owned)
            .collect();
        found.dedup();
        return Err(CaProblem::NoCertificate { found });
    }
    Ok(certs)
}

/// Which roots a [`TrustConfig`] starts from.
#[derive(Clone)]
enum Platform {
    None,
    ProcessEnv,
    EnvMap(HashMap<String, String>),
}

/// Builder for [`TrustConfig`].
#[derive(Clone)]
pub struct TrustConfigBuilder {
    platform: Platform,
    extra: Vec<CaSource>,
}

impl fmt::Debug for TrustConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let platform = match self.platform {
            Platform::None => "none",
            Platform::ProcessEnv => "process environment",
            Platform::EnvMap(_) => "given environment",
        };
        f.debug_struct("TrustConfigBuilder")
            .field("platform", &platform)
            .field("extra", &self.extra)
            .finish()
    }
}

impl TrustConfigBuilder {
    /// Takes `SSL_CERT_FILE`/`SSL_CERT_DIR` from `env` instead of the process environment.
    pub fn platform_roots_from_env_map(mut self, env: &HashMap<String, String>) -> Self {
        self.platform = Platform::EnvMap(env.clone());
        self
    }

    /// Trusts only the extra CAs, not the platform's roots.
    pub fn without_platform_roots(mut self) -> Self {
        self.platform = Platform::None;
        self
    }

    /// Adds an extra CA input (repeatable).
    pub fn add_ca(mut self, source: CaSource) -> Self {
        self.extra.push(source);
        self
    }

    /// Loads and checks everything; fails on bad CA input or an empty result.
    pub fn build(self) -> Result<TrustConfig, Error> {
        let now = unix_now();
        let mut roots = RootCertStore::empty();
        let mut warnings = Vec::new();
        let native = match &self.platform {
            Platform::None => None,
            Platform::ProcessEnv => Some(rustls_native_certs::load_native_certs()),
            Platform::EnvMap(env) => Some(load_from_env_map(env)),
        };
        let mut platform_count = 0;
        if let Some(native) = native {
            for err in &native.errors {
                let message = format!("platform trust store: {err}");
                tracing::warn!("{message}");
                warnings.push(message);
            }
            let (added, ignored) = roots.add_parsable_certificates(native.certs);
            if ignored > 0 {
                let message =
                    format!("platform trust store: skipped {ignored} unusable certificates");
                tracing::warn!("{message}");
                warnings.push(message);
            }
            platform_count = added;
        }
        let mut extra = Vec::new();
        for source in &self.extra {
            for (der, info) in source.load(now, &mut warnings)? {
                roots.add(der).map_err(|err| Error::InvalidCa {
                    input: source.input.clone(),
                    problem: CaProblem::BadCertificate(err.to_string()),
                })?;
                extra.push(info);
            }
        }
        if roots.is_empty() {
            return Err(Error::EmptyTrustStore);
        }
        tracing::debug!(
            platform = platform_count,
            extra = extra.len(),
            "trust store built"
        );
        Ok(TrustConfig {
            roots: Arc::new(roots),
            platform_count,
            extra,
            warnings,
        })
    }
}

fn load_from_env_map(env: &HashMap<String, String>) -> rustls_native_certs::CertificateResult {
    let file = env
        .get("SSL_CERT_FILE")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    let dirs: Vec<PathBuf> = env
        .get("SSL_CERT_DIR")
        .map(|v| {
            std::env::split_paths(v)
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        })
        .unwrap_or_default();
    if file.is_none() && dirs.is_empty() {
        return rustls_native_certs::load_native_certs();
    }
    let mut result = rustls_native_certs::load_certs_from_paths(file.as_deref(), None);
    for dir in dirs {
        let more = rustls_native_certs::load_certs_from_paths(None, Some(&dir));
        result.certs.extend(more.certs);
        result.errors.extend(more.errors);
    }
    result
}

/// The CAs trusted for one destination (e.g. the cloud, or Bitbucket), TLS 1.2 minimum.
///
/// There is deliberately no way to turn certificate verification off.
#[derive(Clone)]
pub struct TrustConfig {
    roots: Arc<RootCertStore>,
    platform_count: usize,
    extra: Vec<CertInfo>,
    warnings: Vec<String>,
}

impl fmt::Debug for TrustConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrustConfig")
            .field("platform_roots", &self.platform_count)
            .field(
                "extra",
                &self.extra.iter().map(|c| &c.subject).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl TrustConfig {
    /// The environment variables that replace the platform store when set.
    pub const ENV_VARS: &'static [&'static str] = &["SSL_CERT_FILE", "SSL_CERT_DIR"];

    /// Starts from the platform's roots (honouring `SSL_CERT_FILE`/`SSL_CERT_DIR` of the process).
    pub fn builder() -> TrustConfigBuilder {
        TrustConfigBuilder {
            platform: Platform::ProcessEnv,
            extra: Vec::new(),
        }
    }

    /// How many roots came from the platform.
    pub fn platform_root_count(&self) -> usize {
        self.platform_count
    }

    /// The extra CAs that were added.
    pub fn extra_cas(&self) -> &[CertInfo] {
        &self.extra
    }

    /// Problems met while loading the platform store (also logged).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// A rustls client configuration trusting these roots, offering `alpn`.
    pub(crate) fn client_config(&self, alpn: &[Vec<u8>]) -> Arc<ClientConfig> {
        let mut config = base_builder()
            .with_root_certificates(Arc::clone(&self.roots))
            .with_no_client_auth();
        config.alpn_protocols = alpn.to_vec();
        Arc::new(config)
    }

    /// Like [`TrustConfig::client_config`], also recording the chain the server presents.
    pub(crate) fn capturing_client_config(
        &self,
        alpn: &[Vec<u8>],
    ) -> (Arc<ClientConfig>, Arc<PresentedChain>) {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let seen = Arc::new(PresentedChain::default());
        let inner =
            WebPkiServerVerifier::builder_with_provider(Arc::clone(&self.roots), provider).build();
        let mut config = match inner {
            Ok(inner) => base_builder()
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(RecordingVerifier {
                    inner,
                    seen: Arc::clone(&seen),
                }))
                .with_no_client_auth(),
            // Only fails for an empty store, which `build` rules out; verify normally then.
            Err(_) => base_builder()
                .with_root_certificates(Arc::clone(&self.roots))
                .with_no_client_auth(),
        };
        config.alpn_protocols = alpn.to_vec();
        (Arc::new(config), seen)
    }
}

fn base_builder() -> rustls::ConfigBuilder<ClientConfig, rustls::WantsVerifier> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .expect("the ring provider supports TLS 1.2 and 1.3")
}

/// The certificate chain a server presented during one handshake.
#[derive(Debug, Default)]
pub(crate) struct PresentedChain {
    end_entity: Mutex<Option<CertificateDer<'static>>>,
}

impl PresentedChain {
    pub(crate) fn end_entity(&self) -> Option<CertificateDer<'static>> {
        self.end_entity
            .lock()
            .map(|guard| guard.clone())
            .unwrap_or_default()
    }
}

/// Delegates every decision to webpki and only records what the server presented.
#[derive(Debug)]
struct RecordingVerifier {
    inner: Arc<WebPkiServerVerifier>,
    seen: Arc<PresentedChain>,
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut slot) = self.seen.end_entity.lock() {
            *slot = Some(end_entity.clone().into_owned());
        }
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests;
