//! HTTPS serving with a caller-supplied certificate minted by the test-support PKI.

use std::sync::Arc;

use bytes::Bytes;
use gitproxy_test_support::Pki;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;

use crate::support::{seed, ALICE};

#[tokio::test]
async fn serves_https_with_a_caller_supplied_chain() {
    let ca = Pki::new("sim test ca").expect("ca");
    let leaf = ca.issue(&["localhost", "127.0.0.1"]).expect("leaf");

    let sim = seed()
        .tls(leaf.chain_pem(), leaf.key_pem())
        .start()
        .await
        .expect("tls start");
    assert_eq!(sim.base_url().scheme(), "https");

    let config = ca.client_config().expect("client tls");
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
