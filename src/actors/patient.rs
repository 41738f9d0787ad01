//! Patients: they sign records and hand them to the miner they chose.
//!
//! Each patient submits one record every interval, a fixed number of times. With opaque
//! records the payload is random bytes of a configured size from the patient's own stream,
//! standing for an encrypted file. With FHIR records each is an entry of the patient's
//! record: a resource drawn from the workload ([`RecordsModel`]), sealed for the patient and
//! its chosen readers or published in the clear, chained to the entry before it. A patient
//! whose key was stolen terminates its record when it notices and goes on under a successor
//! key (rule 17). A record counts as handed over only once the miner acknowledges it (or
//! refuses it, with the reason): until then the patient sends it again after one interval,
//! then two, four, up to `MAX_DOUBLINGS` doublings, so a lost message or a miner that is down
//! loses nothing.

use super::key_recovery::{Recovery, RecoveryReport};
use super::message::Msg;
use super::workload::RecordsModel;
use super::{Ctx, World};
use crate::protocol::entry::{context, Body, Entry};
use crate::protocol::envelope::{Envelope, ReaderKey, ReaderKeys};
use crate::protocol::{Bytes, Hash, KeyPair, PublicKey, Record};
use crate::sim::{ActorId, Rng, Time, Timer};
use rand::RngCore;
use std::collections::BTreeMap;

/// A patient's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatientTimer {
    /// Submit the next record.
    NextRecord,
    /// Send record `sequence` again, unless it was acknowledged.
    Resend { sequence: u64 },
    /// The patient noticed its key was stolen: terminate, go on under the successor key.
    Terminate,
    /// The patient loses its keys (key recovery).
    LoseKeys,
    /// Deal the shares not yet acknowledged, or ask again for those not yet back.
    ShareRound,
}

impl Timer for PatientTimer {
    fn code(&self) -> u64 {
        match self {
            PatientTimer::NextRecord => 0,
            PatientTimer::Resend { sequence } => 1 + sequence,
            PatientTimer::Terminate => u64::MAX,
            PatientTimer::LoseKeys => u64::MAX - 1,
            PatientTimer::ShareRound => u64::MAX - 2,
        }
    }
}
/// Most doublings of the wait between resends of one record.
const MAX_DOUBLINGS: u32 = 6;

/// What a patient's records hold.
pub enum Content {
    /// Random bytes of this many, standing for an encrypted file.
    Opaque { size: usize },
    /// Entries of FHIR resources.
    Fhir(Box<Chart>),
}

/// A theft the patient will notice.
pub struct Succession {
    /// When the patient notices.
    pub at: Time,
    /// The key it moves to.
    pub keys: KeyPair,
}

/// What a patient writing FHIR entries keeps.
pub struct Chart {
    pub model: RecordsModel,
    /// The patient's number, which its resources name.
    pub number: usize,
    pub reading: ReaderKeys,
    /// Whom sealed entries are wrapped for: the patient first, then its chosen parties.
    pub readers: Vec<ReaderKey>,
    /// The leaf of the patient's last entry under its current key.
    pub prev: Option<Hash>,
    /// A theft to notice, until the patient does.
    pub succession: Option<Succession>,
    /// The stream file keys and HPKE's ephemeral keys come from, apart from the one the
    /// workload draws from, so that sealing for more readers leaves the resources the same
    /// (common random numbers across a sweep over readers).
    pub sealing: Rng,
    /// The split of the patient's keys, if the scenario stages a recovery for it.
    pub recovery: Option<Recovery>,
    /// Keys the patient signed with before its current one, oldest first.
    pub retired: Vec<PublicKey>,
}

/// A patient and its submission schedule.
pub struct Patient {
    keys: KeyPair,
    /// The public key the patient's record started under (what holders of its shares know).
    public: PublicKey,
    miner: ActorId,
    content: Content,
    interval: Time,
    remaining: u64,
    sequence: u64,
    /// Records sent but not yet acknowledged, with the sends so far.
    unacknowledged: BTreeMap<u64, (Record, u32)>,
    /// Records the miner refused, with the rule each broke.
    pub refused: Vec<(u64, u8)>,
    /// Rounds of dealing or asking for shares so far, which double the wait between them.
    share_rounds: u32,
}

impl Patient {
    pub fn new(
        keys: KeyPair,
        miner: ActorId,
        content: Content,
        interval: Time,
        records: u64,
    ) -> Patient {
        Patient {
            public: keys.public(),
            keys,
            miner,
            content,
            interval,
            remaining: records,
            sequence: 0,
            unacknowledged: BTreeMap::new(),
            refused: Vec::new(),
            share_rounds: 0,
        }
    }

    /// The miner the patient sends its records to.
    pub fn miner(&self) -> ActorId {
        self.miner
    }

    /// The patient's chart (FHIR records only).
    pub fn chart(&self) -> Option<&Chart> {
        match &self.content {
            Content::Fhir(chart) => Some(chart),
            Content::Opaque { .. } => None,
        }
    }

    /// What the patient's key recovery came to, if one was staged.
    pub fn recovery_report(&self) -> Option<RecoveryReport> {
        self.recovery().map(Recovery::report)
    }

    /// Records the patient has yet to send, or sent and not seen acknowledged.
    pub fn unsettled(&self) -> u64 {
        self.remaining + self.unacknowledged.len() as u64
    }

    /// The longest a patient whose record went unacknowledged waits before sending it
    /// again: `interval` doubled `MAX_DOUBLINGS` times.
    pub fn longest_wait(interval: Time) -> Time {
        interval.times(1 << MAX_DOUBLINGS)
    }

    /// The first record goes out half an interval in, so it is waiting when blocks start.
    pub fn start(&mut self, ctx: &mut Ctx) {
        ctx.set_timer(Time(self.interval.0 / 2), PatientTimer::NextRecord);
        if let Some(succession) = self.chart().and_then(|chart| chart.succession.as_ref()) {
            let wait = Time(succession.at.0.saturating_sub(ctx.now.0));
            ctx.set_timer(wait, PatientTimer::Terminate);
        }
        if let Some(recovery) = self.recovery() {
            let wait = Time(recovery.lost_at.0.saturating_sub(ctx.now.0));
            ctx.set_timer(wait, PatientTimer::LoseKeys);
            self.share_round(ctx);
        }
    }

    fn recovery(&self) -> Option<&Recovery> {
        self.chart()?.recovery.as_ref()
    }

    fn recovery_mut(&mut self) -> Option<&mut Recovery> {
        match &mut self.content {
            Content::Fhir(chart) => chart.recovery.as_mut(),
            Content::Opaque { .. } => None,
        }
    }

    /// Whether the patient has lost its keys and not got them back.
    fn keys_lost(&self) -> bool {
        self.recovery()
            .is_some_and(|r| r.lost && r.recovered_at.is_none())
    }

    /// Sends what the recovery still waits for, and arms the next round while it waits.
    fn share_round(&mut self, ctx: &mut Ctx) {
        let patient = self.public;
        let Some(recovery) = self.recovery() else {
            return;
        };
        let mut pending = false;
        for (holder, share) in recovery.to_deal() {
            let share = Box::new(share.clone());
            ctx.send(holder, Msg::KeyShare { patient, share });
            pending = true;
        }
        for holder in recovery.to_ask() {
            ctx.send(holder, Msg::ShareWanted { patient });
            pending = true;
        }
        if pending {
            let wait = self
                .interval
                .times(1 << self.share_rounds.min(MAX_DOUBLINGS));
            self.share_rounds += 1;
            ctx.set_timer(wait, PatientTimer::ShareRound);
        }
    }

    /// The patient forgets both keys (a lost device) and asks its holders for its shares.
    fn lose_keys(&mut self, ctx: &mut Ctx) {
        let Content::Fhir(chart) = &mut self.content else {
            return;
        };
        let Some(recovery) = chart.recovery.as_mut() else {
            return;
        };
        recovery.lost = true;
        self.keys = KeyPair::derive(0, "forgotten", 0);
        chart.reading = ReaderKeys::derive(0, "forgotten", 0);
        // Asking starts afresh: the round armed while dealing gives way to this one.
        ctx.cancel_timer(PatientTimer::ShareRound);
        self.share_rounds = 0;
        self.share_round(ctx);
    }

    pub fn receive(&mut self, from: ActorId, msg: Msg, ctx: &mut Ctx) {
        match msg {
            Msg::ShareKept { patient } if patient == self.public => {
                if let Some(recovery) = self.recovery_mut() {
                    recovery.kept_by(from);
                }
                return;
            }
            Msg::ShareBack { patient, share } if patient == self.public => {
                let now = ctx.now;
                let recovered = self
                    .recovery_mut()
                    .and_then(|r| r.returned(from, share, now));
                if let (Some(secrets), Content::Fhir(chart)) = (recovered, &mut self.content) {
                    self.keys = secrets.signing;
                    chart.reading = secrets.reading;
                }
                return;
            }
            _ => {}
        }
        if from != self.miner {
            return;
        }
        match msg {
            Msg::Stored { sequence } => {
                self.unacknowledged.remove(&sequence);
            }
            Msg::Refused { sequence, why } if self.unacknowledged.remove(&sequence).is_some() => {
                self.refused.push((sequence, why.rule()));
            }
            _ => {}
        }
    }

    pub fn timer(&mut self, timer: PatientTimer, ctx: &mut Ctx, world: &mut World) {
        match timer {
            PatientTimer::NextRecord => self.submit_next(ctx, world),
            PatientTimer::Resend { sequence } => self.send(sequence, ctx),
            PatientTimer::Terminate => self.terminate(ctx, world),
            PatientTimer::LoseKeys => self.lose_keys(ctx),
            PatientTimer::ShareRound => self.share_round(ctx),
        }
    }

    fn submit_next(&mut self, ctx: &mut Ctx, world: &mut World) {
        if self.remaining == 0 {
            return;
        }
        if self.keys_lost() {
            // Nothing can be signed until the keys are back; the next entry waits.
            ctx.set_timer(self.interval, PatientTimer::NextRecord);
            return;
        }
        let payload = match &mut self.content {
            Content::Opaque { size } => {
                let mut payload = vec![0u8; *size];
                ctx.rng.fill_bytes(&mut payload);
                payload
            }
            Content::Fhir(chart) => {
                let json = chart
                    .model
                    .resource(chart.number, self.sequence, &mut ctx.rng)
                    .to_json();
                let envelope = match chart.model.in_clear(&mut ctx.rng) {
                    true => Envelope::Clear(json),
                    false => {
                        let context = context(&self.keys.public(), self.sequence);
                        Envelope::seal(&json, &chart.readers, &context, &mut chart.sealing)
                    }
                };
                let prev = chart.prev;
                Entry {
                    prev,
                    body: Body::Data(envelope),
                }
                .to_payload()
            }
        };
        self.hand_over(payload, ctx, world);
        self.remaining -= 1;
        if self.remaining > 0 {
            ctx.set_timer(self.interval, PatientTimer::NextRecord);
        }
    }

    /// Rule 17: a termination under the stolen key naming the successor and the last
    /// entry that is the patient's own, then the successor's first entry naming both.
    fn terminate(&mut self, ctx: &mut Ctx, world: &mut World) {
        if !self.unacknowledged.is_empty() {
            // The termination names the patient's last entry, which must be in a miner's
            // keeping first: a resend after the termination would be refused.
            ctx.set_timer(self.interval, PatientTimer::Terminate);
            return;
        }
        let Content::Fhir(chart) = &mut self.content else {
            return;
        };
        let Some(succession) = chart.succession.take() else {
            return;
        };
        let through = chart.prev;
        let old = self.keys.public();
        let termination = Entry {
            prev: through,
            body: Body::Terminate {
                through,
                successor: succession.keys.public(),
            },
        };
        self.hand_over(termination.to_payload(), ctx, world);
        let Content::Fhir(chart) = &mut self.content else {
            unreachable!("checked above")
        };
        chart.retired.push(old);
        chart.prev = None;
        self.keys = succession.keys;
        let first = Entry {
            prev: None,
            body: Body::Succeed {
                predecessor: old,
                through,
            },
        };
        self.hand_over(first.to_payload(), ctx, world);
    }

    /// Signs `payload` as the next record, sends it and keeps it until acknowledged.
    fn hand_over(&mut self, payload: Vec<u8>, ctx: &mut Ctx, world: &mut World) {
        let record = Record::new(&self.keys, self.sequence, Bytes::from(payload));
        world.signatures += 1;
        if let Content::Fhir(chart) = &mut self.content {
            chart.prev = Some(record.leaf());
        }
        self.unacknowledged.insert(self.sequence, (record, 0));
        self.send(self.sequence, ctx);
        self.sequence += 1;
    }

    /// Sends record `sequence` (again), unless it was acknowledged, and arms its resend.
    fn send(&mut self, sequence: u64, ctx: &mut Ctx) {
        let Some((record, sends)) = self.unacknowledged.get_mut(&sequence) else {
            return;
        };
        ctx.send(self.miner, Msg::Submit(Box::new(record.clone())));
        let wait = self.interval.times(1 << (*sends).min(MAX_DOUBLINGS));
        *sends += 1;
        ctx.set_timer(wait, PatientTimer::Resend { sequence });
    }
}
