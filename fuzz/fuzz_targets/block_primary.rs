//! Fuzz target `block_primary`: see `medilanac::fuzzing::block_primary` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = medilanac::fuzzing::block_primary(data);
});
