//! Patients: they sign records and hand them to the miner they chose.
//!
//! Each patient submits one record of a configured size every interval, a fixed number of
//! times; the payload is random bytes from the patient's own stream, standing for an
//! encrypted file. A record counts as handed over only once the miner acknowledges it: until
//! then the patient sends it again after one interval, then two, four, up to
//! [`MAX_DOUBLINGS`] doublings, so a lost message or a miner that is down loses nothing.

use super::message::Msg;
use super::World;
use crate::protocol::{Bytes, KeyPair, Record};
use crate::sim::{ActorId, Context, Time};
use rand::RngCore;
use std::collections::BTreeMap;

/// Timer 0 submits the next record; timer `RESEND + sequence` resends that record.
const NEXT_RECORD: u64 = 0;
const RESEND: u64 = 1;
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
    pub fn start(&mut self, ctx: &mut Context<Msg>, _: &mut World) {
        ctx.set_timer(Time(self.interval.0 / 2), NEXT_RECORD);
    }

    pub fn receive(&mut self, from: ActorId, msg: Msg) {
        if let Msg::Stored { sequence } = msg {
            if from == self.miner {
                self.unacknowledged.remove(&sequence);
            }
        }
    }

    pub fn timer(&mut self, id: u64, ctx: &mut Context<Msg>, world: &mut World) {
        match id {
            NEXT_RECORD => self.submit_next(ctx, world),
            resend => self.send(resend - RESEND, ctx),
        }
    }

    fn submit_next(&mut self, ctx: &mut Context<Msg>, world: &mut World) {
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
            ctx.set_timer(self.interval, NEXT_RECORD);
        }
    }

    /// Sends record `sequence` (again), unless it was acknowledged, and arms its resend.
    fn send(&mut self, sequence: u64, ctx: &mut Context<Msg>) {
        let Some((record, sends)) = self.unacknowledged.get_mut(&sequence) else {
            return;
        };
        ctx.send(self.miner, Msg::Submit(Box::new(record.clone())));
        let wait = self.interval.times(1 << (*sends).min(MAX_DOUBLINGS));
        *sends += 1;
        ctx.set_timer(wait, RESEND + sequence);
    }
}
