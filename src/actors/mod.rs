//! The participants of a Medilanac network as state machines: miners, the exchange and
//! patients.
//!
//! [`Node`] is the one actor type the engine runs; [`World`] is what all nodes of a run
//! share (protocol parameters, the erasure code, the signature-verification cache).

pub mod exchange;
pub mod message;
pub mod miner;
pub mod patient;

use crate::protocol::{Codec, Params, Verifier};
use crate::sim::{Actor, ActorId, Context};
pub use exchange::Exchange;
pub use message::Msg;
pub use miner::{Behaviour, Miner, MinerConfig, MinerStats};
pub use patient::Patient;

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

impl Actor for Node {
    type Msg = Msg;
    type Env = World;

    fn start(&mut self, ctx: &mut Context<Msg>, world: &mut World) {
        match self {
            Node::Exchange(_) => {}
            Node::Miner(miner) => miner.start(ctx, world),
            Node::Patient(patient) => patient.start(ctx, world),
        }
    }

    fn receive(&mut self, from: ActorId, msg: Msg, ctx: &mut Context<Msg>, world: &mut World) {
        match self {
            Node::Exchange(exchange) => exchange.receive(from, msg, ctx, world),
            Node::Miner(miner) => miner.receive(from, msg, ctx, world),
            Node::Patient(patient) => patient.receive(from, msg),
        }
    }

    fn restart(&mut self, wiped: bool, ctx: &mut Context<Msg>, world: &mut World) {
        match self {
            Node::Miner(miner) => miner.restart(wiped, ctx, world),
            Node::Exchange(_) | Node::Patient(_) => self.start(ctx, world),
        }
    }

    fn timer(&mut self, id: u64, ctx: &mut Context<Msg>, world: &mut World) {
        match self {
            Node::Exchange(_) => {}
            Node::Miner(miner) => miner.timer(id, ctx, world),
            Node::Patient(patient) => patient.timer(id, ctx, world),
        }
    }
}
