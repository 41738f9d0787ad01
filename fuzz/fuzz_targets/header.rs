//! Fuzz target `header`: see `medilanac::fuzzing::header` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = medilanac::fuzzing::header(data);
});
