//! What a run amounts to: blocks, chunk placement, bytes, validations, and whether every
//! branch can be rebuilt from the others.
//!
//! Placement is counted from the branches themselves, not from what miners believe: a chunk
//! is placed when another branch's block embeds it (and that branch kept it). Blocks with
//! fewer than `k` chunks placed cannot be rebuilt by anyone; they are counted apart, not
//! hidden, as are the blocks whose chain back to genesis passes through such a block.
//! Every other block must rebuild.

use crate::protocol::{
    reconstruct, BranchId, Chunk, ChunkId, Codec, HeightStatus, Params, Verifier,
};
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
    /// Blocks (genesis included) with at least `k` chunks placed.
    pub placeable: u64,
    /// Of those, blocks rebuilt from the other branches.
    pub rebuilt: u64,
    /// Of those, blocks that decoded but whose links pass through a lost block.
    pub cut_off: u64,
    /// Blocks with fewer than `k` chunks placed anywhere.
    pub never_placed: u64,
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
            summary.blocks += miner.blocks.len().saturating_sub(1) as u64;
            summary.chunks_made += miner.blocks.len() as u64 * params.m as u64;
            summary.validations_passed += miner.stats.validations_passed;
            summary.validations_failed += miner.stats.validations_failed;
            for block in &miner.blocks {
                let size = block.size();
                summary.primary_bytes += size.primary();
                summary.foreign_bytes += size.foreign_data;
                summary.total_bytes += size.total();
            }
        }
        let placed = placed_chunks(miners);
        summary.chunks_placed = placed.values().map(|set| set.len() as u64).sum();
        for miner in miners {
            summary.add_rebuild(params, codec, miner, miners, &placed, verifier);
        }
        summary
    }

    fn add_rebuild(
        &mut self,
        params: &Params,
        codec: &Codec,
        miner: &MinerOutcome,
        miners: &[MinerOutcome],
        placed: &BTreeMap<BranchId, BTreeSet<ChunkId>>,
        verifier: &mut Verifier,
    ) {
        let Some(genesis) = miner.blocks.first() else {
            return;
        };
        let branch = genesis.header.branch;
        let chunks = miners
            .iter()
            .filter(|other| other.number != miner.number)
            .flat_map(|other| other.blocks.iter().flat_map(|b| b.foreign.iter()));
        let rebuilt = reconstruct(params, codec, branch, chunks, verifier);
        let empty = BTreeSet::new();
        let placed = placed.get(&branch).unwrap_or(&empty);
        for height in 0..miner.blocks.len() as u64 {
            let count = placed.iter().filter(|id| id.height == height).count();
            if count < params.k as usize {
                self.never_placed += 1;
                continue;
            }
            self.placeable += 1;
            match rebuilt.heights.get(height as usize).map(|h| &h.status) {
                Some(HeightStatus::Rebuilt) => self.rebuilt += 1,
                Some(HeightStatus::Unlinked) => self.cut_off += 1,
                _ => {}
            }
        }
    }

    /// Blocks that had `k` chunks placed and yet were neither rebuilt nor cut off by a
    /// lost earlier block: these break the protocol's promise.
    pub fn failed(&self) -> u64 {
        self.placeable - self.rebuilt - self.cut_off
    }
}

/// Distinct chunks each branch has on other branches.
fn placed_chunks(miners: &[MinerOutcome]) -> BTreeMap<BranchId, BTreeSet<ChunkId>> {
    let mut placed: BTreeMap<BranchId, BTreeSet<ChunkId>> = BTreeMap::new();
    let all = miners
        .iter()
        .flat_map(|m| m.blocks.iter().flat_map(|b| b.foreign.iter()));
    for chunk in all {
        placed
            .entry(chunk.header.source)
            .or_default()
            .insert(Chunk::id(chunk));
    }
    placed
}
