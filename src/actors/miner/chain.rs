//! The miner's own branch, with the Merkle trees it keeps to answer challenges.

use crate::protocol::merkle::MerkleTree;
use crate::protocol::{Block, BlockHeader, BranchTip, Chunk, Record};

/// Blocks of the miner's branch, in height order.
#[derive(Default)]
pub struct Chain {
    blocks: Vec<Block>,
    files: Vec<MerkleTree>,
    foreign: Vec<MerkleTree>,
    tip: BranchTip,
}

impl Chain {
    pub fn tip(&self) -> &BranchTip {
        &self.tip
    }

    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    pub fn push(&mut self, block: Block, links: u16) {
        self.tip.push_block(&block, block.hash(), links);
        self.files.push(MerkleTree::new(
            block.records.iter().map(Record::leaf).collect(),
        ));
        self.foreign.push(MerkleTree::new(
            block.foreign.iter().map(Chunk::leaf).collect(),
        ));
        self.blocks.push(block);
    }

    pub fn headers_from(&self, height: u64) -> Vec<BlockHeader> {
        let from = (height as usize).min(self.blocks.len());
        self.blocks[from..]
            .iter()
            .map(|b| b.header.clone())
            .collect()
    }

    /// A record and its proof against the header's file root.
    pub fn file(
        &self,
        height: u64,
        index: u32,
    ) -> Option<(Record, crate::protocol::merkle::MerkleProof)> {
        let block = self.blocks.get(height as usize)?;
        let record = block.records.get(index as usize)?.clone();
        Some((record, self.files[height as usize].proof(index as usize)?))
    }

    /// A foreign chunk and its proof against the header's chunk root.
    pub fn foreign_chunk(
        &self,
        height: u64,
        index: u32,
    ) -> Option<(Chunk, crate::protocol::merkle::MerkleProof)> {
        let block = self.blocks.get(height as usize)?;
        let chunk = block.foreign.get(index as usize)?.clone();
        Some((chunk, self.foreign[height as usize].proof(index as usize)?))
    }

    /// Forgets the foreign chunks of the newest block, as a free rider does; the header
    /// still commits to them, so challenges for them fail.
    pub fn drop_foreign_data(&mut self) {
        if let Some(block) = self.blocks.last_mut() {
            block.foreign.clear();
        }
    }
}
