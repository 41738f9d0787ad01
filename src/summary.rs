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

use crate::actors::{Behaviour, MinerStats};
use crate::protocol::Record;
use crate::protocol::{
    reconstruct, Block, BranchId, Chunk, ChunkId, Codec, HeightStatus, Params, Reconstruction,
    Verifier,
};
use crate::sim::Presence;
use std::collections::{BTreeMap, BTreeSet};

/// What one miner ended with.
pub struct MinerOutcome {
    pub number: usize,
    pub behaviour: Behaviour,
    pub blocks: Vec<Block>,
    pub stats: MinerStats,
    pub finished: bool,
    /// Foreign chunks gathered for a block it could not complete.
    pub stalled_with: Option<usize>,
    pub unplaced_chunks: usize,
    /// Records the miner accepted but has not put in a block yet.
    pub waiting: Vec<Record>,
    /// Whether the miner was running, down, or gone for good when the run ended.
    pub presence: Presence,
    /// Branches the miner lost when it came back wiped, oldest first.
    pub retired: Vec<Vec<Block>>,
}

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
    /// Blocks (genesis included) of honest branches with at least `k` chunks on branches
    /// still running; this and the counts below are of honest branches.
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
        let current = miners.iter().map(|m| (m.presence, m.blocks.as_slice()));
        let holdings = Holdings::of(branches(miners), current);
        summary.chunks_placed = holdings.anywhere.values().map(|set| set.len() as u64).sum();
        let sources: Vec<&Chunk> = miners
            .iter()
            .filter(|m| m.presence == Presence::Running)
            .flat_map(|m| m.blocks.iter().flat_map(|b| b.foreign.iter()))
            .collect();
        // Only honest branches are held to rebuilding: an adversary's branch may hold what
        // it never showed anyone (a free rider's missing data) or have been backed up as a
        // history it did not keep (an equivocator's second one).
        let honest: Vec<&MinerOutcome> = miners
            .iter()
            .filter(|m| m.behaviour == Behaviour::Honest)
            .collect();
        for blocks in honest.iter().flat_map(|m| {
            std::iter::once(m.blocks.as_slice()).chain(m.retired.iter().map(Vec::as_slice))
        }) {
            summary.add_rebuild(params, codec, blocks, &sources, &holdings, verifier);
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
        holdings: &Holdings,
        verifier: &mut Verifier,
    ) {
        let Some(genesis) = blocks.first() else {
            return;
        };
        let branch = genesis.header.branch;
        let rebuilt = reconstruct(params, codec, branch, sources.iter().copied(), verifier);
        for (height, original) in (0u64..).zip(blocks) {
            match holdings.status(params.k, branch, height) {
                BlockStatus::NeverPlaced => self.never_placed += 1,
                BlockStatus::Lost => self.lost += 1,
                BlockStatus::Unavailable => self.unavailable += 1,
                BlockStatus::Recoverable => {
                    self.placeable += 1;
                    self.add_rebuilt(&rebuilt, height, original);
                }
            }
        }
    }

    /// Counts how block `height` of a rebuild came out against the `original`.
    fn add_rebuilt(&mut self, rebuilt: &Reconstruction, height: u64, original: &Block) {
        let at = rebuilt.heights.get(height as usize);
        let rebuilt_block = at.and_then(|h| h.block.as_ref());
        if rebuilt_block.is_some_and(|(header, records)| {
            *header != original.header || *records != original.records
        }) {
            self.wrong_rebuilds += 1;
        }
        match at.filter(|h| h.height == height).map(|h| &h.status) {
            Some(HeightStatus::Rebuilt) => self.rebuilt += 1,
            Some(HeightStatus::Unlinked) => self.cut_off += 1,
            _ => {}
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

/// Where a block stands, judged from where its chunks are placed: the one classification
/// the summary and every experiment use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockStatus {
    /// Fewer than `k` of its chunks were ever placed: nobody can rebuild it.
    NeverPlaced,
    /// `k` were placed, but fewer than `k` remain on branches that still exist.
    Lost,
    /// `k` remain on existing branches, but fewer than `k` on running ones, for now.
    Unavailable,
    /// `k` sit on running branches.
    Recoverable,
}

/// The chunks held on every branch ever made, on the branches that still exist, and on
/// the running ones.
pub struct Holdings {
    pub anywhere: Placed,
    surviving: Placed,
    live: Placed,
}

impl Holdings {
    /// From every branch ever made (`all`, retired ones included) and each miner's current
    /// branch with its presence.
    pub fn of<'a>(
        all: impl Iterator<Item = &'a [Block]>,
        current: impl Iterator<Item = (Presence, &'a [Block])> + Clone,
    ) -> Holdings {
        let on = |keep: fn(Presence) -> bool| {
            let kept = current.clone().filter(move |(presence, _)| keep(*presence));
            placed_chunks(kept.map(|(_, blocks)| blocks))
        };
        Holdings {
            anywhere: placed_chunks(all),
            surviving: on(Presence::keeps_data),
            live: on(|presence| presence == Presence::Running),
        }
    }

    /// Distinct chunks of block `height` of `branch` on running branches.
    pub fn running(&self, branch: BranchId, height: u64) -> usize {
        count(&self.live, branch, height)
    }

    /// The status of block `height` of `branch` under a `k`-of-m code.
    pub fn status(&self, k: u16, branch: BranchId, height: u64) -> BlockStatus {
        let count = |placed: &Placed| count(placed, branch, height);
        let k = k as usize;
        if count(&self.anywhere) < k {
            BlockStatus::NeverPlaced
        } else if count(&self.surviving) < k {
            BlockStatus::Lost
        } else if count(&self.live) < k {
            BlockStatus::Unavailable
        } else {
            BlockStatus::Recoverable
        }
    }
}

/// Distinct chunks of block `height` of `branch` in `placed`.
fn count(placed: &Placed, branch: BranchId, height: u64) -> usize {
    let ids = placed.get(&branch);
    ids.map_or(0, |ids| ids.iter().filter(|id| id.height == height).count())
}

fn placed_chunks<'a>(holders: impl Iterator<Item = &'a [Block]>) -> Placed {
    let mut placed = Placed::new();
    for chunk in holders.flat_map(|blocks| blocks.iter().flat_map(|b| b.foreign.iter())) {
        placed
            .entry(chunk.header.source)
            .or_default()
            .insert(Chunk::id(chunk));
    }
    placed
}
