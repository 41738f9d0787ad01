//! How likely challenges are to catch a misbehaving miner: the predictions the adversary
//! experiment sets beside what the simulation measured.
//!
//! A validation challenges `c` items drawn at random (with replacement) from what a peer
//! committed to; if a share `f` of them is missing or corrupt, the validation finds a gap
//! with probability 1 − (1 − f)^c (Sia's and Filecoin's argument; DESIGN §7), and `v`
//! independent validations miss it with probability (1 − f)^(c·v). A peer caught by one
//! miner is blacklisted by the others only if they catch it too, unless the catch is
//! signed evidence that is handed on: then one catch is enough. A withholder that answers
//! nothing with chance `q` per validation is blacklisted by a miner only after `run`
//! validations in a row went unanswered.

/// Chance that `c` challenges find one of a share `f` of bad items.
pub fn caught(f: f64, c: f64) -> f64 {
    1.0 - (1.0 - f.clamp(0.0, 1.0)).powf(c.max(0.0))
}

/// Chance that at least `need` of independent events with chances `p` happen (the tail of
/// a Poisson binomial distribution, by dynamic programming over the events).
pub fn at_least(p: &[f64], need: usize) -> f64 {
    // ways[j]: chance that exactly j of the events so far happened.
    let mut ways = vec![0.0; p.len() + 1];
    ways[0] = 1.0;
    for (seen, &chance) in p.iter().enumerate() {
        for j in (0..=seen + 1).rev() {
            let happened = if j > 0 { ways[j - 1] * chance } else { 0.0 };
            ways[j] = ways[j] * (1.0 - chance) + happened;
        }
    }
    ways[need.min(ways.len())..].iter().sum::<f64>().min(1.0)
}

/// Chance that `trials` independent trials, each a success with chance `q`, hold `run`
/// successes in a row somewhere (`run` = 0: never, by convention: no such defence).
pub fn run_of(q: f64, trials: u64, run: u32) -> f64 {
    if run == 0 {
        return 0.0;
    }
    let run = run as usize;
    // streak[j]: chance of no run so far and a current streak of exactly j successes.
    let mut streak = vec![0.0; run];
    streak[0] = 1.0;
    let mut done = 0.0;
    for _ in 0..trials {
        let mut next = vec![0.0; run];
        for (j, &chance) in streak.iter().enumerate() {
            next[0] += chance * (1.0 - q);
            match j + 1 {
                full if full == run => done += chance * q,
                longer => next[longer] += chance * q,
            }
        }
        streak = next;
    }
    done
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caught_matches_the_escape_probability() {
        assert_eq!(caught(1.0, 1.0), 1.0);
        assert_eq!(caught(0.0, 10.0), 0.0);
        // Sia's example: half the data missing, one proof: caught about half the time.
        assert!((caught(0.5, 1.0) - 0.5).abs() < 1e-12);
        // Filecoin's WindowPoSt: ten challenges of a sector missing 10 %.
        assert!((caught(0.1, 10.0) - (1.0 - 0.9f64.powi(10))).abs() < 1e-12);
    }

    #[test]
    fn at_least_is_the_binomial_tail_when_chances_are_equal() {
        let p = [0.3; 5];
        let binomial = |k: i32| {
            let choose = [1.0, 5.0, 10.0, 10.0, 5.0, 1.0][k as usize];
            choose * 0.3f64.powi(k) * 0.7f64.powi(5 - k)
        };
        let tail: f64 = (3..=5).map(binomial).sum();
        assert!((at_least(&p, 3) - tail).abs() < 1e-12);
        assert!((at_least(&p, 0) - 1.0).abs() < 1e-12);
        assert!(at_least(&p, 6).abs() < 1e-12);
    }

    #[test]
    fn run_of_counts_streaks_not_totals() {
        // Certain successes: a run of 3 needs 3 trials.
        assert_eq!(run_of(1.0, 2, 3), 0.0);
        assert_eq!(run_of(1.0, 3, 3), 1.0);
        // Two trials, run of 2: both must succeed.
        assert!((run_of(0.4, 2, 2) - 0.16).abs() < 1e-12);
        // Three trials, run of 2: SSx or xSS (FSS only adds what SSx misses).
        assert!((run_of(0.5, 3, 2) - 0.375).abs() < 1e-12);
        assert_eq!(run_of(0.9, 100, 0), 0.0);
    }
}
