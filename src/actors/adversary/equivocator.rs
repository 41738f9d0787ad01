//! The equivocator: shows one history of its branch to some peers and another to the
//! rest.
//!
//! It keeps a second history beside its real one: every block after genesis again, with
//! the same records and foreign chunks, sealed a microsecond later and re-signed, each
//! header linking to the second history's previous header, and coded into chunks of its
//! own. Peers with odd actor ids are sent the second history, and its chunks; the rest see
//! the real one. Each history is valid on its own and answers every challenge (the Merkle
//! roots are the same), so no peer finds anything wrong with what it was shown. Only
//! comparing catches it: two headers of one branch that cannot both be its history are
//! evidence anyone can check (`protocol::Evidence`), and honest miners compare once they
//! gossip the headers they checked (`miner.gossip_headers`). (An equivocator that handed a
//! peer chunks of the other history would be caught by that peer's check that a chunk
//! names the header it was shown.)

use super::Twist;
use crate::actors::message::Msg;
use crate::actors::miner::Miner;
use crate::actors::World;
use crate::protocol::{make_chunks, Block, BlockHeader, Chunk, ChunkAuth};
use crate::sim::ActorId;

#[derive(Default)]
pub struct Equivocator {
    /// The second history's headers, by height, as far as they were needed.
    second: Vec<BlockHeader>,
    /// The second history's chunks, by height, as far as they were needed.
    chunks: Vec<Vec<Chunk>>,
}

/// Whether `peer` is shown the second history.
fn sees_second(peer: ActorId) -> bool {
    peer % 2 == 1
}

impl Equivocator {
    /// Extends the second history to every block the miner has.
    fn catch_up(&mut self, miner: &Miner, world: &mut World) {
        let blocks = miner.blocks();
        while self.second.len() < blocks.len() {
            let height = self.second.len();
            let real = &blocks[height];
            if height == 0 {
                self.second.push(real.header.clone());
                continue;
            }
            let mut header = real.header.clone();
            header.time += 1;
            let earlier = self.second.iter().rev().take(header.prev_headers.len());
            header.prev_headers = earlier.map(BlockHeader::hash).collect();
            let previous = Block {
                header: self.second[height - 1].clone(),
                ..blocks[height - 1].clone()
            };
            header.prev_block = previous.hash();
            header.signature = miner.keys().sign(&header.signing_digest());
            world.signatures += 1;
            self.second.push(header);
        }
    }

    /// Chunk `index` of the second history's block `height`.
    fn second_chunk(&mut self, height: u64, index: u16, miner: &Miner, world: &mut World) -> Chunk {
        self.catch_up(miner, world);
        while self.chunks.len() <= height as usize {
            let at = self.chunks.len();
            let block = Block {
                header: self.second[at].clone(),
                ..miner.blocks()[at].clone()
            };
            let auth = world.params.chunk_auth;
            let chunks = make_chunks(
                &world.codec,
                auth,
                miner.keys(),
                &block.header,
                &block.primary_bytes(),
            );
            world.signatures += match auth {
                ChunkAuth::Signature => chunks.len() as u64,
                ChunkAuth::Commitment => 1,
            };
            self.chunks.push(chunks);
        }
        self.chunks[height as usize][index as usize].clone()
    }
}

impl Twist for Equivocator {
    fn sending(&mut self, to: ActorId, msg: &mut Msg, miner: &mut Miner, world: &mut World) {
        if !sees_second(to) {
            return;
        }
        match msg {
            Msg::Headers { headers, .. } if !headers.is_empty() => {
                self.catch_up(miner, world);
                for header in headers.iter_mut() {
                    *header = self.second[header.height as usize].clone();
                }
            }
            Msg::Offer {
                chunk: Ok(chunk), ..
            } if chunk.header.height > 0 => {
                let (height, index) = (chunk.header.height, chunk.header.index);
                **chunk = self.second_chunk(height, index, miner, world);
            }
            _ => {}
        }
    }
}
