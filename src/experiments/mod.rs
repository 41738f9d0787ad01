//! Experiments: each turns one run of a scenario into CSV rows.
//!
//! A sweep runs an experiment once per grid point and seed; the rows of every run carry the
//! same columns, named by [`columns`].

mod adversaries;
mod detection;
mod durability;
mod fault_tolerance;
mod multi_link;
mod removal;
mod storage_ratio;
mod summary_row;
pub mod theory;

use crate::scenario::{Experiment, Scenario};
use crate::simulation::Outcome;

/// The columns an experiment's rows fill, in order.
pub fn columns(experiment: &Experiment) -> &'static [&'static str] {
    match experiment {
        Experiment::Summary => summary_row::COLUMNS,
        Experiment::FaultTolerance { .. } => fault_tolerance::COLUMNS,
        Experiment::StorageRatio => storage_ratio::COLUMNS,
        Experiment::Durability { .. } => durability::COLUMNS,
        Experiment::Adversaries { .. } => adversaries::COLUMNS,
        Experiment::MultiLink { .. } => multi_link::COLUMNS,
    }
}

/// Runs `scenario` with `seed` and returns the outcome with the rows it contributes.
pub fn run(scenario: &Scenario, seed: u64) -> (Outcome, Vec<Vec<String>>) {
    match scenario.experiment {
        Experiment::Durability { every } => return durability::run(scenario, seed, every),
        Experiment::Adversaries { adversary, count } => {
            return adversaries::run(scenario, seed, adversary, count)
        }
        _ => {}
    }
    let outcome = crate::simulation::run(scenario, seed, None);
    let rows = rows(scenario, &outcome);
    (outcome, rows)
}

/// The rows a finished run contributes.
fn rows(scenario: &Scenario, outcome: &Outcome) -> Vec<Vec<String>> {
    match scenario.experiment {
        Experiment::Summary => vec![summary_row::row(outcome)],
        Experiment::FaultTolerance { subjects, prefix } => {
            fault_tolerance::rows(scenario, outcome, subjects, prefix)
        }
        Experiment::StorageRatio => vec![storage_ratio::row(scenario, outcome)],
        Experiment::Durability { .. } | Experiment::Adversaries { .. } => {
            unreachable!("these experiments watch the run as it goes")
        }
        Experiment::MultiLink { subjects } => multi_link::rows(scenario, outcome, subjects),
    }
}
