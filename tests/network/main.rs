//! Whole networks run in-process: the engine's ordering, miners under loss, adversaries.

mod adversaries;
mod engine;
mod faults;
mod invariants;

use medilanac::scenario::{Scenario, DEFAULT};

/// The default scenario with some TOML lines replaced or added (`key = value` per table).
pub fn scenario(edit: impl FnOnce(&mut Scenario)) -> Scenario {
    let mut scenario = Scenario::parse(DEFAULT).expect("default scenario parses");
    edit(&mut scenario);
    scenario.check().expect("edited scenario is valid");
    scenario
}
