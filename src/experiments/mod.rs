//! Experiments: each turns one run of a scenario into CSV rows.
//!
//! A sweep runs an experiment once per grid point and seed; the rows of every run carry the
//! same columns, named by [`columns`].

mod fault_tolerance;
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
    }
}

/// The rows one run contributes.
pub fn rows(scenario: &Scenario, outcome: &Outcome) -> Vec<Vec<String>> {
    match scenario.experiment {
        Experiment::Summary => vec![summary_row::row(outcome)],
        Experiment::FaultTolerance { subjects, prefix } => {
            fault_tolerance::rows(scenario, outcome, subjects, prefix)
        }
        Experiment::StorageRatio => vec![storage_ratio::row(scenario, outcome)],
    }
}
