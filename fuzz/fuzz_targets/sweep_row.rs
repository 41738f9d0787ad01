//! Fuzz target `sweep_row`: see `medilanac::fuzzing::sweep_row` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = medilanac::fuzzing::sweep_row(data);
});
