//! Answering peers: challenges for files and foreign chunks, and requests for chunks.
//!
//! Headers, files and foreign chunks are served to anyone (the branch is public). Own
//! chunks go only to peers this miner has validated, so its data lands on branches it
//! trusts; a stranger that asks is told so and validated in turn, and a peer it blacklisted
//! is told that it never will be, so it stops asking.

use super::peers::Standing;
use super::Miner;
use crate::actors::message::{Msg, Refusal};
use crate::actors::observation::Observation;
use crate::actors::{Ctx, World};
use crate::protocol::BranchId;
use crate::sim::ActorId;

impl Miner {
    pub(super) fn serve_file(
        &mut self,
        to: ActorId,
        request: u64,
        height: u64,
        index: u32,
        ctx: &mut Ctx,
    ) {
        let answer = self.disk.chain.file(height, index);
        let branch = self.branch();
        ctx.send(
            to,
            Msg::File {
                request,
                branch,
                answer,
            },
        );
    }

    pub(super) fn serve_foreign_chunk(
        &mut self,
        to: ActorId,
        request: u64,
        height: u64,
        index: u32,
        ctx: &mut Ctx,
    ) {
        let answer = self.disk.chain.foreign_chunk(height, index);
        let branch = self.branch();
        ctx.send(
            to,
            Msg::ForeignChunk {
                request,
                branch,
                answer,
            },
        );
    }

    pub(super) fn serve_chunk(
        &mut self,
        to: ActorId,
        request: u64,
        branch: BranchId,
        ctx: &mut Ctx,
        world: &mut World,
    ) {
        self.learn_peer(to, branch, ctx);
        let peer = self.disk.peers.get(to).expect("just learnt");
        let chunk = if peer.standing == Standing::Blacklisted {
            Err(Refusal::Blacklisted)
        } else if let Some(until) = peer.standing.suspended_until(ctx.now) {
            Err(Refusal::Suspended { until })
        } else if !peer.is_trusted(ctx.now) {
            let validating = self.mem.rounds.get(to).validating > 0;
            if peer.needs_validation(ctx.now) && !validating {
                self.validate(to, ctx);
            }
            Err(Refusal::Untrusted)
        } else {
            let offered = self.disk.own.offer(
                branch,
                world.params.placement,
                ctx.now,
                self.config.settings.offer_timeout,
            );
            if let Some(chunk) = &offered {
                self.stats.chunks_offered += 1;
                let chunk = chunk.id();
                ctx.observe(Observation::ChunkOffered { chunk, to: branch });
            }
            offered.map(Box::new).ok_or(Refusal::NoChunk)
        };
        let branch = self.branch();
        ctx.send(
            to,
            Msg::Offer {
                request,
                branch,
                chunk,
            },
        );
    }
}
