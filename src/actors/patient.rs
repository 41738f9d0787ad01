//! Patients: they sign records and hand them to the miner they chose.
//!
//! Each patient submits one record of a configured size every interval, a fixed number of
//! times; the payload is random bytes from the patient's own stream, standing for an
//! encrypted file. A record counts as handed over only once the miner acknowledges it: until
//! then the patient sends it again after one interval, then two, four, up to
//! `MAX_DOUBLINGS` doublings, so a lost message or a miner that is down loses nothing.

use super::message::Msg;
use super::{Ctx, World};
use crate::protocol::{Bytes, KeyPair, Record};
use crate::sim::{ActorId, Time, Timer};
use rand::RngCore;
use std::collections::BTreeMap;

/// A patient's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatientTimer {
    /// Submit the next record.
    NextRecord,
    /// Send record `sequence` again, unless it was acknowledged.
    Resend { sequence: u64 },
}

impl Timer for PatientTimer {
    fn code(&self) -> u64 {
        match self {
            PatientTimer::NextRecord => 0,
            PatientTimer::Resend { sequence } => 1 + sequence,
        }
    }
}
/// Most doublings of the wait between resends of one record.
const MAX_DOUBLINGS: u32 = 6;

/// A patient and its submission schedule.
pub struct Patient {
    keys: KeyPair,
    miner: ActorId,
    record_size: usize,
    interval: Time,
    remaining: u64,
    sequence: u64,
    /// Records sent but not yet acknowledged, with the sends so far.
    unacknowledged: BTreeMap<u64, (Record, u32)>,
}

impl Patient {
    pub fn new(
        keys: KeyPair,
        miner: ActorId,
        record_size: usize,
        interval: Time,
        records: u64,
    ) -> Patient {
        Patient {
            keys,
            miner,
            record_size,
            interval,
            remaining: records,
            sequence: 0,
            unacknowledged: BTreeMap::new(),
        }
    }

    /// The first record goes out half an interval in, so it is waiting when blocks start.
    /// The miner the patient sends its records to.
    pub fn miner(&self) -> ActorId {
        self.miner
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

    pub fn start(&mut self, ctx: &mut Ctx) {
        ctx.set_timer(Time(self.interval.0 / 2), PatientTimer::NextRecord);
    }

    pub fn receive(&mut self, from: ActorId, msg: Msg) {
        if let Msg::Stored { sequence } = msg {
            if from == self.miner {
                self.unacknowledged.remove(&sequence);
            }
        }
    }

    pub fn timer(&mut self, timer: PatientTimer, ctx: &mut Ctx, world: &mut World) {
        match timer {
            PatientTimer::NextRecord => self.submit_next(ctx, world),
            PatientTimer::Resend { sequence } => self.send(sequence, ctx),
        }
    }

    fn submit_next(&mut self, ctx: &mut Ctx, world: &mut World) {
        if self.remaining == 0 {
            return;
        }
        let mut payload = vec![0u8; self.record_size];
        ctx.rng.fill_bytes(&mut payload);
        let record = Record::new(&self.keys, self.sequence, Bytes::from(payload));
        world.signatures += 1;
        self.unacknowledged.insert(self.sequence, (record, 0));
        self.send(self.sequence, ctx);
        self.sequence += 1;
        self.remaining -= 1;
        if self.remaining > 0 {
            ctx.set_timer(self.interval, PatientTimer::NextRecord);
        }
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
