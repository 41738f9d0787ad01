//! Patients' records: the primary data that blocks store.
//!
//! A record is signed by its patient, so the miner that stores it cannot alter it and every
//! validator can check it. The payload stands for the encrypted file the dissertation
//! describes; the simulator fills it with random bytes, which are indistinguishable from
//! ciphertext and cost the same to hash, store and code.

use super::bytes::Bytes;
use super::codec::{DecodeError, Reader, Writer};
use super::hash::Hash;
use super::keys::{KeyPair, PublicKey, Signature, Verifier};
use super::merkle::leaf_hash;
use serde::{Deserialize, Serialize};

const TAG: &[u8] = b"medilanac/record";

/// One signed patient record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub patient: PublicKey,
    pub sequence: u64,
    pub payload: Bytes,
    pub signature: Signature,
}

impl Record {
    /// A record signed by `keys`.
    pub fn new(keys: &KeyPair, sequence: u64, payload: Bytes) -> Record {
        let patient = keys.public();
        let signature = keys.sign(&digest(&patient, sequence, &payload));
        Record {
            patient,
            sequence,
            payload,
            signature,
        }
    }

    /// Whether the patient really signed this record.
    pub fn verify(&self, verifier: &mut Verifier) -> bool {
        let digest = digest(&self.patient, self.sequence, &self.payload);
        verifier.verify(&self.patient, &digest, &self.signature)
    }

    /// Like [`Record::verify`], given the record's [`Record::leaf`], which covers every
    /// byte of it: a record seen before is not hashed again.
    pub fn verify_with_leaf(&self, leaf: &Hash, verifier: &mut Verifier) -> bool {
        let digest = || digest(&self.patient, self.sequence, &self.payload);
        verifier.verify_content(leaf, &self.patient, &self.signature, digest)
    }

    /// The record's leaf in its block's file Merkle tree: the hash of its encoding.
    pub fn leaf(&self) -> Hash {
        leaf_hash(&[
            &self.patient.0,
            &self.sequence.to_le_bytes(),
            &(self.payload.len() as u64).to_le_bytes(),
            &self.payload,
            &self.signature.0,
        ])
    }

    pub fn encode(&self, writer: &mut Writer) {
        writer
            .fixed(&self.patient.0)
            .u64(self.sequence)
            .bytes(&self.payload)
            .fixed(&self.signature.0);
    }

    pub fn decode(reader: &mut Reader) -> Result<Record, DecodeError> {
        Ok(Record {
            patient: PublicKey(reader.array()?),
            sequence: reader.u64()?,
            payload: Bytes::from(reader.bytes()?),
            signature: Signature(reader.array()?),
        })
    }

    /// Bytes of the encoding.
    pub fn encoded_len(&self) -> usize {
        Self::OVERHEAD + self.payload.len()
    }

    /// Bytes a record takes beyond its payload.
    pub const OVERHEAD: usize = 32 + 8 + 8 + 64;
}

fn digest(patient: &PublicKey, sequence: u64, payload: &[u8]) -> Hash {
    Hash::of_parts(&[TAG, &patient.0, &sequence.to_le_bytes(), payload])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> Record {
        Record::new(
            &KeyPair::derive(1, "patient", 0),
            3,
            Bytes::from(vec![7u8; 64]),
        )
    }

    #[test]
    fn leaf_is_the_leaf_hash_of_the_encoding() {
        let record = record();
        let mut writer = Writer::default();
        record.encode(&mut writer);
        assert_eq!(writer.bytes.len(), record.encoded_len());
        assert_eq!(record.leaf(), leaf_hash(&[&writer.bytes]));
        let mut reader = Reader::new(&writer.bytes);
        assert_eq!(Record::decode(&mut reader).unwrap(), record);
        reader.finish().unwrap();
    }

    #[test]
    fn any_change_breaks_the_signature() {
        let mut verifier = Verifier::default();
        let record = record();
        assert!(record.verify(&mut verifier));
        let mut changed = record.clone();
        changed.payload = record.payload.with_flipped_byte(5);
        assert!(!changed.verify(&mut verifier));
        let mut changed = record.clone();
        changed.sequence += 1;
        assert!(!changed.verify(&mut verifier));
        let mut changed = record;
        changed.patient = KeyPair::derive(1, "patient", 1).public();
        assert!(!changed.verify(&mut verifier));
    }

    /// The cache by leaf must not let a changed record ride on the original's result.
    #[test]
    fn verifying_by_leaf_agrees_with_verifying_in_full() {
        let mut verifier = Verifier::default();
        let record = record();
        let other = Record::new(&KeyPair::derive(1, "patient", 1), 4, record.payload.clone());
        let mut changed = vec![record.clone(), record.clone(), record.clone()];
        changed[0].payload = record.payload.with_flipped_byte(5);
        changed[1].sequence += 1;
        changed[2].signature = other.signature;
        for candidate in [record.clone(), other].iter().chain(&changed) {
            for _ in 0..2 {
                let by_leaf = candidate.verify_with_leaf(&candidate.leaf(), &mut verifier);
                assert_eq!(by_leaf, candidate.verify(&mut Verifier::default()));
            }
        }
        assert!(record.verify_with_leaf(&record.leaf(), &mut verifier));
    }
}
