//! What the experiments that remove branches share: subject branches picked at random, the
//! order in which the other branches disappear for each, and the chunks those others hold.
//!
//! Every draw comes from the run seed's own streams, so the same run always picks the same
//! subjects and removes the others in the same order.

use crate::protocol::Chunk;
use crate::sim::stream;
use crate::simulation::Outcome;
use rand::seq::SliceRandom;

/// `count` distinct miners, in a random order drawn from the run's `kind` stream.
pub fn subjects(outcome: &Outcome, kind: &str, count: usize) -> Vec<usize> {
    let mut chosen: Vec<usize> = (0..outcome.miners.len()).collect();
    chosen.shuffle(&mut stream(outcome.seed, kind, 0));
    chosen.truncate(count);
    chosen
}

/// Every miner but `subject`, in the order they are removed: a shuffle by the run's
/// `removal-order` stream of the subject.
pub fn removal_order(outcome: &Outcome, subject: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..outcome.miners.len())
        .filter(|&other| other != subject)
        .collect();
    order.shuffle(&mut stream(outcome.seed, "removal-order", subject as u64));
    order
}

/// The foreign chunks every miner but `subject` holds in its branch, each with its holder.
pub fn held_by_others(outcome: &Outcome, subject: usize) -> impl Iterator<Item = (usize, &Chunk)> {
    let others = outcome.miners.iter().enumerate();
    others
        .filter(move |(holder, _)| *holder != subject)
        .flat_map(|(holder, miner)| {
            let chunks = miner.blocks.iter().flat_map(|block| block.foreign.iter());
            chunks.map(move |chunk| (holder, chunk))
        })
}
