//! Tests of the PKI: minted leaves verify against their CA with webpki, and fail as real ones do.

use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::ServerCertVerifier as _;
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{ServerName, UnixTime};
use rustls::{CertificateError, Error as TlsError};

use super::{unix_time, Pki};

/// Verifies `leaf` for `host` at `now` against a root store holding only `ca`.
fn verify(ca: &Pki, leaf: &super::Leaf, host: &str, now: i64) -> Result<(), TlsError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.ca_der()).expect("the CA is a valid root");
    let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), super::provider())
        .build()
        .expect("verifier");
    let now = UnixTime::since_unix_epoch(Duration::from_secs(now.try_into().expect("after 1970")));
    let name = ServerName::try_from(host.to_owned()).expect("server name");
    verifier
        .verify_server_cert(&leaf.cert_der(), &[], &name, &[], now)
        .map(|_| ())
}

fn today() -> i64 {
    unix_time((2030, 6, 1))
}

#[test]
fn a_leaf_verifies_for_each_of_its_names_against_its_ca() {
    let ca = Pki::new("Test Root").expect("ca");
    let leaf = ca.issue(&["localhost", "127.0.0.1"]).expect("leaf");
    verify(&ca, &leaf, "localhost", today()).expect("valid for localhost");
    verify(&ca, &leaf, "127.0.0.1", today()).expect("valid for 127.0.0.1");
}

#[test]
fn another_ca_a_wrong_host_and_the_validity_window_are_refused() {
    let ca = Pki::new("Test Root").expect("ca");
    let leaf = ca.issue(&["localhost"]).expect("leaf");
    let stranger = Pki::new("Other Root").expect("other ca");
    assert!(matches!(
        verify(&stranger, &leaf, "localhost", today()),
        Err(TlsError::InvalidCertificate(
            CertificateError::UnknownIssuer
        ))
    ));
    assert!(matches!(
        verify(&ca, &leaf, "git.other.test", today()),
        Err(TlsError::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }
        ))
    ));
    let expired = ca
        .issue_valid(&["localhost"], (2019, 1, 1), (2021, 6, 30))
        .expect("expired leaf");
    assert!(matches!(
        verify(&ca, &expired, "localhost", today()),
        Err(TlsError::InvalidCertificate(
            CertificateError::Expired | CertificateError::ExpiredContext { .. }
        ))
    ));
    verify(&ca, &expired, "localhost", unix_time((2020, 1, 1))).expect("valid in 2020");
}

#[test]
fn outputs_are_pem_der_and_single_line_base64() {
    use base64::Engine as _;
    let ca = Pki::new("Test Root").expect("ca");
    let leaf = ca.issue(&["localhost"]).expect("leaf");
    assert!(ca.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(ca.ca_base64())
        .expect("base64");
    assert_eq!(decoded, ca.ca_pem().as_bytes());
    assert!(!ca.ca_base64().contains('\n'));
    assert_eq!(leaf.chain_pem().matches("BEGIN CERTIFICATE").count(), 2);
    assert!(leaf.chain_pem().ends_with(&ca.ca_pem()));
    assert!(leaf.key_pem().starts_with("-----BEGIN PRIVATE KEY-----"));
    assert!(!format!("{leaf:?}").contains("PRIVATE KEY"));
    assert_eq!(leaf.chain(), vec![leaf.cert_der()]);

    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("ca.pem");
    ca.write_ca(&path).expect("write");
    assert_eq!(std::fs::read_to_string(&path).expect("read"), ca.ca_pem());
}

#[test]
fn server_and_client_configurations_build() {
    let ca = Pki::new("Test Root").expect("ca");
    let server = ca
        .issue(&["localhost"])
        .expect("leaf")
        .server_config_with(&[&rustls::version::TLS12], &[b"h2", b"http/1.1"])
        .expect("server config");
    assert_eq!(
        server.alpn_protocols,
        [b"h2".to_vec(), b"http/1.1".to_vec()]
    );
    assert!(ca.server_config(&["127.0.0.1"]).is_ok());
    assert!(ca.client_config().is_ok());
}
