//! Fuzz target: Gradle build scripts, version catalogs and lockfiles, through the whole analysis.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    gitproxy_remediation::fuzzing::fuzz_gradle(data);
});
