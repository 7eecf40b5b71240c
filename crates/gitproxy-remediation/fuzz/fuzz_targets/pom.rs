//! Fuzz target: pom.xml files (and a parent POM), through the whole analysis.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    gitproxy_remediation::fuzzing::fuzz_pom(data);
});
