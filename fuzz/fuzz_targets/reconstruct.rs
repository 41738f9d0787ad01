//! Fuzz target `reconstruct`: see `medilanac::fuzzing::reconstruct` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = medilanac::fuzzing::reconstruct(data);
});
