//! Shared test parts: loopback servers and client helpers (the PKI and tinyproxy come from
//! `gitproxy-test-support`).

pub(crate) mod server;

use std::collections::HashMap;

use bytes::Bytes;
use gitproxy_egress::EgressConnector;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// An environment map from pairs.
pub(crate) fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// GETs `uri` with hyper-util's client over `connector` (after `prepare_request`);
/// returns the status and the body.
pub(crate) async fn get(
    connector: &EgressConnector,
    uri: &str,
) -> Result<(u16, String), hyper_util::client::legacy::Error> {
    get_with(connector, uri, true).await
}

/// Like [`get`], optionally skipping `prepare_request`.
pub(crate) async fn get_with(
    connector: &EgressConnector,
    uri: &str,
    prepare: bool,
) -> Result<(u16, String), hyper_util::client::legacy::Error> {
    let client: Client<EgressConnector, Empty<Bytes>> =
        Client::builder(TokioExecutor::new()).build(connector.clone());
    let mut request = http::Request::get(uri).body(Empty::new()).expect("request");
    if prepare {
        connector.prepare_request(&mut request);
    }
    let response = client.request(request).await?;
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .map(|b| String::from_utf8_lossy(&b.to_bytes()).into_owned())
        .unwrap_or_default();
    Ok((status, body))
}
