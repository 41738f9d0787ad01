//! The network model: how long a message takes, and whether it arrives.
//!
//! A message's delay is a latency draw plus its size over the bandwidth; it is lost with a
//! fixed probability. The model is a pure function of its settings and the network's random
//! stream, and knows nothing of what the messages carry.

use super::random::Rng;
use super::time::Time;
use rand::Rng as _;
use rand_distr::{Distribution, LogNormal};
use serde::{Deserialize, Serialize};

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

/// Latency, bandwidth and loss of the links between actors; the `[network]` table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetworkModel {
    pub latency: Latency,
    /// Bytes per second each message is sent at; 0 means unlimited.
    pub bandwidth: u64,
    /// Probability that a message is lost.
    pub loss: f64,
}

impl Default for NetworkModel {
    fn default() -> NetworkModel {
        NetworkModel {
            latency: Latency::Constant { ms: 20.0 },
            bandwidth: 0,
            loss: 0.0,
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
    /// The delay of a message of `size` bytes, or `None` if it is lost.
    pub fn delay(&self, size: usize, rng: &mut Rng) -> Option<Time> {
        if self.loss > 0.0 && rng.gen_bool(self.loss.min(1.0)) {
            return None;
        }
        let latency = Time::from_secs_f64(self.latency.sample_ms(rng) / 1e3);
        let transfer = match self.bandwidth {
            0 => Time::ZERO,
            rate => Time((size as u64).saturating_mul(1_000_000) / rate),
        };
        Some(latency + transfer)
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
            loss: 0.0,
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
