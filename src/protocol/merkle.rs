//! Merkle trees over files and chunks, with inclusion proofs.
//!
//! Leaves and inner nodes are hashed under different prefixes (0x00, 0x01) so that an inner
//! node can never pass as a leaf. An odd node at the end of a level is promoted unchanged
//! rather than paired with a copy of itself, which would let two different leaf lists share
//! a root. Headers carry the root; a miner that is challenged for a file answers with the
//! file and its proof (DESIGN rule 11).

use super::codec::{DecodeError, Reader, Writer};
use super::hash::Hash;
use serde::{Deserialize, Serialize};

const LEAF: &[u8] = &[0];
const NODE: &[u8] = &[1];
const EMPTY: &[u8] = b"medilanac/empty-merkle-tree";

/// The hash of one leaf, given as the concatenation of `parts` (no copy is made).
pub fn leaf_hash(parts: &[&[u8]]) -> Hash {
    let mut all = Vec::with_capacity(parts.len() + 1);
    all.push(LEAF);
    all.extend_from_slice(parts);
    Hash::of_parts(&all)
}

fn node_hash(left: &Hash, right: &Hash) -> Hash {
    Hash::of_parts(&[NODE, &left.0, &right.0])
}

/// A whole tree, kept by the party that builds it so that it can answer challenges.
#[derive(Clone, Debug)]
pub struct MerkleTree {
    /// `levels[0]` are the leaf hashes, the last level is the root alone.
    levels: Vec<Vec<Hash>>,
}

/// A path from one leaf to the root.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MerkleProof {
    pub index: u32,
    pub leaf_count: u32,
    pub siblings: Vec<Hash>,
}

impl MerkleTree {
    /// Builds the tree over already leaf-hashed values.
    pub fn new(leaves: Vec<Hash>) -> MerkleTree {
        let mut levels = vec![leaves];
        while levels.last().expect("at least one level").len() > 1 {
            let level = levels.last().expect("at least one level");
            let next = level
                .chunks(2)
                .map(|pair| match pair {
                    [left, right] => node_hash(left, right),
                    [alone] => *alone,
                    _ => unreachable!("chunks(2) yields one or two"),
                })
                .collect();
            levels.push(next);
        }
        MerkleTree { levels }
    }

    /// Builds the tree over raw leaf data.
    pub fn from_data<'a>(items: impl IntoIterator<Item = &'a [u8]>) -> MerkleTree {
        MerkleTree::new(items.into_iter().map(|item| leaf_hash(&[item])).collect())
    }

    pub fn leaf_count(&self) -> usize {
        self.levels[0].len()
    }

    /// The root; an empty tree has a fixed root of its own.
    pub fn root(&self) -> Hash {
        match self.levels.last().and_then(|level| level.first()) {
            Some(root) => *root,
            None => Hash::of(EMPTY),
        }
    }

    /// The inclusion proof of leaf `index`, or `None` past the end.
    pub fn proof(&self, index: usize) -> Option<MerkleProof> {
        if index >= self.leaf_count() {
            return None;
        }
        let mut siblings = Vec::with_capacity(self.levels.len() - 1);
        let mut position = index;
        for level in &self.levels[..self.levels.len() - 1] {
            let sibling = position ^ 1;
            if sibling < level.len() {
                siblings.push(level[sibling]);
            }
            position /= 2;
        }
        Some(MerkleProof {
            index: index as u32,
            leaf_count: self.leaf_count() as u32,
            siblings,
        })
    }
}

impl MerkleProof {
    /// Whether this proves `leaf` is leaf `index` of the `leaf_count` under `root`: the
    /// check a challenge answer must pass against the header that commits to `root`.
    pub fn proves(&self, root: &Hash, index: u32, leaf_count: u32, leaf: &Hash) -> bool {
        self.index == index && self.leaf_count == leaf_count && self.verify(root, leaf)
    }

    /// Whether `leaf` (already leaf-hashed) sits at `self.index` under `root`.
    pub fn verify(&self, root: &Hash, leaf: &Hash) -> bool {
        if self.index >= self.leaf_count {
            return false;
        }
        let mut siblings = self.siblings.iter();
        let mut position = self.index as usize;
        let mut width = self.leaf_count as usize;
        let mut current = *leaf;
        while width > 1 {
            let promoted = position == width - 1 && width % 2 == 1;
            if !promoted {
                let Some(sibling) = siblings.next() else {
                    return false;
                };
                current = if position % 2 == 0 {
                    node_hash(&current, sibling)
                } else {
                    node_hash(sibling, &current)
                };
            }
            position /= 2;
            width = width.div_ceil(2);
        }
        siblings.next().is_none() && current == *root
    }

    /// Bytes this proof takes on the wire.
    pub fn encoded_len(&self) -> usize {
        8 + 32 * self.siblings.len()
    }

    /// The proof on its own, as an index stores it: position, width, then the siblings.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut writer = Writer::default();
        writer.u32(self.index).u32(self.leaf_count);
        writer.u32(self.siblings.len() as u32);
        for sibling in &self.siblings {
            writer.hash(sibling);
        }
        writer.bytes
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<MerkleProof, DecodeError> {
        let mut reader = Reader::new(bytes);
        let index = reader.u32()?;
        let leaf_count = reader.u32()?;
        let count = reader.count(32)?;
        let siblings = (0..count)
            .map(|_| reader.hash())
            .collect::<Result<_, _>>()?;
        reader.finish()?;
        Ok(MerkleProof {
            index,
            leaf_count,
            siblings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(count: usize) -> (Vec<Vec<u8>>, MerkleTree) {
        let data: Vec<Vec<u8>> = (0..count).map(|i| vec![i as u8; 3]).collect();
        let tree = MerkleTree::from_data(data.iter().map(Vec::as_slice));
        (data, tree)
    }

    #[test]
    fn every_leaf_proves_for_even_and_odd_counts() {
        for count in 1..=17 {
            let (data, tree) = tree(count);
            for (index, item) in data.iter().enumerate() {
                let proof = tree.proof(index).unwrap();
                assert!(
                    proof.verify(&tree.root(), &leaf_hash(&[item])),
                    "{count} {index}"
                );
            }
            assert!(tree.proof(count).is_none());
        }
    }

    #[test]
    fn wrong_leaf_position_or_root_fails() {
        let (data, tree) = tree(5);
        let proof = tree.proof(2).unwrap();
        assert!(!proof.verify(&tree.root(), &leaf_hash(&[&data[3]])));
        assert!(!proof.verify(&Hash::of(b"other"), &leaf_hash(&[&data[2]])));
        let mut moved = proof.clone();
        moved.index = 3;
        assert!(!moved.verify(&tree.root(), &leaf_hash(&[&data[2]])));
        let mut short = proof;
        short.siblings.pop();
        assert!(!short.verify(&tree.root(), &leaf_hash(&[&data[2]])));
    }

    #[test]
    fn an_inner_node_is_not_a_leaf() {
        let (_, tree) = tree(4);
        let inner = tree.levels[1][0];
        let forged = MerkleProof {
            index: 0,
            leaf_count: 2,
            siblings: vec![tree.levels[1][1]],
        };
        assert_eq!(node_hash(&inner, &tree.levels[1][1]), tree.root());
        assert!(!forged.verify(&tree.root(), &leaf_hash(&[&inner.0])));
    }

    #[test]
    fn odd_promotion_differs_from_duplicating_the_last_leaf() {
        let (_, three) = tree(3);
        let mut data: Vec<Vec<u8>> = (0..3).map(|i| vec![i as u8; 3]).collect();
        data.push(data[2].clone());
        let four = MerkleTree::from_data(data.iter().map(Vec::as_slice));
        assert_ne!(three.root(), four.root());
        assert_ne!(MerkleTree::new(vec![]).root(), three.root());
    }
}
