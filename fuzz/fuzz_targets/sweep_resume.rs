//! Fuzz target `sweep_resume`: see `medilanac::fuzzing::sweep_resume` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = medilanac::fuzzing::sweep_resume(data);
});
