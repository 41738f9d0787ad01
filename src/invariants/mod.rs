//! Invariants every run must keep; a run that breaks one stops and reports it with its seed.
//!
//! During the run, after every event:
//! - no message is delivered before it was sent (the engine checks this one);
//! - every block an honest miner adds is valid under every protocol rule
//!   ([`BlocksStayValid`]);
//! - no honest miner's block becomes unrecoverable while `k` holders of distinct chunks of
//!   it are running, and what they rebuild equals the block its miner made
//!   ([`BlocksStayRecoverable`]).
//!
//! When the run ends, over the final branches (the summary's rebuild of every branch
//! supplies the last two):
//! - every honest miner's branch is valid from genesis;
//! - every block rebuilt from chunks equals the block its miner made;
//! - no block is unrecoverable while `k` holders of distinct chunks of it are running.
//!
//! In a run that heals, after the heal ([`Liveness`]):
//! - within the bound, every record the patients of an honest running miner submitted is
//!   sealed in one of its blocks.
//!
//! The checks during the run are [`Invariant`]s. They learn what changed from the
//! observations the event's handler reported and from the engine's view of who is running,
//! never by reading a miner's state and diffing it. Tests add deliberately broken ones to
//! show that a violation stops the run at its event and replays to the same one.

mod liveness;
mod recoverable_blocks;
mod valid_blocks;

pub use liveness::{Liveness, Verdict};
pub use recoverable_blocks::{rebuilds_as_made, BlocksStayRecoverable};
pub use valid_blocks::BlocksStayValid;

use crate::actors::{Behaviour, Node, Observation, World};
use crate::protocol::validate::validate_branch;
use crate::protocol::{Params, Verifier};
use crate::sim::{EventRecord, Time, View};
use crate::summary::{MinerOutcome, Summary};
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

/// A rule checked after every event, shown the event, what its handler observed, and the
/// run (every node by actor id, and who is running).
pub trait Invariant {
    /// The rule, as reports name it.
    fn rule(&self) -> &'static str;
    fn check(
        &mut self,
        event: &EventRecord,
        observed: &[Observation],
        run: &View<Node>,
        world: &mut World,
    ) -> Result<(), String>;
}

/// The heights of the blocks the event's handler added, if the actor is a miner.
pub fn blocks_added(observed: &[Observation]) -> impl Iterator<Item = u64> + '_ {
    observed.iter().filter_map(|observation| match observation {
        Observation::BlockAdded { height, .. } => Some(*height),
        _ => None,
    })
}

/// The invariants every run checks after every event.
pub fn during_run() -> Vec<Box<dyn Invariant>> {
    vec![
        Box::new(BlocksStayValid::default()),
        Box::new(BlocksStayRecoverable::default()),
    ]
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
