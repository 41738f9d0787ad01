//! The miner's own chunks and where each one went.
//!
//! A chunk is free until a validated peer asks for it, offered while that peer builds its
//! block, and placed once the peer reports the block that embeds it. An offer that is not
//! confirmed in time frees the chunk again, so a peer that vanishes strands nothing.

use crate::protocol::{BranchId, Chunk, ChunkId, Placement};
use crate::sim::Time;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Free,
    Offered { to: BranchId, at: Time },
    Placed { holder: BranchId },
}

struct Slot {
    chunk: Chunk,
    state: State,
}

/// Chunks of every block of the branch, by height then index.
#[derive(Default)]
pub struct OwnChunks {
    blocks: Vec<Vec<Slot>>,
}

impl OwnChunks {
    pub fn add(&mut self, chunks: Vec<Chunk>) {
        let slots = chunks
            .into_iter()
            .map(|chunk| Slot {
                chunk,
                state: State::Free,
            })
            .collect();
        self.blocks.push(slots);
    }

    /// Hands `to` the oldest chunk it may take, marking it offered.
    pub fn offer(
        &mut self,
        to: BranchId,
        placement: Placement,
        now: Time,
        expiry: Time,
    ) -> Option<Chunk> {
        for slots in &mut self.blocks {
            let holds_one = slots.iter().any(|slot| match slot.state {
                State::Offered { to: peer, .. } | State::Placed { holder: peer } => peer == to,
                State::Free => false,
            });
            if placement == Placement::Distinct && holds_one {
                continue;
            }
            let available = slots.iter_mut().find(|slot| match slot.state {
                State::Free => true,
                State::Offered { to: peer, at } => peer != to && now >= at + expiry,
                State::Placed { .. } => false,
            });
            if let Some(slot) = available {
                slot.state = State::Offered { to, at: now };
                return Some(slot.chunk.clone());
            }
        }
        None
    }

    /// Records that `holder` embedded the chunk.
    pub fn placed(&mut self, id: ChunkId, holder: BranchId) {
        if let Some(slot) = self.slot(id) {
            slot.state = State::Placed { holder };
        }
    }

    /// Frees a chunk that was offered to `to` and declined.
    pub fn declined(&mut self, id: ChunkId, to: BranchId) {
        if let Some(slot) = self.slot(id) {
            if matches!(slot.state, State::Offered { to: peer, .. } if peer == to) {
                slot.state = State::Free;
            }
        }
    }

    fn slot(&mut self, id: ChunkId) -> Option<&mut Slot> {
        self.blocks
            .get_mut(id.height as usize)
            .and_then(|slots| slots.get_mut(id.index as usize))
    }

    /// Chunks no holder has confirmed.
    pub fn unplaced(&self) -> usize {
        let all = self.blocks.iter().flatten();
        all.filter(|slot| !matches!(slot.state, State::Placed { .. }))
            .count()
    }
}
