//! A consortium member's miner as its institution's audit office (DESIGN rule 18).
//!
//! The member's clinicians read records and its office sends records to other members; for
//! each, the miner signs an audit entry with its branch key ([`AuditLog`], the pure writing
//! side of the rule) and queues it like a patient's record. When it seals a block it ends
//! it with the signed index record; an importing member logs its side of a transfer when the
//! sender's notice arrives. The log is on disk: it is the branch's trail, lost with the
//! branch in a wipe.

use super::{Miner, MinerTimer};
use crate::actors::consortium::Membership;
use crate::actors::message::Msg;
use crate::actors::{Ctx, World};
use crate::protocol::audit::AuditRecord;
use crate::protocol::audit_event::{Activity, Occurrence};
use crate::protocol::audit_log::AuditLog;
use crate::protocol::{Hash, PublicKey, Record};
use crate::sim::ActorId;
use rand::Rng;

impl Miner {
    fn membership(&self) -> Option<&Membership> {
        self.config.membership.as_ref()
    }

    /// Whether the member still makes workload: until it starts its last block, so that
    /// what it logs fits in the blocks it was asked for (an entry logged later would need a
    /// block more, for which no peer may be left to supply chunks).
    fn at_work(&self) -> bool {
        let next = self.disk.chain.tip().next_height();
        next < self.config.blocks || (next == self.config.blocks && self.mem.draft.is_none())
    }

    /// Arms the workload's timers, on a member's (re)start.
    pub(super) fn start_office(&mut self, ctx: &mut Ctx) {
        let Some(membership) = self.membership() else {
            return;
        };
        let access = Membership::wait(membership.access_interval, ctx.rng);
        let transfer = membership
            .transfer_interval
            .map(|mean| Membership::wait(mean, ctx.rng));
        self.disk.audit.get_or_insert_with(AuditLog::default);
        ctx.set_timer(access, MinerTimer::Access);
        if let Some(transfer) = transfer {
            ctx.set_timer(transfer, MinerTimer::Transfer);
        }
    }

    /// A clinician of this member reads a patient's records.
    pub(super) fn on_access_timer(&mut self, ctx: &mut Ctx, world: &mut World) {
        let Some(membership) = self.membership().cloned() else {
            return;
        };
        if !self.at_work() {
            return;
        }
        if !membership.patients.is_empty() {
            let (patient, _) = membership.patients[ctx.rng.gen_range(0..membership.patients.len())];
            let clinician = ctx.rng.gen_range(0..membership.clinicians);
            let purpose = membership.draw_purpose(ctx.rng).to_string();
            let occurrence = Occurrence {
                activity: Activity::Access,
                recorded: ctx.now.0,
                patient: &patient,
                agent: &Membership::clinician(membership.number, clinician),
                purpose: &purpose,
                observer: &Membership::organisation(membership.number),
                transfer: None,
            };
            self.log_event(&occurrence, world);
        }
        let next = Membership::wait(membership.access_interval, ctx.rng);
        ctx.set_timer(next, MinerTimer::Access);
    }

    /// This member's office sends a patient's records to another centre treating them.
    pub(super) fn on_transfer_timer(&mut self, ctx: &mut Ctx, world: &mut World) {
        let Some(membership) = self.membership().cloned() else {
            return;
        };
        let Some(mean) = membership.transfer_interval else {
            return;
        };
        if !self.at_work() {
            return;
        }
        let movable: Vec<&(PublicKey, Vec<usize>)> = membership
            .patients
            .iter()
            .filter(|(_, others)| !others.is_empty())
            .collect();
        if !movable.is_empty() {
            let (patient, others) = movable[ctx.rng.gen_range(0..movable.len())];
            let to = others[ctx.rng.gen_range(0..others.len())];
            let clinician = ctx.rng.gen_range(0..membership.clinicians);
            let here = Membership::organisation(membership.number);
            let there = Membership::organisation(to);
            let occurrence = Occurrence {
                activity: Activity::Export,
                recorded: ctx.now.0,
                patient,
                agent: &Membership::clinician(membership.number, clinician),
                purpose: "TREAT",
                observer: &here,
                transfer: Some((&here, &there)),
            };
            let export = self.log_event(&occurrence, world);
            ctx.send(
                membership.members[to],
                Msg::Transfer {
                    patient: *patient,
                    export,
                },
            );
        }
        let next = Membership::wait(mean, ctx.rng);
        ctx.set_timer(next, MinerTimer::Transfer);
    }

    /// A member's notice that it sent a patient's records here: the receiving side's entry.
    /// Only a member's own node can send one (the sender is known by its actor, not by what
    /// the message claims).
    pub(super) fn on_transfer(
        &mut self,
        from: ActorId,
        patient: PublicKey,
        ctx: &mut Ctx,
        world: &mut World,
    ) {
        let Some(membership) = self.membership().cloned() else {
            return;
        };
        let Some(sender) = membership.members.iter().position(|actor| *actor == from) else {
            return;
        };
        let clinician = ctx.rng.gen_range(0..membership.clinicians);
        let here = Membership::organisation(membership.number);
        let there = Membership::organisation(sender);
        let occurrence = Occurrence {
            activity: Activity::Import,
            recorded: ctx.now.0,
            patient: &patient,
            agent: &Membership::clinician(membership.number, clinician),
            purpose: "TREAT",
            observer: &here,
            transfer: Some((&there, &here)),
        };
        self.log_event(&occurrence, world);
    }

    /// Signs an entry for `occurrence`, linked to the last about its patient, and queues
    /// it for the next block; returns its leaf.
    fn log_event(&mut self, occurrence: &Occurrence, world: &mut World) -> Hash {
        let log = self.disk.audit.get_or_insert_with(AuditLog::default);
        let record = log.entry(&self.disk.keys, occurrence);
        world.signatures += 1;
        let leaf = record.leaf();
        self.disk.pending.push(record);
        leaf
    }

    /// Bytes the index record adds to each of a member's blocks.
    pub(super) fn index_record_len(&self) -> u64 {
        match self.disk.audit.is_some() {
            true => AuditRecord::INDEX_RECORD_LEN,
            false => 0,
        }
    }

    /// Ends a member's block with its index record (signed, so one signature more).
    pub(super) fn close_audit(
        &mut self,
        records: &mut Vec<Record>,
        sealed: u64,
        world: &mut World,
    ) {
        let height = self.disk.chain.tip().next_height();
        if let Some(log) = self.disk.audit.as_mut() {
            log.close(&self.disk.keys, height, sealed, records);
            world.signatures += 1;
        }
    }
}
