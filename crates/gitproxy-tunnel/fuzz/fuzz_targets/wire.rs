//! Fuzz target: long-poll envelopes, registration, error and goaway documents, operation paths, headers
//! and catalogue bodies, everything the agent parses from the wire beyond hyper.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    gitproxy_tunnel::fuzzing::fuzz_wire(data);
});
