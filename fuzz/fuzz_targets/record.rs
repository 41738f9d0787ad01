//! Fuzz target `record`: see `medilanac::fuzzing::record` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = medilanac::fuzzing::record(data);
});
