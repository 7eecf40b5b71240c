//! A certificate authority minted with rcgen, the server certificates it signs, and the rustls
//! configurations built from them.

use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::Error;

#[cfg(test)]
mod tests;

/// A calendar day `(year, month, day)`, midnight UTC: a certificate validity bound.
pub type Ymd = (i32, u8, u8);

/// The default validity of everything minted: wide enough for any test run.
const NOT_BEFORE: Ymd = (2000, 1, 1);
const NOT_AFTER: Ymd = (2090, 1, 1);

/// Seconds since the Unix epoch at midnight UTC of `day` (for "expired at" checks).
pub fn unix_time(day: Ymd) -> i64 {
    rcgen::date_time_ymd(day.0, day.1, day.2).unix_timestamp()
}

fn set_validity(params: &mut CertificateParams, not_before: Ymd, not_after: Ymd) {
    params.not_before = rcgen::date_time_ymd(not_before.0, not_before.1, not_before.2);
    params.not_after = rcgen::date_time_ymd(not_after.0, not_after.1, not_after.2);
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A CA: its self-signed certificate (`CN=<name>`) and key.
pub struct Pki {
    cert: rcgen::Certificate,
    key: KeyPair,
}

impl std::fmt::Debug for Pki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pki").finish_non_exhaustive()
    }
}

impl Pki {
    /// Mints a CA named `common_name`, valid from 2000 to 2090.
    pub fn new(common_name: &str) -> Result<Pki, Error> {
        Pki::valid(common_name, NOT_BEFORE, NOT_AFTER)
    }

    /// Mints a CA named `common_name`, valid between two days (an expired CA ends in the past).
    pub fn valid(common_name: &str, not_before: Ymd, not_after: Ymd) -> Result<Pki, Error> {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        set_validity(&mut params, not_before, not_after);
        let cert = params.self_signed(&key)?;
        Ok(Pki { cert, key })
    }

    /// The CA certificate, PEM.
    pub fn ca_pem(&self) -> String {
        self.cert.pem()
    }

    /// The CA certificate, DER, for a root store.
    pub fn ca_der(&self) -> CertificateDer<'static> {
        self.cert.der().clone()
    }

    /// The PEM base64-encoded on a single line: what the Helm value `customCaCert` carries.
    pub fn ca_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.ca_pem())
    }

    /// Writes the CA certificate (PEM) to `path`.
    pub fn write_ca(&self, path: &Path) -> Result<(), Error> {
        std::fs::write(path, self.ca_pem()).map_err(|e| Error::io("write the CA", path, e))
    }

    /// A server certificate for `names` (DNS names or IP addresses), valid from 2000 to 2090.
    pub fn issue(&self, names: &[&str]) -> Result<Leaf, Error> {
        self.issue_valid(names, NOT_BEFORE, NOT_AFTER)
    }

    /// A server certificate for `names` valid between two days (expired, or not yet valid).
    /// Its subject is `CN=<first name>`; it says `CA:FALSE` as real server certificates do.
    pub fn issue_valid(
        &self,
        names: &[&str],
        not_before: Ymd,
        not_after: Ymd,
    ) -> Result<Leaf, Error> {
        let key = KeyPair::generate()?;
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params = CertificateParams::new(names.clone())?;
        params.distinguished_name.push(
            DnType::CommonName,
            names.first().cloned().unwrap_or_default(),
        );
        params.is_ca = IsCa::ExplicitNoCa;
        set_validity(&mut params, not_before, not_after);
        let cert = params.signed_by(&key, &self.cert, &self.key)?;
        Ok(Leaf {
            cert_pem: cert.pem(),
            cert_der: cert.der().clone(),
            key_pem: key.serialize_pem(),
            key_der: key.serialize_der(),
            ca_pem: self.ca_pem(),
        })
    }

    /// A rustls server configuration presenting a certificate for `names` signed by this CA.
    pub fn server_config(&self, names: &[&str]) -> Result<Arc<rustls::ServerConfig>, Error> {
        self.issue(names)?.server_config()
    }

    /// A rustls client configuration trusting only this CA.
    pub fn client_config(&self) -> Result<rustls::ClientConfig, Error> {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.ca_der())?;
        Ok(rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth())
    }
}

/// A server certificate, its private key, and the CA that signed it.
pub struct Leaf {
    cert_pem: String,
    cert_der: CertificateDer<'static>,
    key_pem: String,
    key_der: Vec<u8>,
    ca_pem: String,
}

impl std::fmt::Debug for Leaf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Leaf")
            .field("cert_pem", &self.cert_pem)
            .field("key", &"[redacted]")
            .finish_non_exhaustive()
    }
}

impl Leaf {
    /// The certificate, PEM.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// The certificate followed by the CA's, PEM: a full chain as a server presents it.
    pub fn chain_pem(&self) -> String {
        format!("{}{}", self.cert_pem, self.ca_pem)
    }

    /// The private key, PKCS#8 PEM.
    pub fn key_pem(&self) -> &str {
        &self.key_pem
    }

    /// The certificate, DER.
    pub fn cert_der(&self) -> CertificateDer<'static> {
        self.cert_der.clone()
    }

    /// The chain rustls serves: just the certificate (clients hold the CA).
    pub fn chain(&self) -> Vec<CertificateDer<'static>> {
        vec![self.cert_der()]
    }

    /// The private key, DER, as rustls takes it.
    pub fn key_der(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()))
    }

    /// A rustls server configuration presenting this certificate (safe default versions, no ALPN).
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, Error> {
        self.server_config_with(rustls::DEFAULT_VERSIONS, &[])
    }

    /// A rustls server configuration speaking only `versions` and offering `alpn` in order.
    pub fn server_config_with(
        &self,
        versions: &[&'static rustls::SupportedProtocolVersion],
        alpn: &[&[u8]],
    ) -> Result<Arc<rustls::ServerConfig>, Error> {
        let mut config = rustls::ServerConfig::builder_with_provider(provider())
            .with_protocol_versions(versions)?
            .with_no_client_auth()
            .with_single_cert(self.chain(), self.key_der())?;
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Ok(Arc::new(config))
    }
}
