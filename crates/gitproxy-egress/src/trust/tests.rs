//! Tests of CA inputs: every accepted form, and an error naming the input for each bad one.

use std::collections::HashMap;

use base64::Engine as _;
use gitproxy_test_support::Pki;

use super::{CaSource, TrustConfig};
use crate::{CaProblem, Error};

fn ca_pem(cn: &str, not_after_year: i32) -> String {
    Pki::valid(cn, (2000, 1, 1), (not_after_year, 1, 1))
        .unwrap()
        .ca_pem()
}

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

fn only(source: CaSource) -> Result<TrustConfig, Error> {
    TrustConfig::builder()
        .without_platform_roots()
        .add_ca(source)
        .build()
}

fn problem(result: Result<TrustConfig, Error>) -> (String, CaProblem, String) {
    match result {
        Err(err @ Error::InvalidCa { .. }) => {
            let message = err.to_string();
            let Error::InvalidCa { input, problem } = err else {
                unreachable!()
            };
            (input, problem, message)
        }
        other => panic!("expected an invalid CA error, got {other:?}"),
    }
}

#[test]
fn accepted_forms() {
    let pem = ca_pem("Corp Root CA", 2090);
    let single_line = b64(&pem);
    let trust = only(CaSource::custom_ca_cert(single_line.clone())).unwrap();
    assert_eq!(trust.extra_cas().len(), 1);
    assert_eq!(trust.extra_cas()[0].subject, "CN=Corp Root CA");
    assert_eq!(trust.platform_root_count(), 0);

    // `base64` without -w0 wraps lines; a trailing newline from --set-file is common.
    let wrapped: String = single_line
        .as_bytes()
        .chunks(76)
        .map(|c| format!("{}\n", std::str::from_utf8(c).unwrap()))
        .collect();
    only(CaSource::custom_ca_cert(wrapped)).unwrap();
    only(CaSource::custom_ca_cert(single_line.trim_end_matches('='))).unwrap();
    // Raw PEM pasted into customCaCert by mistake still works.
    only(CaSource::custom_ca_cert(pem.clone())).unwrap();
    only(CaSource::pem("ca bundle", pem.clone())).unwrap();

    // A bundle of two CAs.
    let bundle = format!("{pem}{}", ca_pem("Corp Issuing CA", 2090));
    let trust = only(CaSource::custom_ca_cert(b64(&bundle))).unwrap();
    assert_eq!(trust.extra_cas().len(), 2);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ca.pem");
    std::fs::write(&path, &pem).unwrap();
    only(CaSource::pem_file(&path)).unwrap();
}

#[test]
fn garbage_is_not_base64() {
    let (input, problem, message) =
        problem_of(only(CaSource::custom_ca_cert("this is not base64!")));
    assert_eq!(input, "customCaCert");
    assert!(matches!(problem, CaProblem::NotBase64(_)), "{problem:?}");
    assert!(
        message.starts_with("invalid CA certificate in customCaCert: not base64 ("),
        "{message}"
    );
    assert!(message.contains("base64 -w0 ca.pem"), "{message}");

    let (_, problem, _) = problem_of(only(CaSource::custom_ca_cert("  \n")));
    assert!(matches!(problem, CaProblem::NotBase64(_)));
}

fn problem_of(result: Result<TrustConfig, Error>) -> (String, CaProblem, String) {
    problem(result)
}

#[test]
fn base64_of_something_else_is_not_pem() {
    let (input, problem, message) = problem_of(only(CaSource::custom_ca_cert(b64("hello world"))));
    assert_eq!(input, "customCaCert");
    assert_eq!(problem, CaProblem::NotPem);
    assert!(
        message.contains("no -----BEGIN CERTIFICATE----- block"),
        "{message}"
    );
}

#[test]
fn a_private_key_is_no_certificate() {
    let leaf = Pki::new("Corp Root CA")
        .unwrap()
        .issue(&["bitbucket.corp"])
        .unwrap();
    let (_, problem, message) = problem_of(only(CaSource::custom_ca_cert(b64(leaf.key_pem()))));
    assert_eq!(
        problem,
        CaProblem::NoCertificate {
            found: vec!["PRIVATE KEY".to_owned()]
        }
    );
    assert!(message.contains("only PRIVATE KEY"), "{message}");
}

#[test]
fn a_damaged_certificate_is_reported() {
    let pem = ca_pem("Corp Root CA", 2090);
    let lines: Vec<&str> = pem.lines().collect();
    // Keep the armour, drop half of the body.
    let damaged = format!(
        "{}\n{}\n{}\n",
        lines[0],
        lines[1..lines.len() / 2].join("\n"),
        lines[lines.len() - 1]
    );
    let (_, problem, _) = problem_of(only(CaSource::pem("customCaCert", damaged)));
    assert!(
        matches!(problem, CaProblem::BadCertificate(_) | CaProblem::BadPem(_)),
        "{problem:?}"
    );
}

#[test]
fn an_expired_ca_is_rejected() {
    let (_, problem, message) = problem_of(only(CaSource::custom_ca_cert(b64(&ca_pem(
        "Old Root", 2021,
    )))));
    assert_eq!(
        problem,
        CaProblem::Expired {
            subject: "CN=Old Root".to_owned(),
            not_after: "2021-01-01T00:00:00Z".to_owned()
        }
    );
    assert!(
        message.contains("the CA certificate `CN=Old Root` expired on 2021-01-01T00:00:00Z"),
        "{message}"
    );
}

#[test]
fn a_server_certificate_is_not_a_ca() {
    // A server certificate says basicConstraints CA:FALSE.
    let leaf = Pki::new("Corp Root CA")
        .unwrap()
        .issue(&["bitbucket.corp"])
        .unwrap();
    let (_, problem, message) = problem_of(only(CaSource::custom_ca_cert(b64(leaf.cert_pem()))));
    assert!(matches!(problem, CaProblem::NotCa { .. }), "{problem:?}");
    assert!(
        message.contains("not the server certificate itself"),
        "{message}"
    );
}

#[test]
fn a_missing_file_is_named() {
    let (input, problem, _) = problem_of(only(CaSource::pem_file("/nonexistent/ca.pem")));
    assert_eq!(input, "/nonexistent/ca.pem");
    assert!(matches!(problem, CaProblem::Unreadable(_)));
}

#[test]
fn an_empty_store_is_an_error() {
    let err = TrustConfig::builder()
        .without_platform_roots()
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::EmptyTrustStore));
    assert!(err.to_string().contains("provide customCaCert"));
}

#[test]
fn platform_roots_honour_ssl_cert_file_given_as_data() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bundle.pem");
    std::fs::write(&file, ca_pem("Bundle Root", 2090)).unwrap();
    let certs_dir = dir.path().join("certs");
    std::fs::create_dir(&certs_dir).unwrap();
    std::fs::write(certs_dir.join("a.pem"), ca_pem("Dir Root", 2090)).unwrap();
    let env: HashMap<String, String> = [
        ("SSL_CERT_FILE".to_owned(), file.display().to_string()),
        ("SSL_CERT_DIR".to_owned(), certs_dir.display().to_string()),
    ]
    .into();
    let trust = TrustConfig::builder()
        .platform_roots_from_env_map(&env)
        .build()
        .unwrap();
    assert_eq!(trust.platform_root_count(), 2);
    assert!(trust.extra_cas().is_empty());
}

#[test]
fn debug_shows_subjects_not_contents() {
    let pem = ca_pem("Corp Root CA", 2090);
    let source = CaSource::custom_ca_cert(b64(&pem));
    assert_eq!(
        format!("{source:?}"),
        "CaSource { input: \"customCaCert\", kind: \"base64_pem\" }"
    );
    let trust = only(source).unwrap();
    assert_eq!(
        format!("{trust:?}"),
        "TrustConfig { platform_roots: 0, extra: [\"CN=Corp Root CA\"] }"
    );
}

fn der_of(pem: &str) -> Vec<u8> {
    use rustls::pki_types::pem::PemObject as _;
    rustls::pki_types::CertificateDer::from_pem_slice(pem.as_bytes())
        .unwrap()
        .to_vec()
}

#[test]
fn a_der_file_is_told_to_convert_to_pem() {
    let der = der_of(&ca_pem("Corp Root CA", 2090));
    let (input, problem, message) = problem_of(only(CaSource::pem_file_bytes(
        "GITPROXY_CUSTOM_CA_CERT_FILE (environment) /ca/ca.der",
        der.clone(),
    )));
    assert_eq!(
        input,
        "GITPROXY_CUSTOM_CA_CERT_FILE (environment) /ca/ca.der"
    );
    assert_eq!(problem, CaProblem::Der);
    assert!(
        message.contains("openssl x509 -inform DER -in ca.der -out ca.pem"),
        "{message}"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ca.der");
    std::fs::write(&path, &der).unwrap();
    let (_, problem, _) = problem_of(only(CaSource::pem_file(&path)));
    assert_eq!(problem, CaProblem::Der);
    // The base64 Helm value of a DER certificate stays accepted.
    let value = base64::engine::general_purpose::STANDARD.encode(&der);
    only(CaSource::custom_ca_cert(value)).unwrap();
}

#[test]
fn a_private_key_beside_the_ca_is_a_warning_without_the_key() {
    let key_pem = Pki::new("Corp Root CA")
        .unwrap()
        .issue(&["bitbucket.corp"])
        .unwrap()
        .key_pem()
        .to_owned();
    let text = format!("{}{key_pem}", ca_pem("Corp Root CA", 2090));
    let trust = only(CaSource::pem_file_bytes("custom_ca_cert_file", text)).unwrap();
    assert_eq!(trust.extra_cas().len(), 1);
    assert_eq!(trust.warnings().len(), 1, "{:?}", trust.warnings());
    let warning = &trust.warnings()[0];
    assert!(warning.starts_with("custom_ca_cert_file: "), "{warning}");
    assert!(warning.contains("private key"), "{warning}");
    let body: String = key_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    assert!(!warning.contains(&body[..20]), "{warning}");
}
