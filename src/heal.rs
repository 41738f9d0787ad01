//! The heal phase: the moment every fault stops, and how soon after it the network must
//! have done its work.
//!
//! Checking only safety cannot tell a network that is stuck from one that is still busy
//! because faults keep coming. So, as TigerBeetle's VOPR does, a run may heal: at one
//! instant (given, or drawn by the seed from a range) partitions end, loss, duplication and
//! jitter fall to zero, miners that are down come back with their data, and no new failure
//! is drawn. Departures stay: a miner that left for good is not a fault that heals. From
//! then on the network has `within` seconds to converge, and the liveness invariant
//! ([`crate::invariants::Liveness`]) fails the run if it does not.
//!
//! The network applies the heal to the links ([`crate::sim::NetworkModel`]), the churn
//! schedule to the failures ([`crate::sim::churn::healed`]); this module only says when.

use crate::actors::{MinerSettings, Patient};
use crate::sim::{stream, Time};
use rand::Rng as _;
use serde::{Deserialize, Serialize};

/// When the faults stop: at a fixed second, or at one the seed draws from `[low, high]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum HealAt {
    At(f64),
    Between([f64; 2]),
}

/// The `[heal]` table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Heal {
    pub at: HealAt,
    /// Seconds after the heal (or the last join, if later) within which the network must
    /// converge; by default [`default_within`] of the scenario's settings.
    #[serde(default)]
    pub within: Option<f64>,
}

/// The heal as one run has it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HealPlan {
    /// When the faults stop.
    pub at: Time,
    /// When the network must have converged: `within` after the heal, or after the last
    /// miner joins if that is later.
    pub deadline: Time,
}

/// How long a network that healed may take to converge, derived from its settings: the
/// longest a patient may be waiting to resend a record (its resends back off up to 64
/// intervals), plus a whole branch of blocks at the block interval (a miner that was down
/// the whole run starts from genesis), plus one longest backoff of a miner with no chunk to
/// gather, one trust period to validate its peers again, one offer timeout for chunks
/// reserved for peers that were down, one request's every attempt, one repair period, and
/// one suspension (an honest peer that loss made look like a withholder).
pub fn default_within(blocks: u64, settings: &MinerSettings, patient_interval: f64) -> f64 {
    let patient = Patient::longest_wait(Time::from_secs_f64(patient_interval));
    let timeouts = settings.request_timeout.times(settings.attempts as u64);
    let waits = [
        patient,
        settings.block_interval.times(blocks),
        settings.backoff_max,
        settings.trust_period,
        settings.offer_timeout,
        timeouts,
        settings.repair_period,
        settings.suspension,
    ];
    waits.iter().map(|wait| wait.as_secs_f64()).sum()
}

impl Heal {
    /// The latest second the heal may come.
    pub fn latest(&self) -> f64 {
        match self.at {
            HealAt::At(at) => at,
            HealAt::Between([_, high]) => high,
        }
    }

    /// When the faults stop in a run with `seed`.
    pub fn at(&self, seed: u64) -> Time {
        let at = match self.at {
            HealAt::At(at) => at,
            HealAt::Between([low, high]) if high > low => {
                stream(seed, "heal", 0).gen_range(low..high)
            }
            HealAt::Between([low, _]) => low,
        };
        Time::from_secs_f64(at)
    }

    /// Whether the heal fits in a run of `duration` seconds whose last miner joins at
    /// `last_join`, with bound `within`; on error, the field, its value and the rule.
    pub fn check(
        &self,
        duration: f64,
        last_join: f64,
        within: f64,
    ) -> Result<(), (&'static str, String, String)> {
        let seconds = |s: f64| s.is_finite() && (0.0..1e12).contains(&s);
        match self.at {
            HealAt::At(at) if !seconds(at) => {
                return Err((
                    "heal.at",
                    at.to_string(),
                    "must be a number of seconds".into(),
                ))
            }
            HealAt::Between([low, high]) if !(seconds(low) && seconds(high) && low <= high) => {
                let rule = "needs 0 <= low <= high seconds".into();
                return Err(("heal.at", format!("[{low}, {high}]"), rule));
            }
            _ => {}
        }
        if !(within.is_finite() && within > 0.0) {
            let rule = "must be a positive number of seconds".into();
            return Err(("heal.within", within.to_string(), rule));
        }
        let start = self.latest().max(last_join);
        let latest = start + within;
        if latest > duration {
            let rule = format!(
                "is shorter than the latest heal or join ({start}) plus heal.within ({within}): \
                 {latest}"
            );
            return Err(("duration", duration.to_string(), rule));
        }
        Ok(())
    }
}
