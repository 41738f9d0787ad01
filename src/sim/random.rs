//! Seeded random streams, one per component.
//!
//! Each stream is ChaCha20 keyed by SHA-256 of (run seed, component kind, index), so adding
//! a component or drawing more numbers in one never changes what another draws, and a run
//! reproduces from its seed on any machine. There is no other source of randomness.

use crate::protocol::Hash;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

/// The random stream type every component uses.
pub type Rng = ChaCha20Rng;

/// The stream of component `kind` number `index` in the run with `seed`.
pub fn stream(seed: u64, kind: &str, index: u64) -> Rng {
    let key = Hash::of_parts(&[
        b"medilanac/stream",
        &seed.to_le_bytes(),
        kind.as_bytes(),
        &index.to_le_bytes(),
    ]);
    Rng::from_seed(key.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng as _;

    #[test]
    fn streams_are_reproducible_and_independent() {
        let draw = |seed, kind, index| stream(seed, kind, index).gen::<u64>();
        assert_eq!(draw(1, "miner", 0), draw(1, "miner", 0));
        assert_ne!(draw(1, "miner", 0), draw(2, "miner", 0));
        assert_ne!(draw(1, "miner", 0), draw(1, "miner", 1));
        assert_ne!(draw(1, "miner", 0), draw(1, "network", 0));
    }
}
