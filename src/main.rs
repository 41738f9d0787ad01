//! The `medilanac` command line: a thin layer over the library.

mod cli;

use std::process::ExitCode;

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
