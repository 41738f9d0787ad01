//! Invariants every run must keep; a run that breaks one stops and reports it with its seed.
//!
//! During the run, after every event:
//! - no message is delivered before it was sent (the engine checks this one);
//! - every block an honest miner adds is valid under every protocol rule.
//!
//! When the run ends, over the final branches (the summary's rebuild of every branch
//! supplies the last two):
//! - every honest miner's branch is valid from genesis;
//! - every block rebuilt from chunks equals the block its miner made;
//! - no block is unrecoverable while `k` holders of distinct chunks of it are running.
//!
//! The checks during the run are [`Invariant`]s; tests add deliberately broken ones to
//! show that a violation stops the run at its event and replays to the same one.

use crate::actors::{Behaviour, Node, World};
use crate::protocol::validate::{check_block, validate_branch};
use crate::protocol::{BranchTip, Params, Verifier};
use crate::sim::{EventRecord, Time};
use crate::simulation::MinerOutcome;
use crate::summary::Summary;
use std::fmt;

/// A broken invariant, with when it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub time: Time,
    /// The event after which it was found (`None`: at the end of the run).
    pub event: Option<EventRecord>,
    pub rule: &'static str,
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at {}", self.time)?;
        if let Some(event) = &self.event {
            write!(f, ", event {} (actor {})", event.seq, event.actor)?;
        }
        write!(f, ": {} ({})", self.rule, self.detail)
    }
}

/// A rule checked after every event, shown the event and the actor that handled it.
pub trait Invariant {
    /// The rule, as reports name it.
    fn rule(&self) -> &'static str;
    fn check(&mut self, event: &EventRecord, node: &Node, world: &mut World) -> Result<(), String>;
}

/// The invariants every run checks after every event.
pub fn during_run() -> Vec<Box<dyn Invariant>> {
    vec![Box::new(BlocksStayValid::default())]
}

/// Each block an honest miner adds is checked against every rule as soon as it is there;
/// the branch's tip is kept per miner (by actor id), so each block is checked once.
#[derive(Default)]
pub struct BlocksStayValid {
    checked: Vec<(BranchTip, usize)>,
}

impl Invariant for BlocksStayValid {
    fn rule(&self) -> &'static str {
        "every block an honest miner adds is valid"
    }

    fn check(&mut self, event: &EventRecord, node: &Node, world: &mut World) -> Result<(), String> {
        let Some(miner) = node.as_miner() else {
            return Ok(());
        };
        let (blocks, params) = (miner.blocks(), &world.params);
        if miner.behaviour() != Behaviour::Honest || blocks.is_empty() {
            return Ok(());
        }
        if self.checked.len() <= event.actor {
            self.checked.resize_with(event.actor + 1, Default::default);
        }
        let (tip, checked) = &mut self.checked[event.actor];
        if tip
            .branch()
            .is_some_and(|branch| branch != blocks[0].header.branch)
        {
            (*tip, *checked) = (BranchTip::new(), 0); // wiped: a new branch from genesis
        }
        for block in &blocks[*checked..] {
            check_block(params, tip, block, &mut world.verifier).map_err(|error| {
                let height = block.header.height;
                format!("miner {}, block {height}: {error}", miner.number)
            })?;
            tip.push_block(block, block.hash(), params.links);
            *checked += 1;
        }
        Ok(())
    }
}

/// The first invariant the finished run breaks, if any.
pub fn check(
    params: &Params,
    miners: &[MinerOutcome],
    summary: &Summary,
    now: Time,
    verifier: &mut Verifier,
) -> Option<Violation> {
    let violation = |rule, detail| {
        Some(Violation {
            time: now,
            event: None,
            rule,
            detail,
        })
    };
    for miner in miners.iter().filter(|m| m.behaviour == Behaviour::Honest) {
        if let Err(invalid) = validate_branch(params, &miner.blocks, verifier) {
            return violation(
                "an honest miner's branch is valid",
                format!("miner {}, {invalid}", miner.number),
            );
        }
    }
    if summary.wrong_rebuilds > 0 {
        return violation(
            "a rebuilt block equals the original",
            format!("{} blocks differ", summary.wrong_rebuilds),
        );
    }
    if summary.failed() > 0 {
        let detail = format!(
            "{} blocks had k chunks on running branches but did not rebuild",
            summary.failed()
        );
        return violation("no block is lost while k holders of it run", detail);
    }
    None
}
