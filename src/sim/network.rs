//! The network model: how long a message takes, and whether it arrives.
//!
//! A message first waits for its sender's link: each actor pushes its messages out one after
//! another at the bandwidth, so a burst of large messages queues ([`Uplinks`]). Then it
//! travels for a latency draw (plus optional jitter), plus the fixed latency between the
//! regions of its ends when the network has regions; it is lost or duplicated with fixed probabilities, and dropped while a
//! partition separates its ends. From the heal on (when a run has one), nothing is lost,
//! duplicated or delayed by jitter and no partition cuts, so every fault of the links stops
//! at one instant, here, whatever drew it. The model is a pure function of its settings and
//! the network's random stream, and knows nothing of what the messages carry.

use super::actor::ActorId;
use super::random::Rng;
use super::time::{seconds, Time};
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

/// Where each actor is: actors at one site (a hospital: its miner and its patients) share
/// its partitions and its region. An actor with no site (the exchange) is in no partition's
/// side and in region 0.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sites {
    /// Site of each actor, by actor id; actors past the end have none.
    pub of_actor: Vec<Option<usize>>,
}

impl Sites {
    fn of(&self, actor: ActorId) -> Option<usize> {
        self.of_actor.get(actor).copied().flatten()
    }
}

/// Regions of the network: site `s` is in region `s % regions`, and `latency_ms[a][b]` is
/// the one-way latency from region `a` to region `b`, added to every message's latency draw.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Regions {
    /// `latency_ms[a][b]`: milliseconds from region `a` to region `b`.
    pub latency_ms: Vec<Vec<f64>>,
}

impl Regions {
    fn region(&self, site: Option<usize>) -> usize {
        site.map_or(0, |site| site % self.latency_ms.len())
    }
}

/// From `start` to `end`, the actors at the sites of `sites` (`miners` in a scenario file)
/// cannot exchange messages with anyone elsewhere, nor be reached.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Partition {
    #[serde(with = "seconds")]
    pub start: Time,
    #[serde(with = "seconds")]
    pub end: Time,
    #[serde(rename = "miners")]
    pub sites: BTreeSet<usize>,
}

/// Latency, bandwidth, loss, duplication, reordering and partitions of the links between
/// actors: a scenario's `[network]` table, deserialised straight into the model, plus where
/// each actor is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetworkModel {
    pub latency: Latency,
    /// Bytes per second of each actor's outgoing link; 0 means unlimited.
    pub bandwidth: u64,
    /// Probability that a message is lost.
    pub loss: f64,
    /// Probability that a message is delivered twice (each copy with its own delay).
    pub duplicate: f64,
    /// Extra delay drawn uniformly up to this many milliseconds, so messages overtake
    /// each other.
    pub jitter_ms: f64,
    /// Spans of time during which some sites are cut off.
    pub partitions: Vec<Partition>,
    /// Regions with a latency matrix between them.
    pub regions: Option<Regions>,
    /// Where each actor is; set by the run, not by the file.
    #[serde(skip)]
    pub sites: Sites,
    /// When the faults stop (the `[heal]` table); set by the run, not by this table.
    #[serde(skip)]
    pub heal: Option<Time>,
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
            regions: None,
            sites: Sites::default(),
            heal: None,
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
    /// Whether the faults have stopped by `now`.
    fn is_healed(&self, now: Time) -> bool {
        self.heal.is_some_and(|heal| now >= heal)
    }

    /// Whether a partition separates `from` and `to` at `now`.
    pub fn cut(&self, from: ActorId, to: ActorId, now: Time) -> bool {
        !self.is_healed(now)
            && self.partitions.iter().any(|p| {
                let inside = |actor| self.sites.of(actor).is_some_and(|s| p.sites.contains(&s));
                p.start <= now && now < p.end && inside(from) != inside(to)
            })
    }

    /// How long pushing `size` bytes onto a link takes.
    pub fn transfer(&self, size: usize) -> Time {
        match self.bandwidth {
            0 => Time::ZERO,
            rate => Time((size as u64).saturating_mul(1_000_000) / rate),
        }
    }

    /// The travel time of a message from `from` to `to` once it has left its sender's link,
    /// or `None` if it is lost; `healed`: the faults have stopped.
    fn delay(&self, from: ActorId, to: ActorId, healed: bool, rng: &mut Rng) -> Option<Time> {
        if !healed && self.loss > 0.0 && rng.gen_bool(self.loss.min(1.0)) {
            return None;
        }
        let mut ms = self.latency.sample_ms(rng);
        if let Some(regions) = &self.regions {
            let (a, b) = (self.sites.of(from), self.sites.of(to));
            ms += regions.latency_ms[regions.region(a)][regions.region(b)];
        }
        if !healed && self.jitter_ms > 0.0 {
            ms += rng.gen_range(0.0..self.jitter_ms);
        }
        Some(Time::from_secs_f64(ms / 1e3))
    }

    /// Travel times of the copies of one message sent at `now` that arrive: none if it is
    /// lost, two if it is duplicated (partitions are checked apart, with
    /// [`NetworkModel::cut`]). An array, not a vector: every message passes here, and an
    /// allocation each showed in profiles.
    pub fn deliveries(
        &self,
        from: ActorId,
        to: ActorId,
        now: Time,
        rng: &mut Rng,
    ) -> [Option<Time>; 2] {
        let healed = self.is_healed(now);
        let duplicated = !healed && self.duplicate > 0.0 && rng.gen_bool(self.duplicate.min(1.0));
        let first = self.delay(from, to, healed, rng);
        let second = duplicated
            .then(|| self.delay(from, to, healed, rng))
            .flatten();
        match first {
            Some(_) => [first, second],
            None => [second, None],
        }
    }
}

/// When each actor's outgoing link is next free.
#[derive(Clone, Debug, Default)]
pub struct Uplinks {
    free_at: Vec<Time>,
}

impl Uplinks {
    /// Queues a message that takes `transfer` to push out on `from`'s link at `now`, behind
    /// those sent before it; returns when it has left.
    pub fn send(&mut self, from: ActorId, now: Time, transfer: Time) -> Time {
        if self.free_at.len() <= from {
            self.free_at.resize(from + 1, Time::ZERO);
        }
        let left = now.max(self.free_at[from]) + transfer;
        self.free_at[from] = left;
        left
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::random::stream;

    #[test]
    fn messages_queue_on_their_senders_link() {
        let model = NetworkModel {
            bandwidth: 1_000_000,
            ..NetworkModel::default()
        };
        let half_second = model.transfer(500_000);
        assert_eq!(half_second, Time(500_000));
        let mut links = Uplinks::default();
        assert_eq!(links.send(3, Time(0), half_second), Time(500_000));
        assert_eq!(links.send(3, Time(100_000), half_second), Time(1_000_000));
        assert_eq!(links.send(4, Time(100_000), half_second), Time(600_000));
        assert_eq!(links.send(3, Time(2_000_000), half_second), Time(2_500_000));
    }

    #[test]
    fn regions_add_the_latency_between_the_ends_regions() {
        let model = NetworkModel {
            latency: Latency::Constant { ms: 10.0 },
            regions: Some(Regions {
                latency_ms: vec![vec![1.0, 100.0], vec![200.0, 2.0]],
            }),
            sites: Sites {
                of_actor: vec![None, Some(1), Some(3)],
            },
            ..NetworkModel::default()
        };
        let mut rng = stream(1, "network", 0);
        let mut delay = |from, to| model.delay(from, to, false, &mut rng).unwrap();
        assert_eq!(delay(0, 1), Time(110_000));
        assert_eq!(delay(1, 0), Time(210_000));
        assert_eq!(delay(1, 2), Time(12_000));
        assert_eq!(
            delay(7, 0),
            Time(11_000),
            "actors past the list have no site, so are in region 0"
        );
    }

    #[test]
    fn loss_drops_about_the_given_share() {
        let model = NetworkModel {
            loss: 0.25,
            ..NetworkModel::default()
        };
        let mut rng = stream(1, "network", 0);
        let lost = (0..10_000)
            .filter(|_| model.delay(0, 1, false, &mut rng).is_none())
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
                sites: [5].into(),
            }],
            sites: Sites {
                of_actor: vec![None, Some(5), Some(5), Some(6)],
            },
            ..NetworkModel::default()
        };
        assert!(model.cut(1, 3, Time(10)));
        assert!(model.cut(3, 2, Time(19)));
        assert!(!model.cut(1, 2, Time(15)));
        assert!(!model.cut(1, 3, Time(20)));
        assert!(!model.cut(1, 3, Time(9)));
        assert!(
            model.cut(0, 2, Time(15)),
            "an actor with no site is outside every side"
        );
    }

    #[test]
    fn from_the_heal_on_nothing_is_cut_lost_duplicated_or_jittered() {
        let model = NetworkModel {
            loss: 0.5,
            duplicate: 0.5,
            jitter_ms: 100.0,
            partitions: vec![Partition {
                start: Time(10),
                end: Time(1_000),
                sites: [5].into(),
            }],
            sites: Sites {
                of_actor: vec![Some(5), Some(6)],
            },
            heal: Some(Time(500)),
            ..NetworkModel::default()
        };
        assert!(
            model.cut(0, 1, Time(499)),
            "the partition holds before the heal"
        );
        assert!(!model.cut(0, 1, Time(500)));
        let mut rng = stream(1, "network", 0);
        let before: Vec<_> = (0..200)
            .map(|_| model.deliveries(0, 1, Time(499), &mut rng))
            .collect();
        assert!(
            before.iter().any(|copies| copies[0].is_none()),
            "no loss before"
        );
        let after: Vec<_> = (0..200)
            .map(|_| model.deliveries(0, 1, Time(500), &mut rng))
            .collect();
        let calm = [Some(Time::from_secs_f64(0.02)), None];
        assert!(after.iter().all(|copies| *copies == calm), "{after:?}");
    }

    #[test]
    fn duplication_delivers_two_copies_about_as_often_as_asked() {
        let model = NetworkModel {
            duplicate: 0.3,
            ..NetworkModel::default()
        };
        let mut rng = stream(1, "network", 0);
        let twice = (0..10_000)
            .filter(|_| model.deliveries(0, 1, Time::ZERO, &mut rng)[1].is_some())
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
            .map(|_| model.delay(0, 1, false, &mut rng).unwrap())
            .collect();
        assert!(delays.windows(2).any(|pair| pair[1] < pair[0]));
        assert!(delays
            .iter()
            .all(|d| (Time(20_000)..Time(70_000)).contains(d)));
    }
}
