//! Building blocks: take pending records, gather enough foreign chunks, seal, hand out chunks.
//!
//! A block is sealed only once its foreign chunks meet rule 8; until then the miner keeps
//! asking validated peers, and when none can help it waits with exponential backoff
//! (rule 12: it never publishes a block that breaks the rule). A miner that every peer it
//! knows refuses (they blacklisted it, or it them) stops asking instead: nothing it can
//! wait for would change that, and a blacklisted miner retrying forever kept adversary
//! runs from ever going quiet.

use super::requests::{Kind, Purpose};
use super::state::Draft;
use super::{Miner, MinerTimer};
use crate::actors::message::{Declined, Msg, Refusal};
use crate::actors::observation::Observation;
use crate::actors::{Breach, Ctx, World};
use crate::protocol::block::body_size;
use crate::protocol::{
    make_chunks, notes_record, notes_record_len, Block, BlockHeader, BranchId, Chunk, ChunkAuth,
    Placement, Record,
};
use crate::sim::{ActorId, Level};
use rand::Rng;

impl Miner {
    /// Block timer: start a draft from the pending records, if there are enough.
    pub(super) fn start_block(&mut self, ctx: &mut Ctx, world: &mut World) {
        if self.is_done() || self.mem.draft.is_some() {
            return;
        }
        let links = (self.disk.chain.tip().links().len() + 1).min(world.params.links as usize);
        let header = BlockHeader::len_with_links(links) as u64;
        let notes = match world.params.placement_notes {
            true => self.disk.notes.len(),
            false => 0,
        };
        let notes_len = if notes > 0 {
            notes_record_len(notes)
        } else {
            0
        };
        let mut size = header + body_size(&[]) + notes_len + self.index_record_len();
        let mut taken = 0;
        for record in self.disk.pending.iter().take(self.config.records_per_block) {
            if size + record.encoded_len() as u64 > world.params.max_primary {
                break;
            }
            size += record.encoded_len() as u64;
            taken += 1;
        }
        if taken == 0 || size < world.params.min_primary {
            ctx.set_timer(self.config.settings.block_interval, MinerTimer::Block);
            return;
        }
        self.mem.draft = Some(Draft {
            records: taken,
            notes,
            foreign: Vec::new(),
        });
        self.gather(ctx, world);
    }

    /// Moves the current draft towards completion: validates peers, asks trusted ones for
    /// chunks, seals when rule 8 is met, or arms the retry timer when nobody can help.
    pub(super) fn gather(&mut self, ctx: &mut Ctx, world: &mut World) {
        let Some(draft) = &self.mem.draft else {
            return;
        };
        let requirement = world
            .params
            .requirement(self.disk.chain.tip().last_primary());
        let have = draft.foreign.len();
        let bytes = draft.foreign.iter().map(|c| c.data.len() as u64).sum();
        if requirement.is_met(have, bytes) {
            return self.finish_block(ctx, world);
        }
        self.start_validations(ctx);
        let in_flight = self.ask_for_chunks(ctx);
        if in_flight == 0 && self.refused_by_all() {
            let number = self.number;
            ctx.log(Level::Info, || {
                format!("Miner {number}: every peer refuses or is blacklisted; stops gathering")
            });
            return;
        }
        if in_flight == 0 && !self.mem.retry_armed {
            self.mem.retry_armed = true;
            let backoff = self.mem.backoff.unwrap_or(self.config.settings.backoff);
            ctx.set_timer(backoff, MinerTimer::Retry);
            self.mem.backoff = Some(backoff.times(2).min(self.config.settings.backoff_max));
            let number = self.number;
            ctx.log(Level::Debug, || {
                format!("Miner {number}: waiting for chunks ({have} so far)")
            });
        }
    }

    /// Whether the miner knows peers and none of them will ever supply a chunk: waiting
    /// longer cannot help, so it stops asking rather than retry forever.
    fn refused_by_all(&self) -> bool {
        let mut peers = self.disk.peers.iter().peekable();
        peers.peek().is_some() && peers.all(|(_, peer)| !peer.may_supply())
    }

    /// Starts validating peers that need it, up to the parallelism limit. A peer being
    /// validated always has a validation request open, so the few open requests say how
    /// many are under way without a look at every peer.
    fn start_validations(&mut self, ctx: &mut Ctx) {
        let validating = self.mem.requests.busy_peers(Kind::Validation);
        let room = self.config.settings.parallel.saturating_sub(validating);
        if room == 0 {
            return;
        }
        let rounds = &self.mem.rounds;
        let due: Vec<ActorId> = self
            .disk
            .peers
            .iter()
            .filter(|(id, peer)| peer.needs_validation(ctx.now) && rounds.get(*id).validating == 0)
            .map(|(id, _)| id)
            .take(room)
            .collect();
        for peer in due {
            self.validate(peer, ctx);
        }
    }

    /// Asks random trusted peers, not yet asked this round, for chunks; returns how many
    /// chunk requests are in flight.
    fn ask_for_chunks(&mut self, ctx: &mut Ctx) -> usize {
        // A peer is asked for at most one chunk at a time, so peers and requests match.
        let mut in_flight = self.mem.requests.busy_peers(Kind::Chunk);
        if in_flight >= self.config.settings.parallel {
            return in_flight;
        }
        let mut candidates: Vec<ActorId> = self
            .disk
            .peers
            .iter()
            .filter(|(id, peer)| {
                // What the peer record holds first: most peers fail there.
                peer.is_trusted(ctx.now)
                    && !peer.refuses_us
                    && ctx.now >= peer.dry_until
                    && !self.mem.requests.is_open(*id, Kind::Chunk)
                    && !self.mem.rounds.get(*id).asked
            })
            .map(|(id, _)| id)
            .collect();
        let branch = self.branch();
        while in_flight < self.config.settings.parallel && !candidates.is_empty() {
            let peer = candidates.swap_remove(ctx.rng.gen_range(0..candidates.len()));
            self.mem.rounds.get_mut(peer).asked = true;
            self.request(
                peer,
                Purpose::Chunk,
                |request| Msg::WantChunk { request, branch },
                ctx,
            );
            in_flight += 1;
        }
        in_flight
    }

    pub(super) fn on_offer(
        &mut self,
        from: ActorId,
        offer: Result<Box<Chunk>, Refusal>,
        ctx: &mut Ctx,
        world: &mut World,
    ) {
        let chunk = match offer {
            Ok(chunk) => *chunk,
            Err(Refusal::Untrusted) => {
                // The server is validating us now; ask again soon rather than after a
                // long backoff, or two trust periods shorter than the backoff never meet.
                self.mem.backoff = None;
                return;
            }
            Err(Refusal::Blacklisted) => {
                if let Some(peer) = self.disk.peers.get_mut(from) {
                    peer.refuses_us = true;
                }
                let number = self.number;
                ctx.log(Level::Info, || {
                    format!("Miner {number}: peer {from} blacklisted us")
                });
                return;
            }
            Err(Refusal::Suspended { until }) => {
                // Asked again when the suspension ends, and validated then.
                if let Some(peer) = self.disk.peers.get_mut(from) {
                    peer.dry_until = until;
                }
                let number = self.number;
                ctx.log(Level::Info, || {
                    format!("Miner {number}: peer {from} suspended us until {until}")
                });
                return;
            }
            Err(Refusal::NoChunk) => {
                // It has nothing for us until it makes another block: don't ask before then.
                let until = ctx.now + self.config.settings.block_interval;
                if let Some(peer) = self.disk.peers.get_mut(from) {
                    peer.dry_until = until;
                }
                return;
            }
        };
        let Some(peer) = self.disk.peers.get(from) else {
            return;
        };
        if chunk.header.source != peer.branch {
            return self.blacklist(from, Breach::OfferedForeign, ctx);
        }
        if let Err(error) = chunk.verify(&world.params, &mut world.verifier) {
            self.stats.chunks_rejected += 1;
            return self.blacklist(from, Breach::BadOffer(error), ctx);
        }
        // The chunk must come from the block the source showed us at its height, as far as
        // the hashes of its newest checked headers (the links the next header must carry)
        // tell. Keeping every header's hash for every peer cost a year of 200 miners 80 MB;
        // a chunk of an older block is taken on its own proof, which rebuilding checks
        // against the block it decodes to anyway.
        let height = chunk.header.height;
        let newest = peer.tip.next_height().checked_sub(1);
        let back = newest.and_then(|newest| newest.checked_sub(height));
        let shown = back.and_then(|back| peer.tip.links().get(back as usize));
        if shown.is_some_and(|hash| *hash != chunk.header.header_hash) {
            self.stats.chunks_rejected += 1;
            return self.blacklist(from, Breach::ChunkOfAnotherHeader { height }, ctx);
        }
        let id = chunk.id();
        let draft = self.mem.draft.as_ref();
        if draft.is_some_and(|d| d.foreign.iter().any(|c| c.id() == id)) {
            return; // offered again after its reservation lapsed; already in the draft
        }
        let why = match draft {
            None => Some(Declined::NoDraft),
            Some(_) if self.may_embed(&chunk, world.params.placement) => None,
            Some(_) if self.disk.chain.tip().holds(id.source, id.height) => Some(Declined::Held),
            Some(_) => Some(Declined::InDraft),
        };
        if let Some(why) = why {
            return ctx.send(from, Msg::Decline { chunk: id, why });
        }
        self.mem.rounds.get_mut(from).asked = false;
        self.mem.backoff = None;
        self.stats.chunks_gathered += 1;
        self.mem
            .draft
            .as_mut()
            .expect("gathering")
            .foreign
            .push(chunk);
    }

    /// Whether the draft may take `chunk` under the placement rule (DESIGN rule 9).
    fn may_embed(&self, chunk: &Chunk, placement: Placement) -> bool {
        let id = chunk.id();
        self.mem.draft.is_some() && placement.admits(|| self.has_one_of(id.source, id.height))
    }

    /// Whether a sealed block or the block being built has a chunk of foreign block
    /// `(source, height)`.
    pub(super) fn has_one_of(&self, source: BranchId, height: u64) -> bool {
        let same_block = |c: &Chunk| c.header.source == source && c.header.height == height;
        self.disk.chain.tip().holds(source, height)
            || self
                .mem
                .draft
                .as_ref()
                .is_some_and(|d| d.foreign.iter().any(same_block))
    }

    pub(super) fn finish_block(&mut self, ctx: &mut Ctx, world: &mut World) {
        let draft = self.mem.draft.take().expect("a draft is being finished");
        let found = draft.foreign.len();
        let mut records = Vec::with_capacity(draft.records + 1);
        if draft.notes > 0 {
            let height = self.disk.chain.tip().next_height();
            let notes: Vec<_> = self.disk.notes.drain(..draft.notes).collect();
            records.push(notes_record(&self.disk.keys, height, &notes));
            world.signatures += 1;
        }
        records.extend(self.disk.pending.drain(..draft.records));
        self.close_audit(&mut records, ctx.now.0, world);
        let placed: Vec<(ActorId, crate::protocol::ChunkId, u32)> = draft
            .foreign
            .iter()
            .zip(0u32..)
            .filter_map(|(c, position)| {
                let actor = self.disk.peers.actor_of(c.header.source)?;
                Some((actor, c.id(), position))
            })
            .collect();
        self.seal(records, draft.foreign, ctx, world);
        let (number, short) = (self.number, self.branch().short());
        let height = self.disk.chain.tip().next_height() - 1;
        ctx.log(Level::Info, || {
            format!("Miner {number}: Chunks found: ({found}/{found}) ({short})")
        });
        ctx.log(Level::Info, || {
            format!("Miner {number}: Added block {height} to chain")
        });
        let holder = self.branch();
        for (actor, chunk, position) in placed {
            let msg = Msg::Placed {
                chunk,
                holder,
                height,
                position,
            };
            ctx.send(actor, msg);
        }
        if self.is_done() {
            let left = self.disk.own.unplaced();
            ctx.log(Level::Info, || {
                format!("Miner {number}: Finished with {left} chunks not yet placed")
            });
        } else {
            ctx.set_timer(self.config.settings.block_interval, MinerTimer::Block);
        }
    }

    /// Signs the next block, codes its primary data into chunks, and appends it.
    pub(super) fn seal(
        &mut self,
        records: Vec<Record>,
        foreign: Vec<Chunk>,
        ctx: &mut Ctx,
        world: &mut World,
    ) {
        let disk = &mut self.disk;
        let block = Block::seal(&disk.keys, disk.chain.tip(), ctx.now.0, records, foreign);
        let chunks = make_chunks(
            &world.codec,
            world.params.chunk_auth,
            &disk.keys,
            &block.header,
            &block.primary_bytes(),
        );
        world.signatures += 1 + match world.params.chunk_auth {
            ChunkAuth::Signature => chunks.len() as u64,
            ChunkAuth::Commitment => 1,
        };
        disk.own.add(chunks);
        let added = Observation::BlockAdded {
            branch: disk.branch,
            height: block.header.height,
            foreign: block.foreign.len(),
        };
        disk.chain.push(block, world.params.links);
        ctx.observe(added);
    }
}
