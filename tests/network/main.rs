//! Whole networks run in-process: the engine's ordering, miners under loss, adversaries,
//! start-up shapes.

mod adversaries;
mod audit_trail;
mod engine;
mod faults;
mod invariants;
mod key_recovery;
mod key_theft;
mod liveness;
mod startup;

use medilanac::scenario::{Scenario, DEFAULT};

/// A shipped scenario file, changed by `edit` and checked.
pub fn shipped(name: &str, edit: impl FnOnce(&mut Scenario)) -> Scenario {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name);
    let mut scenario = Scenario::load(&path).expect("the shipped scenario loads");
    edit(&mut scenario);
    scenario.check().expect("edited scenario is valid");
    scenario
}

/// The default scenario with some TOML lines replaced or added (`key = value` per table).
pub fn scenario(edit: impl FnOnce(&mut Scenario)) -> Scenario {
    let mut scenario = Scenario::parse(DEFAULT).expect("default scenario parses");
    edit(&mut scenario);
    scenario.check().expect("edited scenario is valid");
    scenario
}

/// A small network that keeps adding blocks while miners fail, some coming back wiped.
pub fn churning(repair_period: f64) -> medilanac::scenario::Scenario {
    scenario(|s| {
        s.miners = 14;
        s.blocks = 60;
        s.duration = 800.0;
        s.protocol.m = 6;
        s.patients.per_miner = 1;
        s.miner.repair_period = medilanac::sim::Time::from_secs_f64(repair_period);
        s.churn = Some(medilanac::sim::churn::ChurnModel {
            lifetime: medilanac::sim::churn::Duration::Exponential { mean: 250.0 },
            downtime: medilanac::sim::churn::Duration::Exponential { mean: 40.0 },
            leave: 0.2,
            wipe: 0.4,
            bursts: Vec::new(),
        });
    })
}
