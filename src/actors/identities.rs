//! Where every participant's keys come from: the one place they are derived.
//!
//! Keys follow from the run's seed, a role and a number (DESIGN rule 1), so the simulation
//! that builds the actors and the export that writes what holders keep derive the same ones
//! by asking here.

use crate::protocol::envelope::ReaderKeys;
use crate::protocol::KeyPair;

/// The keys patient `number` holds in a run with `seed`: its reading key and its signing
/// keys, the original first, then (when its key is `stolen` in the run) the successor it
/// moves to.
pub fn patient_keys(seed: u64, number: usize, stolen: bool) -> (ReaderKeys, Vec<KeyPair>) {
    let reading = ReaderKeys::derive(seed, "patient", number as u64);
    let mut signing = vec![KeyPair::derive(seed, "patient", number as u64)];
    if stolen {
        signing.push(KeyPair::derive(seed, "patient/successor", number as u64));
    }
    (reading, signing)
}

/// The signing key patient `number` starts with.
pub fn patient_signing_key(seed: u64, number: usize) -> KeyPair {
    KeyPair::derive(seed, "patient", number as u64)
}

/// The reading key of miner `number` (its institution's, which outlives wipes).
pub fn miner_reading_keys(seed: u64, number: usize) -> ReaderKeys {
    ReaderKeys::derive(seed, "miner", number as u64)
}

/// The reading key of the research institute outside the network.
pub fn researcher_keys(seed: u64) -> ReaderKeys {
    ReaderKeys::derive(seed, "researcher", 0)
}
