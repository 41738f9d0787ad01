//! The network model: how long a message takes, and whether it arrives.
//!
//! A message's delay is a latency draw (plus optional jitter) plus its size over the
//! bandwidth; it is lost or duplicated with fixed probabilities, and dropped while a
//! partition separates its ends. The model is a pure function of its settings and the
//! network's random stream, and knows nothing of what the messages carry.

use super::engine::ActorId;
use super::random::Rng;
use super::time::Time;
use rand::Rng as _;
use rand_distr::{Distribution, LogNormal};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Distribution of one-way latency.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Latency {
    /// Always `ms` milliseconds.
    Constant { ms: f64 },
    /// Uniform between `min_ms` and `max_ms`.
    Uniform { min_ms: f64, max_ms: f64 },
    /// Log-normal with the given median and shape `sigma` (heavy tail for large sigma).
    LogNormal { median_ms: f64, sigma: f64 },
}

/// A span of time during which `side` cannot exchange messages with anyone outside it.
#[derive(Clone, Debug, PartialEq)]
pub struct Partition {
    pub start: Time,
    pub end: Time,
    pub side: BTreeSet<ActorId>,
}

/// Latency, bandwidth, loss, duplication, reordering and partitions of the links between
/// actors.
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkModel {
    pub latency: Latency,
    /// Bytes per second each message is sent at; 0 means unlimited.
    pub bandwidth: u64,
    /// Probability that a message is lost.
    pub loss: f64,
    /// Probability that a message is delivered twice (each copy with its own delay).
    pub duplicate: f64,
    /// Extra delay drawn uniformly up to this many milliseconds, so messages overtake
    /// each other.
    pub jitter_ms: f64,
    pub partitions: Vec<Partition>,
}

impl Default for NetworkModel {
    fn default() -> NetworkModel {
        NetworkModel {
            latency: Latency::Constant { ms: 20.0 },
            bandwidth: 0,
            loss: 0.0,
            duplicate: 0.0,
            jitter_ms: 0.0,
            partitions: Vec::new(),
        }
    }
}

impl Latency {
    fn sample_ms(&self, rng: &mut Rng) -> f64 {
        match *self {
            Latency::Constant { ms } => ms,
            Latency::Uniform { min_ms, max_ms } if max_ms > min_ms => rng.gen_range(min_ms..max_ms),
            Latency::Uniform { min_ms, .. } => min_ms,
            Latency::LogNormal { median_ms, sigma } => LogNormal::new(median_ms.ln(), sigma)
                .map(|dist| dist.sample(rng))
                .unwrap_or(median_ms),
        }
    }
}

impl NetworkModel {
    /// Whether a partition separates `from` and `to` at `now`.
    pub fn cut(&self, from: ActorId, to: ActorId, now: Time) -> bool {
        self.partitions.iter().any(|p| {
            p.start <= now && now < p.end && p.side.contains(&from) != p.side.contains(&to)
        })
    }

    /// The delay of a message of `size` bytes, or `None` if it is lost.
    pub fn delay(&self, size: usize, rng: &mut Rng) -> Option<Time> {
        if self.loss > 0.0 && rng.gen_bool(self.loss.min(1.0)) {
            return None;
        }
        let mut ms = self.latency.sample_ms(rng);
        if self.jitter_ms > 0.0 {
            ms += rng.gen_range(0.0..self.jitter_ms);
        }
        let transfer = match self.bandwidth {
            0 => Time::ZERO,
            rate => Time((size as u64).saturating_mul(1_000_000) / rate),
        };
        Some(Time::from_secs_f64(ms / 1e3) + transfer)
    }

    /// Delays of the copies of one message that arrive: none if it is lost, two if it is
    /// duplicated (partitions are checked apart, with [`NetworkModel::cut`]).
    pub fn deliveries(&self, size: usize, rng: &mut Rng) -> Vec<Time> {
        let copies = if self.duplicate > 0.0 && rng.gen_bool(self.duplicate.min(1.0)) {
            2
        } else {
            1
        };
        (0..copies).filter_map(|_| self.delay(size, rng)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::random::stream;

    #[test]
    fn bandwidth_adds_size_over_rate() {
        let model = NetworkModel {
            latency: Latency::Constant { ms: 10.0 },
            bandwidth: 1_000_000,
            ..NetworkModel::default()
        };
        let mut rng = stream(1, "network", 0);
        assert_eq!(model.delay(500_000, &mut rng), Some(Time(510_000)));
    }

    #[test]
    fn loss_drops_about_the_given_share() {
        let model = NetworkModel {
            loss: 0.25,
            ..NetworkModel::default()
        };
        let mut rng = stream(1, "network", 0);
        let lost = (0..10_000)
            .filter(|_| model.delay(10, &mut rng).is_none())
            .count();
        assert!((2_200..2_800).contains(&lost), "{lost}");
    }

    #[test]
    fn latency_draws_stay_in_range() {
        let mut rng = stream(1, "network", 0);
        let uniform = Latency::Uniform {
            min_ms: 5.0,
            max_ms: 9.0,
        };
        assert!((0..1000).all(|_| (5.0..9.0).contains(&uniform.sample_ms(&mut rng))));
        let heavy = Latency::LogNormal {
            median_ms: 20.0,
            sigma: 1.0,
        };
        let mut draws: Vec<f64> = (0..2001).map(|_| heavy.sample_ms(&mut rng)).collect();
        draws.sort_by(f64::total_cmp);
        assert!(
            (15.0..25.0).contains(&draws[1000]),
            "median {}",
            draws[1000]
        );
    }
}

#[cfg(test)]
mod fault_tests {
    use super::*;
    use crate::sim::random::stream;

    #[test]
    fn a_partition_cuts_only_across_its_side_and_only_while_it_lasts() {
        let model = NetworkModel {
            partitions: vec![Partition {
                start: Time(10),
                end: Time(20),
                side: [1, 2].into(),
            }],
            ..NetworkModel::default()
        };
        assert!(model.cut(1, 3, Time(10)));
        assert!(model.cut(3, 2, Time(19)));
        assert!(!model.cut(1, 2, Time(15)));
        assert!(!model.cut(1, 3, Time(20)));
        assert!(!model.cut(1, 3, Time(9)));
    }

    #[test]
    fn duplication_delivers_two_copies_about_as_often_as_asked() {
        let model = NetworkModel {
            duplicate: 0.3,
            ..NetworkModel::default()
        };
        let mut rng = stream(1, "network", 0);
        let twice = (0..10_000)
            .filter(|_| model.deliveries(8, &mut rng).len() == 2)
            .count();
        assert!((2_700..3_300).contains(&twice), "{twice}");
    }

    #[test]
    fn jitter_lets_later_messages_overtake_earlier_ones() {
        let model = NetworkModel {
            jitter_ms: 50.0,
            ..NetworkModel::default()
        };
        let mut rng = stream(1, "network", 0);
        let delays: Vec<Time> = (0..100)
            .map(|_| model.delay(8, &mut rng).unwrap())
            .collect();
        assert!(delays.windows(2).any(|pair| pair[1] < pair[0]));
        assert!(delays
            .iter()
            .all(|d| (Time(20_000)..Time(70_000)).contains(d)));
    }
}
