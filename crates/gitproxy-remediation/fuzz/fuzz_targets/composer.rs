//! Fuzz target: composer.lock and composer.json (first byte picks the file), through the whole
//! analysis.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    gitproxy_remediation::fuzzing::fuzz_composer(data);
});
