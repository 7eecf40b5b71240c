//! Fuzz target: `bun.lock` analysed and moved by a planned fix.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    gitproxy_remediation::fuzzing::fuzz_bun(data);
});
