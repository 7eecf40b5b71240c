//! Fuzz target: Cargo.toml, Cargo.lock, pyproject.toml and poetry.lock (first byte picks the file), through the whole analysis.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    gitproxy_remediation::fuzzing::fuzz_toml(data);
});
