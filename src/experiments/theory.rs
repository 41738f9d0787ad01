//! Closed-form predictions to set beside the simulated measurements.
//!
//! The durability estimate is the per-epoch binomial model of Weatherspoon and Kubiatowicz
//! ("Erasure coding vs. replication", 2002): a block survives while `k` of its `m`
//! fragments' holders survive.
//!
//! The ideal placement model puts each block's `m` chunks on `m` distinct branches chosen
//! at random among the `n` others; removing `r` branches at random then removes a
//! hypergeometric number of a block's holders, and the block survives while at least `k`
//! holders remain. Blocks are taken as independent.

use crate::scenario::Scenario;
use crate::sim::Time;

/// ln C(n, k), exact enough for the sizes a scenario allows.
fn ln_choose(n: u64, k: u64) -> f64 {
    if k > n {
        return f64::NEG_INFINITY;
    }
    let k = k.min(n - k);
    (1..=k).map(|i| ((n - k + i) as f64 / i as f64).ln()).sum()
}

/// Probability that a block survives the removal of `removed` of the `others` branches.
pub fn block_survives(others: u64, m: u64, k: u64, removed: u64) -> f64 {
    if removed > others || m > others {
        return 0.0;
    }
    if removed <= m - k {
        return 1.0; // too few removals to reach k of the holders
    }
    let total = ln_choose(others, removed);
    let lost_most = (m - k).min(removed);
    let lost_least = removed.saturating_sub(others - m);
    (lost_least..=lost_most)
        .map(|lost| (ln_choose(m, lost) + ln_choose(others - m, removed - lost) - total).exp())
        .sum::<f64>()
        .min(1.0)
}

/// Expected number of branches removed, in random order, when the first of `blocks`
/// independent blocks becomes unrecoverable: `sum over r of P(all survive r removals)`.
pub fn expected_removals(others: u64, m: u64, k: u64, blocks: u64) -> f64 {
    (0..others)
        .map(|removed| block_survives(others, m, k, removed).powi(blocks as i32))
        .sum()
}

/// Probability that at least `k` of `m` independent holders are up, each gone with
/// probability `gone` (the binomial tail of Weatherspoon and Kubiatowicz).
pub fn at_least_k_of_m(m: u64, k: u64, gone: f64) -> f64 {
    (k..=m)
        .map(|up| {
            (ln_choose(m, up) + up as f64 * (1.0 - gone).ln() + (m - up) as f64 * gone.ln()).exp()
        })
        .sum::<f64>()
        .min(1.0)
}

/// Closed-form chance that a block of age `age` is recoverable under the scenario's churn.
///
/// Each of its `m` holders is, independently, up with the long-run availability
/// `A = life / (life + down)` and has not lost its storage with probability
/// `exp(-rate * t)`, where `rate` is the rate of failures that destroy data (departures and
/// wipes) and `t` is the block's age, or the repair period when repair is on (lost chunks
/// are placed again each period). Lifetimes enter through their means only.
pub fn recoverable(scenario: &Scenario, age: Time) -> f64 {
    let (m, k) = (scenario.protocol.m as u64, scenario.protocol.k as u64);
    let Some(churn) = &scenario.churn else {
        return 1.0;
    };
    let (life, down) = (churn.lifetime.mean(), churn.downtime.mean());
    let destroys = churn.leave + (1.0 - churn.leave) * churn.wipe;
    let rate = destroys / (life + down);
    let availability = life / (life + down);
    let repair = scenario.miner.repair_period.as_secs_f64();
    let exposed = if repair > 0.0 {
        age.as_secs_f64().min(repair)
    } else {
        age.as_secs_f64()
    };
    let gone = 1.0 - availability * (-rate * exposed).exp();
    if gone <= 0.0 {
        return 1.0;
    }
    at_least_k_of_m(m, k, gone.min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn survival_is_certain_until_more_than_m_minus_k_holders_can_be_hit() {
        assert_eq!(block_survives(49, 10, 3, 0), 1.0);
        assert_eq!(block_survives(49, 10, 3, 7), 1.0);
        assert!(block_survives(49, 10, 3, 8) < 1.0);
        assert!((block_survives(49, 10, 10, 1) - 39.0 / 49.0).abs() < 1e-12);
        assert_eq!(block_survives(49, 10, 3, 49), 0.0);
    }

    #[test]
    fn survival_falls_with_removals_and_rises_with_redundancy() {
        let curve: Vec<f64> = (0..49).map(|r| block_survives(49, 10, 5, r)).collect();
        assert!(
            curve.windows(2).all(|pair| pair[0] + 1e-12 >= pair[1]),
            "{curve:?}"
        );
        let by_k: Vec<f64> = (1..=10).map(|k| expected_removals(49, 10, k, 4)).collect();
        assert!(by_k.windows(2).all(|pair| pair[0] > pair[1]), "{by_k:?}");
    }

    #[test]
    fn with_one_chunk_needed_of_one_the_holder_is_hit_uniformly() {
        // m = k = 1: the single holder is removed at a uniform position 1..=n.
        assert!((expected_removals(9, 1, 1, 1) - 5.0).abs() < 1e-9);
    }
}
