//! Fuzz target: Gemfile.lock and Gemfile (first byte picks the file), through the whole analysis.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    gitproxy_remediation::fuzzing::fuzz_gem(data);
});
