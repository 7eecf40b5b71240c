//! Unit tests of how engine errors become audit outcomes and tunnel answers.

use std::time::Duration;

use gitproxy_tunnel::ErrorCode;

use super::OpFailure;
use crate::service::Outcome;
use crate::Error;

#[test]
fn engine_errors_keep_their_kind() {
    let refused = OpFailure::from(Error::policy_refused("`main` is the default branch"));
    assert!(
        matches!(&refused, OpFailure::Denied(m) if m.contains("default branch")),
        "{refused:?}"
    );
    assert_eq!(refused.outcome(), Outcome::Denied);
    assert_eq!(refused.into_op_error().body().code(), ErrorCode::BadRequest);
    let failed = OpFailure::from(Error::Host {
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
    assert_eq!(failed.outcome(), Outcome::Error);
    let wire = failed.into_op_error();
    assert_eq!(wire.body().code(), ErrorCode::UpstreamFailed);
    assert!(!wire.body().retryable);
}

#[test]
fn missing_connection_details_are_a_bad_request() {
    let bad = OpFailure::from(Error::InvalidConnection {
        reason: "no Bitbucket project key".into(),
    });
    assert!(matches!(&bad, OpFailure::BadRequest(m) if m == "no Bitbucket project key"));
    assert_eq!(bad.outcome(), Outcome::Error);
    assert_eq!(bad.into_op_error().body().code(), ErrorCode::BadRequest);
}

#[test]
fn a_retryable_failure_keeps_its_retry_after() {
    let failure = OpFailure::Failed {
        message: "rate limited".into(),
        retryable: true,
        retry_after: Some(Duration::from_secs(7)),
    };
    let wire = failure.into_op_error();
    assert_eq!(wire.body().code(), ErrorCode::UpstreamFailed);
    assert!(wire.body().retryable);
    assert_eq!(wire.body().retry_after_ms, Some(7_000));
    assert_eq!(OpFailure::permanent("x").outcome(), Outcome::Error);
}
