//! Unit tests of the wire documents and their validation.

use super::*;

#[test]
fn op_names_follow_the_catalogue_rules() {
    for ok in [
        "echo",
        "agent.info",
        "bitbucket.pull-request.create",
        "a1_b",
    ] {
        assert!(validate_op_name(ok).is_ok(), "{ok}");
    }
    for bad in ["", "Echo", "9op", "op/x", "op name", &"a".repeat(65)] {
        assert!(validate_op_name(bad).is_err(), "{bad}");
    }
}

#[test]
fn op_paths_parse_and_errors_are_structured() {
    assert_eq!(parse_op_path("/v1/ops/echo"), Ok("echo"));
    assert_eq!(
        parse_op_path("/v1/other").unwrap_err().code(),
        ErrorCode::UnknownOperation
    );
    assert_eq!(
        parse_op_path("/v1/ops/Bad").unwrap_err().code(),
        ErrorCode::BadRequest
    );
}

#[test]
fn headers_parse_within_bounds() {
    assert_eq!(parse_deadline_ms(b"1500"), Ok(1500));
    assert!(parse_deadline_ms(b"0").is_err());
    assert!(parse_deadline_ms(b"soon").is_err());
    assert!(parse_deadline_ms(b"86400001").is_err());
    assert_eq!(
        parse_idempotency_key(b"pr:123-abc"),
        Ok("pr:123-abc".to_owned())
    );
    assert!(parse_idempotency_key(b"has space").is_err());
    assert!(parse_idempotency_key(&[0xff, 0xfe]).is_err());
    assert!(offers_subprotocol(
        b"gitproxy.tunnel.v2, gitproxy.tunnel.v1"
    ));
    assert!(!offers_subprotocol(b"gitproxy.tunnel.v2"));
}

#[test]
fn error_codes_round_trip_with_status_and_retryability() {
    for code in ErrorCode::ALL {
        assert_eq!(ErrorCode::parse(code.as_str()), code);
        let body = ErrorBody::new(code, "m");
        let back = ErrorBody::decode(&body.to_json()).expect("decodes");
        assert_eq!(back, body);
    }
    assert_eq!(ErrorCode::parse("from_the_future"), ErrorCode::Other);
    assert!(ErrorCode::Busy.default_retryable());
    assert!(!ErrorCode::UnknownOperation.default_retryable());
    assert_eq!(
        ErrorCode::BodyTooLarge.status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );
}

#[test]
fn error_bodies_from_the_wire_are_bounded() {
    let long = format!(
        "{{\"code\":\"busy\",\"message\":\"{}\",\"retryable\":true}}",
        "é".repeat(5000)
    );
    let body = ErrorBody::decode(long.as_bytes()).expect("decodes");
    assert!(body.message.len() <= 4096);
    assert!(ErrorBody::decode(b"{\"code\":\"\",\"message\":\"\",\"retryable\":false}").is_none());
    assert!(ErrorBody::decode(b"not json").is_none());
}

#[test]
fn envelopes_are_validated_one_by_one() {
    let input = br#"[
        {"id":"op-1","op":"echo","body":{"message":"hi"}},
        {"id":"op-2","op":"Not Valid"},
        {"op":"echo"},
        {"id":"op-4","op":"echo","idempotency_key":"bad key"},
        {"id":"op-5","op":"echo","deadline_ms":"soon"}
    ]"#;
    let out = decode_envelopes(input).expect("array");
    assert_eq!(out.len(), 5);
    assert!(matches!(&out[0], Ok(e) if e.id == "op-1" && e.op == "echo"));
    assert!(matches!(&out[1], Err(b) if b.id.as_deref() == Some("op-2")));
    assert!(matches!(&out[2], Err(b) if b.id.is_none()));
    assert!(matches!(&out[3], Err(b) if b.id.as_deref() == Some("op-4")));
    assert!(matches!(&out[4], Err(b) if b.id.as_deref() == Some("op-5")));
    for bad in out.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(bad.error.code(), ErrorCode::BadRequest);
    }
    assert!(decode_envelopes(b"{}").is_err());
}

#[test]
fn registration_is_validated() {
    let reg = Registration {
        protocol: 1,
        agent_id: "a-1".into(),
        version: "0.1.0".into(),
        connection_index: 1,
        connections: 2,
        max_concurrent_ops: 64,
        capabilities: vec!["echo".into()],
    };
    let bytes = serde_json::to_vec(&reg).expect("encode");
    assert_eq!(Registration::decode(&bytes), Ok(reg.clone()));
    let bad_index = Registration {
        connection_index: 2,
        ..reg.clone()
    };
    assert!(Registration::decode(&serde_json::to_vec(&bad_index).expect("encode")).is_err());
    let bad_version = Registration { protocol: 2, ..reg };
    assert!(Registration::decode(&serde_json::to_vec(&bad_version).expect("encode")).is_err());
}

#[test]
fn error_bodies_carry_retry_after_only_when_known() {
    let plain = ErrorBody::new(ErrorCode::UpstreamFailed, "bitbucket failed");
    assert!(!String::from_utf8(plain.to_json())
        .expect("utf-8")
        .contains("retry_after_ms"));
    let old =
        ErrorBody::decode(br#"{"code":"busy","message":"m","retryable":true}"#).expect("v1 body");
    assert_eq!(old.retry_after_ms, None);
    let body = crate::OpError::upstream_failed("rate limited", true)
        .with_retry_after(std::time::Duration::from_secs(7))
        .body()
        .clone();
    let back = ErrorBody::decode(&body.to_json()).expect("decodes");
    assert_eq!(back.retry_after_ms, Some(7000));
    assert!(back.retryable);
}
