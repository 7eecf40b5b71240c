//! Unit tests for credentials: header shapes, validation and redaction.

use super::*;

#[test]
fn bearer_header_and_redacted_debug() {
    let creds = Credentials::bearer("tok-123").unwrap();
    let header = creds.header().unwrap();
    assert_eq!(header.to_str().unwrap(), "Bearer tok-123");
    assert!(header.is_sensitive());
    let debug = format!("{creds:?}");
    assert!(!debug.contains("tok-123"), "{debug}");
    assert!(debug.contains("<redacted>"), "{debug}");
    assert_eq!(creds.username(), None);
}

#[test]
fn basic_header_is_base64_of_user_colon_token() {
    let creds = Credentials::basic("bot", "s3cret").unwrap();
    let header = creds.header().unwrap().to_str().unwrap().to_owned();
    let encoded = header.strip_prefix("Basic ").unwrap();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .unwrap();
    assert_eq!(decoded, b"bot:s3cret");
    assert_eq!(creds.username(), Some("bot"));
    let debug = format!("{creds:?}");
    assert!(debug.contains("bot"));
    assert!(!debug.contains("s3cret"), "{debug}");
    assert!(!debug.contains(encoded), "{debug}");
}

#[test]
fn anonymous_has_no_header() {
    let creds = Credentials::anonymous();
    assert!(creds.header().is_none());
    assert!(creds.is_anonymous());
    assert_eq!(format!("{creds:?}"), "Credentials::Anonymous");
}

#[test]
fn invalid_credentials_are_rejected_without_echoing_the_token() {
    for token in ["", "has space", "new\nline", "tab\t"] {
        let err = Credentials::bearer(token).unwrap_err();
        assert!(matches!(err, Error::Config { .. }));
        if !token.is_empty() {
            assert!(!err.to_string().contains(token), "{err}");
        }
    }
    for user in ["", "a:b", "a\nb"] {
        let err = Credentials::basic(user, "tok").unwrap_err();
        assert!(matches!(err, Error::Config { .. }), "{user:?}");
    }
    let err = Credentials::bearer("tøken").unwrap_err();
    assert!(!err.to_string().contains("tøken"));
}
