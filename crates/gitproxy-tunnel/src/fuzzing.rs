//! Entry points for fuzzing what the agent parses from the wire beyond hyper: operation paths, headers,
//! long-poll envelopes, registration, goaway and error documents, and catalogue request bodies.
//!
//! `crates/gitproxy-tunnel/fuzz` drives [`fuzz_wire`] with cargo-fuzz; a unit test replays its seed corpus.

use crate::ops::{AgentInfo, Echo, StreamBytes};
use crate::protocol::{
    decode_envelopes, offers_subprotocol, parse_deadline_ms, parse_idempotency_key, parse_op_path,
    ErrorBody, GoAway, Registration,
};

/// Feeds `data` to every wire parser: the first byte picks the parser, the rest is its input. Panics only
/// when a parser breaks one of its invariants.
pub fn fuzz_wire(data: &[u8]) {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    match selector % 8 {
        0 => {
            if let Ok(answers) = decode_envelopes(input) {
                for answer in answers {
                    match answer {
                        Ok(env) => {
                            assert!(crate::protocol::validate_op_name(&env.op).is_ok());
                            assert!(crate::protocol::validate_token(&env.id, 128).is_ok());
                            // A valid envelope survives a round trip.
                            let again = serde_json::to_vec(&[&env]).expect("encode envelope");
                            let back = decode_envelopes(&again).expect("decode envelope");
                            assert!(matches!(back.as_slice(), [Ok(e)] if e.id == env.id));
                        }
                        Err(bad) => assert!(!bad.error.retryable),
                    }
                }
            }
        }
        1 => {
            if let Ok(reg) = Registration::decode(input) {
                assert!(reg.connection_index < reg.connections);
                let again = serde_json::to_vec(&reg).expect("encode registration");
                assert_eq!(Registration::decode(&again).as_ref(), Ok(&reg));
            }
        }
        2 => {
            if let Some(body) = ErrorBody::decode(input) {
                assert!(body.message.len() <= 4096);
                let _ = body.code();
            }
        }
        3 => {
            if let Ok(text) = std::str::from_utf8(input) {
                if let Ok(name) = parse_op_path(text) {
                    assert!(!name.is_empty() && name.len() <= 64);
                }
            }
        }
        4 => {
            let _ = parse_deadline_ms(input);
            if let Ok(key) = parse_idempotency_key(input) {
                assert!(key.len() <= 128);
            }
            let _ = offers_subprotocol(input);
        }
        5 => {
            let _ = serde_json::from_slice::<GoAway>(input);
        }
        6 => {
            let _ = serde_json::from_slice::<Echo>(input);
            let _ = serde_json::from_slice::<AgentInfo>(input);
        }
        _ => {
            if let Ok(op) = serde_json::from_slice::<StreamBytes>(input) {
                let mut seq = crate::ops::ByteSequence::new(op.seed, op.len.min(4096));
                let mut checker = crate::ops::ByteSequenceChecker::new(op.seed, op.len.min(4096));
                while let Some(chunk) = seq.next_chunk(1000) {
                    assert!(checker.feed(&chunk));
                }
                assert!(checker.is_complete());
            }
        }
    }
}

#[cfg(test)]
mod tests;
