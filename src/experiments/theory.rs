//! Closed-form predictions to set beside the simulated measurements.
//!
//! The ideal placement model puts each block's `m` chunks on `m` distinct branches chosen
//! at random among the `n` others; removing `r` branches at random then removes a
//! hypergeometric number of a block's holders, and the block survives while at least `k`
//! holders remain. Blocks are taken as independent.

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
