//! The dissertation's "reconstruction fault tolerance": how many branches can disappear
//! before a subject branch's first blocks can no longer be rebuilt.
//!
//! For each of `subjects` random branches, the other branches are removed one at a time in
//! a random order; after each removal the blocks that lost a holder are rebuilt for real
//! (decoded from the remaining chunks and checked as blocks of the subject). The row records
//! how many branches were gone when the first `prefix` blocks stopped rebuilding, beside two
//! predictions: an exact count from the actual placement and the same order (any `k`
//! distinct chunks decode), and the hypergeometric ideal of chunks on distinct random
//! branches. A subject whose first blocks do not rebuild even before any removal (their
//! chunks were never all placed) counts 0 removals and says so in `rebuilt_at_start`.

use super::removal::{held_by_others, removal_order, subjects as pick_subjects};
use super::theory::expected_removals;
use crate::protocol::{decode_block, reconstruct, BranchId, Chunk, Codec, Hash, Params, Verifier};
use crate::scenario::Scenario;
use crate::simulation::Outcome;
use std::collections::{BTreeMap, BTreeSet};

pub const COLUMNS: &[&str] = &[
    "k",
    "m",
    "redundancy",
    "miners",
    "placement",
    "subject",
    "removed",
    "removed_exact",
    "removed_ideal",
    "rebuilt_at_start",
];

/// The verified chunks of a subject's first blocks, by height, then by holding miner.
struct Holdings<'a> {
    branch: BranchId,
    headers: Vec<Hash>,
    by_height: Vec<BTreeMap<usize, Vec<&'a Chunk>>>,
}

pub fn rows(
    scenario: &Scenario,
    outcome: &Outcome,
    subjects: usize,
    prefix: u64,
) -> Vec<Vec<String>> {
    let params = &scenario.protocol;
    let codec = Codec::new(params.k, params.m).expect("scenario was checked");
    let mut verifier = Verifier::default();
    let others = outcome.miners.len() as u64 - 1;
    let ideal = expected_removals(others, params.m as u64, params.k as u64, prefix);
    pick_subjects(outcome, "fault-tolerance", subjects)
        .into_iter()
        .map(|subject| {
            let order = removal_order(outcome, subject);
            let holdings = Holdings::of(params, outcome, subject, prefix, &mut verifier);
            let rebuilt =
                holdings.initially_rebuilt(params, &codec, outcome, subject, prefix, &mut verifier);
            let (removed, exact) = if rebuilt {
                (
                    holdings.removals_until_loss(&order, |h, held| {
                        holdings.decodes(params, &codec, h, held, &mut verifier)
                    }),
                    holdings
                        .removals_until_loss(&order, |_, held| distinct(held) >= params.k as usize),
                )
            } else {
                (0, 0)
            };
            vec![
                params.k.to_string(),
                params.m.to_string(),
                format!("{:.4}", params.m as f64 / params.k as f64),
                outcome.miners.len().to_string(),
                format!("{:?}", params.placement).to_lowercase(),
                subject.to_string(),
                removed.to_string(),
                exact.to_string(),
                format!("{ideal:.4}"),
                rebuilt.to_string(),
            ]
        })
        .collect()
}

fn distinct(chunks: &[&Chunk]) -> usize {
    chunks
        .iter()
        .map(|c| c.header.index)
        .collect::<BTreeSet<_>>()
        .len()
}

impl<'a> Holdings<'a> {
    fn of(
        params: &Params,
        outcome: &'a Outcome,
        subject: usize,
        prefix: u64,
        verifier: &mut Verifier,
    ) -> Holdings<'a> {
        let own = &outcome.miners[subject].blocks;
        let branch = own[0].header.branch;
        let headers: Vec<Hash> = own
            .iter()
            .take(prefix as usize)
            .map(|b| b.header.hash())
            .collect();
        let mut by_height = vec![BTreeMap::new(); prefix as usize];
        let held = held_by_others(outcome, subject);
        for (holder, chunk) in
            held.filter(|(_, c)| c.header.source == branch && c.header.height < prefix)
        {
            let height = chunk.header.height as usize;
            let genuine = headers.get(height) == Some(&chunk.header.header_hash)
                && chunk.verify(params, verifier).is_ok();
            if genuine {
                by_height[height]
                    .entry(holder)
                    .or_insert_with(Vec::new)
                    .push(chunk);
            }
        }
        Holdings {
            branch,
            headers,
            by_height,
        }
    }

    /// Whether, with every other branch present, the first blocks rebuild and link back to
    /// genesis (full reconstruction).
    fn initially_rebuilt(
        &self,
        params: &Params,
        codec: &Codec,
        outcome: &Outcome,
        subject: usize,
        prefix: u64,
        verifier: &mut Verifier,
    ) -> bool {
        if (self.headers.len() as u64) < prefix {
            return false;
        }
        let chunks = held_by_others(outcome, subject).map(|(_, chunk)| chunk);
        reconstruct(params, codec, self.branch, chunks, verifier).prefix_rebuilt(prefix)
    }

    /// Whether `height` decodes from `held` to the subject's real block.
    fn decodes(
        &self,
        params: &Params,
        codec: &Codec,
        height: usize,
        held: &[&Chunk],
        verifier: &mut Verifier,
    ) -> bool {
        distinct(held) >= params.k as usize
            && decode_block(
                params,
                codec,
                self.branch,
                height as u64,
                &self.headers[height],
                held.iter().copied(),
                verifier,
            )
            .is_ok()
    }

    /// Removes holders in `order` until some height fails `survives`; returns how many were
    /// removed then. Only heights the removed branch held a chunk of are checked again.
    fn removals_until_loss(
        &self,
        order: &[usize],
        mut survives: impl FnMut(usize, &[&Chunk]) -> bool,
    ) -> usize {
        let mut gone = BTreeSet::new();
        for (count, &holder) in order.iter().enumerate() {
            gone.insert(holder);
            for (height, holders) in self.by_height.iter().enumerate() {
                if !holders.contains_key(&holder) {
                    continue;
                }
                let left: Vec<&Chunk> = holders
                    .iter()
                    .filter(|(h, _)| !gone.contains(*h))
                    .flat_map(|(_, chunks)| chunks.iter().copied())
                    .collect();
                if !survives(height, &left) {
                    return count + 1;
                }
            }
        }
        order.len()
    }
}
