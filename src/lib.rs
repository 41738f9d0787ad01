//! Medilanac: a deterministic discrete-event simulator of a network that stores medical
//! records on per-miner blockchains backed up by Reed-Solomon chunks in each other's blocks.
//!
//! - [`protocol`]: the rules as pure functions and data (hashing, signing, Merkle trees,
//!   blocks, chunks, erasure coding, validation, reconstruction).
//! - [`trace`]: every event of a run as JSON lines; [`replay`]: a sweep row's run again, and
//!   the determinism self-check.

pub mod actors;
pub mod chaos;
pub mod csv_input;
pub mod divergence;
pub mod experiments;
pub mod export;
pub mod invariants;
pub mod plot;
pub mod progress;
pub mod protocol;
pub mod replay;
pub mod scenario;
pub mod sim;
pub mod simulation;
pub mod summary;
pub mod sweep;
pub mod trace;
