//! The per-patient index a branch commits to in every block: proof that an audit answer
//! left nothing out.
//!
//! An inclusion proof shows that an entry is on a branch; it cannot show that no other
//! entry is. So each audit entry about a patient names the one before it on the same branch
//! (its `prev`), and every block of an institution's branch carries the root of a sparse
//! Merkle tree that maps each patient to the newest entry about them ([`PatientHead`]: its
//! leaf, the block it is in, and how many there are). Whoever answers "who accessed this
//! patient's records" shows, for each branch, the head under the latest signed header (or
//! that there is none: the tree proves absence too) and walks the `prev` links back; an
//! answer that drops an entry breaks the walk, and one that adds a forged entry breaks a
//! signature or an inclusion proof.
//!
//! The tree is a Jellyfish Merkle tree (`jmt`, Penumbra's maintained fork of Diem's) over
//! SHA-256, versioned by block height. Keeping it costs the branch one update per patient
//! touched in a block (about log16 of the patients in node writes) and one 32-byte root per
//! block; nodes made stale by an update are dropped, so only the newest version can be
//! proven, which is what an answer under the latest header needs. [`HeadStore`] is where the
//! nodes live: [`MemoryStore`] for a miner in a run, SQLite for the audit index.

use super::hash::Hash;
use super::keys::PublicKey;
use jmt::storage::{LeafNode, Node, NodeKey, TreeReader, TreeUpdateBatch};
use jmt::{KeyHash, OwnedValue, RootHash, Sha256Jmt, Version};
use std::collections::BTreeMap;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum TreeError {
    #[error("audit tree: {0}")]
    Tree(String),
    #[error("audit tree store: {0}")]
    Store(String),
}

/// The newest audit entry about one patient on one branch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PatientHead {
    /// The entry's leaf in its block's file tree.
    pub leaf: Hash,
    /// The height of the block it is in.
    pub height: u64,
    /// Entries about the patient on this branch so far.
    pub count: u64,
}

impl PatientHead {
    const LEN: usize = 32 + 8 + 8;

    pub fn encode(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(Self::LEN);
        bytes.extend_from_slice(&self.leaf.0);
        bytes.extend_from_slice(&self.height.to_le_bytes());
        bytes.extend_from_slice(&self.count.to_le_bytes());
        bytes
    }

    pub fn decode(bytes: &[u8]) -> Option<PatientHead> {
        if bytes.len() != Self::LEN {
            return None;
        }
        let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
        Some(PatientHead {
            leaf: Hash(bytes[..32].try_into().expect("32 bytes")),
            height: u64_at(32),
            count: u64_at(40),
        })
    }
}

/// Where a patient sits in the tree.
fn key_of(patient: &PublicKey) -> KeyHash {
    KeyHash::with::<sha2::Sha256>(patient.0)
}

/// Storage for the tree's nodes: it reads them for the tree and keeps what an update wrote.
pub trait HeadStore: TreeReader {
    /// Stores the batch's new nodes and values and drops the nodes it made stale.
    fn write(&mut self, batch: &TreeUpdateBatch) -> Result<(), TreeError>;
}

/// Writes the tree's first, empty version (0); a branch does so before its first block.
pub fn start<S: HeadStore>(store: &mut S) -> Result<Hash, TreeError> {
    apply(store, 0, &[])
}

/// Sets the heads of the patients a block touched, as version `height`, and returns the new
/// root. Versions must grow by one from the last written.
pub fn apply<S: HeadStore>(
    store: &mut S,
    height: Version,
    heads: &[(PublicKey, PatientHead)],
) -> Result<Hash, TreeError> {
    let tree = Sha256Jmt::new(&*store);
    let values = heads
        .iter()
        .map(|(patient, head)| (key_of(patient), Some(head.encode())));
    let (root, batch) = tree
        .put_value_set(values, height)
        .map_err(|e| TreeError::Tree(e.to_string()))?;
    store.write(&batch)?;
    Ok(Hash(root.0))
}

/// A patient's head under version `height` (`None`: no entry about them), with its proof.
pub fn prove<S: TreeReader>(
    store: &S,
    height: Version,
    patient: &PublicKey,
) -> Result<(Option<PatientHead>, HeadProof), TreeError> {
    let tree = Sha256Jmt::new(store);
    let (value, proof) = tree
        .get_with_proof(key_of(patient), height)
        .map_err(|e| TreeError::Tree(e.to_string()))?;
    let head = match value {
        Some(bytes) => Some(
            PatientHead::decode(&bytes)
                .ok_or_else(|| TreeError::Store("a head of the wrong length".into()))?,
        ),
        None => None,
    };
    let proof = borsh::to_vec(&proof).map_err(|e| TreeError::Tree(e.to_string()))?;
    Ok((head, HeadProof(proof)))
}

/// Proof that a patient's head (or its absence) is what a root commits to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeadProof(pub Vec<u8>);

impl HeadProof {
    /// Whether `root` maps `patient` to `head` (to nothing, when `head` is `None`).
    pub fn verify(&self, root: &Hash, patient: &PublicKey, head: Option<&PatientHead>) -> bool {
        let Ok(proof) = borsh::from_slice::<jmt::proof::SparseMerkleProof<sha2::Sha256>>(&self.0)
        else {
            return false;
        };
        let value = head.map(PatientHead::encode);
        proof
            .verify(RootHash(root.0), key_of(patient), value.as_ref())
            .is_ok()
    }
}

/// The tree's nodes in memory, newest version only: what a miner keeps for its branch.
#[derive(Clone, Debug, Default)]
pub struct MemoryStore {
    nodes: BTreeMap<NodeKey, Node>,
    values: BTreeMap<KeyHash, (Version, OwnedValue)>,
}

impl MemoryStore {
    /// A store holding the empty tree's version 0.
    pub fn started() -> MemoryStore {
        let mut store = MemoryStore::default();
        start(&mut store).expect("an empty tree in memory always starts");
        store
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }
}

impl TreeReader for MemoryStore {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        Ok(self.nodes.get(node_key).cloned())
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        Ok(self
            .values
            .get(&key_hash)
            .filter(|(version, _)| *version <= max_version)
            .map(|(_, value)| value.clone()))
    }

    /// Only a restore asks for it, which the simulator never runs; answered anyway.
    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        Ok(self
            .nodes
            .iter()
            .filter_map(|(key, node)| match node {
                Node::Leaf(leaf) => Some((key.clone(), leaf.clone())),
                _ => None,
            })
            .max_by_key(|(_, leaf)| leaf.key_hash()))
    }
}

impl HeadStore for MemoryStore {
    fn write(&mut self, batch: &TreeUpdateBatch) -> Result<(), TreeError> {
        for (key, node) in batch.node_batch.nodes() {
            self.nodes.insert(key.clone(), node.clone());
        }
        for ((version, key), value) in batch.node_batch.values() {
            match value {
                Some(value) => self.values.insert(*key, (*version, value.clone())),
                None => self.values.remove(key),
            };
        }
        for stale in &batch.stale_node_index_batch {
            self.nodes.remove(&stale.node_key);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn patient(i: u8) -> PublicKey {
        PublicKey([i; 32])
    }

    fn head(i: u8, count: u64) -> PatientHead {
        PatientHead {
            leaf: Hash([i.wrapping_mul(3); 32]),
            height: u64::from(i),
            count,
        }
    }

    #[test]
    fn a_head_round_trips_and_a_wrong_length_is_refused() {
        let head = head(4, 9);
        assert_eq!(PatientHead::decode(&head.encode()), Some(head));
        assert_eq!(PatientHead::decode(&head.encode()[1..]), None);
    }

    proptest! {
        /// The tree proves each patient's newest head, proves absence for the others, and
        /// refuses a stale head or a false absence.
        #[test]
        fn the_tree_proves_newest_heads_and_absences(updates in prop::collection::vec(prop::collection::vec(0u8..12, 0..5), 1..8)) {
            let mut store = MemoryStore::started();
            let mut newest = BTreeMap::new();
            let mut root = Hash([0; 32]);
            for (version, touched) in updates.iter().enumerate() {
                let mut heads = BTreeMap::new();
                for &p in touched {
                    let count = newest.get(&p).map_or(0, |h: &PatientHead| h.count) + 1;
                    heads.insert(p, head(p, count));
                    newest.insert(p, head(p, count));
                }
                let heads: Vec<_> = heads.into_iter().map(|(p, h)| (patient(p), h)).collect();
                root = apply(&mut store, version as u64 + 1, &heads).unwrap();
            }
            let latest = updates.len() as u64;
            for p in 0u8..14 {
                let (found, proof) = prove(&store, latest, &patient(p)).unwrap();
                prop_assert_eq!(found, newest.get(&p).copied());
                prop_assert!(proof.verify(&root, &patient(p), found.as_ref()));
                match found {
                    Some(found) => {
                        prop_assert!(!proof.verify(&root, &patient(p), None));
                        let stale = PatientHead { count: found.count + 1, ..found };
                        prop_assert!(!proof.verify(&root, &patient(p), Some(&stale)));
                    }
                    None => prop_assert!(!proof.verify(&root, &patient(p), Some(&head(p, 1)))),
                }
            }
        }
    }

    #[test]
    fn stale_nodes_are_dropped_so_the_store_does_not_grow_with_versions() {
        let mut store = MemoryStore::started();
        for version in 1..=200u64 {
            let touched = (version % 10) as u8;
            apply(
                &mut store,
                version,
                &[(patient(touched), head(touched, version))],
            )
            .unwrap();
        }
        // Ten patients need a root, a few inner nodes and ten leaves, not 200 versions' worth.
        assert!(store.node_count() < 40, "{} nodes", store.node_count());
    }
}
