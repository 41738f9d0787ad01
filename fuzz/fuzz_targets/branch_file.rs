//! Fuzz target `branch_file`: see `medilanac::fuzzing::branch_file` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = medilanac::fuzzing::branch_file(data);
});
