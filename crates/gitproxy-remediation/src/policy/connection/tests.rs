//! Unit tests of how operations pick their Bitbucket connection, and of the token's redaction.

use url::Url;

use super::{resolve_connection, Connection, LocalConnection, Token};
use crate::catalogue::CloudConnection;
use crate::Error;

fn cloud(url: &str, project: &str) -> CloudConnection {
    CloudConnection {
        server_url: Some(url.into()),
        username: Some("cloud-user".into()),
        access_token: Some("cloud-token".into()),
        project_key: Some(project.into()),
    }
}

fn local() -> LocalConnection {
    LocalConnection {
        url: Some(Url::parse("https://bitbucket.corp").expect("url")),
        username: Some("local-user".into()),
        token: Some(Token::new("local-token")),
        project: Some("PRJ".into()),
    }
}

#[test]
fn local_settings_win_and_the_local_token_is_used() {
    let conn = resolve_connection(&local(), Some(&cloud("https://bitbucket.corp/", "PRJ")))
        .expect("allowed");
    assert_eq!(conn.username, "local-user");
    assert_eq!(conn.token.expose(), "local-token");
    let conn = resolve_connection(&local(), None).expect("local only");
    assert_eq!(conn.project, "PRJ");
}

#[test]
fn the_cloud_cannot_redirect_to_another_server_or_project() {
    let err = resolve_connection(&local(), Some(&cloud("https://evil.example", "PRJ")))
        .expect_err("other server");
    assert!(err.is_policy_refusal(), "{err:?}");
    let err = resolve_connection(&local(), Some(&cloud("https://bitbucket.corp", "OTHER")))
        .expect_err("other project");
    assert!(err.is_policy_refusal(), "{err:?}");
}

#[test]
fn cloud_details_are_used_when_nothing_is_local() {
    let nothing = LocalConnection::default();
    let conn =
        resolve_connection(&nothing, Some(&cloud("https://bitbucket.corp", "PRJ"))).expect("cloud");
    assert_eq!(conn.username, "cloud-user");
    assert_eq!(conn.token.expose(), "cloud-token");
    let err = resolve_connection(&nothing, None).expect_err("nothing");
    assert!(
        matches!(err, Error::InvalidConnection { .. }) && err.is_invalid_input(),
        "{err:?}"
    );
    let err = resolve_connection(&nothing, Some(&cloud("not a url", "PRJ"))).expect_err("bad url");
    assert!(err.is_invalid_input(), "{err:?}");
}

#[test]
fn a_cloud_sent_http_server_is_refused_when_none_is_local() {
    let err = resolve_connection(
        &LocalConnection::default(),
        Some(&cloud("http://bitbucket.corp", "PRJ")),
    )
    .expect_err("plain http from the cloud");
    assert!(err.is_policy_refusal(), "not a policy refusal: {err:?}");
    assert!(err.to_string().contains("must use https"), "{err}");
    // A locally configured http server stays allowed: the customer chose it.
    let local_http = LocalConnection {
        url: Some(Url::parse("http://bitbucket.corp").expect("url")),
        project: Some("PRJ".into()),
        ..LocalConnection::default()
    };
    let conn = resolve_connection(&local_http, Some(&cloud("http://bitbucket.corp", "PRJ")))
        .expect("local http");
    assert_eq!(conn.url.scheme(), "http");
}

#[test]
fn debug_and_display_never_show_the_token() {
    let conn = Connection {
        url: Url::parse("https://bitbucket.corp").expect("url"),
        username: "user".into(),
        token: Token::new("s3cr3t-token"),
        project: "PRJ".into(),
    };
    for text in [
        format!("{conn:?}"),
        format!("{:?}", local()),
        format!("{}", conn.token),
    ] {
        assert!(
            !text.contains("s3cr3t") && !text.contains("local-token"),
            "{text}"
        );
        assert!(text.contains("[redacted]"), "{text}");
    }
}
