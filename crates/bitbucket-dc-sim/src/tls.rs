//! TLS for the simulator: a rustls server config (ring provider) from a caller-supplied PEM chain and key.

use std::fmt;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

use crate::error::SimError;

/// Certificate chain and private key, both PEM.
#[derive(Clone)]
pub(crate) struct TlsMaterial {
    pub(crate) cert_chain_pem: Vec<u8>,
    pub(crate) key_pem: Vec<u8>,
}

impl fmt::Debug for TlsMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsMaterial")
            .field(
                "cert_chain_pem",
                &format_args!("{} bytes", self.cert_chain_pem.len()),
            )
            .field("key_pem", &"<redacted>")
            .finish()
    }
}

/// Builds an acceptor offering HTTP/2 and HTTP/1.1 over ALPN.
pub(crate) fn acceptor(material: &TlsMaterial) -> Result<TlsAcceptor, SimError> {
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(&material.cert_chain_pem)
            .collect::<Result<_, _>>()
            .map_err(|err| SimError::Tls(format!("certificate chain is not valid PEM ({err})")))?;
    if certs.is_empty() {
        return Err(SimError::Tls(
            "the certificate chain holds no certificate".into(),
        ));
    }
    let key = PrivateKeyDer::from_pem_slice(&material.key_pem)
        .map_err(|err| SimError::Tls(format!("private key is not valid PEM ({err})")))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| SimError::Tls(err.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|err| SimError::Tls(format!("certificate and key do not fit together ({err})")))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}
