//! What a run amounts to: blocks, chunk placement, bytes, validations, and whether every
//! branch can be rebuilt from the others.
//!
//! Placement is counted from the branches themselves, not from what miners believe: a chunk
//! is placed when another branch's block embeds it (and that branch kept it). Blocks with
//! fewer than `k` chunks placed cannot be rebuilt by anyone; they are counted apart, not
//! hidden, as are the blocks whose chain back to genesis passes through such a block.
//! Every other block must rebuild. A block whose holders are down for now is told apart from
//! one whose holders left for good or came back wiped: the first is unavailable, the second
//! lost.

use crate::protocol::{
    reconstruct, Block, BranchId, Chunk, ChunkId, Codec, HeightStatus, Params, Verifier,
};
use crate::sim::Presence;
use crate::simulation::MinerOutcome;
use std::collections::{BTreeMap, BTreeSet};

/// The run's totals.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub miners: usize,
    pub finished: usize,
    /// Blocks after genesis, over all branches.
    pub blocks: u64,
    pub chunks_made: u64,
    /// Distinct chunks embedded in some other branch.
    pub chunks_placed: u64,
    pub primary_bytes: u64,
    pub foreign_bytes: u64,
    pub total_bytes: u64,
    pub validations_passed: u64,
    pub validations_failed: u64,
    /// Blocks (genesis included) with at least `k` chunks on branches still running.
    pub placeable: u64,
    /// Of those, blocks rebuilt from the other branches.
    pub rebuilt: u64,
    /// Of those, blocks that decoded but whose links pass through a lost block.
    pub cut_off: u64,
    /// Blocks with fewer than `k` chunks placed anywhere.
    pub never_placed: u64,
    /// Blocks that had `k` chunks placed, but fewer than `k` on branches that still exist
    /// (their holders left for good or came back wiped): lost to churn.
    pub lost: u64,
    /// Blocks with `k` chunks on branches that still exist, but fewer than `k` on running
    /// ones: unavailable until holders come back.
    pub unavailable: u64,
    /// Rebuilt blocks that differ from the block their miner made (must stay zero).
    pub wrong_rebuilds: u64,
}

/// A branch whose blocks are to be rebuilt: a miner's current one or one it lost to a wipe.
fn branches(miners: &[MinerOutcome]) -> impl Iterator<Item = &[Block]> {
    let current = miners.iter().map(|m| m.blocks.as_slice());
    current.chain(
        miners
            .iter()
            .flat_map(|m| m.retired.iter().map(Vec::as_slice)),
    )
}

impl Summary {
    pub fn of(
        params: &Params,
        codec: &Codec,
        miners: &[MinerOutcome],
        verifier: &mut Verifier,
    ) -> Summary {
        let mut summary = Summary {
            miners: miners.len(),
            finished: miners.iter().filter(|m| m.finished).count(),
            ..Summary::default()
        };
        for miner in miners {
            summary.validations_passed += miner.stats.validations_passed;
            summary.validations_failed += miner.stats.validations_failed;
        }
        for blocks in branches(miners) {
            summary.blocks += blocks.len().saturating_sub(1) as u64;
            summary.chunks_made += blocks.len() as u64 * params.m as u64;
            for block in blocks {
                let size = block.size();
                summary.primary_bytes += size.primary();
                summary.foreign_bytes += size.foreign_data;
                summary.total_bytes += size.total();
            }
        }
        let anywhere = placed_chunks(branches(miners));
        let current = || miners.iter().map(|m| (m.presence, m.blocks.as_slice()));
        let surviving = placed_on(current(), Presence::keeps_data);
        let live = placed_on(current(), |p| p == Presence::Running);
        summary.chunks_placed = anywhere.values().map(|set| set.len() as u64).sum();
        let sources: Vec<&Chunk> = miners
            .iter()
            .filter(|m| m.presence == Presence::Running)
            .flat_map(|m| m.blocks.iter().flat_map(|b| b.foreign.iter()))
            .collect();
        for blocks in branches(miners) {
            summary.add_rebuild(
                params,
                codec,
                blocks,
                &sources,
                [&anywhere, &surviving, &live],
                verifier,
            );
        }
        summary
    }

    /// Rebuilds one branch from the chunks on running branches and counts its blocks.
    fn add_rebuild(
        &mut self,
        params: &Params,
        codec: &Codec,
        blocks: &[Block],
        sources: &[&Chunk],
        [anywhere, surviving, live]: [&Placed; 3],
        verifier: &mut Verifier,
    ) {
        let Some(genesis) = blocks.first() else {
            return;
        };
        let branch = genesis.header.branch;
        let rebuilt = reconstruct(params, codec, branch, sources.iter().copied(), verifier);
        let count = |placed: &Placed, height: u64| {
            placed
                .get(&branch)
                .map_or(0, |ids| ids.iter().filter(|id| id.height == height).count())
        };
        let k = params.k as usize;
        for height in 0..blocks.len() as u64 {
            if count(anywhere, height) < k {
                self.never_placed += 1;
            } else if count(surviving, height) < k {
                self.lost += 1;
            } else if count(live, height) < k {
                self.unavailable += 1;
            } else {
                self.placeable += 1;
                let rebuilt_block = rebuilt
                    .heights
                    .get(height as usize)
                    .and_then(|h| h.block.as_ref());
                let original = &blocks[height as usize];
                if rebuilt_block.is_some_and(|(header, records)| {
                    *header != original.header || *records != original.records
                }) {
                    self.wrong_rebuilds += 1;
                }
                let status = rebuilt
                    .heights
                    .get(height as usize)
                    .filter(|h| h.height == height)
                    .map(|h| &h.status);
                match status {
                    Some(HeightStatus::Rebuilt) => self.rebuilt += 1,
                    Some(HeightStatus::Unlinked) => self.cut_off += 1,
                    _ => {}
                }
            }
        }
    }

    /// Blocks that had `k` chunks on running branches and yet were neither rebuilt nor cut
    /// off by a lost earlier block: these break the protocol's promise.
    pub fn failed(&self) -> u64 {
        self.placeable - self.rebuilt - self.cut_off
    }
}

/// Distinct chunks of each branch held by the given branches.
pub type Placed = BTreeMap<BranchId, BTreeSet<ChunkId>>;

/// Distinct chunks held by those of `branches` whose miner's presence passes `keep`.
pub fn placed_on<'a>(
    branches: impl Iterator<Item = (Presence, &'a [Block])>,
    keep: fn(Presence) -> bool,
) -> Placed {
    placed_chunks(
        branches
            .filter(|(presence, _)| keep(*presence))
            .map(|(_, b)| b),
    )
}

pub fn placed_chunks<'a>(holders: impl Iterator<Item = &'a [Block]>) -> Placed {
    let mut placed = Placed::new();
    for chunk in holders.flat_map(|blocks| blocks.iter().flat_map(|b| b.foreign.iter())) {
        placed
            .entry(chunk.header.source)
            .or_default()
            .insert(Chunk::id(chunk));
    }
    placed
}
