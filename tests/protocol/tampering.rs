//! Tampering (rules 3, 7, 11, 16): changing any byte of a chunk, a record or a header is
//! caught by the check that receives it.

use crate::support::{
    config, flip, flip_32, flip_64, flip_hash, resign, shared, tip_after, Network, AUTHS,
};
use medilanac::protocol::validate::validate_branch;
use medilanac::protocol::{
    check_block, Block, BlockError, Chunk, ChunkAuth, ChunkError, ChunkProof, PublicKey, Signature,
    Verifier,
};
use proptest::prelude::*;
use proptest::sample::Index;

fn auth(commitment: bool) -> ChunkAuth {
    AUTHS[commitment as usize]
}

/// One chunk of the shared network, chosen by the indices.
fn some_chunk(network: &Network, miner: Index, height: Index, index: Index) -> Chunk {
    let miner = &network.miners[miner.index(network.miners.len())];
    let chunks = &miner.chunks[height.index(miner.chunks.len())];
    chunks[index.index(chunks.len())].clone()
}

fn rejected(network: &Network, chunk: &Chunk) -> Result<(), ChunkError> {
    chunk.verify(&network.params, &mut Verifier::default())
}

/// Checks `block` in place of block `height` of `miner`'s branch, against the real branch
/// before it, both alone and as part of the whole branch.
fn check_in_branch(
    network: &Network,
    miner: usize,
    height: usize,
    block: &Block,
) -> Result<(), BlockError> {
    let before = &network.blocks(miner)[..height];
    let tip = tip_after(&network.params, before);
    let alone = check_block(&network.params, &tip, block, &mut Verifier::default());
    let mut branch = network.blocks(miner).to_vec();
    branch[height] = block.clone();
    let whole = validate_branch(&network.params, &branch, &mut Verifier::default());
    assert_eq!(alone.is_err(), whole.is_err(), "{alone:?} vs {whole:?}");
    alone
}

#[test]
fn every_untampered_chunk_and_branch_of_the_shared_networks_is_valid() {
    for auth in AUTHS {
        let network = shared(auth);
        for (index, miner) in network.miners.iter().enumerate() {
            network.validate(index).unwrap();
            for chunk in miner.chunks.iter().flatten() {
                assert_eq!(rejected(network, chunk), Ok(()));
            }
        }
    }
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn flipping_any_byte_of_chunk_data_is_rejected(
        commitment in any::<bool>(),
        (miner, height, index) in (any::<Index>(), any::<Index>(), any::<Index>()),
        position in any::<usize>(),
        mask in 1u8..,
    ) {
        let network = shared(auth(commitment));
        let mut chunk = some_chunk(network, miner, height, index);
        chunk.data = flip(&chunk.data, position, mask);
        let result = rejected(network, &chunk);
        let expected = match chunk.proof {
            ChunkProof::Signature { .. } => ChunkError::BadSignature,
            ChunkProof::Commitment { .. } => ChunkError::BadPath,
        };
        prop_assert_eq!(result, Err(expected));
    }

    #[test]
    fn changing_any_chunk_header_field_is_rejected(
        commitment in any::<bool>(),
        (miner, height, index) in (any::<Index>(), any::<Index>(), any::<Index>()),
        field in 0usize..7,
        noise in any::<u64>(),
    ) {
        let network = shared(auth(commitment));
        let mut chunk = some_chunk(network, miner, height, index);
        let header = &mut chunk.header;
        match field {
            0 => header.source = flip_hash(&header.source, noise),
            1 => header.height ^= 1 << (noise % 64),
            2 => header.index ^= 1 << (noise % 16),
            3 => header.k ^= 1 << (noise % 16),
            4 => header.m ^= 1 << (noise % 16),
            5 => header.primary_len ^= 1 << (noise % 64),
            _ => header.header_hash = flip_hash(&header.header_hash, noise),
        }
        prop_assert!(rejected(network, &chunk).is_err(), "field {} accepted", field);
    }

    #[test]
    fn changing_any_part_of_a_chunk_proof_is_rejected(
        commitment in any::<bool>(),
        (miner, height, index) in (any::<Index>(), any::<Index>(), any::<Index>()),
        field in 0usize..6,
        noise in any::<u64>(),
    ) {
        let network = shared(auth(commitment));
        let mut chunk = some_chunk(network, miner, height, index);
        match &mut chunk.proof {
            ChunkProof::Signature { key, signature } => match field % 2 {
                0 => *key = PublicKey(flip_32(&key.0, noise)),
                _ => *signature = Signature(flip_64(&signature.0, noise)),
            },
            ChunkProof::Commitment { key, root, signature, path } => match field {
                0 => *key = PublicKey(flip_32(&key.0, noise)),
                1 => *root = flip_hash(root, noise),
                2 => *signature = Signature(flip_64(&signature.0, noise)),
                3 => path.index ^= 1 << (noise % 32),
                4 => path.leaf_count ^= 1 << (noise % 32),
                _ => {
                    // m = 5 leaves: every path has at least two siblings.
                    let sibling = (noise >> 16) as usize % path.siblings.len();
                    path.siblings[sibling] = flip_hash(&path.siblings[sibling], noise);
                }
            },
        }
        prop_assert!(rejected(network, &chunk).is_err(), "field {} accepted", field);
    }

    #[test]
    fn changing_any_part_of_a_record_breaks_its_signature(
        (miner, height, index) in (any::<Index>(), 1usize..6, any::<Index>()),
        field in 0usize..6,
        position in any::<usize>(),
        noise in any::<u64>(),
    ) {
        let network = shared(ChunkAuth::Commitment);
        let block = &network.miners[miner.index(6)].blocks[height];
        let original = &block.records[index.index(block.records.len())];
        prop_assert!(original.verify(&mut Verifier::default()));
        let mut record = original.clone();
        match field {
            0 => record.payload = flip(&record.payload, position, noise as u8),
            1 => record.sequence ^= 1 << (noise % 64),
            2 => record.signature = Signature(flip_64(&record.signature.0, noise)),
            _ => record.patient = PublicKey(flip_32(&record.patient.0, noise)),
        }
        prop_assert!(!record.verify(&mut Verifier::default()));
    }

    #[test]
    fn a_changed_record_in_a_block_is_rejected_resealed_or_not(
        (miner, height, index) in (0usize..6, 1usize..6, any::<Index>()),
        position in any::<usize>(),
        mask in 1u8..,
    ) {
        let network = shared(ChunkAuth::Signature);
        let block = &network.blocks(miner)[height];
        let index = index.index(block.records.len());
        let mut records = block.records.clone();
        records[index].payload = flip(&records[index].payload, position, mask);
        // A holder that swaps the record: the header no longer matches.
        let mut swapped = block.clone();
        swapped.records = records.clone();
        prop_assert_eq!(check_in_branch(network, miner, height, &swapped), Err(BlockError::FilesRoot));
        // The miner itself sealing the forged record: the patient's signature fails.
        let tip = tip_after(&network.params, &network.blocks(miner)[..height]);
        let keys = network.keys(miner);
        let resealed = Block::seal(keys, &tip, block.header.time, records, block.foreign.clone());
        prop_assert_eq!(
            check_in_branch(network, miner, height, &resealed),
            Err(BlockError::RecordSignature { index })
        );
    }

    #[test]
    fn changing_any_header_field_without_the_miners_key_is_rejected(
        (commitment, miner, height) in (any::<bool>(), 0usize..6, 0usize..6),
        field in 0usize..13,
        noise in any::<u64>(),
    ) {
        let network = shared(auth(commitment));
        let mut block = network.blocks(miner)[height].clone();
        prop_assert_eq!(check_in_branch(network, miner, height, &block), Ok(()));
        let header = &mut block.header;
        match field {
            0 => header.branch = flip_hash(&header.branch, noise),
            1 => header.height ^= 1 << (noise % 64),
            2 => header.public_key = PublicKey(flip_32(&header.public_key.0, noise)),
            3 => header.time ^= 1 << (noise % 64),
            4 => match (noise % 3, header.prev_headers.first_mut()) {
                (0, Some(link)) => *link = flip_hash(link, noise >> 2),
                (1, _) | (_, None) => header.prev_headers.push(flip_hash(&header.branch, noise)),
                _ => header.prev_headers.clear(),
            },
            5 => header.prev_block = flip_hash(&header.prev_block, noise),
            6 => header.files_root = flip_hash(&header.files_root, noise),
            7 => header.file_count ^= 1 << (noise % 32),
            8 => header.body_size ^= 1 << (noise % 64),
            9 => header.chunks_root = flip_hash(&header.chunks_root, noise),
            10 => header.chunk_count ^= 1 << (noise % 32),
            11 => header.foreign_size ^= 1 << (noise % 64),
            _ => header.signature = Signature(flip_64(&header.signature.0, noise)),
        }
        prop_assert!(check_in_branch(network, miner, height, &block).is_err(), "field {} accepted", field);
    }

    #[test]
    fn a_changed_foreign_chunk_in_a_block_is_rejected_resealed_or_not(
        (commitment, miner, height) in (any::<bool>(), 0usize..6, 1usize..6),
        index in any::<Index>(),
        position in any::<usize>(),
        mask in 1u8..,
    ) {
        let network = shared(auth(commitment));
        let block = &network.blocks(miner)[height];
        let index = index.index(block.foreign.len());
        let mut foreign = block.foreign.clone();
        foreign[index].data = flip(&foreign[index].data, position, mask);
        let mut swapped = block.clone();
        swapped.foreign = foreign.clone();
        prop_assert_eq!(check_in_branch(network, miner, height, &swapped), Err(BlockError::ChunksRoot));
        let tip = tip_after(&network.params, &network.blocks(miner)[..height]);
        let keys = network.keys(miner);
        let records = block.records.clone();
        let resealed = Block::seal(keys, &tip, block.header.time, records, foreign);
        let result = check_in_branch(network, miner, height, &resealed);
        prop_assert!(
            matches!(result, Err(BlockError::ForeignChunk { index: i, .. }) if i == index),
            "{:?}", result
        );
    }
}

#[test]
fn rewriting_an_earlier_block_breaks_the_links_of_the_next_one() {
    for auth in AUTHS {
        let network = shared(auth);
        let blocks = network.blocks(2);
        for height in 1..blocks.len() - 1 {
            let original = &blocks[height];
            let tip = tip_after(&network.params, &blocks[..height]);
            let mut records = original.records.clone();
            records.reverse();
            let rewritten = Block::seal(
                network.keys(2),
                &tip,
                original.header.time,
                records,
                original.foreign.clone(),
            );
            // The rewrite is a valid block by itself ...
            assert_eq!(
                check_block(&network.params, &tip, &rewritten, &mut Verifier::default()),
                Ok(())
            );
            // ... but the next block names the original.
            let mut branch = blocks.to_vec();
            branch[height] = rewritten;
            let result = validate_branch(&network.params, &branch, &mut Verifier::default());
            let error = result.unwrap_err();
            assert_eq!(error.height, height as u64 + 1);
            assert_eq!(error.error, BlockError::Link { link: 0 });
        }
    }
}

#[test]
fn a_header_signed_with_another_miners_key_is_rejected() {
    let network = shared(ChunkAuth::Commitment);
    let mut block = network.blocks(1)[2].clone();
    resign(&mut block.header, network.keys(0));
    assert_eq!(
        check_in_branch(network, 1, 2, &block),
        Err(BlockError::Signature)
    );
}
