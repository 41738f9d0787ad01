//! A thief who stole a patient's signing key and appends forged entries to its record.
//!
//! The dissertation's answer to key theft (rule 17) is the termination flag: once the
//! patient notices, it terminates the record under the stolen key and starts a successor
//! under a new one, and every honest miner refuses whatever the thief signs after that.
//! The thief here is as strong as the stolen key makes it: its entries carry valid
//! signatures and follow the schema, it sends each to every miner (not only the patient's
//! own, which hears of the termination first), and it keeps going until its budget is
//! spent. What it cannot do is sign with the successor key. It counts
//! what the miners told it, which the summary reports beside the patient's own entries.

use super::message::Msg;
use super::workload::RecordsModel;
use super::{Ctx, World};
use crate::protocol::entry::{Body, Entry};
use crate::protocol::envelope::Envelope;
use crate::protocol::{Bytes, KeyPair, Record};
use crate::sim::{ActorId, Time, Timer};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The `[key_theft]` table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyTheft {
    /// The patient (counted over all miners) whose signing key is stolen.
    #[serde(default)]
    pub patient: usize,
    /// Second at which the thief starts appending.
    pub stolen_at: f64,
    /// Second at which the patient notices, terminates its record and starts a successor.
    pub noticed_at: f64,
    /// Entries the thief tries to append.
    #[serde(default = "default_forgeries")]
    pub forgeries: u64,
    /// Seconds between the thief's attempts.
    #[serde(default = "default_interval")]
    pub interval: f64,
}

fn default_forgeries() -> u64 {
    20
}

fn default_interval() -> f64 {
    10.0
}

impl KeyTheft {
    /// Rejects a theft the run cannot stage, as (field, value, rule).
    pub fn check(
        &self,
        patients: usize,
        duration: f64,
    ) -> Result<(), (&'static str, String, String)> {
        if self.patient >= patients {
            return Err((
                "key_theft.patient",
                self.patient.to_string(),
                format!("the run has patients 0..{patients}"),
            ));
        }
        let ordered = 0.0 <= self.stolen_at
            && self.stolen_at <= self.noticed_at
            && self.noticed_at < duration;
        if !ordered {
            return Err((
                "key_theft.noticed_at",
                self.noticed_at.to_string(),
                format!(
                    "must satisfy 0 <= stolen_at ({}) <= noticed_at < duration ({duration})",
                    self.stolen_at
                ),
            ));
        }
        if !(self.interval > 0.0 && self.interval.is_finite()) {
            return Err((
                "key_theft.interval",
                self.interval.to_string(),
                "must be a positive number of seconds".into(),
            ));
        }
        Ok(())
    }
}

/// Where a thief's sequence numbers start: above any the patient reaches, so a forgery
/// is a new entry, never a resend of one the patient made.
pub const FORGED_SEQUENCES: u64 = 1 << 40;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThiefTimer {
    Forge,
}

impl Timer for ThiefTimer {
    fn code(&self) -> u64 {
        0
    }
}

/// What the miners made of the thief's entries, counted per (miner, entry).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ThiefStats {
    /// Entries forged (each sent to every miner).
    pub forged: u64,
    /// Times a miner took a forgery into its keeping (before it knew of the termination).
    pub stored: u64,
    /// Times a miner refused one.
    pub refused: u64,
    /// The miners that refused at least one.
    pub refusers: BTreeSet<ActorId>,
}

pub struct Thief {
    keys: KeyPair,
    patient: usize,
    miners: Vec<ActorId>,
    model: RecordsModel,
    interval: Time,
    remaining: u64,
    made: u64,
    prev: Option<crate::protocol::Hash>,
    /// (miner, sequence) pairs answered, so a resent answer counts once.
    answered: BTreeSet<(ActorId, u64)>,
    pub stats: ThiefStats,
}

impl Thief {
    pub fn new(
        theft: &KeyTheft,
        stolen: KeyPair,
        miners: Vec<ActorId>,
        model: RecordsModel,
    ) -> Thief {
        Thief {
            keys: stolen,
            patient: theft.patient,
            miners,
            model,
            interval: Time::from_secs_f64(theft.interval),
            remaining: theft.forgeries,
            made: 0,
            prev: None,
            answered: BTreeSet::new(),
            stats: ThiefStats::default(),
        }
    }

    /// The thief starts when it has the key (its start time is `stolen_at`).
    pub fn start(&mut self, ctx: &mut Ctx) {
        ctx.set_timer(Time::ZERO, ThiefTimer::Forge);
    }

    pub fn receive(&mut self, from: ActorId, msg: Msg) {
        let (sequence, refused) = match msg {
            Msg::Stored { sequence } => (sequence, false),
            Msg::Refused { sequence, .. } => (sequence, true),
            _ => return,
        };
        if !self.answered.insert((from, sequence)) {
            return;
        }
        if refused {
            self.stats.refused += 1;
            self.stats.refusers.insert(from);
        } else {
            self.stats.stored += 1;
        }
    }

    pub fn timer(&mut self, ctx: &mut Ctx, world: &mut World) {
        if self.remaining == 0 {
            return;
        }
        let sequence = FORGED_SEQUENCES + self.made;
        let json = self
            .model
            .resource(self.patient, 1 + self.made, &mut ctx.rng)
            .to_json();
        let entry = Entry {
            prev: self.prev,
            body: Body::Data(Envelope::Clear(json)),
        };
        let record = Record::new(&self.keys, sequence, Bytes::from(entry.to_payload()));
        world.signatures += 1;
        self.prev = Some(record.leaf());
        for &miner in &self.miners {
            ctx.send(miner, Msg::Submit(Box::new(record.clone())));
        }
        self.stats.forged += 1;
        self.made += 1;
        self.remaining -= 1;
        if self.remaining > 0 {
            ctx.set_timer(self.interval, ThiefTimer::Forge);
        }
    }
}
