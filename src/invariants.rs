//! Invariants every run must keep; a run that breaks one reports it with its seed.
//!
//! - every honest miner's branch is valid under every protocol rule;
//! - every block rebuilt from chunks equals the block its miner made;
//! - no block is unrecoverable while `k` holders of distinct chunks of it are running.
//!
//! They are checked when the run ends, over the final branches (the summary's rebuild of
//! every branch supplies the last two).

use crate::actors::Behaviour;
use crate::protocol::validate::validate_branch;
use crate::protocol::{Params, Verifier};
use crate::sim::Time;
use crate::simulation::MinerOutcome;
use crate::summary::Summary;
use std::fmt;

/// A broken invariant, with when it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub time: Time,
    pub rule: &'static str,
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at {}: {} ({})", self.time, self.rule, self.detail)
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
