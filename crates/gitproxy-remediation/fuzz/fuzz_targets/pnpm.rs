//! Fuzz target: pnpm-lock.yaml (its YAML reader and the lockfile analysis), next to package.json files.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    gitproxy_remediation::fuzzing::fuzz_pnpm(data);
});
