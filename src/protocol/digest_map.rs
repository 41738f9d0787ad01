//! A lookup table for keys that begin with a SHA-256 digest, for the verifier's caches.
//!
//! The caches hold millions of entries in a long run; in a `BTreeMap` every lookup walked
//! about twenty nodes comparing 128-byte keys, and showed in profiles. A digest is already
//! uniform, so its first eight bytes serve as the hash as they are. The table is only
//! looked up, never iterated, so its order cannot show in a run: the one place the
//! simulator may use a `HashMap` (clippy forbids it elsewhere).

#![allow(clippy::disallowed_types)]

use super::hash::Hash;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A key whose first field is a digest; only that digest is hashed.
pub trait DigestKey: Eq {
    fn digest(&self) -> &Hash;
}

/// Keys hashed by [`DigestKey::digest`] alone.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Keyed<K>(K);

impl<K: DigestKey> std::hash::Hash for Keyed<K> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let prefix: [u8; 8] = self.0.digest().0[..8].try_into().expect("8 of 32 bytes");
        state.write_u64(u64::from_le_bytes(prefix));
    }
}

/// Takes the one `u64` a [`Keyed`] key writes as the hash.
#[derive(Default)]
struct PrefixHasher(u64);

impl Hasher for PrefixHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ byte as u64;
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

/// Values by digest-led keys.
pub struct DigestMap<K, V>(HashMap<Keyed<K>, V, BuildHasherDefault<PrefixHasher>>);

impl<K, V> Default for DigestMap<K, V> {
    fn default() -> Self {
        DigestMap(HashMap::default())
    }
}

impl<K: DigestKey, V: Copy> DigestMap<K, V> {
    pub fn get(&self, key: K) -> Option<V> {
        self.0.get(&Keyed(key)).copied()
    }

    pub fn insert(&mut self, key: K, value: V) {
        self.0.insert(Keyed(key), value);
    }
}

impl DigestKey for Hash {
    fn digest(&self) -> &Hash {
        self
    }
}
