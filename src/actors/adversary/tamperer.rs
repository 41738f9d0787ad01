//! The tamperer: serves corrupted or forged data in place of what it holds.
//!
//! It stores everything an honest miner stores and corrupts one part of what it sends,
//! chosen in the scenario. Each part is caught by a different receiver check: a file by
//! its Merkle proof against the header's file root, a chunk's data or signature by the
//! chunk's own proof (rule 7), a served foreign chunk by its proof against the header's
//! chunk root, and a header by its signature (rule 3).

use super::{Corrupts, TampererSettings, Twist};
use crate::actors::message::Msg;
use crate::actors::miner::Miner;
use crate::actors::World;
use crate::protocol::{Chunk, ChunkProof, Hash, Signature};
use crate::sim::ActorId;
use std::sync::Arc;

pub struct Tamperer {
    corrupts: Corrupts,
}

impl Tamperer {
    pub fn new(settings: &TampererSettings) -> Tamperer {
        Tamperer {
            corrupts: settings.corrupts,
        }
    }
}

fn flipped(signature: &Signature) -> Signature {
    let mut bytes = signature.0;
    bytes[0] ^= 0x01;
    Signature(bytes)
}

/// The chunk with its signature (or signed commitment) no longer matching.
fn forge_proof(chunk: &mut Chunk) {
    match &mut chunk.proof {
        ChunkProof::Signature { signature, .. } | ChunkProof::Commitment { signature, .. } => {
            *signature = flipped(signature)
        }
    }
}

impl Twist for Tamperer {
    fn sending(&mut self, _: ActorId, msg: &mut Msg, _: &mut Miner, _: &mut World) {
        match (self.corrupts, msg) {
            (
                Corrupts::File,
                Msg::File {
                    answer: Some(answer),
                    ..
                },
            ) => {
                let (record, _) = Arc::make_mut(answer);
                record.payload = record.payload.with_flipped_byte(0);
            }
            (
                Corrupts::ChunkData,
                Msg::Offer {
                    chunk: Ok(chunk), ..
                },
            ) => {
                chunk.data = chunk.data.with_flipped_byte(0);
            }
            (
                Corrupts::ChunkData,
                Msg::ForeignChunk {
                    answer: Some(answer),
                    ..
                },
            ) => {
                let (chunk, _) = Arc::make_mut(answer);
                chunk.data = chunk.data.with_flipped_byte(0);
            }
            (
                Corrupts::ChunkProof,
                Msg::Offer {
                    chunk: Ok(chunk), ..
                },
            ) => forge_proof(chunk),
            (
                Corrupts::ChunkProof,
                Msg::ForeignChunk {
                    answer: Some(answer),
                    ..
                },
            ) => {
                let (_, proof) = Arc::make_mut(answer);
                match proof.siblings.first_mut() {
                    Some(sibling) => *sibling = Hash(sibling.0.map(|b| b ^ 0x01)),
                    None => proof.index ^= 1,
                }
            }
            (Corrupts::HeaderSignature, Msg::Headers { headers, .. }) => {
                if let Some(header) = headers.last_mut() {
                    header.signature = flipped(&header.signature);
                }
            }
            _ => {}
        }
    }
}
