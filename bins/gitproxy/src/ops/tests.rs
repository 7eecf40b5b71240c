//! Unit tests of how operations pick their Bitbucket connection.

use std::collections::HashMap;

use gitproxy_remediation::catalogue::CloudConnection;

use super::{resolve_connection, OpFailure};
use crate::cli::GlobalArgs;
use crate::config::{Config, Environment};

fn config(pairs: &[(&str, &str)]) -> Config {
    let env = Environment {
        vars: pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<HashMap<_, _>>(),
        stdout_is_terminal: false,
    };
    Config::resolve(&GlobalArgs::default(), &env).expect("valid config")
}

fn cloud(url: &str, project: &str) -> CloudConnection {
    CloudConnection {
        server_url: Some(url.into()),
        username: Some("cloud-user".into()),
        access_token: Some("cloud-token".into()),
        project_key: Some(project.into()),
    }
}

const LOCAL: &[(&str, &str)] = &[
    ("GITPROXY_BITBUCKET_URL", "https://bitbucket.corp"),
    ("GITPROXY_BITBUCKET_USERNAME", "local-user"),
    ("GITPROXY_BITBUCKET_TOKEN", "local-token"),
    ("GITPROXY_BITBUCKET_PROJECT", "PRJ"),
];

#[test]
fn local_settings_win_and_the_local_token_is_used() {
    let conn = resolve_connection(
        &config(LOCAL),
        Some(&cloud("https://bitbucket.corp/", "PRJ")),
    )
    .expect("allowed");
    assert_eq!(conn.username, "local-user");
    assert_eq!(conn.token.expose(), "local-token");
    let conn = resolve_connection(&config(LOCAL), None).expect("local only");
    assert_eq!(conn.project, "PRJ");
}

#[test]
fn the_cloud_cannot_redirect_to_another_server_or_project() {
    let err = resolve_connection(&config(LOCAL), Some(&cloud("https://evil.example", "PRJ")))
        .expect_err("other server");
    assert!(matches!(err, OpFailure::Denied(_)), "{err:?}");
    let err = resolve_connection(
        &config(LOCAL),
        Some(&cloud("https://bitbucket.corp", "OTHER")),
    )
    .expect_err("other project");
    assert!(matches!(err, OpFailure::Denied(_)), "{err:?}");
}

#[test]
fn cloud_details_are_used_when_nothing_is_local() {
    let conn = resolve_connection(&config(&[]), Some(&cloud("https://bitbucket.corp", "PRJ")))
        .expect("cloud");
    assert_eq!(conn.username, "cloud-user");
    assert_eq!(conn.token.expose(), "cloud-token");
    let err = resolve_connection(&config(&[]), None).expect_err("nothing");
    assert!(matches!(err, OpFailure::BadRequest(_)), "{err:?}");
}

#[test]
fn a_cloud_sent_http_server_is_refused_when_none_is_local() {
    let err = resolve_connection(&config(&[]), Some(&cloud("http://bitbucket.corp", "PRJ")))
        .expect_err("plain http from the cloud");
    let OpFailure::Denied(message) = &err else {
        panic!("not a policy refusal: {err:?}");
    };
    assert!(message.contains("must use https"), "{message}");
    assert_eq!(err.outcome(), "denied");
    // A locally configured http server stays allowed: the customer chose it.
    let local_http = [
        ("GITPROXY_BITBUCKET_URL", "http://bitbucket.corp"),
        ("GITPROXY_BITBUCKET_PROJECT", "PRJ"),
    ];
    let conn = resolve_connection(
        &config(&local_http),
        Some(&cloud("http://bitbucket.corp", "PRJ")),
    )
    .expect("local http");
    assert_eq!(conn.url.scheme(), "http");
}

#[test]
fn engine_errors_keep_their_kind() {
    let refused = OpFailure::from(anyhow::Error::from(
        gitproxy_remediation::Error::policy_refused("`main` is the default branch"),
    ));
    assert!(
        matches!(&refused, OpFailure::Denied(m) if m.contains("default branch")),
        "{refused:?}"
    );
    assert_eq!(refused.outcome(), "denied");
    let failed = OpFailure::from(gitproxy_remediation::Error::Host {
        operation: "listing repositories".into(),
        source: "connection reset".into(),
    });
    assert!(
        matches!(
            failed,
            OpFailure::Failed {
                retryable: false,
                retry_after: None,
                ..
            }
        ),
        "{failed:?}"
    );
    assert_eq!(failed.outcome(), "error");
    let wire = failed.into_op_error();
    assert_eq!(
        wire.body().code(),
        gitproxy_tunnel::ErrorCode::UpstreamFailed
    );
    assert!(!wire.body().retryable);
}
