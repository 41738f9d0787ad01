//! Chaos mode: the seed itself draws the fault settings, within ranges the scenario gives.
//!
//! A sweep over seeds then explores combinations of loss, duplication, reordering,
//! partitions and churn instead of one hand-picked setting. Each range's ends are drawn
//! with probability `extremes`, so rare combinations (everything at its worst at once) come
//! up far more often than uniform draws would make them. The draw uses its own random
//! stream, so it is part of what a seed reproduces; [`Drawn`] lists it for failure reports.

use crate::scenario::{PartitionSettings, Scenario};
use crate::sim::churn::{ChurnModel, Duration};
use crate::sim::{stream, Rng};
use rand::seq::index::sample;
use rand::Rng as _;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The `[chaos]` table: a `[low, high]` range per setting to draw.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Chaos {
    pub loss: Option<[f64; 2]>,
    pub duplicate: Option<[f64; 2]>,
    pub jitter_ms: Option<[f64; 2]>,
    /// Probability that the run has a partition: a random third of the miners cut off for a
    /// random span within the run.
    pub partition: f64,
    /// Mean seconds between a miner's failures; churn is on when this is given.
    pub lifetime: Option<[f64; 2]>,
    /// Mean seconds a failed miner stays down.
    pub downtime: Option<[f64; 2]>,
    pub leave: Option<[f64; 2]>,
    pub wipe: Option<[f64; 2]>,
    /// Probability that a setting is drawn at one end of its range rather than inside it.
    pub extremes: f64,
}

/// The settings one seed drew.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Drawn(pub Vec<(&'static str, String)>);

impl fmt::Display for Drawn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pairs: Vec<String> = self
            .0
            .iter()
            .map(|(name, value)| format!("{name} = {value}"))
            .collect();
        f.write_str(&pairs.join(", "))
    }
}

impl Chaos {
    /// Whether every range is ordered and every probability in [0, 1]; on error, the field,
    /// its value and the rule.
    pub fn check(&self) -> Result<(), (&'static str, String, String)> {
        let ranges = [
            ("chaos.loss", self.loss, 0.999),
            ("chaos.duplicate", self.duplicate, 0.999),
            ("chaos.jitter_ms", self.jitter_ms, 3.6e6),
            ("chaos.lifetime", self.lifetime, 1e12),
            ("chaos.downtime", self.downtime, 1e12),
            ("chaos.leave", self.leave, 1.0),
            ("chaos.wipe", self.wipe, 1.0),
        ];
        for (name, range, max) in ranges {
            if let Some([low, high]) = range {
                if !(0.0 <= low && low <= high && high <= max) {
                    let rule = format!("needs 0 <= low <= high <= {max}");
                    return Err((name, format!("[{low}, {high}]"), rule));
                }
            }
        }
        for (name, p) in [
            ("chaos.partition", self.partition),
            ("chaos.extremes", self.extremes),
        ] {
            if !(0.0..=1.0).contains(&p) {
                return Err((name, p.to_string(), "must be a probability".into()));
            }
        }
        let positive = |r: Option<[f64; 2]>| r.is_none_or(|[low, _]| low > 0.0);
        for (name, range) in [
            ("chaos.lifetime", self.lifetime),
            ("chaos.downtime", self.downtime),
        ] {
            if !positive(range) {
                return Err((name, format!("{range:?}"), "must be above 0 seconds".into()));
            }
        }
        Ok(())
    }

    fn pick(&self, rng: &mut Rng, [low, high]: [f64; 2]) -> f64 {
        if rng.gen_bool(self.extremes) {
            if rng.gen_bool(0.5) {
                low
            } else {
                high
            }
        } else if high > low {
            rng.gen_range(low..high)
        } else {
            low
        }
    }
}

/// The scenario with the faults `seed` draws from its `[chaos]` ranges (unchanged without
/// one), and what was drawn.
pub fn apply(scenario: &Scenario, seed: u64) -> (Scenario, Drawn) {
    let Some(chaos) = &scenario.chaos else {
        return (scenario.clone(), Drawn::default());
    };
    let mut rng = stream(seed, "chaos", 0);
    let mut drawn = Scenario {
        chaos: None,
        ..scenario.clone()
    };
    let mut record = Vec::new();
    let network = &mut drawn.network;
    for (name, range, target) in [
        ("loss", chaos.loss, &mut network.loss),
        ("duplicate", chaos.duplicate, &mut network.duplicate),
        ("jitter_ms", chaos.jitter_ms, &mut network.jitter_ms),
    ] {
        if let Some(range) = range {
            *target = chaos.pick(&mut rng, range);
            record.push((name, format!("{target:.4}")));
        }
    }
    if rng.gen_bool(chaos.partition) {
        let partition = draw_partition(&mut rng, scenario);
        record.push((
            "partition",
            format!(
                "{:?} from {:.0}s to {:.0}s",
                partition.miners, partition.start, partition.end
            ),
        ));
        drawn.network.partitions.push(partition);
    }
    if let Some(lifetime) = chaos.lifetime {
        let mean = chaos.pick(&mut rng, lifetime);
        let down = chaos
            .downtime
            .map_or(mean / 20.0, |range| chaos.pick(&mut rng, range));
        let leave = chaos.leave.map_or(0.0, |range| chaos.pick(&mut rng, range));
        let wipe = chaos.wipe.map_or(0.0, |range| chaos.pick(&mut rng, range));
        record.extend([
            ("lifetime", format!("{mean:.0}")),
            ("downtime", format!("{down:.0}")),
            ("leave", format!("{leave:.4}")),
            ("wipe", format!("{wipe:.4}")),
        ]);
        drawn.churn = Some(ChurnModel {
            lifetime: Duration::Exponential { mean },
            downtime: Duration::Exponential { mean: down },
            leave,
            wipe,
            bursts: Vec::new(),
        });
    }
    (drawn, Drawn(record))
}

fn draw_partition(rng: &mut Rng, scenario: &Scenario) -> PartitionSettings {
    let miners = scenario.total_miners();
    let side = sample(rng, miners, (miners / 3).max(1)).into_vec();
    let start = rng.gen_range(0.0..scenario.duration / 2.0);
    let length = rng.gen_range(0.0..scenario.duration / 4.0);
    let mut side = side;
    side.sort_unstable();
    PartitionSettings {
        start,
        end: start + length.max(1.0),
        miners: side,
    }
}
