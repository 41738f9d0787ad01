//! The duplicator: hands each of its chunks to several holders, to gain redundancy at the
//! others' expense (the dissertation's first vulnerability, Filecoin's Sybil attack seen
//! from the other side).
//!
//! The honest miner offers each chunk once. When it has nothing left to offer a trusted
//! asker, the duplicator offers a copy of a chunk it already handed out, up to `copies`
//! holders per chunk, never two chunks of one block to one holder (which the holder would
//! decline under rule 9). Each copy is a valid chunk, so every receiver check passes, and
//! every copy takes a slot of rule 8's quota in an honest block that a chunk of some other
//! miner would have filled. Placement notices for the copies are kept from the miner, whose
//! own bookkeeping knows one holder per chunk.

use super::{DuplicatorSettings, Twist};
use crate::actors::message::{Msg, Refusal};
use crate::actors::miner::Miner;
use crate::actors::{Ctx, World};
use crate::protocol::{Chunk, ChunkId};
use crate::sim::ActorId;
use std::collections::BTreeSet;

pub struct Duplicator {
    copies: usize,
    /// Every chunk handed out, with the actors it went to, in the order first handed.
    handed: Vec<(Chunk, Vec<ActorId>)>,
    /// (chunk, holder) of every copy beyond the first.
    copies_out: BTreeSet<(ChunkId, ActorId)>,
}

impl Duplicator {
    pub fn new(settings: &DuplicatorSettings) -> Duplicator {
        Duplicator {
            copies: settings.copies,
            handed: Vec::new(),
            copies_out: BTreeSet::new(),
        }
    }

    /// A chunk to hand `to` as one more copy, if any may go there.
    fn copy_for(&mut self, to: ActorId) -> Option<Chunk> {
        let block_of = |chunk: &Chunk| (chunk.header.height, chunk.header.source);
        let with_to: BTreeSet<_> = self
            .handed
            .iter()
            .filter(|(_, holders)| holders.contains(&to))
            .map(|(chunk, _)| block_of(chunk))
            .collect();
        let (chunk, holders) = self.handed.iter_mut().find(|(chunk, holders)| {
            holders.len() < self.copies && !with_to.contains(&block_of(chunk))
        })?;
        holders.push(to);
        self.copies_out.insert((chunk.id(), to));
        Some(chunk.clone())
    }
}

impl Twist for Duplicator {
    fn incoming(&mut self, from: ActorId, msg: Msg, _: &Miner, _: &mut Ctx) -> Option<Msg> {
        match &msg {
            Msg::Placed { chunk, .. } if self.copies_out.contains(&(*chunk, from)) => None,
            _ => Some(msg),
        }
    }

    fn sending(&mut self, to: ActorId, msg: &mut Msg, _: &mut Miner, _: &mut World) {
        let Msg::Offer { chunk: offer, .. } = msg else {
            return;
        };
        match offer {
            Ok(chunk) => {
                let id = chunk.id();
                match self.handed.iter_mut().find(|(c, _)| c.id() == id) {
                    Some((_, holders)) if !holders.contains(&to) => holders.push(to),
                    Some(_) => {}
                    None => self.handed.push((Chunk::clone(chunk), vec![to])),
                }
            }
            Err(Refusal::NoChunk) => {
                if let Some(copy) = self.copy_for(to) {
                    *offer = Ok(Box::new(copy));
                }
            }
            Err(_) => {}
        }
    }
}
