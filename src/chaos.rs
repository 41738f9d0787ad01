//! Chaos mode: the seed itself draws the fault settings, within ranges the scenario gives.
//!
//! A sweep over seeds then explores combinations of loss, duplication, reordering,
//! partitions and churn instead of one hand-picked setting. Each range's ends are drawn
//! with probability `extremes`, so rare combinations (everything at its worst at once) come
//! up far more often than uniform draws would make them. The draw uses its own random
//! stream, so it is part of what a seed reproduces; [`Drawn`] lists it for failure reports.

use crate::sim::churn::{ChurnModel, Duration};
use crate::sim::network::Partition;
use crate::sim::{stream, Rng, Time};
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

/// The fault settings one seed drew: what replaces the scenario's own.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Draw {
    pub loss: Option<f64>,
    pub duplicate: Option<f64>,
    pub jitter_ms: Option<f64>,
    /// A partition, if the seed drew one.
    pub partition: Option<Partition>,
    pub churn: Option<ChurnModel>,
    /// The same, listed for reports.
    pub drawn: Drawn,
}

impl Chaos {
    /// What `seed` draws for a run of `miners` miners lasting `duration` seconds.
    pub fn draw(&self, seed: u64, miners: usize, duration: f64) -> Draw {
        let chaos = self;
        let mut rng = stream(seed, "chaos", 0);
        let mut draw = Draw::default();
        let mut record = Vec::new();
        for (name, range, target) in [
            ("loss", chaos.loss, &mut draw.loss),
            ("duplicate", chaos.duplicate, &mut draw.duplicate),
            ("jitter_ms", chaos.jitter_ms, &mut draw.jitter_ms),
        ] {
            if let Some(range) = range {
                let value = chaos.pick(&mut rng, range);
                *target = Some(value);
                record.push((name, format!("{value:.4}")));
            }
        }
        if rng.gen_bool(chaos.partition) {
            let (start, end, side) = draw_partition(&mut rng, miners, duration);
            let text = format!("{side:?} from {start:.0}s to {end:.0}s");
            record.push(("partition", text));
            draw.partition = Some(Partition {
                start: Time::from_secs_f64(start),
                end: Time::from_secs_f64(end),
                sites: side.into_iter().collect(),
            });
        }
        draw.churn = chaos.draw_churn(&mut rng, &mut record);
        draw.drawn = Drawn(record);
        draw
    }

    /// The churn the seed draws, if the ranges ask for churn at all.
    fn draw_churn(
        &self,
        rng: &mut Rng,
        record: &mut Vec<(&'static str, String)>,
    ) -> Option<ChurnModel> {
        let lifetime = self.lifetime?;
        let mean = self.pick(rng, lifetime);
        let down = self
            .downtime
            .map_or(mean / 20.0, |range| self.pick(rng, range));
        let leave = self.leave.map_or(0.0, |range| self.pick(rng, range));
        let wipe = self.wipe.map_or(0.0, |range| self.pick(rng, range));
        record.extend([
            ("lifetime", format!("{mean:.0}")),
            ("downtime", format!("{down:.0}")),
            ("leave", format!("{leave:.4}")),
            ("wipe", format!("{wipe:.4}")),
        ]);
        Some(ChurnModel {
            lifetime: Duration::Exponential { mean },
            downtime: Duration::Exponential { mean: down },
            leave,
            wipe,
            bursts: Vec::new(),
        })
    }
}

/// A random third of the miners (at least one), cut off from a random start in the first
/// half of the run for up to a quarter of it: (start, end, miners).
fn draw_partition(rng: &mut Rng, miners: usize, duration: f64) -> (f64, f64, Vec<usize>) {
    let mut side = sample(rng, miners, (miners / 3).max(1)).into_vec();
    let start = rng.gen_range(0.0..duration / 2.0);
    let length = rng.gen_range(0.0..duration / 4.0);
    side.sort_unstable();
    (start, start + length.max(1.0), side)
}
