//! Branch validation: every rule a receiver checks before it trusts a header or a block.
//!
//! One error variant per rule, so tests (and traces) say exactly which rule a block broke.
//! Nothing a block claims about itself is trusted: sizes, roots and counts are recomputed,
//! and chunks are checked against the network's [`Params`], not their own headers.

use super::block::{body_size, Block, BlockHeader};
use super::chunk::{Chunk, ChunkError};
use super::hash::{BranchId, Hash};
use super::keys::Verifier;
use super::merkle::MerkleTree;
use super::params::Params;
use super::record::Record;
use super::tip::BranchTip;
use std::collections::BTreeSet;
use thiserror::Error;

/// The rule a header or block breaks.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BlockError {
    #[error("height is {found}, expected {expected}")]
    Height { expected: u64, found: u64 },
    #[error("branch id is not the SHA-256 of the header's public key")]
    BranchId,
    #[error("public key differs from the one in the branch's genesis block")]
    KeyChanged,
    #[error("header signature does not verify")]
    Signature,
    #[error("header carries {found} previous-header links, expected {expected}")]
    LinkCount { expected: usize, found: usize },
    #[error("link {link} does not match the hash of the header it names")]
    Link { link: usize },
    #[error("previous-block hash does not match the previous block")]
    PrevBlock,
    #[error("genesis block carries records or foreign chunks")]
    GenesisNotEmpty,
    #[error("file Merkle root or count does not match the records")]
    FilesRoot,
    #[error("header says the body is {claimed} bytes, it is {actual}")]
    BodySize { claimed: u64, actual: u64 },
    #[error("record {index} is not signed by its patient")]
    RecordSignature { index: usize },
    #[error("primary data is {size} bytes, below the minimum of {min}")]
    TooSmall { size: u64, min: u64 },
    #[error("primary data is {size} bytes, above the maximum of {max}")]
    TooLarge { size: u64, max: u64 },
    #[error("chunk Merkle root or count does not match the foreign chunks")]
    ChunksRoot,
    #[error("header says foreign data is {claimed} bytes, it is {actual}")]
    ForeignSize { claimed: u64, actual: u64 },
    #[error("foreign chunks hold {have} bytes of data, rule 8 asks for {needed}")]
    TooFewForeignBytes { have: u64, needed: u64 },
    #[error("block embeds {have} foreign chunks, rule 8 asks for {needed}")]
    TooFewForeignChunks { have: u64, needed: u64 },
    #[error("foreign chunk {index}: {error}")]
    ForeignChunk { index: usize, error: ChunkError },
    #[error("foreign chunk {index} comes from the branch itself")]
    OwnChunk { index: usize },
    #[error("foreign chunk {index} is a second chunk of block {height} of branch {branch:?}")]
    DuplicateForeignBlock {
        index: usize,
        branch: BranchId,
        height: u64,
    },
    #[error("two signed headers of the branch conflict at height {height}")]
    Equivocation { height: u64 },
}

impl BlockError {
    /// The rule of DESIGN §2 a block or header that fails with this error breaks.
    pub fn rule(&self) -> u8 {
        match self {
            BlockError::BranchId | BlockError::KeyChanged => 1,
            BlockError::Height { .. }
            | BlockError::GenesisNotEmpty
            | BlockError::Equivocation { .. } => 2,
            BlockError::Signature
            | BlockError::PrevBlock
            | BlockError::FilesRoot
            | BlockError::BodySize { .. }
            | BlockError::ChunksRoot
            | BlockError::ForeignSize { .. } => 3,
            BlockError::LinkCount { .. } | BlockError::Link { .. } => 4,
            BlockError::TooSmall { .. } | BlockError::TooLarge { .. } => 5,
            BlockError::ForeignChunk { .. } => 7,
            BlockError::TooFewForeignBytes { .. }
            | BlockError::TooFewForeignChunks { .. }
            | BlockError::OwnChunk { .. } => 8,
            BlockError::DuplicateForeignBlock { .. } => 9,
            BlockError::RecordSignature { .. } => 16,
        }
    }
}

/// A branch that fails validation, and where.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("block {height}: {error}")]
pub struct InvalidAt {
    pub height: u64,
    pub error: BlockError,
}

/// Checks the rules a header alone can show: height, identity, signature and links.
pub fn check_header(
    params: &Params,
    tip: &BranchTip,
    header: &BlockHeader,
    verifier: &mut Verifier,
) -> Result<(), BlockError> {
    if header.height != tip.next_height() {
        return Err(BlockError::Height {
            expected: tip.next_height(),
            found: header.height,
        });
    }
    let branch = match tip.key() == Some(header.public_key) {
        true => tip.branch().expect("a tip with a key has its branch"),
        false => header.public_key.branch_id(),
    };
    if branch != header.branch {
        return Err(BlockError::BranchId);
    }
    if tip.key().is_some_and(|key| key != header.public_key) {
        return Err(BlockError::KeyChanged);
    }
    check_links(params, tip, header)?;
    if !header.verify_signature(verifier) {
        return Err(BlockError::Signature);
    }
    check_claims(params, tip.last_primary(), header)
}

/// The rules a signed header breaks by what it states: a non-empty genesis, rule 5's size
/// limits, and rule 8's quota against the primary size of the block before it
/// (`previous_primary`, `None` for genesis). The body and chunks, when they come, are held
/// to those claims, so a header that fails here is the miner's own signed statement that it
/// broke a rule, and anyone holding it and its predecessor can check that again.
pub(crate) fn check_claims(
    params: &Params,
    previous_primary: Option<u64>,
    header: &BlockHeader,
) -> Result<(), BlockError> {
    if header.height == 0 && (header.file_count > 0 || header.chunk_count > 0) {
        return Err(BlockError::GenesisNotEmpty);
    }
    check_size_limits(params, header)?;
    check_quota(
        params,
        previous_primary,
        header.chunk_count as u64,
        header.foreign_size,
    )
}

/// Rule 5: the primary data (header and body) a header describes is within the limits.
pub(crate) fn check_size_limits(params: &Params, header: &BlockHeader) -> Result<(), BlockError> {
    let size = header.primary_size();
    if header.height > 0 && size < params.min_primary {
        return Err(BlockError::TooSmall {
            size,
            min: params.min_primary,
        });
    }
    if size > params.max_primary {
        return Err(BlockError::TooLarge {
            size,
            max: params.max_primary,
        });
    }
    Ok(())
}

fn check_links(params: &Params, tip: &BranchTip, header: &BlockHeader) -> Result<(), BlockError> {
    let expected = (params.links as u64).min(header.height) as usize;
    if header.prev_headers.len() != expected {
        return Err(BlockError::LinkCount {
            expected,
            found: header.prev_headers.len(),
        });
    }
    if let Some(link) = (0..expected).find(|&i| header.prev_headers[i] != tip.links()[i]) {
        return Err(BlockError::Link { link });
    }
    let previous = if header.height == 0 {
        Some(Hash::default())
    } else {
        tip.last_block()
    };
    if previous.is_some_and(|hash| hash != header.prev_block) {
        return Err(BlockError::PrevBlock);
    }
    Ok(())
}

/// Checks every rule for a whole block that would extend the branch at `tip`.
pub fn check_block(
    params: &Params,
    tip: &BranchTip,
    block: &Block,
    verifier: &mut Verifier,
) -> Result<(), BlockError> {
    let header = &block.header;
    check_header(params, tip, header, verifier)?;
    check_body(header, &block.records, verifier)?;
    check_foreign(params, tip, header, &block.foreign, verifier)
}

pub(crate) fn check_body(
    header: &BlockHeader,
    records: &[Record],
    verifier: &mut Verifier,
) -> Result<(), BlockError> {
    let files = MerkleTree::new(records.iter().map(Record::leaf).collect());
    if files.root() != header.files_root || records.len() != header.file_count as usize {
        return Err(BlockError::FilesRoot);
    }
    let actual = body_size(records);
    if actual != header.body_size {
        return Err(BlockError::BodySize {
            claimed: header.body_size,
            actual,
        });
    }
    if let Some(index) = records.iter().position(|record| !record.verify(verifier)) {
        return Err(BlockError::RecordSignature { index });
    }
    Ok(())
}

fn check_foreign(
    params: &Params,
    tip: &BranchTip,
    header: &BlockHeader,
    foreign: &[Chunk],
    verifier: &mut Verifier,
) -> Result<(), BlockError> {
    let chunks = MerkleTree::new(foreign.iter().map(Chunk::leaf).collect());
    if chunks.root() != header.chunks_root || foreign.len() != header.chunk_count as usize {
        return Err(BlockError::ChunksRoot);
    }
    let actual: u64 = foreign.iter().map(|chunk| chunk.data.len() as u64).sum();
    if actual != header.foreign_size {
        return Err(BlockError::ForeignSize {
            claimed: header.foreign_size,
            actual,
        });
    }
    let mut seen = BTreeSet::new();
    for (index, chunk) in foreign.iter().enumerate() {
        check_foreign_chunk(params, tip, header, &mut seen, index, chunk, verifier)?;
    }
    Ok(())
}

fn check_foreign_chunk(
    params: &Params,
    tip: &BranchTip,
    header: &BlockHeader,
    seen: &mut BTreeSet<(BranchId, u64)>,
    index: usize,
    chunk: &Chunk,
    verifier: &mut Verifier,
) -> Result<(), BlockError> {
    let (source, height) = (chunk.header.source, chunk.header.height);
    if source == header.branch {
        return Err(BlockError::OwnChunk { index });
    }
    let fresh = seen.insert((source, height)) && !tip.holds(source, height);
    if !params.placement.admits(|| !fresh) {
        return Err(BlockError::DuplicateForeignBlock {
            index,
            branch: source,
            height,
        });
    }
    chunk
        .verify(params, verifier)
        .map_err(|error| BlockError::ForeignChunk { index, error })
}

/// Rule 8: the foreign data a header claims meets what its predecessor's primary size asks.
fn check_quota(
    params: &Params,
    previous_primary: Option<u64>,
    count: u64,
    bytes: u64,
) -> Result<(), BlockError> {
    use super::params::Requirement;
    match params.requirement(previous_primary) {
        Requirement::Bytes(needed) if bytes < needed => Err(BlockError::TooFewForeignBytes {
            have: bytes,
            needed,
        }),
        Requirement::Chunks(needed) if count < needed => Err(BlockError::TooFewForeignChunks {
            have: count,
            needed,
        }),
        _ => Ok(()),
    }
}

/// Validates a chain of headers from genesis, as a peer does before trusting a miner.
pub fn validate_headers(
    params: &Params,
    headers: &[BlockHeader],
    verifier: &mut Verifier,
) -> Result<BranchTip, InvalidAt> {
    let mut tip = BranchTip::new();
    extend_headers(params, &mut tip, headers, verifier)?;
    Ok(tip)
}

/// Checks further headers of a branch whose earlier headers were already checked into `tip`.
pub fn extend_headers(
    params: &Params,
    tip: &mut BranchTip,
    headers: &[BlockHeader],
    verifier: &mut Verifier,
) -> Result<(), InvalidAt> {
    for header in headers {
        check_header(params, tip, header, verifier).map_err(|error| InvalidAt {
            height: header.height,
            error,
        })?;
        tip.push_header(header, params.links);
    }
    Ok(())
}

/// Validates a whole branch from genesis, block by block.
pub fn validate_branch(
    params: &Params,
    blocks: &[Block],
    verifier: &mut Verifier,
) -> Result<BranchTip, InvalidAt> {
    let mut tip = BranchTip::new();
    for block in blocks {
        check_block(params, &tip, block, verifier).map_err(|error| InvalidAt {
            height: block.header.height,
            error,
        })?;
        tip.push_block(block, block.hash(), params.links);
    }
    Ok(tip)
}
