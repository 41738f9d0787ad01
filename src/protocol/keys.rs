//! Ed25519 identities derived from the run's seed, and a verifier that remembers results.
//!
//! Keys come from `SHA-256(seed, role, index)` so that a run reproduces from its seed alone
//! (DESIGN rule 1). Verification is a pure function of (key, message, signature); the
//! [`Verifier`] computes each distinct triple once per run and reuses the answer, which is
//! still real verification and removes most of the crypto from the simulator's hot path.

use super::digest_map::{DigestKey, DigestMap};
use super::hash::{BranchId, Hash};
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// An Ed25519 public key (32 bytes).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PublicKey(pub [u8; 32]);

/// An Ed25519 signature (64 bytes).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Signature(pub [u8; 64]);

/// A signing key with its public half.
#[derive(Clone)]
pub struct KeyPair {
    signing: SigningKey,
    public: PublicKey,
}

impl KeyPair {
    /// The key of participant `index` in `role` ("miner", "patient", ...) for run `seed`.
    pub fn derive(seed: u64, role: &str, index: u64) -> KeyPair {
        let secret = Hash::of_parts(&[
            b"medilanac/key",
            &seed.to_le_bytes(),
            role.as_bytes(),
            &index.to_le_bytes(),
        ]);
        KeyPair::from_secret(&secret.0)
    }

    /// The key pair from its 32 secret bytes, as a key file holds them.
    pub fn from_secret(secret: &[u8; 32]) -> KeyPair {
        let signing = SigningKey::from_bytes(secret);
        let public = PublicKey(signing.verifying_key().to_bytes());
        KeyPair { signing, public }
    }

    /// The 32 secret bytes, for a key file.
    pub fn secret_bytes(&self) -> [u8; 32] {
        self.signing.to_bytes()
    }

    pub fn public(&self) -> PublicKey {
        self.public
    }

    /// Signs a 32-byte digest; every signed object in the protocol is signed by digest.
    pub fn sign(&self, digest: &Hash) -> Signature {
        Signature(self.signing.sign(&digest.0).to_bytes())
    }
}

impl PublicKey {
    /// The branch this key owns.
    pub fn branch_id(&self) -> BranchId {
        Hash::of(&self.0)
    }
}

/// Counts of signature checks, for the run summary and the benchmarks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VerifyStats {
    /// Ed25519 verifications actually computed.
    pub computed: u64,
    /// Checks answered from the cache.
    pub reused: u64,
}

impl VerifyStats {
    /// The checks made since `earlier` was read.
    pub fn since(self, earlier: VerifyStats) -> VerifyStats {
        VerifyStats {
            computed: self.computed - earlier.computed,
            reused: self.reused - earlier.reused,
        }
    }

    pub fn add(&mut self, more: VerifyStats) {
        self.computed += more.computed;
        self.reused += more.reused;
    }
}

/// A signature check: what was signed, the signature, the key.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Check(Hash, Signature, PublicKey);

impl DigestKey for Check {
    fn digest(&self) -> &Hash {
        &self.0
    }
}

/// Verifies signatures, computing each distinct (key, digest, signature) once. The cache is
/// keyed by the triple itself, found by its digest's leading bytes (`DigestMap`): hashing
/// 128 bytes per lookup cost more than the lookups it saved.
#[derive(Default)]
pub struct Verifier {
    results: DigestMap<Check, bool>,
    /// Results by a hash of the whole signed item, for [`Verifier::verify_content`].
    contents: DigestMap<Hash, bool>,
    pub stats: VerifyStats,
}

impl Verifier {
    pub fn verify(&mut self, key: &PublicKey, digest: &Hash, signature: &Signature) -> bool {
        let id = Check(*digest, *signature, *key);
        if let Some(valid) = self.results.get(id) {
            self.stats.reused += 1;
            return valid;
        }
        self.stats.computed += 1;
        let valid = verify_uncached(key, digest, signature);
        self.results.insert(id, valid);
        valid
    }

    /// Like [`Verifier::verify`] for an item the caller has hashed whole, key and signature
    /// included, into `content`: the same content gives the same answer, so `digest` is
    /// computed only the first time it is seen.
    pub fn verify_content(
        &mut self,
        content: &Hash,
        key: &PublicKey,
        signature: &Signature,
        digest: impl FnOnce() -> Hash,
    ) -> bool {
        if let Some(valid) = self.contents.get(*content) {
            self.stats.reused += 1;
            return valid;
        }
        let valid = self.verify(key, &digest(), signature);
        self.contents.insert(*content, valid);
        valid
    }
}

/// One Ed25519 verification (strict: rejects small-order keys and malleable signatures).
pub fn verify_uncached(key: &PublicKey, digest: &Hash, signature: &Signature) -> bool {
    let Ok(key) = VerifyingKey::from_bytes(&key.0) else {
        return false;
    };
    let signature = ed25519_dalek::Signature::from_bytes(&signature.0);
    key.verify_strict(&digest.0, &signature).is_ok()
}

macro_rules! hex_serde {
    ($type:ident, $len:expr) => {
        impl Serialize for $type {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&hex::encode(self.0))
            }
        }
        impl<'de> Deserialize<'de> for $type {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<$type, D::Error> {
                let text = String::deserialize(deserializer)?;
                let mut bytes = [0u8; $len];
                hex::decode_to_slice(&text, &mut bytes).map_err(|_| {
                    serde::de::Error::custom(concat!("expected ", $len, " hex-encoded bytes"))
                })?;
                Ok($type(bytes))
            }
        }
        impl fmt::Debug for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($type), hex::encode(&self.0[..4]))
            }
        }
    };
}
hex_serde!(PublicKey, 32);
hex_serde!(Signature, 64);

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks of one digest share a bucket in the cache; they must not share an answer.
    #[test]
    fn the_cache_keeps_apart_checks_of_one_digest() {
        let keys = KeyPair::derive(1, "miner", 0);
        let digest = Hash::of(b"one digest");
        let good = keys.sign(&digest);
        let other = KeyPair::derive(1, "miner", 1).sign(&digest);
        let mut verifier = Verifier::default();
        for _ in 0..2 {
            assert!(verifier.verify(&keys.public(), &digest, &good));
            assert!(!verifier.verify(&keys.public(), &digest, &other));
        }
        assert_eq!((verifier.stats.computed, verifier.stats.reused), (2, 2));
    }

    #[test]
    fn keys_are_derived_from_seed_role_and_index() {
        let a = KeyPair::derive(1, "miner", 0).public();
        assert_eq!(a, KeyPair::derive(1, "miner", 0).public());
        assert_ne!(a, KeyPair::derive(2, "miner", 0).public());
        assert_ne!(a, KeyPair::derive(1, "patient", 0).public());
        assert_ne!(a, KeyPair::derive(1, "miner", 1).public());
    }

    #[test]
    fn verifies_good_and_rejects_forged_signatures_even_when_cached() {
        let keys = KeyPair::derive(1, "miner", 0);
        let digest = Hash::of(b"header");
        let signature = keys.sign(&digest);
        let mut verifier = Verifier::default();
        assert!(verifier.verify(&keys.public(), &digest, &signature));
        assert!(verifier.verify(&keys.public(), &digest, &signature));
        assert_eq!(
            verifier.stats,
            VerifyStats {
                computed: 1,
                reused: 1
            }
        );
        let mut forged = signature;
        forged.0[10] ^= 1;
        assert!(!verifier.verify(&keys.public(), &digest, &forged));
        assert!(!verifier.verify(&keys.public(), &Hash::of(b"other"), &signature));
        let other = KeyPair::derive(1, "miner", 1).public();
        assert!(!verifier.verify(&other, &digest, &signature));
    }
}
