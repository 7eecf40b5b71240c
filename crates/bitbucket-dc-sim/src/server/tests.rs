//! Unit tests for authentication, the XSRF rule and context paths.

use super::*;

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (k, v) in pairs {
        map.insert(
            http::HeaderName::from_bytes(k.as_bytes()).expect("name"),
            HeaderValue::from_str(v).expect("value"),
        );
    }
    map
}

#[test]
fn xsrf_applies_to_form_and_bodiless_mutations_without_the_header() {
    let json = headers(&[("content-type", "application/json")]);
    assert!(!needs_xsrf_check(&Method::POST, &json, b"{}"));
    assert!(needs_xsrf_check(&Method::POST, &json, b""));
    assert!(needs_xsrf_check(&Method::POST, &headers(&[]), b""));
    assert!(needs_xsrf_check(
        &Method::PUT,
        &headers(&[("content-type", "multipart/form-data; boundary=x")]),
        b"--x--"
    ));
    assert!(needs_xsrf_check(
        &Method::POST,
        &headers(&[("content-type", "application/x-www-form-urlencoded")]),
        b"a=b"
    ));
    assert!(!needs_xsrf_check(&Method::GET, &headers(&[]), b""));
    assert!(!needs_xsrf_check(
        &Method::POST,
        &headers(&[("x-atlassian-token", "nocheck")]),
        b""
    ));
    assert!(!needs_xsrf_check(
        &Method::DELETE,
        &headers(&[("x-atlassian-token", "no-check")]),
        b""
    ));
}

fn state() -> State {
    let mut state = State::default();
    state.users.insert(
        "alice".into(),
        crate::state::User {
            id: 1,
            name: "alice".into(),
            slug: "alice".into(),
            display_name: "Alice".into(),
            email: "a@x".into(),
            password: Some("pw".into()),
            active: true,
            admin: false,
            service: false,
        },
    );
    state.tokens.insert(
        "tok".into(),
        crate::state::Token {
            user: "alice".into(),
            cap: None,
            bearer_only: false,
        },
    );
    state
}

fn basic(user: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}"))
    )
}

#[test]
fn bearer_basic_token_and_password_authenticate() {
    let state = state();
    let auth = |value: &str| authenticate(&state, &headers(&[("authorization", value)]));
    assert!(matches!(auth("Bearer tok"), (Auth::User(c), AuthScheme::Bearer) if c.user == "alice"));
    assert!(matches!(
        auth(&basic("alice", "tok")),
        (Auth::User(_), AuthScheme::Basic)
    ));
    assert!(matches!(
        auth(&basic("alice", "pw")),
        (Auth::User(_), AuthScheme::Basic)
    ));
    assert!(matches!(
        auth("Bearer nope"),
        (Auth::Bad, AuthScheme::Bearer)
    ));
    assert!(matches!(auth(&basic("bob", "tok")), (Auth::Bad, _)));
    assert!(matches!(auth(&basic("alice", "wrong")), (Auth::Bad, _)));
    assert!(matches!(auth("Digest x"), (Auth::Bad, AuthScheme::Other)));
    assert!(matches!(
        authenticate(&state, &HeaderMap::new()),
        (Auth::Anonymous, AuthScheme::None)
    ));
}

#[test]
fn context_paths_must_match_whole_segments() {
    assert_eq!(strip_context("", "/rest/x"), Some("/rest/x"));
    assert_eq!(strip_context("/bb", "/bb/rest/x"), Some("/rest/x"));
    assert_eq!(strip_context("/bb", "/bbx/rest"), None);
    assert_eq!(strip_context("/bb", "/rest/x"), None);
}
