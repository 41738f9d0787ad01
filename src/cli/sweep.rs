//! `medilanac sweep`: a scenario's grid to CSV, with a progress bar on a terminal.

use super::{Failure, Outcome};
use medilanac::scenario::{Scenario, ScenarioError};
use medilanac::sweep::{self, Options, SweepError};
use std::path::Path;
use std::process::ExitCode;

pub fn run(scenario: &Scenario, out: &Path, resume: bool, threads: Option<usize>) -> Outcome {
    let options = Options {
        resume,
        threads,
        progress: true,
    };
    let report = sweep::sweep(scenario, out, &options).map_err(|error| match error {
        SweepError::Scenario(ScenarioError::Invalid { .. }) | SweepError::Resume { .. } => {
            Failure::BadInput(error.into())
        }
        other => Failure::Failed(other.into()),
    })?;
    let new = report.runs - report.kept;
    match report.kept {
        0 => say!(
            "{} runs of \"{}\" written to {}",
            report.runs,
            scenario.name,
            out.display()
        ),
        kept => say!(
            "{new} runs of \"{}\" added to {} ({kept} were already there)",
            scenario.name,
            out.display()
        ),
    }
    if report.violations.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!(
        "{} runs broke an invariant; replay each with a trace:",
        report.violations.len()
    );
    for broken in &report.violations {
        eprintln!(
            "  run {} (seed {}): {}",
            broken.run, broken.seed, broken.what
        );
        eprintln!(
            "    medilanac replay {} --row {} --trace run{}.jsonl",
            out.display(),
            broken.row,
            broken.run
        );
    }
    Ok(ExitCode::from(1))
}
