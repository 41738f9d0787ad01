//! The simulation engine: virtual time, the event queue, random streams and the network.
//!
//! It knows nothing of blocks, chunks or signatures: actors are opaque state machines that
//! react to messages and timers
//! through the interface of [`actor`].

pub mod actor;
pub mod churn;
pub mod engine;
pub mod network;
pub mod random;
pub mod time;

pub use actor::{Actor, ActorId, Command, Context, Level, LogLine, Message, Out, Timer};
pub use engine::{
    Check, Engine, EngineStats, EventKind, EventRecord, Observer, Presence, RunEnd, Stop, View,
};
pub use network::{Latency, NetworkModel};
pub use random::{stream, Rng};
pub use time::Time;
