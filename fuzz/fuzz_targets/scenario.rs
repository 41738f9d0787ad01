//! Fuzz target `scenario`: see `medilanac::fuzzing::scenario` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = medilanac::fuzzing::scenario(data);
});
