//! Fuzz target: NuGet's lockfile, project files, central props file and packages.config.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    gitproxy_remediation::fuzzing::fuzz_nuget(data);
});
