//! Fuzz target: yarn.lock (classic and Berry) and a workspace package.json (first byte picks), through the whole analysis.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    gitproxy_remediation::fuzzing::fuzz_yarn(data);
});
