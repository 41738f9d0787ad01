//! The generator: pads its blocks with records it can regenerate from a seed, so it seems
//! to store far more than it does (the dissertation's second vulnerability, Filecoin's
//! generation attack).
//!
//! Its fabricated records are signed by a patient key it derived itself, with payloads
//! drawn from a stream it can replay, so it need not keep them: asked for one in a
//! challenge, it can rebuild the record from the seed ([`fabricated_record`]) and the
//! Merkle proof from the rebuilt records. The rebuilt bytes are the stored ones (a test
//! checks it), so the simulator leaves them where the honest code serves them from and
//! counts their size as what the generator saves. Every check of rule 11 passes, since
//! the data is what the header committed to. The
//! records cost the network real storage: its blocks are larger, so rule 8 makes it embed
//! more, and the honest holders of its chunks store coded junk. What catches it is
//! certification: with `protocol.certified_patients`, a record counts only if an
//! institution certified its patient's key, and a challenged record whose key is not in the
//! registry fails (rule 16).

use super::{GeneratorSettings, Twist};
use crate::actors::message::Msg;
use crate::actors::miner::{Miner, MinerTimer};
use crate::actors::{Ctx, Node, World};
use crate::protocol::{Bytes, KeyPair, Record};
use crate::sim::{stream, Command};
use rand::RngCore;

pub struct Generator {
    per_block: usize,
    number: usize,
    record_size: usize,
    /// Records fabricated so far; the next one's sequence.
    made: u64,
}

impl Generator {
    /// A generator around `miner`, whose blocks take its fabricated records on top of the
    /// real ones.
    pub fn new(settings: &GeneratorSettings, miner: &mut Miner, record_size: usize) -> Generator {
        miner.take_more_records(settings.per_block);
        Generator {
            per_block: settings.per_block,
            number: miner.number,
            record_size,
            made: 0,
        }
    }
}

/// Fabricated record `sequence` of generator miner `number` in the run with `seed`: what
/// it puts in its blocks, and what it rebuilds when challenged.
pub fn fabricated_record(seed: u64, number: usize, sequence: u64, size: usize) -> Record {
    let keys = KeyPair::derive(seed, "generator", number as u64);
    let mut payload = vec![0; size];
    let index = ((number as u64) << 32) | sequence;
    stream(seed, "generator/payload", index).fill_bytes(&mut payload);
    Record::new(&keys, sequence, Bytes::from(payload))
}

impl Twist for Generator {
    fn before_timer(
        &mut self,
        timer: MinerTimer,
        miner: &mut Miner,
        ctx: &mut Ctx,
        world: &mut World,
    ) {
        if timer != MinerTimer::Block || miner.is_done() || miner.stalled_draft().is_some() {
            return;
        }
        for _ in 0..self.per_block {
            let record = fabricated_record(world.seed, self.number, self.made, self.record_size);
            world.signatures += 1;
            self.made += 1;
            miner.receive(ctx.me, Msg::Submit(Box::new(record)), ctx, world);
        }
    }

    /// The miner acknowledges the records it handed itself; nobody needs to hear that.
    fn outgoing(&mut self, command: Command<Node>, _: &mut Miner, ctx: &mut Ctx, _: &mut World) {
        match &command {
            Command::Send {
                to,
                msg: Msg::Stored { .. },
            } if *to == ctx.me => {}
            _ => ctx.out.push(command),
        }
    }
}
