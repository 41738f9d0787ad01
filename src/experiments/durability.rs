//! Durability over time: what share of the blocks that were ever placed can still be
//! rebuilt from the branches running at each moment, under churn, with or without repair.
//!
//! A block counts once `k` of its chunks were embedded somewhere; it is recoverable at a
//! sample time while `k` distinct chunks sit on running branches (any `k` decode, which the
//! run's summary checks with real reconstruction at the end), and durable while `k` sit on
//! branches that still exist, running or down for now: a holder that left for good or came
//! back wiped took its chunks with it, one that is down did not. Beside each sample is the
//! closed-form estimate of [`super::theory::recoverable`].

use super::theory::recoverable;
use crate::actors::Miner;
use crate::protocol::Block;
use crate::scenario::Scenario;
use crate::sim::{Presence, Time};
use crate::simulation::{run_with, Hooks, Outcome, Sample};
use crate::summary::{BlockStatus, Holdings};

pub const COLUMNS: &[&str] = &[
    "k",
    "m",
    "repair_period_s",
    "time_days",
    "running_miners",
    "blocks_placed",
    "durable",
    "recoverable",
    "durable_fraction",
    "fraction",
    "predicted",
];

/// Runs the scenario, sampling every `every` seconds; returns the outcome and the rows.
pub fn run(scenario: &Scenario, seed: u64, every: f64) -> (Outcome, Vec<Vec<String>>) {
    let mut rows = Vec::new();
    let mut sample = |now: Time, miners: &Sample| rows.extend(row(scenario, now, miners));
    let hooks = Hooks {
        sampler: Some((Time::from_secs_f64(every), &mut sample)),
        ..Hooks::default()
    };
    let outcome = run_with(scenario, seed, hooks);
    (outcome, rows)
}

fn all_branches<'a>(miners: &'a Sample) -> impl Iterator<Item = &'a [Block]> {
    miners
        .iter()
        .flat_map(|(_, miner): &(Presence, &'a Miner)| {
            std::iter::once(miner.blocks()).chain(miner.retired().iter().map(Vec::as_slice))
        })
}

/// The sample at `now`, if any block has been placed yet.
fn row(scenario: &Scenario, now: Time, miners: &Sample) -> Option<Vec<String>> {
    let p = &scenario.protocol;
    let current = miners.iter().map(|(presence, m)| (*presence, m.blocks()));
    let holdings = Holdings::of(all_branches(miners), current);
    let (mut placed, mut durable, mut recoverable_now, mut predicted) = (0u64, 0u64, 0u64, 0.0);
    for blocks in all_branches(miners) {
        for block in blocks {
            let (branch, height) = (block.header.branch, block.header.height);
            let status = holdings.status(p.k, branch, height);
            if status == BlockStatus::NeverPlaced {
                continue;
            }
            placed += 1;
            durable += (status != BlockStatus::Lost) as u64;
            recoverable_now += (status == BlockStatus::Recoverable) as u64;
            let age = now - Time(block.header.time);
            predicted += recoverable(scenario, age);
        }
    }
    if placed == 0 {
        return None;
    }
    let share = |part: u64| format!("{:.4}", part as f64 / placed as f64);
    Some(vec![
        p.k.to_string(),
        p.m.to_string(),
        format!("{}", scenario.miner.repair_period.as_secs_f64()),
        format!("{:.3}", now.as_secs_f64() / 86_400.0),
        miners
            .iter()
            .filter(|(p, _)| *p == Presence::Running)
            .count()
            .to_string(),
        placed.to_string(),
        durable.to_string(),
        recoverable_now.to_string(),
        share(durable),
        share(recoverable_now),
        format!("{:.4}", predicted / placed as f64),
    ])
}
