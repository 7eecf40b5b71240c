//! Unit tests for error decoding from real-shaped Bitbucket answers.

use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderValue, Method, StatusCode};
use serde_json::json;

use super::*;

fn decode(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Error {
    decode_as(status, headers, body, Some("bot"))
}

fn decode_as(status: u16, headers: &[(&str, &str)], body: &[u8], user: Option<&str>) -> Error {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.insert(
            http::header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    let method = Method::POST;
    let ctx = RequestContext {
        method: &method,
        path: "/rest/api/latest/projects/PROJ/repos/app/pull-requests",
        credential_user: user,
    };
    from_response(&ctx, StatusCode::from_u16(status).unwrap(), &map, body)
}

fn envelope(errors: serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(&json!({ "errors": errors })).unwrap()
}

#[test]
fn incorrect_password_is_bad_credential() {
    let body = envelope(json!([{
        "context": null,
        "message": "Authentication failed. Please check your credentials and try again.",
        "exceptionName": "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException"
    }]));
    let err = decode(401, &[], &body);
    let Error::BadCredential { user, response } = &err else {
        panic!("wrong variant: {err:?}");
    };
    assert_eq!(user.as_deref(), Some("bot"));
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    assert_eq!(response.errors[0].context, None);
    assert_eq!(
        response.exception_name(),
        Some("com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException")
    );
    let text = err.to_string();
    assert!(
        text.starts_with("bitbucket rejected the credential for user bot"),
        "{text}"
    );
    assert!(
        text.contains("check the username and HTTP access token"),
        "{text}"
    );
    assert!(!err.is_retryable());
}

#[test]
fn authorisation_exception_is_no_permission_even_without_header() {
    let body = envelope(json!([{
        "context": null,
        "message": "You are not permitted to access this resource",
        "exceptionName": "com.atlassian.bitbucket.AuthorisationException"
    }]));
    let err = decode(401, &[], &body);
    let Error::NoPermission { user, .. } = &err else {
        panic!("wrong variant: {err:?}");
    };
    assert_eq!(user.as_deref(), Some("bot"));
    let text = err.to_string();
    assert!(text.contains("user bot is not permitted to POST"), "{text}");
    assert!(
        text.contains("You are not permitted to access this resource"),
        "{text}"
    );
}

#[test]
fn unnamed_401_is_told_apart_by_x_ausername() {
    let body = envelope(json!([{"message": "nope"}]));
    let err = decode_as(401, &[("X-AUSERNAME", "jdoe")], &body, None);
    assert!(
        matches!(&err, Error::NoPermission { user: Some(user), .. } if user == "jdoe"),
        "{err:?}"
    );
    let err = decode_as(401, &[], &body, None);
    assert!(
        matches!(err, Error::BadCredential { user: None, .. }),
        "{err:?}"
    );
    assert!(err
        .to_string()
        .starts_with("bitbucket rejected the credential on POST"));
    // A non-JSON 401 (e.g. from a proxy) falls back the same way.
    let err = decode_as(401, &[], b"<html>Unauthorized</html>", None);
    assert!(matches!(err, Error::BadCredential { .. }), "{err:?}");
}

#[test]
fn plain_text_xsrf_403() {
    let err = decode(403, &[("content-type", "text/plain")], b"XSRF check failed");
    assert!(matches!(err, Error::Xsrf { .. }), "{err:?}");
    let response = err.response().unwrap();
    assert!(response.errors.is_empty());
    assert_eq!(response.body.as_deref(), Some("XSRF check failed"));
    assert!(err.to_string().contains("X-Atlassian-Token"), "{err}");

    let other = envelope(json!([{"message": "no valid user associated with the token"}]));
    let err = decode(403, &[], &other);
    assert!(matches!(err, Error::Forbidden { .. }), "{err:?}");
}

#[test]
fn not_found_kinds_follow_exception_names() {
    let cases = [
        (
            "com.atlassian.bitbucket.project.NoSuchProjectException",
            NotFoundKind::Project,
        ),
        (
            "com.atlassian.bitbucket.repository.NoSuchRepositoryException",
            NotFoundKind::Repository,
        ),
        (
            "com.atlassian.bitbucket.pull.NoSuchPullRequestException",
            NotFoundKind::PullRequest,
        ),
        (
            "com.atlassian.bitbucket.content.NoSuchPathException",
            NotFoundKind::Path,
        ),
        (
            "com.atlassian.bitbucket.commit.NoSuchCommitException",
            NotFoundKind::Commit,
        ),
        (
            "com.atlassian.bitbucket.user.NoSuchUserException",
            NotFoundKind::User,
        ),
        (
            "com.atlassian.bitbucket.comment.NoSuchCommentException",
            NotFoundKind::Comment,
        ),
        (
            "com.atlassian.bitbucket.x.SomethingElseException",
            NotFoundKind::Other("com.atlassian.bitbucket.x.SomethingElseException".to_owned()),
        ),
    ];
    for (name, kind) in cases {
        let body = envelope(
            json!([{"message": "Repository PROJ/app does not exist.", "exceptionName": name}]),
        );
        let err = decode(404, &[], &body);
        match &err {
            Error::NotFound { kind: got, .. } => assert_eq!(got, &kind, "{name}"),
            other => panic!("{name}: wrong variant {other:?}"),
        }
    }
}

#[test]
fn xml_404_from_the_router_is_a_route_not_found() {
    let body = br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><status><status-code>404</status-code><message>null for uri: http://host/rest/api/latest/projects/P/repos/r/commits/feature/x</message></status>"#;
    let err = decode(404, &[("content-type", "application/xml")], body);
    let Error::NotFound { kind, response } = &err else {
        panic!("wrong variant: {err:?}");
    };
    assert_eq!(kind, &NotFoundKind::Route);
    assert!(response
        .body
        .as_deref()
        .unwrap()
        .contains("<status-code>404"));
    assert!(err.to_string().contains("route not found"), "{err}");
    assert!(err.to_string().contains("context path"), "{err}");
}

#[test]
fn out_of_date_keeps_versions() {
    let body = envelope(json!([{
        "context": null,
        "message": "You are attempting to modify a pull request based on out-of-date information.",
        "exceptionName": "com.atlassian.bitbucket.pull.PullRequestOutOfDateException",
        "currentVersion": 3,
        "expectedVersion": -1,
        "pullRequest": {"id": 7, "version": 3, "title": "t"}
    }]));
    let err = decode(409, &[], &body);
    let Error::PullRequestOutOfDate {
        current_version,
        expected_version,
        response,
    } = &err
    else {
        panic!("wrong variant: {err:?}");
    };
    assert_eq!(*current_version, Some(3));
    assert_eq!(*expected_version, Some(-1));
    // The raw extra fields are kept.
    assert_eq!(response.errors[0].extra["pullRequest"]["id"], 7);
    assert!(err.to_string().contains("now version 3"), "{err}");
}

#[test]
fn duplicate_pull_request_carries_the_existing_one() {
    let body = envelope(json!([{
        "context": null,
        "message": "Only one pull request may be open for a given source and target branch",
        "exceptionName": "com.atlassian.bitbucket.pull.DuplicatePullRequestException",
        "existingPullRequest": {
            "id": 12, "version": 4, "title": "Fix CVE", "state": "OPEN", "open": true,
            "fromRef": {"id": "refs/heads/fix", "displayId": "fix"},
            "toRef": {"id": "refs/heads/main", "displayId": "main"},
            "links": {"self": [{"href": "https://bb/projects/P/repos/r/pull-requests/12"}]}
        }
    }]));
    let err = decode(409, &[], &body);
    let Error::DuplicatePullRequest {
        existing: Some(existing),
        ..
    } = &err
    else {
        panic!("wrong variant: {err:?}");
    };
    assert_eq!(existing.id, 12);
    assert_eq!(existing.version, 4);
    assert_eq!(existing.from_ref.id, "refs/heads/fix");
    assert_eq!(
        existing.links.web_url(),
        Some("https://bb/projects/P/repos/r/pull-requests/12")
    );
    assert!(err.to_string().contains("#12"), "{err}");

    // The old Stash exception name maps the same way.
    let stash = envelope(
        json!([{"message": "dup", "exceptionName": "com.atlassian.stash.pull.DuplicatePullRequestException"}]),
    );
    assert!(matches!(
        decode(409, &[], &stash),
        Error::DuplicatePullRequest { existing: None, .. }
    ));
}

#[test]
fn empty_pull_request_and_unmodified_file() {
    let body = envelope(
        json!([{"message": "empty", "exceptionName": "com.atlassian.bitbucket.pull.EmptyPullRequestException"}]),
    );
    assert!(matches!(
        decode(409, &[], &body),
        Error::EmptyPullRequest { .. }
    ));
    let body = envelope(json!([{
        "message": "The content provided is the same as what already exists. No change was committed.",
        "exceptionName": "com.atlassian.bitbucket.content.FileContentUnmodifiedException"
    }]));
    let err = decode(409, &[], &body);
    assert!(
        matches!(err, Error::FileContentUnmodified { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("no commit was made"));
}

#[test]
fn reviewer_errors_name_the_offenders() {
    let body = envelope(json!([{
        "context": "reviewers",
        "message": "Errors encountered while adding some reviewers to this pull request.",
        "exceptionName": "com.atlassian.bitbucket.pull.InvalidPullRequestReviewersException",
        "reviewerErrors": [
            {"context": "ghost", "message": "ghost is not a user."},
            {"context": "author", "message": "The author cannot be a reviewer."}
        ],
        "validReviewers": [{"name": "alice"}]
    }]));
    let err = decode(409, &[], &body);
    let Error::InvalidReviewers { names, response } = &err else {
        panic!("wrong variant: {err:?}");
    };
    assert_eq!(names, &["ghost", "author"]);
    assert_eq!(response.errors[0].context.as_deref(), Some("reviewers"));
    assert!(response.errors[0].extra.contains_key("validReviewers"));
    assert!(err.to_string().contains("\"ghost\""), "{err}");
}

#[test]
fn merge_veto_lists_vetoes() {
    let body = envelope(json!([{
        "message": "Merging the pull request has been vetoed.",
        "exceptionName": "com.atlassian.bitbucket.pull.PullRequestMergeVetoedException",
        "conflicted": false,
        "vetoes": [{"summaryMessage": "Not all required builds are successful yet", "detailedMessage": "1 of 2"}]
    }]));
    let err = decode(409, &[], &body);
    let Error::MergeVetoed {
        vetoes, conflicted, ..
    } = &err
    else {
        panic!("wrong variant: {err:?}");
    };
    assert!(!conflicted);
    assert_eq!(
        vetoes[0].summary_message,
        "Not all required builds are successful yet"
    );
    assert!(err.to_string().contains("required builds"), "{err}");
}

#[test]
fn other_conflicts_and_bad_requests() {
    let body = envelope(
        json!([{"message": "archived", "exceptionName": "com.atlassian.bitbucket.repository.RepositoryArchivedException"}]),
    );
    assert!(matches!(decode(409, &[], &body), Error::Conflict { .. }));
    let body = envelope(json!([{"context": "name", "message": "invalid branch name"}]));
    let err = decode(400, &[], &body);
    assert!(matches!(err, Error::BadRequest { .. }));
    assert!(err.to_string().contains("invalid branch name"));
    assert_eq!(err.status(), Some(StatusCode::BAD_REQUEST));
}

#[test]
fn rate_limit_with_retry_after_seconds() {
    let err = decode(429, &[("Retry-After", "7")], b"Too many requests");
    let Error::RateLimited {
        retry_after,
        response,
    } = &err
    else {
        panic!("wrong variant: {err:?}");
    };
    assert_eq!(*retry_after, Some(Duration::from_secs(7)));
    assert_eq!(response.body.as_deref(), Some("Too many requests"));
    assert!(err.is_retryable());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
    assert!(err.to_string().contains("retry after 7s"), "{err}");
}

#[test]
fn rate_limit_with_retry_after_http_date() {
    let in_a_minute = SystemTime::now() + Duration::from_secs(60);
    let date = httpdate::fmt_http_date(in_a_minute);
    let err = decode(429, &[("Retry-After", &date)], b"");
    let after = err.retry_after().expect("parsed date");
    assert!(
        after > Duration::from_secs(55) && after <= Duration::from_secs(60),
        "{after:?}"
    );
}

#[test]
fn retry_after_parsing() {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    assert_eq!(parse_retry_after("0", now), Some(Duration::ZERO));
    assert_eq!(
        parse_retry_after(" 120 ", now),
        Some(Duration::from_secs(120))
    );
    let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
    assert_eq!(
        parse_retry_after(&later, now),
        Some(Duration::from_secs(30))
    );
    let past = httpdate::fmt_http_date(now - Duration::from_secs(30));
    assert_eq!(parse_retry_after(&past, now), Some(Duration::ZERO));
    assert_eq!(parse_retry_after("soon", now), None);
    assert_eq!(parse_retry_after("-5", now), None);
}

#[test]
fn server_errors_and_retryability() {
    let unavailable = decode(503, &[("Retry-After", "2")], b"<html>maintenance</html>");
    assert!(matches!(
        unavailable,
        Error::Unavailable {
            retry_after: Some(_),
            ..
        }
    ));
    assert!(unavailable.is_retryable());
    let internal = decode(500, &[], &envelope(json!([{"message": "boom"}])));
    assert!(matches!(internal, Error::Server { .. }));
    assert!(!internal.is_retryable());
    assert!(internal.to_string().contains("500"));
    assert!(decode(502, &[], b"bad gateway").is_retryable());
    assert!(decode(504, &[], b"").is_retryable());
    let redirect = decode(302, &[("location", "/login")], b"");
    assert!(matches!(redirect, Error::UnexpectedStatus { .. }));
}

#[test]
fn snippet_is_bounded_and_lossy() {
    let long = "x".repeat(2000);
    let cut = snippet(long.as_bytes());
    assert_eq!(cut.chars().count(), SNIPPET_CHARS + 1);
    assert!(cut.ends_with('…'));
    assert_eq!(snippet(b"  short \n"), "short");
    assert_eq!(snippet(&[0xff, b'a']), "\u{fffd}a");
}

#[test]
fn messages_are_lowercase_without_trailing_period() {
    let samples = vec![
        decode(401, &[], b""),
        decode(401, &[("x-ausername", "u")], b""),
        decode(403, &[], b"XSRF check failed"),
        decode(404, &[], b""),
        decode(409, &[], b"{}"),
        decode(429, &[], b""),
        decode(500, &[], b""),
        Error::Config {
            reason: "x: do y".into(),
        },
    ];
    for err in samples {
        let text = err.to_string();
        let first = text.chars().next().unwrap();
        assert!(!first.is_uppercase(), "{text}");
        assert!(!text.ends_with('.'), "{text}");
        assert!(text.contains(": "), "says what to do next: {text}");
    }
}
