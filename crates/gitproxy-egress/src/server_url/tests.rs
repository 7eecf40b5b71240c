//! Unit tests of the server base-URL check and its messages.

use super::{server_url, Server};

fn refused(server: Server, text: &str) -> String {
    server_url(server, text).expect_err("refused").to_string()
}

#[test]
fn http_and_https_urls_with_a_host_pass_trimmed() {
    let url = server_url(Server::Bitbucket, " http://bitbucket.corp:7990/bb ").expect("valid");
    assert_eq!(url.as_str(), "http://bitbucket.corp:7990/bb");
    let url = server_url(Server::Cloud, "https://cloud.example?ref=main").expect("valid");
    assert_eq!(url.as_str(), "https://cloud.example/?ref=main");
}

#[test]
fn a_non_url_or_a_url_without_a_host_says_what_to_give() {
    assert_eq!(
        refused(Server::Bitbucket, "bitbucket.corp?token=sekrit"),
        "`bitbucket.corp?...` is not a valid URL (relative URL without a base); use the base URL of Bitbucket Data Center, e.g. https://bitbucket.company.com"
    );
    assert_eq!(
        refused(Server::Cloud, "ftp://cloud.example"),
        "`ftp://cloud.example` must be an http(s) URL with a host; use the cloud endpoint, e.g. https://app.backline.ai"
    );
    assert_eq!(
        refused(Server::Cloud, "http://cloud.example"),
        "the cloud endpoint must use https"
    );
}

#[test]
fn credentials_are_refused_without_their_value() {
    let message = refused(Server::Bitbucket, "https://bot:sekrit@bitbucket.corp/");
    assert_eq!(
        message,
        "the URL must not carry credentials; give them as username and token settings"
    );
    let message = refused(Server::Cloud, "https://cloud.example/?Access_Token=sekrit");
    assert_eq!(
        message,
        "the URL must not carry credentials (query parameter `access_token`); remove the query"
    );
}
