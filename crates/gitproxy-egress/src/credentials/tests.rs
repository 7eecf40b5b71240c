//! Unit tests of the credential query check.

use url::Url;

use super::credential_query_key;

fn key(url: &str) -> Option<String> {
    credential_query_key(&Url::parse(url).expect("url"))
}

#[test]
fn credential_parameters_are_found_by_name_in_any_case() {
    assert_eq!(key("https://m.example/?token=1").as_deref(), Some("token"));
    assert_eq!(
        key("https://m.example/r?a=1&Access_Token=1").as_deref(),
        Some("access_token")
    );
    assert_eq!(key("https://m.example/?sig=1").as_deref(), Some("sig"));
    assert_eq!(
        key("https://m.example/?x_api_key=1").as_deref(),
        Some("x_api_key")
    );
    assert_eq!(
        key("https://m.example/?X-Amz-Signature=1").as_deref(),
        Some("x-amz-signature")
    );
}

#[test]
fn other_parameters_pass() {
    assert_eq!(key("https://m.example/?ref=main&page=2"), None);
    assert_eq!(key("https://m.example/"), None);
    assert_eq!(key("https://m.example/?monkey=1"), None);
}
