//! What a party remembers of a branch's end: enough to check or build its next block.
//!
//! Validators and the branch's own miner keep one [`BranchTip`] per branch and advance it
//! block by block (or header by header, when only headers were fetched), so checking block
//! `h` never re-reads blocks `0..h`.

use super::block::{Block, BlockHeader};
use super::hash::{BranchId, Hash};
use super::keys::PublicKey;
use std::collections::BTreeSet;

/// The end of a branch as seen by one party.
#[derive(Clone, Debug, Default)]
pub struct BranchTip {
    key: Option<PublicKey>,
    /// The hash of `key`, kept: it is asked for on every event of a run.
    branch: Option<BranchId>,
    next_height: u64,
    /// Hashes of the last `L` headers, most recent first.
    links: Vec<Hash>,
    /// Hash of the last whole block, when blocks (not only headers) were seen.
    last_block: Option<Hash>,
    last_primary: Option<u64>,
    /// Foreign blocks this branch holds a chunk of (DESIGN rule 9).
    held: BTreeSet<(BranchId, u64)>,
}

impl BranchTip {
    /// An empty branch: the next block is genesis.
    pub fn new() -> BranchTip {
        BranchTip::default()
    }

    pub fn next_height(&self) -> u64 {
        self.next_height
    }

    /// The branch's key, known once genesis was seen.
    pub fn key(&self) -> Option<PublicKey> {
        self.key
    }

    pub fn branch(&self) -> Option<BranchId> {
        self.branch
    }

    /// The previous headers' hashes the next header must carry, most recent first.
    pub fn links(&self) -> &[Hash] {
        &self.links
    }

    pub fn last_block(&self) -> Option<Hash> {
        self.last_block
    }

    /// Primary size of the last block, which sets the next block's foreign-chunk quota.
    pub fn last_primary(&self) -> Option<u64> {
        self.last_primary
    }

    /// Whether the branch already holds a chunk of foreign block `(source, height)`.
    pub fn holds(&self, source: BranchId, height: u64) -> bool {
        self.held.contains(&(source, height))
    }

    /// Advances past a header that was checked.
    pub fn push_header(&mut self, header: &BlockHeader, max_links: u16) {
        self.push_header_hash(header, header.hash(), max_links);
        self.last_block = None;
    }

    /// Advances past a whole block that was checked; `block_hash` is [`Block::hash`].
    pub fn push_block(&mut self, block: &Block, block_hash: Hash, max_links: u16) {
        self.push_header_hash(&block.header, block.header.hash(), max_links);
        self.last_block = Some(block_hash);
        for chunk in &block.foreign {
            self.held.insert((chunk.header.source, chunk.header.height));
        }
    }

    fn push_header_hash(&mut self, header: &BlockHeader, hash: Hash, max_links: u16) {
        if self.key.is_none() {
            self.key = Some(header.public_key);
            self.branch = Some(header.public_key.branch_id());
        }
        self.next_height = header.height + 1;
        self.links.insert(0, hash);
        self.links.truncate(max_links as usize);
        self.last_primary = Some(header.primary_size());
    }
}
