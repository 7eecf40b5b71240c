//! Fuzz target: advisory sync batches (full archive, delta or modified_id.csv; first byte picks),
//! applied whole or refused with the store unchanged.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    gitproxy_remediation::fuzzing::fuzz_advisory_sync(data);
});
