//! Fuzz target: npm lockfiles and package.json (first byte picks the file), through the whole analysis.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    gitproxy_remediation::fuzzing::fuzz_npm(data);
});
