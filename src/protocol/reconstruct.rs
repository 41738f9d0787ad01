//! Rebuilding a branch from the chunks other branches hold (DESIGN rule 13).
//!
//! Every chunk is verified before use, so a corrupted or forged chunk is reported and never
//! decoded. Each height with `k` distinct valid chunks is decoded and the result checked as
//! a block of the branch: its header must hash to what the chunks name, carry the branch's
//! key and signature, and match its records. A rebuilt block counts as recovered only if its
//! links reach genesis through other recovered blocks; with `L > 1` links one lost block does
//! not cut off the ones after it.

use super::block::{Block, BlockHeader};
use super::chunk::{Chunk, ChunkError, ChunkId};
use super::erasure::Codec;
use super::hash::{BranchId, Hash};
use super::keys::Verifier;
use super::params::Params;
use super::record::Record;
use super::validate::{check_body, check_size_limits};
use std::collections::BTreeMap;

/// What became of one height.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HeightStatus {
    /// Decoded, valid, and linked back to genesis.
    Rebuilt,
    /// Decoded and valid, but no link reaches genesis through recovered blocks.
    Unlinked,
    /// Fewer than `k` distinct valid chunks were found.
    TooFewChunks { have: usize },
    /// Enough chunks, but what they decode to is not a valid block of the branch.
    Invalid(String),
}

/// One height of a rebuilt branch.
#[derive(Clone, Debug)]
pub struct RebuiltHeight {
    pub height: u64,
    pub status: HeightStatus,
    /// Distinct valid chunks found for the block.
    pub chunks: usize,
    /// The decoded header and records, when decoding succeeded.
    pub block: Option<(BlockHeader, Vec<Record>)>,
}

/// A chunk that failed verification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejected {
    pub chunk: ChunkId,
    pub error: ChunkError,
}

/// The result of rebuilding one branch.
#[derive(Clone, Debug)]
pub struct Reconstruction {
    pub branch: BranchId,
    /// Heights in order: every one from 0 to past the last decodable block, then any higher
    /// height that chunks name (see [`reconstruct`]).
    pub heights: Vec<RebuiltHeight>,
    pub rejected: Vec<Rejected>,
}

impl Reconstruction {
    /// Heights whose status is [`HeightStatus::Rebuilt`].
    pub fn rebuilt(&self) -> Vec<u64> {
        let rebuilt = self
            .heights
            .iter()
            .filter(|h| h.status == HeightStatus::Rebuilt);
        rebuilt.map(|h| h.height).collect()
    }

    /// Whether every height from 0 to `count - 1` was rebuilt.
    pub fn prefix_rebuilt(&self, count: u64) -> bool {
        (0..count).all(|height| {
            self.heights
                .get(height as usize)
                .is_some_and(|h| h.height == height && h.status == HeightStatus::Rebuilt)
        })
    }
}

/// Chunks of one height, grouped by the header hash they name, then by index.
type Groups<'a> = BTreeMap<Hash, BTreeMap<u16, &'a Chunk>>;

/// Rebuilds `branch` from any collection of chunks (those of other branches are ignored).
pub fn reconstruct<'a>(
    params: &Params,
    codec: &Codec,
    branch: BranchId,
    chunks: impl IntoIterator<Item = &'a Chunk>,
    verifier: &mut Verifier,
) -> Reconstruction {
    let mut by_height: BTreeMap<u64, Groups<'a>> = BTreeMap::new();
    let mut rejected = Vec::new();
    for chunk in chunks.into_iter().filter(|c| c.header.source == branch) {
        match chunk.verify(params, verifier) {
            Ok(()) => {
                let groups = by_height.entry(chunk.header.height).or_default();
                let group = groups.entry(chunk.header.header_hash).or_default();
                group.entry(chunk.header.index).or_insert(chunk);
            }
            Err(error) => rejected.push(Rejected {
                chunk: chunk.id(),
                error,
            }),
        }
    }
    let mut heights: Vec<RebuiltHeight> = listed_heights(&by_height, codec.k())
        .into_iter()
        .map(|height| {
            let groups = by_height.remove(&height).unwrap_or_default();
            rebuild_height(params, codec, branch, height, &groups, verifier)
        })
        .collect();
    link_heights(&mut heights);
    Reconstruction {
        branch,
        heights,
        rejected,
    }
}

/// Heights reported without any chunk beyond the last decodable one: enough to show a
/// branch's lost final blocks, too few for a forged height to blow up the report.
const GAP_AFTER_DECODABLE: u64 = 1024;

/// The heights to report: every height from 0 up to a little past the highest one that has
/// `k` chunks (so lost blocks are counted, not skipped), then any higher height that has
/// chunks at all. A source that signs a chunk at an absurd height gets one entry for it.
fn listed_heights(by_height: &BTreeMap<u64, Groups>, k: u16) -> Vec<u64> {
    // The dense range grows from genesis through decodable heights, each within
    // GAP_AFTER_DECODABLE of the range so far: a forger would need k chunks every
    // GAP_AFTER_DECODABLE heights to stretch it.
    let mut dense = 0u64;
    for (&height, groups) in by_height {
        if height >= dense.saturating_add(GAP_AFTER_DECODABLE) {
            break;
        }
        if groups.values().any(|group| group.len() >= k as usize) {
            dense = dense.max(height.saturating_add(1));
        }
    }
    let top = by_height
        .keys()
        .next_back()
        .map_or(0, |&h| h.saturating_add(1));
    let dense = top.min(dense.saturating_add(GAP_AFTER_DECODABLE));
    let sparse = by_height.keys().copied().filter(|&h| h >= dense);
    (0..dense).chain(sparse).collect()
}

fn rebuild_height(
    params: &Params,
    codec: &Codec,
    branch: BranchId,
    height: u64,
    groups: &Groups,
    verifier: &mut Verifier,
) -> RebuiltHeight {
    // Chunks naming different headers at one height mean the source equivocated; the
    // largest group is tried, ties broken by header hash so the choice is reproducible.
    let best = groups
        .iter()
        .max_by_key(|(hash, group)| (group.len(), std::cmp::Reverse(*hash)));
    let chunks = best.map_or(0, |(_, group)| group.len());
    let mut outcome = RebuiltHeight {
        height,
        status: HeightStatus::TooFewChunks { have: chunks },
        chunks,
        block: None,
    };
    let Some((header_hash, group)) = best.filter(|_| chunks >= codec.k() as usize) else {
        return outcome;
    };
    match decode_block(
        params,
        codec,
        branch,
        height,
        header_hash,
        group.values().copied(),
        verifier,
    ) {
        Ok(block) => {
            outcome.status = HeightStatus::Unlinked;
            outcome.block = Some(block);
        }
        Err(reason) => outcome.status = HeightStatus::Invalid(reason),
    }
    outcome
}

/// Decodes block `height` of `branch` from verified chunks that name `header_hash`, and
/// checks that the result is that block: right hash, branch, height, signature and body.
pub fn decode_block<'a>(
    params: &Params,
    codec: &Codec,
    branch: BranchId,
    height: u64,
    header_hash: &Hash,
    chunks: impl IntoIterator<Item = &'a Chunk>,
    verifier: &mut Verifier,
) -> Result<(BlockHeader, Vec<Record>), String> {
    let chunks: Vec<&Chunk> = chunks.into_iter().collect();
    let primary_len = chunks.first().ok_or("no chunks")?.header.primary_len;
    let shards: Vec<(usize, &[u8])> = chunks
        .iter()
        .filter(|chunk| chunk.header.primary_len == primary_len)
        .map(|chunk| (chunk.header.index as usize, &chunk.data[..]))
        .collect();
    let bytes = codec
        .decode(&shards, primary_len)
        .map_err(|e| e.to_string())?;
    let (header, records) = Block::decode_primary(&bytes).map_err(|e| e.to_string())?;
    if header.hash() != *header_hash {
        return Err("decoded header does not hash to the chunks' header hash".into());
    }
    if header.branch != branch || header.public_key.branch_id() != branch {
        return Err("decoded header belongs to another branch".into());
    }
    if header.height != height {
        return Err(format!("decoded header is at height {}", header.height));
    }
    if !header.verify_signature(verifier) {
        return Err("decoded header signature does not verify".into());
    }
    check_size_limits(params, &header).map_err(|e| e.to_string())?;
    check_body(&header, &records, verifier).map_err(|e| e.to_string())?;
    Ok((header, records))
}

/// Marks as rebuilt each decoded block whose links reach genesis through rebuilt blocks.
fn link_heights(heights: &mut [RebuiltHeight]) {
    let index_of: BTreeMap<u64, usize> = heights
        .iter()
        .enumerate()
        .map(|(i, h)| (h.height, i))
        .collect();
    let hashes: Vec<Option<Hash>> = heights
        .iter()
        .map(|h| h.block.as_ref().map(|(header, _)| header.hash()))
        .collect();
    for index in 0..heights.len() {
        let Some((header, _)) = &heights[index].block else {
            continue;
        };
        let mut anchored = header.height == 0;
        let mut broken = None;
        for (j, link) in header.prev_headers.iter().enumerate() {
            let target = header
                .height
                .checked_sub(j as u64 + 1)
                .and_then(|h| index_of.get(&h));
            let Some(&target) = target else {
                break;
            };
            match hashes[target] {
                Some(hash) if hash != *link => broken = Some(j),
                Some(_) if heights[target].status == HeightStatus::Rebuilt => anchored = true,
                _ => {}
            }
        }
        heights[index].status = match (broken, anchored) {
            (Some(j), _) => HeightStatus::Invalid(format!("link {j} names another header")),
            (None, true) => HeightStatus::Rebuilt,
            (None, false) => HeightStatus::Unlinked,
        };
    }
}
