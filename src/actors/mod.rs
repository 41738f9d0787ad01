//! The participants of a Medilanac network as state machines: miners, the exchange,
//! patients and (in a key-theft scenario) the thief.
//!
//! [`Node`] is the one actor type the engine runs; [`World`] is what all nodes of a run
//! share (protocol parameters, the erasure code, the signature-verification cache). Each
//! kind of node has its own timer type ([`MinerTimer`], [`PatientTimer`]), joined in
//! [`NodeTimer`]; every node reports what it did as [`Observation`]s. A hostile miner is an
//! honest one wrapped by its adversary kind ([`adversary::Hostile`]).

pub mod adversary;
pub mod breach;
pub mod consortium;
pub mod exchange;
pub mod identities;
pub mod key_recovery;
pub mod message;
pub mod miner;
pub mod observation;
pub mod patient;
pub mod roster;
pub mod thief;
pub mod workload;

use crate::protocol::{Codec, Params, PublicKey, Verifier};
use crate::sim::{Actor, ActorId, Context, Timer};
pub use adversary::{Adversaries, Behaviour, Hostile};
pub use breach::Breach;
pub use exchange::Exchange;
pub use message::Msg;
pub use miner::{Miner, MinerConfig, MinerSettings, MinerStats, MinerTimer};
pub use observation::Observation;
pub use patient::{Patient, PatientTimer};
pub use roster::Roster;
use std::collections::BTreeSet;
pub use thief::{Thief, ThiefTimer};

/// State shared by every node of one run.
pub struct World {
    pub params: Params,
    pub codec: Codec,
    pub verifier: Verifier,
    /// Ed25519 signatures made so far.
    pub signatures: u64,
    /// The run's seed, from which miners that come back wiped derive new keys.
    pub seed: u64,
    /// Patient keys an institution certified (with `protocol.certified_patients`).
    pub certified: BTreeSet<PublicKey>,
}

impl World {
    pub fn new(params: Params, codec: Codec, seed: u64) -> World {
        World {
            params,
            codec,
            verifier: Verifier::default(),
            signatures: 0,
            seed,
            certified: BTreeSet::new(),
        }
    }
}

/// A node's window on the run while it handles one event.
pub type Ctx<'a> = Context<'a, Node>;

/// Any participant.
pub enum Node {
    Exchange(Exchange),
    Miner(Box<Miner>),
    Hostile(Box<Hostile>),
    Patient(Box<Patient>),
    Thief(Box<Thief>),
}

impl Node {
    /// The miner of this node, honest or wrapped by an adversary.
    pub fn as_miner(&self) -> Option<&Miner> {
        match self {
            Node::Miner(miner) => Some(miner),
            Node::Hostile(hostile) => Some(&hostile.miner),
            _ => None,
        }
    }

    /// The miner of this node if it is an honest one.
    pub fn as_honest_miner(&self) -> Option<&Miner> {
        match self {
            Node::Miner(miner) => Some(miner),
            _ => None,
        }
    }

    /// How the node's miner behaves (`None`: not a miner).
    pub fn behaviour(&self) -> Option<Behaviour> {
        match self {
            Node::Miner(_) => Some(Behaviour::Honest),
            Node::Hostile(hostile) => Some(hostile.kind),
            _ => None,
        }
    }
}

/// A timer of any node, as the engine carries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeTimer {
    Miner(MinerTimer),
    Patient(PatientTimer),
    Thief(ThiefTimer),
}

impl Timer for NodeTimer {
    fn code(&self) -> u64 {
        match self {
            NodeTimer::Miner(timer) => timer.code(),
            NodeTimer::Patient(timer) => timer.code(),
            NodeTimer::Thief(timer) => timer.code(),
        }
    }
}

impl From<MinerTimer> for NodeTimer {
    fn from(timer: MinerTimer) -> NodeTimer {
        NodeTimer::Miner(timer)
    }
}

impl From<PatientTimer> for NodeTimer {
    fn from(timer: PatientTimer) -> NodeTimer {
        NodeTimer::Patient(timer)
    }
}

impl From<ThiefTimer> for NodeTimer {
    fn from(timer: ThiefTimer) -> NodeTimer {
        NodeTimer::Thief(timer)
    }
}

impl Actor for Node {
    type Msg = Msg;
    type Timer = NodeTimer;
    type Observation = Observation;
    type Env = World;

    fn start(&mut self, ctx: &mut Ctx, world: &mut World) {
        match self {
            Node::Exchange(_) => {}
            Node::Miner(miner) => miner.start(ctx, world),
            Node::Hostile(hostile) => hostile.start(ctx, world),
            Node::Patient(patient) => patient.start(ctx),
            Node::Thief(thief) => thief.start(ctx),
        }
    }

    fn receive(&mut self, from: ActorId, msg: Msg, ctx: &mut Ctx, world: &mut World) {
        match self {
            Node::Exchange(exchange) => exchange.receive(from, msg, ctx),
            Node::Miner(miner) => miner.receive(from, msg, ctx, world),
            Node::Hostile(hostile) => hostile.receive(from, msg, ctx, world),
            Node::Patient(patient) => patient.receive(from, msg, ctx),
            Node::Thief(thief) => thief.receive(from, msg),
        }
    }

    fn restart(&mut self, wiped: bool, ctx: &mut Ctx, world: &mut World) {
        match self {
            Node::Miner(miner) => miner.restart(wiped, ctx, world),
            Node::Hostile(hostile) => hostile.restart(wiped, ctx, world),
            Node::Exchange(_) | Node::Patient(_) | Node::Thief(_) => self.start(ctx, world),
        }
    }

    fn timer(&mut self, timer: NodeTimer, ctx: &mut Ctx, world: &mut World) {
        match (self, timer) {
            (Node::Miner(miner), NodeTimer::Miner(timer)) => miner.timer(timer, ctx, world),
            (Node::Hostile(hostile), NodeTimer::Miner(timer)) => hostile.timer(timer, ctx, world),
            (Node::Patient(patient), NodeTimer::Patient(timer)) => patient.timer(timer, ctx, world),
            (Node::Thief(thief), NodeTimer::Thief(_)) => thief.timer(ctx, world),
            _ => unreachable!("a node only sets timers of its own kind"),
        }
    }
}
