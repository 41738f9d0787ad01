//! Evidence against peers: found in what a peer signed, kept, handed on, and acted upon.
//!
//! A peer caught by its own signed headers (a header that states a breach of rule 5 or 8,
//! or two headers that cannot both be its history) is blacklisted with the headers that
//! show it, and every other peer this miner knows is handed them. A miner handed evidence
//! checks the signatures and what the headers show, and blacklists without challenging the
//! culprit itself; it hands the evidence on in turn, once. Gossip of the newest header
//! checked of each validated peer (`miner.gossip_headers`) is what lets two miners that
//! were shown different histories compare them.

use super::peers::Standing;
use super::Miner;
use crate::actors::message::Msg;
use crate::actors::{Breach, Ctx, World};
use crate::protocol::{BlockHeader, Evidence};
use crate::sim::ActorId;
use rand::seq::SliceRandom;
use std::sync::Arc;

impl Miner {
    /// Blacklists `peer` for what `evidence` shows and hands the evidence on to every other
    /// peer but the one that handed it here (`told_by`).
    pub(super) fn convict(
        &mut self,
        peer: ActorId,
        breach: Breach,
        evidence: Evidence,
        told_by: Option<ActorId>,
        ctx: &mut Ctx,
    ) {
        let Some(known) = self.disk.peers.get_mut(peer) else {
            return;
        };
        if known.standing == Standing::Blacklisted {
            return;
        }
        let evidence = Arc::new(evidence);
        known.evidence = Some(Box::new(Evidence::clone(&evidence)));
        self.blacklist(peer, breach, ctx);
        let others: Vec<ActorId> = self
            .disk
            .peers
            .iter()
            .filter(|(id, other)| {
                *id != peer && Some(*id) != told_by && other.standing != Standing::Blacklisted
            })
            .map(|(id, _)| id)
            .collect();
        for other in others {
            ctx.send(other, Msg::Evidence(Arc::clone(&evidence)));
        }
    }

    /// Evidence another miner handed on: checked, then acted upon.
    pub(super) fn on_evidence(
        &mut self,
        from: ActorId,
        evidence: Arc<Evidence>,
        ctx: &mut Ctx,
        world: &mut World,
    ) {
        let Some(peer) = self.disk.peers.actor_of(evidence.branch()) else {
            return;
        };
        if self
            .disk
            .peers
            .get(peer)
            .is_some_and(|p| p.standing == Standing::Blacklisted)
        {
            return;
        }
        if let Ok(broken) = evidence.check(&world.params, &mut world.verifier) {
            let breach = Breach::Convicted {
                rule: broken.rule(),
            };
            self.convict(peer, breach, Evidence::clone(&evidence), Some(from), ctx);
        }
    }

    /// A header another miner says the branch it names showed it: compared with the
    /// newest header this miner checked of that branch.
    pub(super) fn on_seen(&mut self, header: BlockHeader, ctx: &mut Ctx, world: &mut World) {
        let Some(peer) = self.disk.peers.actor_of(header.branch) else {
            return;
        };
        let Some(known) = self.disk.peers.get(peer) else {
            return;
        };
        if known.standing == Standing::Blacklisted {
            return;
        }
        let Some(evidence) = known
            .last_header
            .as_deref()
            .and_then(|ours| Evidence::between(ours, &header))
        else {
            return;
        };
        if let Ok(broken) = evidence.check(&world.params, &mut world.verifier) {
            let height = match broken {
                crate::protocol::BlockError::Equivocation { height } => height,
                _ => header.height,
            };
            self.convict(peer, Breach::Equivocated { height }, evidence, None, ctx);
        }
    }

    /// After validating `peer`: tells a few trusted peers the newest header it checked.
    pub(super) fn gossip_header(&mut self, peer: ActorId, ctx: &mut Ctx) {
        let fanout = self.config.settings.gossip_headers;
        if fanout == 0 {
            return;
        }
        let Some(header) = self
            .disk
            .peers
            .get(peer)
            .and_then(|p| p.last_header.clone())
        else {
            return;
        };
        let mut trusted: Vec<ActorId> = self
            .disk
            .peers
            .iter()
            .filter(|(id, other)| *id != peer && other.is_trusted(ctx.now))
            .map(|(id, _)| id)
            .collect();
        trusted.shuffle(ctx.rng);
        for to in trusted.into_iter().take(fanout) {
            ctx.send(to, Msg::Seen(header.clone()));
        }
    }

    /// The evidence a header list shows when the header at `height` broke a rule by what
    /// it states: that header and the one before it (from the list, or the newest one
    /// checked before).
    pub(super) fn evidence_in(
        &self,
        peer: ActorId,
        headers: &[BlockHeader],
        height: u64,
    ) -> Option<Evidence> {
        let at = headers.iter().position(|h| h.height == height)?;
        let previous = match at {
            0 if height == 0 => None,
            0 => Some(self.disk.peers.get(peer)?.last_header.as_deref()?.clone()),
            at => Some(headers[at - 1].clone()),
        };
        Some(Evidence::BrokenRule {
            previous,
            header: headers[at].clone(),
        })
    }
}
