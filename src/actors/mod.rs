//! The participants of a Medilanac network as state machines: miners, the exchange and
//! patients.
//!
//! [`Node`] is the one actor type the engine runs; [`World`] is what all nodes of a run
//! share (protocol parameters, the erasure code, the signature-verification cache). Each
//! kind of node has its own timer type ([`MinerTimer`], [`PatientTimer`]), joined in
//! [`NodeTimer`]; every node reports what it did as [`Observation`]s.

pub mod breach;
pub mod exchange;
pub mod message;
pub mod miner;
pub mod observation;
pub mod patient;
pub mod roster;

use crate::protocol::{Codec, Params, Verifier};
use crate::sim::{Actor, ActorId, Context, Timer};
pub use breach::Breach;
pub use exchange::Exchange;
pub use message::Msg;
pub use miner::{Behaviour, Miner, MinerConfig, MinerSettings, MinerStats, MinerTimer};
pub use observation::Observation;
pub use patient::{Patient, PatientTimer};
pub use roster::Roster;

/// State shared by every node of one run.
pub struct World {
    pub params: Params,
    pub codec: Codec,
    pub verifier: Verifier,
    /// Ed25519 signatures made so far.
    pub signatures: u64,
    /// The run's seed, from which miners that come back wiped derive new keys.
    pub seed: u64,
}

impl World {
    pub fn new(params: Params, codec: Codec, seed: u64) -> World {
        World {
            params,
            codec,
            verifier: Verifier::default(),
            signatures: 0,
            seed,
        }
    }
}

/// A node's window on the run while it handles one event.
pub type Ctx<'a> = Context<'a, Node>;

/// Any participant.
pub enum Node {
    Exchange(Exchange),
    Miner(Box<Miner>),
    Patient(Box<Patient>),
}

impl Node {
    pub fn as_miner(&self) -> Option<&Miner> {
        match self {
            Node::Miner(miner) => Some(miner),
            _ => None,
        }
    }
}

/// A timer of any node, as the engine carries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeTimer {
    Miner(MinerTimer),
    Patient(PatientTimer),
}

impl Timer for NodeTimer {
    fn code(&self) -> u64 {
        match self {
            NodeTimer::Miner(timer) => timer.code(),
            NodeTimer::Patient(timer) => timer.code(),
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

impl Actor for Node {
    type Msg = Msg;
    type Timer = NodeTimer;
    type Observation = Observation;
    type Env = World;

    fn start(&mut self, ctx: &mut Ctx, world: &mut World) {
        match self {
            Node::Exchange(_) => {}
            Node::Miner(miner) => miner.start(ctx, world),
            Node::Patient(patient) => patient.start(ctx),
        }
    }

    fn receive(&mut self, from: ActorId, msg: Msg, ctx: &mut Ctx, world: &mut World) {
        match self {
            Node::Exchange(exchange) => exchange.receive(from, msg, ctx),
            Node::Miner(miner) => miner.receive(from, msg, ctx, world),
            Node::Patient(patient) => patient.receive(from, msg),
        }
    }

    fn restart(&mut self, wiped: bool, ctx: &mut Ctx, world: &mut World) {
        match self {
            Node::Miner(miner) => miner.restart(wiped, ctx, world),
            Node::Exchange(_) | Node::Patient(_) => self.start(ctx, world),
        }
    }

    fn timer(&mut self, timer: NodeTimer, ctx: &mut Ctx, world: &mut World) {
        match (self, timer) {
            (Node::Miner(miner), NodeTimer::Miner(timer)) => miner.timer(timer, ctx, world),
            (Node::Patient(patient), NodeTimer::Patient(timer)) => patient.timer(timer, ctx, world),
            _ => unreachable!("a node only sets timers of its own kind"),
        }
    }
}
