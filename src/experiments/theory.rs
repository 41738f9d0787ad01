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
//!
//! The multi-linked chain (DESIGN rule 4): each header carries the hashes of the previous
//! `L` headers, and a rebuilt block is trusted when its own signature checks and one of the
//! hashes it carries names a header already trusted; genesis is trusted by itself, since it
//! carries the key whose hash is the branch id. Trust therefore moves forward from genesis
//! in steps of at most `L` heights, and only through blocks that decoded: a block verifies
//! exactly when it decoded, genesis decoded, and no `L` consecutive heights between them are
//! missing ([`verifiable`] applies this to the heights a run actually decoded). With `L = 1`
//! the first lost block cuts off every later one; with `L = 2` a lone lost block is stepped
//! over, two in a row are not. For the ideal, each height decodes independently with the
//! same probability `q` (the hypergeometric survival of [`block_survives`] after `r`
//! removals), so the missing heights are Bernoulli trials and a walk over the length of the
//! current run of missing heights gives the chance that no run reaches `L` ([`no_long_gap`]).
//! A real branch's heights share holders, so their losses are not independent; the exact
//! count from the decoded heights is the check on the rule, the ideal the check on the model.

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
        .fold(0.0, |sum, p| sum + p) // from +0: an empty sum of f64 is -0, printed "-0.0000"
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

/// Which heights verify, given which decoded (`decoded[h]` for height `h`, from genesis):
/// a height verifies when it decoded and is genesis, or when one of the `links` heights
/// just below it verifies.
pub fn verifiable(decoded: &[bool], links: usize) -> Vec<bool> {
    let mut verified: Vec<bool> = Vec::with_capacity(decoded.len());
    for (height, &ok) in decoded.iter().enumerate() {
        let reached = height == 0 || verified[height.saturating_sub(links)..].contains(&true);
        verified.push(ok && reached);
    }
    verified
}

/// Probability that `n` independent heights, each decoded with probability `q`, hold no run
/// of `links` or more consecutive missing ones. The walk keeps the chance of each length of
/// the current run of missing heights (0 to `links - 1`); a run that reaches `links` is cut.
pub fn no_long_gap(n: u64, links: u64, q: f64) -> f64 {
    let mut run = vec![0.0; links.max(1) as usize];
    run[0] = 1.0;
    for _ in 0..n {
        let alive: f64 = run.iter().sum();
        run.rotate_right(1); // every run grows by one missing height, with 1 - q ...
        run[0] = 0.0; // ... and the longest one, now `links` long, is cut
        run.iter_mut().for_each(|p| *p *= 1.0 - q);
        run[0] = q * alive; // or the height decodes and the run ends
    }
    run.iter().sum()
}

/// Probability that height `height` verifies when every height decodes independently with
/// probability `q`: it and genesis decode, and no run of `links` missing lies between.
pub fn verifies(height: u64, links: u64, q: f64) -> f64 {
    match height {
        0 => q,
        _ => q * q * no_long_gap(height - 1, links, q),
    }
}

/// Expected counts among the heights after the first lost one, in a window of heights
/// `0..window` each decoded independently with probability `q`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AfterLoss {
    /// Heights after the first lost one.
    pub after: f64,
    /// Of those, heights that decode.
    pub decoded: f64,
    /// Of those, heights that verify (decode and link back to genesis).
    pub verified: f64,
}

/// [`AfterLoss`] for a window of `window` heights: height `h` comes after a loss with
/// probability `1 - q^h`, decodes after one with `q (1 - q^h)`, and verifies after one with
/// [`verifies`] less `q^(h+1)`, the chance that it and every height below it decoded.
pub fn after_first_loss(window: u64, links: u64, q: f64) -> AfterLoss {
    let mut expected = AfterLoss {
        after: 0.0,
        decoded: 0.0,
        verified: 0.0,
    };
    for height in 0..window {
        let lost_below = 1.0 - q.powi(height as i32);
        expected.after += lost_below;
        expected.decoded += q * lost_below;
        expected.verified += (verifies(height, links, q) - q.powi(height as i32 + 1)).max(0.0);
    }
    expected
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `decoded` for the pattern `bits` over `n` heights (bit `h` set: height `h` decoded).
    fn pattern(bits: u32, n: usize) -> Vec<bool> {
        (0..n).map(|h| bits & (1 << h) != 0).collect()
    }

    #[test]
    fn a_height_verifies_through_gaps_shorter_than_its_links() {
        let decoded = [true, true, false, true, false, false, true, true];
        let as_bits = |v: Vec<bool>| -> Vec<u8> { v.into_iter().map(u8::from).collect() };
        // One link: nothing after the first lost height.
        assert_eq!(as_bits(verifiable(&decoded, 1)), [1, 1, 0, 0, 0, 0, 0, 0]);
        // Two links step over height 2, not over heights 4 and 5.
        assert_eq!(as_bits(verifiable(&decoded, 2)), [1, 1, 0, 1, 0, 0, 0, 0]);
        // Three links step over both gaps.
        assert_eq!(as_bits(verifiable(&decoded, 3)), [1, 1, 0, 1, 0, 0, 1, 1]);
        // Without genesis nothing verifies, however many links.
        let headless = [false, true, true, true];
        assert_eq!(as_bits(verifiable(&headless, 4)), [0, 0, 0, 0]);
        assert!(verifiable(&[], 2).is_empty());
    }

    #[test]
    fn no_long_gap_has_its_closed_forms() {
        for n in 0..12 {
            // One link: every height must decode.
            let q: f64 = 0.7;
            assert!((no_long_gap(n, 1, q) - q.powi(n as i32)).abs() < 1e-12);
            assert_eq!(no_long_gap(n, 3, 1.0), 1.0);
            let none = if n < 3 { 1.0 } else { 0.0 };
            assert_eq!(no_long_gap(n, 3, 0.0), none, "n = {n}");
        }
        // Two links, q = 1/2: strings of n bits with no two zeros in a row number F(n + 2).
        let mut fibonacci = vec![0u64, 1];
        while fibonacci.len() < 20 {
            let next = fibonacci[fibonacci.len() - 1] + fibonacci[fibonacci.len() - 2];
            fibonacci.push(next);
        }
        for n in 0..16u64 {
            let expected = fibonacci[n as usize + 2] as f64 / 2f64.powi(n as i32);
            assert!((no_long_gap(n, 2, 0.5) - expected).abs() < 1e-12, "n = {n}");
        }
    }

    /// Every pattern of decoded heights of a small window, weighted by its probability and
    /// judged by [`verifiable`], gives the expectations [`after_first_loss`] computes.
    #[test]
    fn after_first_loss_is_the_expectation_over_every_pattern() {
        for window in [1usize, 2, 5, 9] {
            for links in [1usize, 2, 3, 4] {
                for q in [0.0f64, 0.3, 0.55, 0.9, 1.0] {
                    let (mut after, mut decoded, mut verified) = (0.0, 0.0, 0.0);
                    for bits in 0..(1u32 << window) {
                        let heights = pattern(bits, window);
                        let ones = bits.count_ones() as i32;
                        let weight = q.powi(ones) * (1.0 - q).powi(window as i32 - ones);
                        let Some(first) = heights.iter().position(|&d| !d) else {
                            continue;
                        };
                        let ok = verifiable(&heights, links);
                        after += weight * (window - first - 1) as f64;
                        decoded +=
                            weight * heights[first + 1..].iter().filter(|&&d| d).count() as f64;
                        verified += weight * ok[first + 1..].iter().filter(|&&v| v).count() as f64;
                    }
                    let model = after_first_loss(window as u64, links as u64, q);
                    let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
                    assert!(
                        close(model.after, after)
                            && close(model.decoded, decoded)
                            && close(model.verified, verified),
                        "window {window}, links {links}, q {q}: {model:?} against \
                         ({after}, {decoded}, {verified})"
                    );
                }
            }
        }
    }

    #[test]
    fn more_links_verify_more_and_one_link_verifies_nothing_after_a_loss() {
        for q in [0.2, 0.5, 0.8, 0.95] {
            assert_eq!(after_first_loss(15, 1, q).verified, 0.0);
            let by_links: Vec<f64> = [1, 2, 3, 4, 8]
                .iter()
                .map(|&links| after_first_loss(15, links, q).verified)
                .collect();
            assert!(by_links.windows(2).all(|w| w[0] < w[1]), "{by_links:?}");
            // With links past the window every decoded height verifies unless genesis was
            // the height lost: that takes the 14 others' decodes, q each, with it.
            let limit = after_first_loss(15, 100, q);
            let headless = (1.0 - q) * 14.0 * q;
            assert!(
                (limit.decoded - limit.verified - headless).abs() < 1e-9,
                "{limit:?}"
            );
        }
    }

    #[test]
    fn survival_is_certain_until_more_than_m_minus_k_holders_can_be_hit() {
        assert_eq!(block_survives(49, 10, 3, 0), 1.0);
        assert_eq!(block_survives(49, 10, 3, 7), 1.0);
        assert!(block_survives(49, 10, 3, 8) < 1.0);
        assert!((block_survives(49, 10, 10, 1) - 39.0 / 49.0).abs() < 1e-12);
        assert_eq!(block_survives(49, 10, 3, 49), 0.0);
        // Past the last removal that can leave k holders the chance is +0, not -0.
        assert!(block_survives(19, 6, 3, 17).is_sign_positive());
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
