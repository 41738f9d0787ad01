//! The simulation engine: virtual time, the event queue, random streams and the network.
//!
//! It knows nothing of blocks, chunks or signatures: actors are opaque state machines that
//! react to messages and timers.

pub mod churn;
pub mod engine;
pub mod network;
pub mod random;
pub mod time;

pub use engine::{
    Actor, ActorId, Check, Context, Engine, EngineStats, EventKind, EventRecord, Level, LogLine,
    Message, Observer, Presence, RunEnd, Stop,
};
pub use network::{Latency, NetworkModel};
pub use random::{stream, Rng};
pub use time::Time;
