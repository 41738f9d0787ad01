//! The `medilanac` command line: a thin layer over the library.

mod cli;

use std::process::ExitCode;

/// A run allocates and frees a message or two per event; mimalloc does that in a fraction
/// of the system allocator's time (see the README's Performance section).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    match cli::run() {
        Ok(code) => code,
        Err(cli::Failure::BadInput(error)) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
        Err(cli::Failure::Failed(error)) => {
            eprintln!("error: {error:#}");
            ExitCode::from(1)
        }
    }
}
