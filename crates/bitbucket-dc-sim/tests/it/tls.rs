//! HTTPS serving with a caller-supplied certificate minted by an rcgen CA.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use rustls::pki_types::{CertificateDer, ServerName};

use crate::support::{seed, ALICE};

#[tokio::test]
async fn serves_https_with_a_caller_supplied_chain() {
    let ca_key = rcgen::KeyPair::generate().expect("ca key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "sim test ca");
    let ca = ca_params.self_signed(&ca_key).expect("ca");
    let leaf_key = rcgen::KeyPair::generate().expect("leaf key");
    let leaf_params =
        rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .expect("params");
    let leaf = leaf_params
        .signed_by(&leaf_key, &ca, &ca_key)
        .expect("leaf");
    let chain = format!("{}{}", leaf.pem(), ca.pem());

    let sim = seed()
        .tls(chain, leaf_key.serialize_pem())
        .start()
        .await
        .expect("tls start");
    assert_eq!(sim.base_url().scheme(), "https");

    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from(ca.der().to_vec()))
        .expect("root");
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(sim.addr())
        .await
        .expect("connect");
    let tls = connector
        .connect(ServerName::try_from("localhost").expect("name"), tcp)
        .await
        .expect("handshake against the simulator's chain");
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .expect("http");
    tokio::spawn(conn);
    let request = http::Request::get("/rest/api/1.0/projects/PRJ/repos/service")
        .header("host", "localhost")
        .header("authorization", format!("Bearer {ALICE}"))
        .body(Empty::<Bytes>::new())
        .expect("request");
    let response = sender.send_request(request).await.expect("response");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-ausername"], "alice");
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let json: serde_json::Value = serde_json::from_slice(&body).expect("json");
    assert!(json["links"]["clone"][0]["href"]
        .as_str()
        .expect("href")
        .starts_with("https://alice@"));

    let bad = seed().tls("not pem", "not a key").start().await;
    assert!(matches!(bad, Err(bitbucket_dc_sim::SimError::Tls(_))));
}
