//! Patients: they sign records and hand them to the miner they chose.
//!
//! Each patient submits one record of a configured size every interval, a fixed number of
//! times; the payload is random bytes from the patient's own stream, standing for an
//! encrypted file.

use super::message::Msg;
use super::World;
use crate::protocol::{Bytes, KeyPair, Record};
use crate::sim::{ActorId, Context, Time};
use rand::RngCore;

/// A patient and its submission schedule.
pub struct Patient {
    keys: KeyPair,
    miner: ActorId,
    record_size: usize,
    interval: Time,
    remaining: u64,
    sequence: u64,
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
        }
    }

    /// The first record goes out half an interval in, so it is waiting when blocks start.
    pub fn start(&mut self, ctx: &mut Context<Msg>, _: &mut World) {
        ctx.set_timer(Time(self.interval.0 / 2), 0);
    }

    pub fn timer(&mut self, ctx: &mut Context<Msg>, world: &mut World) {
        if self.remaining == 0 {
            return;
        }
        let mut payload = vec![0u8; self.record_size];
        ctx.rng.fill_bytes(&mut payload);
        let record = Record::new(&self.keys, self.sequence, Bytes::from(payload));
        world.signatures += 1;
        ctx.send(self.miner, Msg::Submit(record));
        self.sequence += 1;
        self.remaining -= 1;
        if self.remaining > 0 {
            ctx.set_timer(self.interval, 0);
        }
    }
}
