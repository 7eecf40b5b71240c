//! Fuzz target: a planned PDM fix applied to the input as `pdm.lock`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    gitproxy_remediation::fuzzing::fuzz_pdm_fix(data);
});
