//! Churn: when members of the network fail, for how long, and how they come back.
//!
//! Lifetimes and downtimes are drawn from distributions (exponential, or Weibull with a
//! shape below 1 for the heavy-tailed uptimes measured in real storage networks). After each
//! failure a member leaves for good, comes back with its data, or comes back wiped, with the
//! given probabilities. Bursts take a random group down together. The whole schedule is
//! drawn up front from the churn stream, so it does not depend on what the actors do.

use super::random::Rng;
use super::time::Time;
use rand::seq::index::sample;
use rand::Rng as _;
use rand_distr::{Distribution as _, Exp, Weibull};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A distribution of durations, in seconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Duration {
    Constant {
        seconds: f64,
    },
    Exponential {
        mean: f64,
    },
    /// Weibull with scale `scale` seconds and shape `shape` (below 1: many short lives and
    /// a few very long ones).
    Weibull {
        scale: f64,
        shape: f64,
    },
}

impl Duration {
    pub fn sample(&self, rng: &mut Rng) -> Time {
        let seconds = match *self {
            Duration::Constant { seconds } => seconds,
            Duration::Exponential { mean } => Exp::new(1.0 / mean).map_or(mean, |d| d.sample(rng)),
            Duration::Weibull { scale, shape } => {
                Weibull::new(scale, shape).map_or(scale, |d| d.sample(rng))
            }
        };
        Time::from_secs_f64(seconds.clamp(0.0, 1e12))
    }

    /// The mean, in seconds.
    pub fn mean(&self) -> f64 {
        match *self {
            Duration::Constant { seconds } => seconds,
            Duration::Exponential { mean } => mean,
            Duration::Weibull { scale, shape } => scale * gamma(1.0 + 1.0 / shape),
        }
    }

    /// Whether every parameter is a positive, finite number.
    pub fn is_valid(&self) -> bool {
        let ok = |x: f64| x.is_finite() && x > 0.0;
        match *self {
            Duration::Constant { seconds } => ok(seconds),
            Duration::Exponential { mean } => ok(mean),
            Duration::Weibull { scale, shape } => ok(scale) && ok(shape),
        }
    }
}

/// The gamma function for x >= 1 (Lanczos approximation, g = 7), for Weibull means.
fn gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    let x = x - 1.0;
    let t = x + 7.5;
    let sum = G[1..]
        .iter()
        .enumerate()
        .fold(G[0], |acc, (i, g)| acc + g / (x + i as f64 + 1.0));
    (2.0 * std::f64::consts::PI).sqrt() * t.powf(x + 0.5) * (-t).exp() * sum
}

/// A group failure: `count` random members go down at `at` for `duration` seconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Burst {
    pub at: f64,
    pub duration: f64,
    pub count: usize,
}

/// How members fail and return; the `[churn]` table of a scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChurnModel {
    /// Time from (re)start to the next failure.
    pub lifetime: Duration,
    /// Time a failed member stays down before it returns.
    pub downtime: Duration,
    /// Probability that a failure is a departure for good.
    #[serde(default)]
    pub leave: f64,
    /// Probability that a member that returns has lost its storage.
    #[serde(default)]
    pub wipe: f64,
    #[serde(default)]
    pub bursts: Vec<Burst>,
}

/// What happens to a member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Down,
    /// Down for good: the member and everything it stored are gone.
    Leave,
    Up {
        wiped: bool,
    },
}

/// One scheduled change to member `member`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChurnEvent {
    pub at: Time,
    pub member: usize,
    pub change: Change,
}

/// Whether `member`'s own failures leave it running at `at` (it has not left, nor is down).
fn is_up(events: &[ChurnEvent], member: usize, at: Time) -> bool {
    let last = events.iter().rfind(|e| e.member == member && e.at <= at);
    !last.is_some_and(|e| matches!(e.change, Change::Down | Change::Leave))
}

impl ChurnModel {
    /// Every change to `members` members before `until`, members in order then by time,
    /// bursts last; `joined[i]` is when member `i` starts.
    pub fn schedule(&self, joined: &[Time], until: Time, rng: &mut Rng) -> Vec<ChurnEvent> {
        let mut events = Vec::new();
        for (member, &start) in joined.iter().enumerate() {
            self.member_schedule(member, start, until, rng, &mut events);
        }
        for burst in &self.bursts {
            let at = Time::from_secs_f64(burst.at);
            let back = at + Time::from_secs_f64(burst.duration);
            let up: Vec<usize> = (0..joined.len())
                .filter(|&member| joined[member] <= at && is_up(&events, member, at))
                .collect();
            let count = burst.count.min(up.len());
            for member in sample(rng, up.len(), count)
                .into_iter()
                .map(|pick| up[pick])
            {
                events.push(ChurnEvent {
                    at,
                    member,
                    change: Change::Down,
                });
                events.push(ChurnEvent {
                    at: back,
                    member,
                    change: Change::Up { wiped: false },
                });
            }
        }
        events
    }

    fn member_schedule(
        &self,
        member: usize,
        start: Time,
        until: Time,
        rng: &mut Rng,
        events: &mut Vec<ChurnEvent>,
    ) {
        let mut now = start;
        loop {
            now = now + self.lifetime.sample(rng);
            if now >= until {
                return;
            }
            let leaves = rng.gen_bool(self.leave.clamp(0.0, 1.0));
            let change = if leaves { Change::Leave } else { Change::Down };
            events.push(ChurnEvent {
                at: now,
                member,
                change,
            });
            if leaves {
                return;
            }
            now = now + self.downtime.sample(rng);
            if now >= until {
                return;
            }
            let wiped = rng.gen_bool(self.wipe.clamp(0.0, 1.0));
            events.push(ChurnEvent {
                at: now,
                member,
                change: Change::Up { wiped },
            });
        }
    }
}

/// `events` with the faults stopped at `heal`: every change from then on is dropped, and
/// each member down at that moment comes back at `heal` with its data. A member that left
/// for good stays gone: a departure is not a fault that heals.
pub fn healed(events: Vec<ChurnEvent>, heal: Time) -> Vec<ChurnEvent> {
    let mut kept: Vec<ChurnEvent> = events.into_iter().filter(|e| e.at < heal).collect();
    // Each member's state at the heal is its latest change (bursts come after the members'
    // own schedules, so ties in time go to the later entry).
    let mut last: BTreeMap<usize, (Time, usize, Change)> = BTreeMap::new();
    for (order, event) in kept.iter().enumerate() {
        let latest = last
            .entry(event.member)
            .or_insert((event.at, order, event.change));
        if (event.at, order) >= (latest.0, latest.1) {
            *latest = (event.at, order, event.change);
        }
    }
    for (member, (_, _, change)) in last {
        if change == Change::Down {
            kept.push(ChurnEvent {
                at: heal,
                member,
                change: Change::Up { wiped: false },
            });
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::random::stream;

    fn model(leave: f64) -> ChurnModel {
        ChurnModel {
            lifetime: Duration::Exponential { mean: 100.0 },
            downtime: Duration::Constant { seconds: 10.0 },
            leave,
            wipe: 0.0,
            bursts: Vec::new(),
        }
    }

    #[test]
    fn members_alternate_down_and_up_within_the_horizon() {
        let events = model(0.0).schedule(
            &[Time::ZERO; 3],
            Time::from_secs_f64(5_000.0),
            &mut stream(1, "churn", 0),
        );
        for member in 0..3 {
            let mine: Vec<&ChurnEvent> = events.iter().filter(|e| e.member == member).collect();
            assert!(mine.len() > 10);
            for (i, event) in mine.iter().enumerate() {
                let expected = if i % 2 == 0 {
                    Change::Down
                } else {
                    Change::Up { wiped: false }
                };
                assert_eq!(event.change, expected);
            }
            assert!(mine.windows(2).all(|p| p[0].at < p[1].at));
        }
    }

    #[test]
    fn a_departure_is_the_last_event_of_its_member() {
        let events = model(1.0).schedule(
            &[Time::ZERO; 5],
            Time::from_secs_f64(1e9),
            &mut stream(2, "churn", 0),
        );
        assert_eq!(events.len(), 5);
        assert!(events.iter().all(|e| e.change == Change::Leave));
    }

    #[test]
    fn a_burst_does_not_bring_back_members_that_left() {
        let mut churn = model(1.0);
        churn.lifetime = Duration::Constant { seconds: 10.0 };
        churn.bursts = vec![Burst {
            at: 50.0,
            duration: 20.0,
            count: 3,
        }];
        let horizon = Time::from_secs_f64(1e6);
        let events = churn.schedule(&[Time::ZERO; 3], horizon, &mut stream(4, "churn", 0));
        assert!(
            events.iter().all(|e| e.change == Change::Leave),
            "{events:?}"
        );
        assert_eq!(events.len(), 3);
    }

    #[test]
    fn a_heal_drops_later_changes_and_brings_back_whoever_is_down_but_not_who_left() {
        let heal = Time::from_secs_f64(1_000.0);
        let mut churn = model(0.3);
        churn.bursts = vec![Burst {
            at: 990.0,
            duration: 50.0,
            count: 2,
        }];
        let events = churn.schedule(
            &[Time::ZERO; 8],
            Time::from_secs_f64(5_000.0),
            &mut stream(5, "churn", 0),
        );
        let kept = healed(events.clone(), heal);
        assert!(kept.iter().all(|e| e.at <= heal));
        for member in 0..8 {
            let before: Vec<&ChurnEvent> = events
                .iter()
                .filter(|e| e.member == member && e.at < heal)
                .collect();
            let left = before.iter().any(|e| e.change == Change::Leave);
            let back = kept.iter().any(|e| {
                e.member == member && e.at == heal && e.change == (Change::Up { wiped: false })
            });
            let down_at_heal = before
                .iter()
                .enumerate()
                .max_by_key(|(order, e)| (e.at, *order))
                .is_some_and(|(_, e)| e.change == Change::Down);
            assert_eq!(back, down_at_heal && !left, "member {member}: {before:?}");
        }
        assert!(
            kept.iter().any(|e| e.at == heal),
            "the burst at 990 s is healed at 1000 s"
        );
    }

    #[test]
    fn means_match_known_values() {
        assert!((gamma(5.0) - 24.0).abs() < 1e-9);
        assert!(
            (Duration::Weibull {
                scale: 2.0,
                shape: 1.0
            }
            .mean()
                - 2.0)
                .abs()
                < 1e-9
        );
        let heavy = Duration::Weibull {
            scale: 1.0,
            shape: 0.5,
        }
        .mean();
        assert!((heavy - 2.0).abs() < 1e-9, "{heavy}");
    }

    #[test]
    fn weibull_lifetimes_with_small_shape_are_heavy_tailed() {
        let mut rng = stream(3, "churn", 0);
        let d = Duration::Weibull {
            scale: 100.0,
            shape: 0.5,
        };
        let mut draws: Vec<f64> = (0..5001)
            .map(|_| d.sample(&mut rng).as_secs_f64())
            .collect();
        draws.sort_by(f64::total_cmp);
        let (median, mean) = (draws[2500], draws.iter().sum::<f64>() / draws.len() as f64);
        assert!(mean > 2.0 * median, "mean {mean}, median {median}");
    }
}
