//! Keeping every block's chunks alive (the dissertation's "miners scanning network").
//!
//! Each repair period the miner audits every branch that holds its chunks: it asks for one
//! of them (a different one each round) and checks the answer byte for byte, and its Merkle
//! proof against the holder's header at the position the holder reported. A holder that
//! answers wrongly, or not at all after its retries, has lost them all, and so has one
//! known to have come back wiped (it names a new branch); chunks of blocks left with fewer
//! than `repair_threshold` holders are offered again to the next peer that asks, so each
//! block keeps its holders.

use super::requests::{Kind, Purpose};
use super::{Miner, MinerTimer};
use crate::actors::message::{ChunkAnswer, Msg};
use crate::actors::observation::Observation;
use crate::actors::{Breach, Ctx};
use crate::protocol::{BranchId, ChunkId};
use crate::sim::{ActorId, Level};

impl Miner {
    /// Repair timer: audit every holder that has no audit open, then re-arm.
    pub(super) fn audit_holders(&mut self, ctx: &mut Ctx) {
        self.audit_round += 1;
        let round = self.audit_round;
        let mut audits = 0;
        for (holder, chunk, at) in self.disk.own.audits(round) {
            if self.mem.requests.is_open(holder, Kind::Audit) {
                continue;
            }
            audits += 1;
            self.stats.audits += 1;
            let (height, index) = (at.height, at.position);
            let make = |request| Msg::GetForeignChunk {
                request,
                height,
                index,
            };
            let purpose = Purpose::Audit {
                chunk,
                height,
                position: index,
            };
            self.request(holder, purpose, make, ctx);
        }
        ctx.observe(Observation::RepairStarted { round, audits });
        ctx.set_timer(self.config.settings.repair_period, MinerTimer::Repair);
    }

    /// An audit's answer: our chunk, byte for byte, with a Merkle proof that puts it where
    /// the holder said, under the chunk root of the holder's header at that height (when
    /// this miner has checked that header). Right bytes with a proof that does not hold
    /// mean the holder's placement notice was false: it is blacklisted as well as lost.
    pub(super) fn on_audit(
        &mut self,
        holder: ActorId,
        (chunk, height, position): (ChunkId, u64, u32),
        answer: ChunkAnswer,
        ctx: &mut Ctx,
    ) {
        let Some(served) = answer.filter(|served| self.disk.own.is_ours(chunk, &served.0)) else {
            return self.audit_failed(holder, "failed an audit", ctx);
        };
        if self.disk.own.is_proven(chunk) {
            return; // where it sits was proved once, under a signed header
        }
        let header = self
            .disk
            .peers
            .get(holder)
            .and_then(|peer| peer.headers.get(height as usize));
        let Some(header) = header else {
            return; // the holder's header is not checked yet: the bytes must do
        };
        let (stored, proof) = &*served;
        let leaf = stored.leaf();
        if proof.proves(&header.chunks_root, position, header.chunk_count, &leaf) {
            return self.disk.own.proved(chunk);
        }
        self.audit_failed(holder, "proved an audit wrongly", ctx);
        let breach = Breach::BadForeignChunk {
            height,
            index: position,
        };
        self.blacklist(holder, breach, ctx);
    }

    /// The branch `holder` serves lost what it held of ours.
    pub(super) fn audit_failed(&mut self, holder: ActorId, why: &str, ctx: &mut Ctx) {
        if let Some(peer) = self.disk.peers.get(holder) {
            self.holder_lost(peer.branch, why, ctx);
        }
    }

    /// Marks what branch `holder` held as lost and frees chunks for re-placement where
    /// needed.
    pub(super) fn holder_lost(&mut self, holder: BranchId, why: &str, ctx: &mut Ctx) {
        let threshold = self.config.repair_threshold();
        let Some(freed) = self.disk.own.holder_lost(holder, threshold) else {
            return;
        };
        ctx.observe(Observation::HolderLost { holder, freed });
        self.stats.holders_lost += 1;
        self.stats.chunks_freed += freed as u64;
        let number = self.number;
        ctx.log(Level::Debug, || {
            let short = holder.short();
            format!("Miner {number}: holder {short} {why}; {freed} chunks to place again")
        });
    }
}
