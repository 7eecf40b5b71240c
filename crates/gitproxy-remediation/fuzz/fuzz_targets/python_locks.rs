//! Fuzz target: Pipfile.lock, Pipfile, uv.lock, pdm.lock and PDM's pyproject.toml (first byte picks the file), through the whole analysis.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    gitproxy_remediation::fuzzing::fuzz_python_locks(data);
});
