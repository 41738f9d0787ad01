//! Erasure coding and chunks (rules 6, 7, 13): any `k` of `m` chunks rebuild a block.

use crate::support::{self, config, miner_keys, record, AUTHS};
use medilanac::protocol::erasure::{shard_len, CodeError};
use medilanac::protocol::{
    make_chunks, reconstruct, Block, BranchTip, Chunk, ChunkAuth, ChunkError, ChunkProof, Codec,
    HeightStatus, Params, Record, Verifier,
};
use proptest::prelude::*;

/// A code `k` of `m` (m up to 20) and a random order of all `m` chunk indices.
fn code_and_order() -> impl Strategy<Value = (u16, u16, Vec<usize>)> {
    (1u16..=20)
        .prop_flat_map(|m| (Just(m), 1..=m))
        .prop_flat_map(|(m, k)| {
            let order = Just((0..m as usize).collect::<Vec<_>>()).prop_shuffle();
            (Just(k), Just(m), order)
        })
}

fn random_records() -> impl Strategy<Value = Vec<(u64, u64, Vec<u8>)>> {
    prop::collection::vec(
        (
            0u64..4,
            any::<u64>(),
            prop::collection::vec(any::<u8>(), 0..600),
        ),
        0..5,
    )
}

/// Genesis and one block with `records`, and the chunks of both.
fn sealed_pair(
    codec: &Codec,
    auth: ChunkAuth,
    records: Vec<Record>,
) -> (Vec<Block>, Vec<Vec<Chunk>>) {
    let keys = miner_keys(0);
    let params = Params::default();
    let genesis = Block::seal(&keys, &BranchTip::new(), 1, Vec::new(), Vec::new());
    let tip = support::tip_after(&params, std::slice::from_ref(&genesis));
    let block = Block::seal(&keys, &tip, 2, records, Vec::new());
    let blocks = vec![genesis, block];
    let chunks = blocks
        .iter()
        .map(|b| make_chunks(codec, auth, &keys, &b.header, &b.primary_bytes()))
        .collect();
    (blocks, chunks)
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn any_k_distinct_chunks_decode_to_the_original_data(
        data in prop::collection::vec(any::<u8>(), 1..5000),
        (k, m, order) in code_and_order(),
    ) {
        let codec = Codec::new(k, m).unwrap();
        let shards = codec.encode(&data);
        prop_assert_eq!(shards.len(), m as usize);
        for shard in &shards {
            prop_assert_eq!(shard.len(), shard_len(data.len() as u64, k));
        }
        let picked: Vec<(usize, &[u8])> =
            order[..k as usize].iter().map(|&i| (i, &shards[i][..])).collect();
        prop_assert_eq!(codec.decode(&picked, data.len() as u64).unwrap(), data.clone());
        // Repeated chunks count once: k - 1 distinct ones, each given twice, are too few,
        // and the k-th one completes them.
        let mut repeated: Vec<(usize, &[u8])> = picked[..k as usize - 1]
            .iter()
            .flat_map(|&shard| [shard, shard])
            .collect();
        let short = codec.decode(&repeated, data.len() as u64);
        prop_assert!(
            matches!(short, Err(CodeError::TooFewChunks { have, .. }) if have == k as usize - 1),
            "{:?}", short
        );
        repeated.push(picked[k as usize - 1]);
        prop_assert_eq!(codec.decode(&repeated, data.len() as u64).unwrap(), data);
    }
}

proptest! {
    #![proptest_config(config(24))]

    #[test]
    fn any_k_chunks_of_a_sealed_block_rebuild_its_header_and_records(
        records in random_records(),
        (k, m, order) in code_and_order(),
        genesis_offset in any::<prop::sample::Index>(),
    ) {
        let records: Vec<Record> = records
            .into_iter()
            .map(|(patient, sequence, payload)| record(patient, sequence, payload))
            .collect();
        let codec = Codec::new(k, m).unwrap();
        for auth in AUTHS {
            let params = Params { k, m, chunk_auth: auth, ..Params::default() };
            let (blocks, chunks) = sealed_pair(&codec, auth, records.clone());
            // A k-subset of each height, in a random order, genesis a rotated one.
            let shift = genesis_offset.index(m as usize);
            let mut pool: Vec<&Chunk> = order[..k as usize].iter().map(|&i| &chunks[1][i]).collect();
            pool.extend(order[..k as usize].iter().map(|&i| &chunks[0][(i + shift) % m as usize]));
            let mut verifier = Verifier::default();
            let branch = blocks[0].header.branch;
            let rebuilt = reconstruct(&params, &codec, branch, pool, &mut verifier);
            prop_assert!(rebuilt.rejected.is_empty());
            prop_assert_eq!(rebuilt.heights.len(), 2);
            for (height, block) in rebuilt.heights.iter().zip(&blocks) {
                prop_assert_eq!(&height.status, &HeightStatus::Rebuilt);
                prop_assert_eq!(height.chunks, k as usize);
                let (header, records) = height.block.clone().unwrap();
                prop_assert_eq!(&header, &block.header);
                prop_assert_eq!(&records, &block.records);
            }
        }
    }
}

#[test]
fn each_chunk_carries_its_source_block_and_code() {
    for auth in AUTHS {
        let network = support::shared(auth);
        let miner = &network.miners[1];
        for (block, chunks) in miner.blocks.iter().zip(&miner.chunks) {
            assert_eq!(chunks.len(), network.params.m as usize);
            for (index, chunk) in chunks.iter().enumerate() {
                let header = &chunk.header;
                assert_eq!(header.source, miner.branch());
                assert_eq!(header.height, block.header.height);
                assert_eq!(header.index as usize, index);
                assert_eq!((header.k, header.m), (network.params.k, network.params.m));
                assert_eq!(header.primary_len, block.primary_bytes().len() as u64);
                assert_eq!(header.header_hash, block.header.hash());
                let proof_matches = matches!(
                    (&chunk.proof, auth),
                    (ChunkProof::Signature { .. }, ChunkAuth::Signature)
                        | (ChunkProof::Commitment { .. }, ChunkAuth::Commitment)
                );
                assert!(proof_matches, "{auth:?} chunk has a {:?}", chunk.proof);
                assert_eq!(
                    chunk.verify(&network.params, &mut Verifier::default()),
                    Ok(())
                );
            }
        }
    }
}

#[test]
fn every_chunk_a_real_branch_embeds_is_one_of_the_m_chunks_of_its_source_block() {
    for auth in AUTHS {
        let network = support::shared(auth);
        let mut embedded = 0;
        for miner in &network.miners {
            for block in miner.blocks.iter().chain([&miner.candidate]) {
                for chunk in &block.foreign {
                    assert_ne!(chunk.header.source, miner.branch());
                    let siblings = network.siblings(chunk);
                    assert_eq!(siblings.len(), network.params.m as usize);
                    assert_eq!(&siblings[chunk.header.index as usize], chunk);
                    embedded += 1;
                }
            }
        }
        // Six miners, six blocks each after genesis (candidates included), none without.
        assert!(embedded >= 6 * 6, "{embedded} chunks embedded");
    }
}

#[test]
fn a_chunk_of_another_code_is_rejected_as_wrong_code() {
    let network = support::shared(ChunkAuth::Signature);
    let chunk = network.miners[0].chunks[1][0].clone();
    let other = Params {
        k: 2,
        ..network.params.clone()
    };
    let result = chunk.verify(&other, &mut Verifier::default());
    assert!(matches!(
        result,
        Err(ChunkError::WrongCode {
            k: 3,
            m: 5,
            want_k: 2,
            want_m: 5
        })
    ));
}

#[test]
fn a_chunk_index_at_or_above_m_is_rejected_as_bad_index() {
    let network = support::shared(ChunkAuth::Signature);
    let mut chunk = network.miners[0].chunks[1][0].clone();
    chunk.header.index = network.params.m;
    let result = chunk.verify(&network.params, &mut Verifier::default());
    assert!(matches!(
        result,
        Err(ChunkError::BadIndex { index: 5, m: 5 })
    ));
}

#[test]
fn chunk_data_of_the_wrong_length_is_rejected_as_bad_length() {
    for auth in AUTHS {
        let network = support::shared(auth);
        let chunk = &network.miners[0].chunks[1][2];
        let mut longer = chunk.clone();
        longer.data = [&chunk.data[..], &[0u8][..]].concat().into();
        let mut shorter = chunk.clone();
        shorter.data = chunk.data[1..].to_vec().into();
        for bad in [longer, shorter] {
            let result = bad.verify(&network.params, &mut Verifier::default());
            assert!(
                matches!(result, Err(ChunkError::BadLength { .. })),
                "{result:?}"
            );
        }
    }
}

#[test]
fn a_chunk_of_a_block_above_the_maximum_primary_size_is_rejected_as_too_large() {
    let network = support::shared(ChunkAuth::Commitment);
    let chunk = &network.miners[0].chunks[1][0];
    let small = Params {
        max_primary: chunk.header.primary_len - 1,
        ..network.params.clone()
    };
    let result = chunk.verify(&small, &mut Verifier::default());
    assert!(matches!(result, Err(ChunkError::TooLarge(len)) if len == chunk.header.primary_len));
}

#[test]
fn a_chunk_proved_with_a_key_of_another_branch_is_rejected_as_wrong_key() {
    for auth in AUTHS {
        let network = support::shared(auth);
        let mut chunk = network.miners[0].chunks[1][0].clone();
        let intruder = network.keys(1).public();
        match &mut chunk.proof {
            ChunkProof::Signature { key, .. } | ChunkProof::Commitment { key, .. } => {
                *key = intruder
            }
        }
        let result = chunk.verify(&network.params, &mut Verifier::default());
        assert!(matches!(result, Err(ChunkError::WrongKey)), "{result:?}");
    }
}

#[test]
fn a_chunk_with_a_forged_signature_is_rejected_as_bad_signature() {
    for auth in AUTHS {
        let network = support::shared(auth);
        let mut chunk = network.miners[0].chunks[1][0].clone();
        match &mut chunk.proof {
            ChunkProof::Signature { signature, .. } | ChunkProof::Commitment { signature, .. } => {
                signature.0[7] ^= 0x20
            }
        }
        let result = chunk.verify(&network.params, &mut Verifier::default());
        assert!(
            matches!(result, Err(ChunkError::BadSignature)),
            "{result:?}"
        );
    }
}

#[test]
fn a_chunk_whose_path_misses_the_commitment_is_rejected_as_bad_path() {
    let network = support::shared(ChunkAuth::Commitment);
    let good = &network.miners[0].chunks[1];
    // The proof of chunk 1 attached to chunk 0: a real path, to the wrong place.
    let mut swapped = good[0].clone();
    swapped.proof = good[1].proof.clone();
    let result = swapped.verify(&network.params, &mut Verifier::default());
    assert!(matches!(result, Err(ChunkError::BadPath)), "{result:?}");
}

#[test]
fn a_commitment_path_over_another_number_of_chunks_is_rejected_as_bad_path() {
    let network = support::shared(ChunkAuth::Commitment);
    let m = network.params.m as u32;
    for chunk in &network.miners[0].chunks[1] {
        for leaf_count in (1..=16).filter(|&count| count != m) {
            let mut chunk = chunk.clone();
            if let ChunkProof::Commitment { path, .. } = &mut chunk.proof {
                path.leaf_count = leaf_count;
            }
            let result = chunk.verify(&network.params, &mut Verifier::default());
            assert_eq!(result, Err(ChunkError::BadPath), "{leaf_count} leaves");
        }
    }
}

#[test]
fn a_chunk_with_the_other_kind_of_proof_is_rejected_as_wrong_proof_kind() {
    let signed = support::shared(ChunkAuth::Signature);
    let committed = support::shared(ChunkAuth::Commitment);
    let chunk = &signed.miners[0].chunks[1][0];
    let result = chunk.verify(&committed.params, &mut Verifier::default());
    assert!(matches!(result, Err(ChunkError::WrongProofKind)));
    let chunk = &committed.miners[0].chunks[1][0];
    let result = chunk.verify(&signed.params, &mut Verifier::default());
    assert!(matches!(result, Err(ChunkError::WrongProofKind)));
}

#[test]
fn a_commitment_is_signed_once_per_block_and_signatures_once_per_chunk() {
    let network = support::shared(ChunkAuth::Commitment);
    let signatures: Vec<_> = network.miners[0].chunks[1]
        .iter()
        .map(|chunk| match &chunk.proof {
            ChunkProof::Commitment {
                signature, root, ..
            } => (signature.0, *root),
            other => panic!("unexpected proof {other:?}"),
        })
        .collect();
    assert!(signatures.windows(2).all(|pair| pair[0] == pair[1]));
    let network = support::shared(ChunkAuth::Signature);
    let signatures: Vec<_> = network.miners[0].chunks[1]
        .iter()
        .map(|chunk| match &chunk.proof {
            ChunkProof::Signature { signature, .. } => signature.0,
            other => panic!("unexpected proof {other:?}"),
        })
        .collect();
    assert!(signatures.windows(2).all(|pair| pair[0] != pair[1]));
}
