//! End-to-end tests of the `medilanac` binary (DESIGN sections 2 and 3), one test binary for
//! the command line: determinism, a run from end to end, export and reconstruction,
//! scenario errors and help. Run with `cargo test --release --test cli`.

mod audit;
mod determinism;
mod end_to_end;
mod export;
mod help;
mod read;
mod reconstruct;
mod scenario_errors;
mod support;
