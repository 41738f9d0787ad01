//! Fuzz target `chunks`: see `medilanac::fuzzing::chunks` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = medilanac::fuzzing::chunks(data);
});
