//! The miner's own chunks and where each one went.
//!
//! A chunk is free until a validated peer asks for it, offered while that peer builds its
//! block, and placed once the peer reports the block that embeds it. An offer that is not
//! confirmed in time frees the chunk again, so a peer that vanishes strands nothing. A
//! placed chunk whose holder fails an audit, or is known to have come back wiped, is gone,
//! and is placed again once its block has fewer holders than the repair threshold (DESIGN
//! rule 14).

use crate::actors::message::Declined;
use crate::protocol::{BranchId, Chunk, ChunkId, Placement};
use crate::sim::{ActorId, Time};
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Free,
    Offered {
        to: BranchId,
        at: Time,
    },
    Placed {
        holder: BranchId,
        at: Where,
        /// An audit checked its Merkle proof against the holder's header at `at`: that
        /// signed placement never needs checking again, only that the holder still has it.
        proven: bool,
    },
    /// The holder stopped serving it; re-offered once the block has too few holders.
    Gone,
}

/// Where a placed chunk sits: which actor, which of its blocks, which foreign chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Where {
    pub actor: ActorId,
    pub height: u64,
    pub position: u32,
}

/// The chunk is boxed so that slots stay small: offers and audits scan every slot's state,
/// and with the chunks inline the scans ran through memory.
struct Slot {
    chunk: Box<Chunk>,
    state: State,
}

impl Slot {
    /// Whether the chunk is placed on, or offered to, `branch`.
    fn is_with(&self, branch: BranchId) -> bool {
        match self.state {
            State::Offered { to, .. } | State::Placed { holder: to, .. } => to == branch,
            State::Free | State::Gone => false,
        }
    }
}

/// Chunks of every block of the branch, by height then index.
#[derive(Default)]
pub struct OwnChunks {
    blocks: Vec<Vec<Slot>>,
    /// (height, branch) → until when: the branch declined a chunk of that block for
    /// holding one already, in its block being built (until its offer would have lapsed)
    /// or in a sealed block (`None`: for good). The slots say where chunks went as far as
    /// notices told; this says what a lost notice or a lapsed offer left out, so the branch
    /// is not offered that block again and again.
    holds_one: BTreeMap<(usize, BranchId), Option<Time>>,
}

impl OwnChunks {
    pub fn add(&mut self, chunks: Vec<Chunk>) {
        let slots = chunks
            .into_iter()
            .map(|chunk| Slot {
                chunk: Box::new(chunk),
                state: State::Free,
            })
            .collect();
        self.blocks.push(slots);
    }

    /// Hands `to` a chunk it may take and marks it offered. The chunk comes from the block
    /// with the fewest chunks placed or on offer, the oldest such block first, so that the
    /// blocks most at risk (new ones, or old ones that lost holders) are served first.
    /// Offers older than `expiry` lapse and are free again, for `to` too.
    pub fn offer(
        &mut self,
        to: BranchId,
        placement: Placement,
        now: Time,
        expiry: Time,
    ) -> Option<Chunk> {
        // One pass: lapse old offers, and keep the best block so far by (taken, height);
        // the costlier test for `to` runs only on a block that would beat it.
        let mut best: Option<(usize, usize, usize)> = None;
        let holds_one = &self.holds_one;
        for (height, slots) in self.blocks.iter_mut().enumerate() {
            let (mut free, mut taken) = (None, 0);
            for (index, slot) in slots.iter_mut().enumerate() {
                if matches!(slot.state, State::Offered { at, .. } if now >= at + expiry) {
                    slot.state = State::Free; // the offer lapsed: the chunk is anyone's again
                }
                match slot.state {
                    State::Free => free = free.or(Some(index)),
                    State::Offered { .. } | State::Placed { .. } => taken += 1,
                    State::Gone => {}
                }
            }
            let Some(index) = free else {
                continue;
            };
            if best.is_some_and(|(fewest, _, _)| fewest <= taken) {
                continue;
            }
            let with_to = || {
                let declined = holds_one.get(&(height, to));
                declined.is_some_and(|until| until.is_none_or(|until| now < until))
                    || slots.iter().any(|s| s.is_with(to))
            };
            if !placement.admits(with_to) {
                continue;
            }
            best = Some((taken, height, index));
        }
        let (_, height, index) = best?;
        let slot = &mut self.blocks[height][index];
        slot.state = State::Offered { to, at: now };
        Some(Chunk::clone(&slot.chunk))
    }

    /// Records that `holder` embedded the chunk where `at` says; returns whether that is
    /// news (not a repeated notice).
    pub fn placed(&mut self, id: ChunkId, holder: BranchId, at: Where) -> bool {
        let Some(slot) = self.slot(id) else {
            return false;
        };
        let repeated =
            matches!(slot.state, State::Placed { holder: h, at: a, .. } if h == holder && a == at);
        if !repeated {
            slot.state = State::Placed {
                holder,
                at,
                proven: false,
            };
        }
        !repeated
    }

    /// Whether an audit already proved where chunk `id` is placed.
    pub fn is_proven(&self, id: ChunkId) -> bool {
        let slot = self
            .blocks
            .get(id.height as usize)
            .and_then(|s| s.get(id.index as usize));
        slot.is_some_and(|slot| matches!(slot.state, State::Placed { proven: true, .. }))
    }

    /// Records that an audit proved where chunk `id` is placed.
    pub fn proved(&mut self, id: ChunkId) {
        if let Some(State::Placed { proven, .. }) = self.slot(id).map(|slot| &mut slot.state) {
            *proven = true;
        }
    }

    /// Every actor holding some of these chunks, with one chunk of each to audit: the
    /// `turn`-th it holds, cycling.
    pub fn audits(&self, turn: usize) -> Vec<(ActorId, ChunkId, Where)> {
        let mut placed: Vec<(Where, &Chunk)> = self
            .blocks
            .iter()
            .flatten()
            .filter_map(|slot| match slot.state {
                State::Placed { at, .. } => Some((at, &*slot.chunk)),
                _ => None,
            })
            .collect();
        placed.sort_by_key(|(at, _)| at.actor); // stable: each holder's chunks stay in order
        placed
            .chunk_by(|(a, _), (b, _)| a.actor == b.actor)
            .map(|held| {
                let (at, chunk) = held[turn % held.len()];
                (at.actor, chunk.id(), at)
            })
            .collect()
    }

    /// Whether `chunk` is exactly our chunk `id`.
    pub fn is_ours(&self, id: ChunkId, chunk: &Chunk) -> bool {
        let slot = self
            .blocks
            .get(id.height as usize)
            .and_then(|s| s.get(id.index as usize));
        slot.is_some_and(|slot| *slot.chunk == *chunk)
    }

    /// Marks every chunk placed on branch `holder` as gone, and frees for re-placement the
    /// gone chunks of each block left with fewer than `threshold` holders. Returns how many
    /// were freed, or `None` if `holder` held none.
    pub fn holder_lost(&mut self, holder: BranchId, threshold: usize) -> Option<usize> {
        let (mut held, mut freed) = (false, 0);
        for slots in &mut self.blocks {
            let mut touched = false;
            for slot in slots.iter_mut() {
                if matches!(slot.state, State::Placed { holder: on, .. } if on == holder) {
                    slot.state = State::Gone;
                    touched = true;
                }
            }
            if !touched {
                continue;
            }
            held = true;
            let holders = slots
                .iter()
                .filter(|s| matches!(s.state, State::Placed { .. }))
                .count();
            if holders < threshold {
                for slot in slots.iter_mut().filter(|s| s.state == State::Gone) {
                    slot.state = State::Free;
                    freed += 1;
                }
            }
        }
        held.then_some(freed)
    }

    /// Frees a chunk that was offered to `to` and declined, and remembers whether `to`
    /// declined it for holding a chunk of the same block already: in the block it builds
    /// (then until `draft_until`) or in a sealed one (for good).
    pub fn declined(&mut self, id: ChunkId, to: BranchId, why: Declined, draft_until: Time) {
        if let Some(slot) = self.slot(id) {
            if matches!(slot.state, State::Offered { to: peer, .. } if peer == to) {
                slot.state = State::Free;
            }
            let until = match why {
                Declined::NoDraft => return,
                Declined::InDraft => Some(draft_until),
                Declined::Held => None,
            };
            let mark = self
                .holds_one
                .entry((id.height as usize, to))
                .or_insert(until);
            *mark = until.zip(*mark).map(|(new, old)| new.max(old));
        }
    }

    fn slot(&mut self, id: ChunkId) -> Option<&mut Slot> {
        self.blocks
            .get_mut(id.height as usize)
            .and_then(|slots| slots.get_mut(id.index as usize))
    }

    /// What a branch could still take from these chunks under `placement`, with
    /// `holds(height)` saying whether it has one of that block already: (chunks, bytes of
    /// data). Chunks on offer count, since offers lapse; placed and gone ones do not.
    pub fn takeable(&self, placement: Placement, holds: impl Fn(u64) -> bool) -> (usize, u64) {
        let (mut chunks, mut bytes) = (0, 0);
        for (height, slots) in self.blocks.iter().enumerate() {
            let mut open = slots
                .iter()
                .filter(|slot| matches!(slot.state, State::Free | State::Offered { .. }));
            let taken: Vec<&Slot> = match placement {
                Placement::Any => open.collect(),
                Placement::Distinct if holds(height as u64) => Vec::new(),
                Placement::Distinct => open.next().into_iter().collect(),
            };
            chunks += taken.len();
            bytes += taken.iter().map(|s| s.chunk.data.len() as u64).sum::<u64>();
        }
        (chunks, bytes)
    }

    /// Chunks no holder has confirmed.
    pub fn unplaced(&self) -> usize {
        let all = self.blocks.iter().flatten();
        all.filter(|slot| !matches!(slot.state, State::Placed { .. }))
            .count()
    }
}
