//! Medilanac: a deterministic discrete-event simulator of a network that stores medical
//! records on per-miner blockchains backed up by Reed-Solomon chunks in each other's blocks.
//!
//! # A map of the modules
//!
//! The layers, bottom up; each uses only modules listed before it.
//!
//! - [`protocol`]: the rules as pure functions and plain data: hashing and signing, Merkle
//!   trees and proofs, records (FHIR entries, sealed envelopes, key shares), blocks,
//!   chunks and erasure coding, validation, reconstruction. No time, no I/O; what needs
//!   randomness takes the caller's seeded stream.
//! - [`sim`]: the engine, which knows nothing of blocks: virtual time, the event queue
//!   ([`sim::engine`]), the actor interface ([`sim::actor`]: handlers only emit commands
//!   into an `Out` buffer), seeded random streams, the network and churn models.
//! - [`actors`]: the participants as state machines on that interface: miners (their
//!   durable and volatile state apart), the exchange, patients and their clinical
//!   workload, a key thief; their typed timers and the
//!   observations they report; [`actors::Roster`] numbers them.
//! - [`chaos`] and [`scenario`]: a scenario file, checked field by field, and the fault
//!   settings chaos mode draws from the seed.
//! - [`summary`]: what a finished run amounts to, and the one classification of a block's
//!   status ([`summary::BlockStatus`]); [`records_report`]: what became of patients'
//!   entries at the miners' door; [`invariants`]: the rules every run must keep,
//!   checked after every event from the observations.
//! - [`simulation`]: one run, start to finish: builds the actors from a scenario and seed,
//!   runs the engine with the invariants and any hooks, and returns an
//!   [`simulation::Outcome`] with its summary and digest.
//! - [`experiments`] turn runs into CSV rows; [`progress`] draws progress bars on a
//!   terminal; [`sweep`] runs a grid of experiments in parallel; [`csv_input`] reads CSVs
//!   back and [`plot`] draws a sweep's CSV; [`export`] writes branch files and [`key_file`] the keys
//!   holders keep; [`reading`] reads a patient's record back from branch files.
//! - [`trace`]: every event of a run as JSON lines; [`divergence`]: where two runs of a
//!   seed part; [`replay`]: a sweep row's run again, and the determinism self-check.
//! - The binary's `cli` module is the edge where typed errors become exit codes; the hidden
//!   `fuzzing` module holds the bodies of the fuzz targets in `fuzz/`, beside the rest.
//!
//! # How a run flows
//!
//! [`simulation::run`] draws the chaos settings, builds the nodes ([`actors::Node`]) in
//! [`actors::Roster`] order, schedules churn, and runs the [`sim::Engine`]. The engine
//! pops the next event, hands it to one node's handler with a [`sim::Context`], carries out
//! the commands the handler emitted (messages through the network model, timers, log lines),
//! journals the event, and shows the event with its observations to the invariants. When the
//! queue is empty or the scenario's time is up, the summary rebuilds every branch from the
//! others' chunks, and the digest hashes the journal and every branch's headers.
//!
//! ```
//! use medilanac::scenario::{Scenario, DEFAULT};
//! use medilanac::simulation::run;
//!
//! // The default scenario, made smaller in code: 4 miners, 2 blocks each.
//! let mut scenario = Scenario::parse(DEFAULT).expect("the default scenario parses");
//! scenario.miners = 4;
//! scenario.blocks = 2;
//! let outcome = run(&scenario, 7, None);
//! assert_eq!(outcome.summary.miners, 4);
//! assert_eq!(outcome.violation, None);
//! // Same scenario and seed, same digest.
//! assert_eq!(run(&scenario, 7, None).digest, outcome.digest);
//! println!("{} blocks, digest {}", outcome.summary.blocks, outcome.digest);
//! ```

pub mod actors;
pub mod audit_index;
pub mod chaos;
pub mod csv_input;
pub mod divergence;
pub mod experiments;
pub mod export;
#[doc(hidden)]
pub mod fuzzing;
pub mod heal;
pub mod invariants;
pub mod key_file;
pub mod plot;
pub mod progress;
pub mod protocol;
pub mod reading;
pub mod records_report;
pub mod replay;
pub mod scenario;
pub mod sim;
pub mod simulation;
pub mod summary;
pub mod sweep;
pub mod trace;
