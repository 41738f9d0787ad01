//! The miner's own branch, with the answers to challenges it keeps ready.
//!
//! Every block's files and foreign chunks are challenged over and over (each validation
//! and each audit asks for one), so each answer, the item with its Merkle proof, is built
//! once when the block is added and then shared by every reply.

use crate::actors::message::{ChunkAnswer, FileAnswer};
use crate::protocol::merkle::{MerkleProof, MerkleTree};
use crate::protocol::{Block, BlockHeader, BranchTip, Chunk, Hash, Record};
use std::sync::Arc;

/// Blocks of the miner's branch, in height order.
#[derive(Default)]
pub struct Chain {
    blocks: Vec<Block>,
    files: Vec<Vec<Arc<(Record, MerkleProof)>>>,
    foreign: Vec<Vec<Arc<(Chunk, MerkleProof)>>>,
    tip: BranchTip,
}

/// Each item with its proof against the root of the tree over `leaves`.
fn with_proofs<T: Clone>(items: &[T], leaves: Vec<Hash>) -> Vec<Arc<(T, MerkleProof)>> {
    let tree = MerkleTree::new(leaves);
    let proofs = (0..items.len()).map(|index| tree.proof(index).expect("one leaf per item"));
    items.iter().cloned().zip(proofs).map(Arc::new).collect()
}

impl Chain {
    pub fn tip(&self) -> &BranchTip {
        &self.tip
    }

    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    pub fn into_blocks(self) -> Vec<Block> {
        self.blocks
    }

    pub fn push(&mut self, block: Block, links: u16) {
        self.tip.push_block(&block, block.hash(), links);
        let files = block.records.iter().map(Record::leaf).collect();
        self.files.push(with_proofs(&block.records, files));
        let foreign = block.foreign.iter().map(Chunk::leaf).collect();
        self.foreign.push(with_proofs(&block.foreign, foreign));
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
    pub fn file(&self, height: u64, index: u32) -> FileAnswer {
        let files = self.files.get(height as usize)?;
        files.get(index as usize).cloned()
    }

    /// A foreign chunk and its proof against the header's chunk root.
    pub fn foreign_chunk(&self, height: u64, index: u32) -> ChunkAnswer {
        let chunks = self.foreign.get(height as usize)?;
        chunks.get(index as usize).cloned()
    }

    /// Forgets the foreign chunks of the newest block, as a free rider does; the header
    /// still commits to them, so challenges for them fail.
    pub fn drop_foreign_data(&mut self) {
        if let Some(block) = self.blocks.last_mut() {
            block.foreign.clear();
        }
        if let Some(answers) = self.foreign.last_mut() {
            answers.clear();
        }
    }
}
