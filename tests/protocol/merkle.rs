//! Merkle trees (rules 3, 7, 11): every leaf proves its place under the root, and nothing
//! else does.

use crate::support::{config, flip_hash};
use medilanac::protocol::merkle::{leaf_hash, MerkleTree};
use medilanac::protocol::Hash;
use proptest::prelude::*;
use proptest::sample::Index;

/// Between 1 and 99 distinct leaves of random data (each prefixed with its position).
fn leaves() -> impl Strategy<Value = Vec<Vec<u8>>> {
    prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 1..100).prop_map(|items| {
        items
            .into_iter()
            .enumerate()
            .map(|(i, mut item)| {
                item.splice(0..0, (i as u32).to_le_bytes());
                item
            })
            .collect()
    })
}

fn tree_of(items: &[Vec<u8>]) -> MerkleTree {
    MerkleTree::from_data(items.iter().map(Vec::as_slice))
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn every_leaf_proof_verifies_against_the_root(items in leaves()) {
        let tree = tree_of(&items);
        prop_assert_eq!(tree.leaf_count(), items.len());
        let root = tree.root();
        for (index, item) in items.iter().enumerate() {
            let proof = tree.proof(index).unwrap();
            prop_assert_eq!(proof.index as usize, index);
            prop_assert_eq!(proof.leaf_count as usize, items.len());
            prop_assert!(proof.siblings.len() <= 7);
            prop_assert!(proof.verify(&root, &leaf_hash(&[item])), "leaf {}", index);
            prop_assert_eq!(proof.encoded_len(), 8 + 32 * proof.siblings.len());
        }
        prop_assert!(tree.proof(items.len()).is_none());
    }

    #[test]
    fn a_proof_fails_for_another_leaf_or_a_changed_sibling(
        items in leaves(),
        (which, other, sibling) in (any::<Index>(), any::<Index>(), any::<Index>()),
        noise in any::<u64>(),
    ) {
        let tree = tree_of(&items);
        let root = tree.root();
        let index = which.index(items.len());
        let proof = tree.proof(index).unwrap();
        let leaf = leaf_hash(&[&items[index]]);
        // Another leaf of the tree, or data that is in no leaf.
        let other = other.index(items.len());
        if other != index {
            prop_assert!(!proof.verify(&root, &leaf_hash(&[&items[other]])));
        }
        let mut outside = items[index].clone();
        outside.push(0);
        prop_assert!(!proof.verify(&root, &leaf_hash(&[&outside])));
        prop_assert!(!proof.verify(&root, &flip_hash(&leaf, noise)));
        // The raw data itself, not leaf-hashed, is not a leaf.
        prop_assert!(!proof.verify(&root, &Hash::of(&items[index])));
        if !proof.siblings.is_empty() {
            let mut changed = proof.clone();
            let at = sibling.index(changed.siblings.len());
            changed.siblings[at] = flip_hash(&changed.siblings[at], noise);
            prop_assert!(!changed.verify(&root, &leaf));
            let mut dropped = proof.clone();
            dropped.siblings.remove(at);
            prop_assert!(!dropped.verify(&root, &leaf));
        }
        let mut extra = proof.clone();
        extra.siblings.push(leaf);
        prop_assert!(!extra.verify(&root, &leaf));
        // Another position, or a root of another tree.
        if other != index {
            let mut moved = proof.clone();
            moved.index = other as u32;
            prop_assert!(!moved.verify(&root, &leaf));
        }
        prop_assert!(!proof.verify(&flip_hash(&root, noise), &leaf));
        let mut past_end = proof;
        past_end.index = items.len() as u32;
        prop_assert!(!past_end.verify(&root, &leaf));
    }

    #[test]
    fn changing_or_reordering_any_leaf_changes_the_root(
        items in leaves(),
        (which, other) in (any::<Index>(), any::<Index>()),
        position in any::<Index>(),
        mask in 1u8..,
    ) {
        let root = tree_of(&items).root();
        let index = which.index(items.len());
        let mut changed = items.clone();
        let byte = position.index(changed[index].len());
        changed[index][byte] ^= mask;
        prop_assert_ne!(tree_of(&changed).root(), root);
        let other = other.index(items.len());
        if other != index {
            let mut swapped = items.clone();
            swapped.swap(index, other);
            prop_assert_ne!(tree_of(&swapped).root(), root);
        }
        let mut longer = items.clone();
        longer.push(items[index].clone());
        prop_assert_ne!(tree_of(&longer).root(), root);
        let mut shorter = items;
        shorter.pop();
        prop_assert_ne!(tree_of(&shorter).root(), root);
    }
}
