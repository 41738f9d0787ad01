//! Hostile miners (DESIGN §2's adversaries): each kind is an honest [`Miner`] wrapped by a
//! `Twist` that rewrites, drops or adds to what the honest miner receives and emits.
//!
//! Written this way an adversary runs the very code an honest miner runs, and differs
//! only where its file says: what a defence catches is the twist, never a second copy of
//! the protocol that drifted. The wrapper sees every message before the miner does and
//! every command the miner emitted before the engine does (through the [`Out`] buffer's
//! mark), and may act on the miner as its operator could (drop data from disk, seal a
//! block early, sign with its key).
//!
//! [`Out`]: crate::sim::Out

mod duplicator;
mod equivocator;
mod free_rider;
mod generator;
mod settings;
mod tamperer;
mod withholder;

use super::message::Msg;
use super::miner::{Miner, MinerTimer};
use super::{Ctx, Node, Roster, World};
use crate::sim::{ActorId, Command};
pub use generator::fabricated_record;
use serde::{Deserialize, Serialize};
pub use settings::{
    Adversaries, Corrupts, DuplicatorSettings, FreeRiderSettings, GeneratorSettings, Operator,
    TampererSettings, WithholderSettings,
};

/// How a miner behaves: honestly, or as one of DESIGN §2's adversaries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Behaviour {
    #[default]
    Honest,
    /// Takes part but does not keep (or does not gather) the foreign data rule 8 asks for.
    FreeRider,
    /// Stores, but does not answer challenges and audits.
    Withholder,
    /// Serves corrupted or forged data.
    Tamperer,
    /// Hands each of its chunks to several holders.
    Duplicator,
    /// Pads its blocks with records it regenerates from a seed instead of storing them.
    Generator,
    /// Shows different histories of its branch to different peers.
    Equivocator,
}

impl Behaviour {
    /// Every adversary kind, in the order they take miner numbers.
    pub const ADVERSARIES: [Behaviour; 6] = [
        Behaviour::FreeRider,
        Behaviour::Withholder,
        Behaviour::Tamperer,
        Behaviour::Duplicator,
        Behaviour::Generator,
        Behaviour::Equivocator,
    ];

    /// The kind's name, as scenario files and CSVs write it.
    pub fn name(self) -> &'static str {
        match self {
            Behaviour::Honest => "honest",
            Behaviour::FreeRider => "free_rider",
            Behaviour::Withholder => "withholder",
            Behaviour::Tamperer => "tamperer",
            Behaviour::Duplicator => "duplicator",
            Behaviour::Generator => "generator",
            Behaviour::Equivocator => "equivocator",
        }
    }
}

/// What turns an honest miner into an adversary. Every method has the honest default, so
/// a kind writes only what it changes.
trait Twist {
    /// A message before the miner sees it: returns it (changed or not) to pass on, or
    /// `None` to keep it from the miner (having answered it itself, or not at all).
    fn incoming(&mut self, from: ActorId, msg: Msg, miner: &Miner, ctx: &mut Ctx) -> Option<Msg> {
        let _ = (from, miner, ctx);
        Some(msg)
    }

    /// A timer before the miner sees it (the miner always sees it afterwards).
    fn before_timer(
        &mut self,
        timer: MinerTimer,
        miner: &mut Miner,
        ctx: &mut Ctx,
        world: &mut World,
    ) {
        let _ = (timer, miner, ctx, world);
    }

    /// After the miner handled an event, before its commands are looked at.
    fn after(&mut self, miner: &mut Miner, ctx: &mut Ctx, world: &mut World) {
        let _ = (miner, ctx, world);
    }

    /// A message the miner sends to `to`, changed in place before it goes out.
    fn sending(&mut self, to: ActorId, msg: &mut Msg, miner: &mut Miner, world: &mut World) {
        let _ = (to, msg, miner, world);
    }

    /// One command the miner emitted: push what goes out in its place. By default every
    /// message goes out as [`Twist::sending`] left it, and everything else unchanged.
    fn outgoing(
        &mut self,
        mut command: Command<Node>,
        miner: &mut Miner,
        ctx: &mut Ctx,
        world: &mut World,
    ) {
        if let Command::Send { to, msg } = &mut command {
            self.sending(*to, msg, miner, world);
        }
        ctx.out.push(command);
    }
}

/// An honest miner and the twist that makes it hostile.
pub struct Hostile {
    pub miner: Miner,
    pub kind: Behaviour,
    twist: Box<dyn Twist + Send>,
}

impl Hostile {
    /// Wraps `miner` as an adversary of `kind` with the scenario's settings for it;
    /// `record_size` is what its fabricated records weigh (a generator's).
    pub fn new(
        mut miner: Miner,
        kind: Behaviour,
        settings: &Adversaries,
        roster: &Roster,
        record_size: usize,
    ) -> Hostile {
        let twist: Box<dyn Twist + Send> = match kind {
            Behaviour::Honest => unreachable!("an honest miner is not wrapped"),
            Behaviour::FreeRider => Box::new(free_rider::FreeRider::new(&settings.free_rider)),
            Behaviour::Withholder => {
                Box::new(withholder::Withholder::new(&settings.withholder, roster))
            }
            Behaviour::Tamperer => Box::new(tamperer::Tamperer::new(&settings.tamperer)),
            Behaviour::Duplicator => Box::new(duplicator::Duplicator::new(&settings.duplicator)),
            Behaviour::Generator => Box::new(generator::Generator::new(
                &settings.generator,
                &mut miner,
                record_size,
            )),
            Behaviour::Equivocator => Box::<equivocator::Equivocator>::default(),
        };
        Hostile { miner, kind, twist }
    }

    /// Runs one handler of the miner, then the twist's `after` and `outgoing` hooks.
    fn wrapped(
        &mut self,
        ctx: &mut Ctx,
        world: &mut World,
        handle: impl FnOnce(&mut Miner, &mut dyn Twist, &mut Ctx, &mut World),
    ) {
        let mark = ctx.out.mark();
        handle(&mut self.miner, &mut *self.twist, ctx, world);
        self.twist.after(&mut self.miner, ctx, world);
        for command in ctx.out.split_off(mark) {
            self.twist.outgoing(command, &mut self.miner, ctx, world);
        }
    }

    pub fn start(&mut self, ctx: &mut Ctx, world: &mut World) {
        self.wrapped(ctx, world, |miner, _, ctx, world| miner.start(ctx, world));
    }

    pub fn restart(&mut self, wiped: bool, ctx: &mut Ctx, world: &mut World) {
        self.wrapped(ctx, world, |miner, _, ctx, world| {
            miner.restart(wiped, ctx, world)
        });
    }

    pub fn receive(&mut self, from: ActorId, msg: Msg, ctx: &mut Ctx, world: &mut World) {
        let Some(msg) = self.twist.incoming(from, msg, &self.miner, ctx) else {
            return;
        };
        self.wrapped(ctx, world, |miner, _, ctx, world| {
            miner.receive(from, msg, ctx, world)
        });
    }

    pub fn timer(&mut self, timer: MinerTimer, ctx: &mut Ctx, world: &mut World) {
        self.wrapped(ctx, world, |miner, twist, ctx, world| {
            twist.before_timer(timer, miner, ctx, world);
            miner.timer(timer, ctx, world);
        });
    }
}
