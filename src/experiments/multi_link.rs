//! The multi-linked chain (DESIGN rule 4, the dissertation's "Multi-linked Blockchain"):
//! how many of a branch's blocks after an unrecoverable one can still be verified, with
//! headers that carry the hashes of the previous `L` headers, as other branches disappear.
//!
//! For each of `subjects` random branches, the other branches are removed one at a time in
//! a random order (the streams of [`super::removal`]). Before the first removal and after
//! each one, the subject is rebuilt for real from the chunks the remaining branches hold
//! ([`reconstruct`]: every chunk verified, every height with `k` chunks decoded and checked
//! as a block of the subject, links followed back to genesis). The heights considered are
//! the subject's window: genesis up to the highest height that decodes before any removal
//! (the last blocks of a finite run were never placed and are left out).
//!
//! Each step gives one row: how many heights of the window decode and how many verify
//! (decode and link back to genesis through verified blocks), the first height lost, and,
//! among the heights after it, how many decode and how many verify; and how many pairs of
//! neighbouring heights are both lost, which shows whether losses cluster (the same number
//! `d` of losses at random heights of the window give `d (d - 1) / window` such pairs on
//! average). Beside them, two
//! predictions ([`super::theory`]): the exact count of heights after the first loss that
//! verify by the gap rule applied to the heights that decoded (a height verifies when no `L`
//! consecutive heights between it and genesis are missing), which the reconstruction must
//! match, and the ideal expectations for independent heights that each decode with the
//! hypergeometric probability of a block whose `m` chunks sit on distinct random branches.

use super::removal::{held_by_others, removal_order, subjects as pick_subjects};
use super::theory::{after_first_loss, block_survives, verifiable};
use crate::protocol::{reconstruct, Block, Chunk, Codec, HeightStatus, Reconstruction, Verifier};
use crate::scenario::Scenario;
use crate::simulation::Outcome;
use std::collections::BTreeSet;

pub const COLUMNS: &[&str] = &[
    "k",
    "m",
    "links",
    "miners",
    "subject",
    "window",
    "removed",
    "decoded",
    "verified",
    "first_lost",
    "after",
    "after_decoded",
    "after_verified",
    "after_exact",
    "lost_pairs",
    "q_ideal",
    "after_ideal",
    "after_decoded_ideal",
    "after_verified_ideal",
];

/// Which heights of the window (from genesis) decoded to the subject's own block, and which
/// of those were also linked back to genesis.
struct Step {
    decoded: Vec<bool>,
    verified: Vec<bool>,
}

pub fn rows(scenario: &Scenario, outcome: &Outcome, subjects: usize) -> Vec<Vec<String>> {
    let codec = Codec::new(scenario.protocol.k, scenario.protocol.m).expect("scenario was checked");
    let mut verifier = Verifier::default();
    pick_subjects(outcome, "multi-link", subjects)
        .into_iter()
        .flat_map(|subject| subject_rows(scenario, outcome, &codec, subject, &mut verifier))
        .collect()
}

/// The rows of one subject: one per number of branches removed, from none to all others.
fn subject_rows(
    scenario: &Scenario,
    outcome: &Outcome,
    codec: &Codec,
    subject: usize,
    verifier: &mut Verifier,
) -> Vec<Vec<String>> {
    let params = &scenario.protocol;
    let branch = outcome.miners[subject].blocks[0].header.branch;
    let held: Vec<(usize, &Chunk)> = held_by_others(outcome, subject)
        .filter(|(_, chunk)| chunk.header.source == branch)
        .collect();
    let holders: BTreeSet<usize> = held.iter().map(|(holder, _)| *holder).collect();
    let order = removal_order(outcome, subject);
    let others = order.len() as u64;
    let mut gone = BTreeSet::new();
    let rebuild = |gone: &BTreeSet<usize>, verifier: &mut Verifier| {
        let left = held.iter().filter(|(holder, _)| !gone.contains(holder));
        reconstruct(params, codec, branch, left.map(|(_, c)| *c), verifier)
    };
    let start = rebuild(&gone, verifier);
    let all = step_of(
        &start,
        outcome,
        subject,
        outcome.miners[subject].blocks.len(),
    );
    let window = all.decoded.iter().rposition(|&d| d).map_or(0, |h| h + 1);
    let mut step = step_of(&start, outcome, subject, window);
    let mut rows = Vec::with_capacity(order.len() + 1);
    for removed in 0..=order.len() {
        if removed > 0 {
            let holder = order[removed - 1];
            gone.insert(holder);
            // A branch that held none of the subject's chunks leaves the same chunks behind,
            // and so the same reconstruction.
            if holders.contains(&holder) {
                step = step_of(&rebuild(&gone, verifier), outcome, subject, window);
            }
        }
        let q = block_survives(others, params.m as u64, params.k as u64, removed as u64);
        rows.push(row(scenario, outcome, subject, window, removed, q, &step));
    }
    rows
}

/// Whether the reconstruction decoded `block`'s height to `block` itself, and whether it
/// also linked it back to genesis.
fn statuses(reconstruction: &Reconstruction, block: &Block) -> (bool, bool) {
    let height = block.header.height;
    let listed = reconstruction.heights.get(height as usize);
    let Some(rebuilt) = listed.filter(|h| h.height == height) else {
        return (false, false);
    };
    let hash = block.header.hash();
    let own = rebuilt
        .block
        .as_ref()
        .is_some_and(|(header, _)| header.hash() == hash);
    let decoded = own
        && matches!(
            rebuilt.status,
            HeightStatus::Rebuilt | HeightStatus::Unlinked
        );
    (decoded, decoded && rebuilt.status == HeightStatus::Rebuilt)
}

fn step_of(
    reconstruction: &Reconstruction,
    outcome: &Outcome,
    subject: usize,
    window: usize,
) -> Step {
    let blocks = &outcome.miners[subject].blocks[..window];
    let (decoded, verified) = blocks
        .iter()
        .map(|block| statuses(reconstruction, block))
        .unzip();
    Step { decoded, verified }
}

fn row(
    scenario: &Scenario,
    outcome: &Outcome,
    subject: usize,
    window: usize,
    removed: usize,
    q: f64,
    step: &Step,
) -> Vec<String> {
    let params = &scenario.protocol;
    let count = |flags: &[bool]| flags.iter().filter(|&&f| f).count();
    let first_lost = step.decoded.iter().position(|&d| !d);
    let later = first_lost.map_or(window, |f| f + 1);
    let exact = verifiable(&step.decoded, params.links as usize);
    let ideal = after_first_loss(window as u64, params.links as u64, q);
    let lost_pairs = step.decoded.windows(2).filter(|w| !w[0] && !w[1]).count();
    vec![
        params.k.to_string(),
        params.m.to_string(),
        params.links.to_string(),
        outcome.miners.len().to_string(),
        subject.to_string(),
        window.to_string(),
        removed.to_string(),
        count(&step.decoded).to_string(),
        count(&step.verified).to_string(),
        first_lost.map_or(String::new(), |f| f.to_string()),
        (window - later).to_string(),
        count(&step.decoded[later..]).to_string(),
        count(&step.verified[later..]).to_string(),
        count(&exact[later..]).to_string(),
        lost_pairs.to_string(),
        format!("{q:.4}"),
        format!("{:.4}", ideal.after),
        format!("{:.4}", ideal.decoded),
        format!("{:.4}", ideal.verified),
    ]
}
