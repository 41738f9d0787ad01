//! Validation (rules 1-9): one test per `BlockError` variant, each breaking exactly that
//! rule in an otherwise valid block, and valid multi-miner branches that pass.

use crate::support::{
    self, count_params, network, params, record, records_for, resign, shared, Network, AUTHS,
};
use medilanac::protocol::validate::{extend_headers, validate_branch, validate_headers};
use medilanac::protocol::{
    Block, BlockError, BranchTip, Chunk, ChunkAuth, ChunkError, ForeignRule, Hash, Params,
    Placement, Requirement, Verifier,
};

/// The miner whose next block the tests break.
const MINER: usize = 3;

/// The network of six miners with five blocks each after genesis, and `MINER`'s valid next
/// block (the one its real miner sealed next).
fn setup(auth: ChunkAuth) -> (&'static Network, Block) {
    setup_with(params(auth))
}

fn setup_with(params: Params) -> (&'static Network, Block) {
    let network = network(params, 6, 5);
    let block = network.candidate(MINER);
    assert_eq!(
        network.check(MINER, &block),
        Ok(()),
        "the unbroken block is valid"
    );
    (network, block)
}

/// The block with its header changed by `change` and signed again by its miner.
fn resigned(network: &Network, block: &Block, change: impl FnOnce(&mut Block)) -> Block {
    let mut block = block.clone();
    change(&mut block);
    resign(&mut block.header, network.keys(MINER));
    block
}

#[test]
fn a_block_at_the_wrong_height_is_rejected() {
    let (network, block) = setup(ChunkAuth::Signature);
    let expected = block.header.height;
    for found in [expected + 1, expected - 1, 0] {
        let block = resigned(network, &block, |b| b.header.height = found);
        assert_eq!(
            network.check(MINER, &block),
            Err(BlockError::Height { expected, found })
        );
    }
}

#[test]
fn a_branch_that_skips_a_height_is_rejected_there() {
    let network = shared(ChunkAuth::Commitment);
    let mut blocks = network.blocks(MINER).to_vec();
    blocks.remove(2);
    let error = validate_branch(&network.params, &blocks, &mut Verifier::default()).unwrap_err();
    assert_eq!(error.height, 3);
    assert!(matches!(
        error.error,
        BlockError::Height {
            expected: 2,
            found: 3
        }
    ));
}

#[test]
fn a_branch_id_that_is_not_the_hash_of_the_key_is_rejected() {
    let (network, block) = setup(ChunkAuth::Commitment);
    let other = network.branch(MINER + 1);
    let block = resigned(network, &block, |b| b.header.branch = other);
    assert!(matches!(
        network.check(MINER, &block),
        Err(BlockError::BranchId)
    ));
    // Genesis too: a branch id must name the key it carries.
    let keys = network.keys(MINER);
    let mut genesis = Block::seal(keys, &BranchTip::new(), 0, Vec::new(), Vec::new());
    genesis.header.branch = Hash::of(b"not a key");
    resign(&mut genesis.header, keys);
    let result = validate_branch(&network.params, &[genesis], &mut Verifier::default());
    assert!(matches!(result.unwrap_err().error, BlockError::BranchId));
}

#[test]
fn a_block_signed_under_another_key_than_genesis_is_rejected() {
    let (network, block) = setup(ChunkAuth::Signature);
    // Another miner seals a block on this branch's tip: consistent in itself (its branch id
    // is its own key's hash, its signature verifies), but the key is not the genesis key.
    let intruder = network.keys(MINER + 1);
    let forged = Block::seal(
        intruder,
        network.tip(MINER),
        block.header.time,
        block.records.clone(),
        block.foreign.clone(),
    );
    assert!(matches!(
        network.check(MINER, &forged),
        Err(BlockError::KeyChanged)
    ));
}

#[test]
fn a_header_whose_signature_does_not_verify_is_rejected() {
    let (network, block) = setup(ChunkAuth::Commitment);
    let mut forged = block.clone();
    forged.header.signature.0[0] ^= 0x80;
    assert!(matches!(
        network.check(MINER, &forged),
        Err(BlockError::Signature)
    ));
    // A field changed after signing, and a signature by another key.
    let mut changed = block.clone();
    changed.header.time += 1;
    assert!(matches!(
        network.check(MINER, &changed),
        Err(BlockError::Signature)
    ));
    let mut foreign_signer = block;
    resign(&mut foreign_signer.header, network.keys(0));
    assert!(matches!(
        network.check(MINER, &foreign_signer),
        Err(BlockError::Signature)
    ));
}

#[test]
fn a_header_with_too_many_or_too_few_links_is_rejected() {
    let (network, block) = setup(ChunkAuth::Signature);
    let extra = resigned(network, &block, |b| {
        b.header.prev_headers.push(Hash::of(b"extra"))
    });
    assert!(matches!(
        network.check(MINER, &extra),
        Err(BlockError::LinkCount {
            expected: 1,
            found: 2
        })
    ));
    let none = resigned(network, &block, |b| b.header.prev_headers.clear());
    assert!(matches!(
        network.check(MINER, &none),
        Err(BlockError::LinkCount {
            expected: 1,
            found: 0
        })
    ));
}

#[test]
fn with_three_links_the_link_count_grows_to_three_and_stays() {
    let params = Params {
        links: 3,
        ..support::params(ChunkAuth::Commitment)
    };
    let network = network(params, 6, 6);
    for (height, block) in network.blocks(MINER).iter().enumerate() {
        assert_eq!(block.header.prev_headers.len(), height.min(3));
    }
    let block = network.candidate(MINER);
    let short = resigned(network, &block, |b| {
        b.header.prev_headers.pop();
    });
    assert!(matches!(
        network.check(MINER, &short),
        Err(BlockError::LinkCount {
            expected: 3,
            found: 2
        })
    ));
}

#[test]
fn a_link_that_names_another_header_is_rejected() {
    let (network, block) = setup(ChunkAuth::Commitment);
    let wrong = resigned(network, &block, |b| {
        b.header.prev_headers[0] = Hash::of(b"elsewhere")
    });
    assert!(matches!(
        network.check(MINER, &wrong),
        Err(BlockError::Link { link: 0 })
    ));
    // With three links, the oldest one is checked too.
    let params = Params {
        links: 3,
        ..support::params(ChunkAuth::Commitment)
    };
    let network = support::network(params, 6, 6);
    let block = network.candidate(MINER);
    assert_eq!(network.check(MINER, &block), Ok(()));
    let wrong = resigned(network, &block, |b| b.header.prev_headers.swap(1, 2));
    assert!(matches!(
        network.check(MINER, &wrong),
        Err(BlockError::Link { link: 1 })
    ));
    let older = network.blocks(MINER)[0].header.hash();
    let wrong = resigned(network, &block, |b| b.header.prev_headers[2] = older);
    assert!(matches!(
        network.check(MINER, &wrong),
        Err(BlockError::Link { link: 2 })
    ));
}

#[test]
fn a_wrong_previous_block_hash_is_rejected() {
    let (network, block) = setup(ChunkAuth::Signature);
    // The previous block's header hash instead of its whole-block hash.
    let previous = network.blocks(MINER).last().unwrap().header.hash();
    let wrong = resigned(network, &block, |b| b.header.prev_block = previous);
    assert!(matches!(
        network.check(MINER, &wrong),
        Err(BlockError::PrevBlock)
    ));
    // A genesis block must name no previous block.
    let keys = network.keys(MINER);
    let mut genesis = Block::seal(keys, &BranchTip::new(), 0, Vec::new(), Vec::new());
    genesis.header.prev_block = Hash::of(b"before time");
    resign(&mut genesis.header, keys);
    let result = validate_branch(&network.params, &[genesis], &mut Verifier::default());
    assert!(matches!(result.unwrap_err().error, BlockError::PrevBlock));
}

#[test]
fn a_genesis_block_with_records_or_foreign_chunks_is_rejected() {
    let network = shared(ChunkAuth::Commitment);
    let keys = network.keys(MINER);
    let with_records = Block::seal(
        keys,
        &BranchTip::new(),
        0,
        records_for(MINER, 0, &[10]),
        Vec::new(),
    );
    let with_chunks = Block::seal(
        keys,
        &BranchTip::new(),
        0,
        Vec::new(),
        vec![network.miners[0].chunks[0][0].clone()],
    );
    for genesis in [with_records, with_chunks] {
        let result = validate_branch(&network.params, &[genesis], &mut Verifier::default());
        let error = result.unwrap_err();
        assert_eq!(error.height, 0);
        assert!(matches!(error.error, BlockError::GenesisNotEmpty));
    }
}

#[test]
fn records_that_do_not_match_the_files_root_or_count_are_rejected() {
    let (network, block) = setup(ChunkAuth::Signature);
    // Another validly signed record of the same size in place of the first one.
    let mut swapped = block.clone();
    let first = &swapped.records[0];
    swapped.records[0] = record(7, first.sequence, vec![0x55; first.payload.len()]);
    assert!(matches!(
        network.check(MINER, &swapped),
        Err(BlockError::FilesRoot)
    ));
    let mut reordered = block.clone();
    reordered.records.reverse();
    assert!(matches!(
        network.check(MINER, &reordered),
        Err(BlockError::FilesRoot)
    ));
    let miscounted = resigned(network, &block, |b| b.header.file_count += 1);
    assert!(matches!(
        network.check(MINER, &miscounted),
        Err(BlockError::FilesRoot)
    ));
}

#[test]
fn a_header_that_misstates_the_body_size_is_rejected() {
    let (network, block) = setup(ChunkAuth::Commitment);
    let actual = block.header.body_size;
    let claimed = actual - 1;
    let wrong = resigned(network, &block, |b| b.header.body_size = claimed);
    assert_eq!(
        network.check(MINER, &wrong),
        Err(BlockError::BodySize { claimed, actual })
    );
}

#[test]
fn a_record_not_signed_by_its_patient_is_rejected() {
    let (network, block) = setup(ChunkAuth::Signature);
    let mut records = block.records.clone();
    records[1].signature.0[3] ^= 4;
    let sealed = network.seal_with(MINER, records, block.foreign.clone());
    assert!(matches!(
        network.check(MINER, &sealed),
        Err(BlockError::RecordSignature { index: 1 })
    ));
}

#[test]
fn a_block_below_the_minimum_primary_size_is_rejected_but_genesis_is_exempt() {
    let (network, block) = setup(ChunkAuth::Commitment);
    let size = block.header.primary_size();
    let strict = Params {
        min_primary: size + 1,
        ..network.params.clone()
    };
    assert_eq!(
        network.check_with(&strict, MINER, &block),
        Err(BlockError::TooSmall {
            size,
            min: size + 1
        })
    );
    let exact = Params {
        min_primary: size,
        ..network.params.clone()
    };
    assert_eq!(network.check_with(&exact, MINER, &block), Ok(()));
    let genesis = &network.blocks(MINER)[..1];
    validate_branch(&strict, genesis, &mut Verifier::default()).unwrap();
}

#[test]
fn a_block_above_the_maximum_primary_size_is_rejected() {
    let (network, block) = setup(ChunkAuth::Signature);
    let size = block.header.primary_size();
    assert_eq!(size, block.primary_bytes().len() as u64);
    let strict = Params {
        max_primary: size - 1,
        ..network.params.clone()
    };
    assert_eq!(
        network.check_with(&strict, MINER, &block),
        Err(BlockError::TooLarge {
            size,
            max: size - 1
        })
    );
}

/// Found by fuzzing (`fuzz/corpus/header/crash-primary-size-overflow`): a signed header
/// claiming a body of nearly `u64::MAX` bytes made the primary size wrap around to a small
/// number, which passed the maximum (and panicked in a debug build).
#[test]
fn a_header_claiming_an_absurd_body_size_is_too_large_not_wrapped_around() {
    let (network, block) = setup(ChunkAuth::Signature);
    let wrong = resigned(network, &block, |b| b.header.body_size = u64::MAX - 10);
    assert_eq!(
        network.check(MINER, &wrong),
        Err(BlockError::TooLarge {
            size: u64::MAX,
            max: network.params.max_primary
        })
    );
}

#[test]
fn foreign_chunks_that_do_not_match_the_chunks_root_or_count_are_rejected() {
    let (network, block) = setup(ChunkAuth::Commitment);
    assert!(block.foreign.len() >= 2);
    let mut reordered = block.clone();
    reordered.foreign.swap(0, 1);
    assert!(matches!(
        network.check(MINER, &reordered),
        Err(BlockError::ChunksRoot)
    ));
    let mut dropped = block.clone();
    dropped.foreign.pop();
    assert!(matches!(
        network.check(MINER, &dropped),
        Err(BlockError::ChunksRoot)
    ));
    let miscounted = resigned(network, &block, |b| b.header.chunk_count -= 1);
    assert!(matches!(
        network.check(MINER, &miscounted),
        Err(BlockError::ChunksRoot)
    ));
}

#[test]
fn a_header_that_misstates_the_foreign_data_size_is_rejected() {
    let (network, block) = setup(ChunkAuth::Signature);
    let actual = block.header.foreign_size;
    let claimed = actual + 1000;
    let wrong = resigned(network, &block, |b| b.header.foreign_size = claimed);
    assert_eq!(
        network.check(MINER, &wrong),
        Err(BlockError::ForeignSize { claimed, actual })
    );
}

#[test]
fn too_little_foreign_data_breaks_the_size_form_of_rule_8() {
    for auth in AUTHS {
        let (network, block) = setup(auth);
        let needed = match network
            .params
            .requirement(network.tip(MINER).last_primary())
        {
            Requirement::Bytes(needed) => needed,
            other => panic!("size rule asks for {other:?}"),
        };
        let mut foreign = block.foreign.clone();
        foreign.pop();
        let have: u64 = foreign.iter().map(|c| c.data.len() as u64).sum();
        assert!(have < needed);
        let short = network.seal_with(MINER, block.records.clone(), foreign);
        assert_eq!(
            network.check(MINER, &short),
            Err(BlockError::TooFewForeignBytes { have, needed })
        );
    }
}

#[test]
fn the_size_rule_asks_for_m_over_k_times_the_previous_primary_size_plus_the_threshold() {
    let threshold = 64;
    let params = Params {
        foreign: ForeignRule::Size { threshold },
        ..support::params(ChunkAuth::Commitment)
    };
    // Seven miners: the threshold asks each block for one chunk more than the code makes.
    let network = network(params, 7, 3);
    for index in 0..7 {
        network.validate(index).unwrap();
        for pair in network.blocks(index).windows(2) {
            let previous = pair[0].header.primary_size();
            let needed = (previous * 5).div_ceil(3) + threshold;
            assert!(pair[1].header.foreign_size >= needed);
        }
    }
    let block = network.candidate(MINER);
    let mut foreign = block.foreign.clone();
    foreign.pop();
    let short = network.seal_with(MINER, block.records.clone(), foreign);
    assert!(matches!(
        network.check(MINER, &short),
        Err(BlockError::TooFewForeignBytes { .. })
    ));
}

#[test]
fn too_few_foreign_chunks_break_the_count_form_of_rule_8() {
    for auth in AUTHS {
        let (network, block) = setup_with(count_params(auth, 4));
        assert_eq!(block.foreign.len(), 4);
        let mut foreign = block.foreign.clone();
        foreign.pop();
        let short = network.seal_with(MINER, block.records.clone(), foreign);
        assert_eq!(
            network.check(MINER, &short),
            Err(BlockError::TooFewForeignChunks { have: 3, needed: 4 })
        );
    }
}

#[test]
fn a_foreign_chunk_that_fails_verification_is_rejected() {
    for auth in AUTHS {
        let (network, block) = setup(auth);
        let mut foreign = block.foreign.clone();
        foreign[2].data = foreign[2].data.with_flipped_byte(0);
        let sealed = network.seal_with(MINER, block.records.clone(), foreign);
        let expected = match auth {
            ChunkAuth::Signature => ChunkError::BadSignature,
            ChunkAuth::Commitment => ChunkError::BadPath,
        };
        assert_eq!(
            network.check(MINER, &sealed),
            Err(BlockError::ForeignChunk {
                index: 2,
                error: expected
            })
        );
        // A chunk coded for another network is checked against this network's code.
        let mut foreign = block.foreign.clone();
        foreign[1].header.k = 2;
        let sealed = network.seal_with(MINER, block.records.clone(), foreign);
        assert!(matches!(
            network.check(MINER, &sealed),
            Err(BlockError::ForeignChunk {
                index: 1,
                error: ChunkError::WrongCode { .. }
            })
        ));
    }
}

#[test]
fn a_block_embedding_a_chunk_of_its_own_branch_is_rejected() {
    let (network, block) = setup(ChunkAuth::Commitment);
    let mut foreign = block.foreign.clone();
    let own = network.miners[MINER].chunks[1][0].clone();
    foreign.push(own);
    let index = foreign.len() - 1;
    let sealed = network.seal_with(MINER, block.records.clone(), foreign);
    assert_eq!(
        network.check(MINER, &sealed),
        Err(BlockError::OwnChunk { index })
    );
}

#[test]
fn two_chunks_of_one_foreign_block_in_a_branch_are_rejected_under_distinct_placement() {
    for placement in [Placement::Distinct, Placement::Any] {
        let params = Params {
            placement,
            ..support::params(ChunkAuth::Signature)
        };
        let (network, block) = setup_with(params);
        let sibling_of = |chunk: &Chunk| {
            let index = (chunk.header.index as usize + 1) % network.params.m as usize;
            network.siblings(chunk)[index].clone()
        };
        // A second chunk of a foreign block this block already embeds.
        let mut foreign = block.foreign.clone();
        foreign.push(sibling_of(&foreign[0]));
        let index = foreign.len() - 1;
        let (branch, height) = (foreign[0].header.source, foreign[0].header.height);
        let twice = network.seal_with(MINER, block.records.clone(), foreign);
        // A chunk of a foreign block an earlier block of the branch already embeds.
        let earlier = &network.blocks(MINER)[1].foreign[0];
        let mut foreign = block.foreign.clone();
        foreign.push(sibling_of(earlier));
        let again = network.seal_with(MINER, block.records.clone(), foreign);
        match placement {
            Placement::Distinct => {
                assert_eq!(
                    network.check(MINER, &twice),
                    Err(BlockError::DuplicateForeignBlock {
                        index,
                        branch,
                        height
                    })
                );
                assert_eq!(
                    network.check(MINER, &again),
                    Err(BlockError::DuplicateForeignBlock {
                        index,
                        branch: earlier.header.source,
                        height: earlier.header.height
                    })
                );
            }
            Placement::Any => {
                assert_eq!(network.check(MINER, &twice), Ok(()));
                assert_eq!(network.check(MINER, &again), Ok(()));
            }
        }
    }
}

/// Every branch of the network validates, with the expected height and blocks.
fn assert_all_valid(network: &Network, blocks: u64) {
    for index in 0..network.miners.len() {
        let tip = network.validate(index).unwrap();
        assert_eq!(tip.next_height(), blocks);
        assert_eq!(tip.branch(), Some(network.branch(index)));
        let last = network.blocks(index).last().unwrap();
        assert_eq!(tip.last_block(), Some(last.hash()));
        for block in &network.blocks(index)[1..] {
            assert!(!block.foreign.is_empty());
            assert!(block
                .foreign
                .iter()
                .all(|c| c.header.source != network.branch(index)));
        }
    }
}

#[test]
fn a_multi_miner_network_under_the_size_rule_validates() {
    for auth in AUTHS {
        assert_all_valid(shared(auth), 6);
    }
}

#[test]
fn a_multi_miner_network_under_the_count_rule_validates() {
    for auth in AUTHS {
        for per_block in [1, 3, 5] {
            let network = network(count_params(auth, per_block), 6, 5);
            assert_all_valid(network, 6);
            for block in &network.blocks(0)[1..] {
                assert_eq!(block.foreign.len(), per_block as usize);
            }
        }
    }
}

#[test]
fn a_multi_miner_network_with_three_links_validates() {
    for auth in AUTHS {
        let params = Params {
            links: 3,
            ..support::params(auth)
        };
        assert_all_valid(network(params, 6, 6), 7);
        let params = Params {
            links: 3,
            ..count_params(auth, 2)
        };
        assert_all_valid(network(params, 6, 6), 7);
    }
}

#[test]
fn headers_alone_validate_and_extend_like_the_blocks() {
    let params = Params {
        links: 3,
        ..support::params(ChunkAuth::Commitment)
    };
    let network = network(params, 6, 6);
    let headers: Vec<_> = network
        .blocks(MINER)
        .iter()
        .map(|b| b.header.clone())
        .collect();
    let mut verifier = Verifier::default();
    let mut tip = validate_headers(&network.params, &headers[..3], &mut verifier).unwrap();
    extend_headers(&network.params, &mut tip, &headers[3..], &mut verifier).unwrap();
    assert_eq!(tip.next_height(), headers.len() as u64);
    let mut forged = headers.clone();
    forged[4].time += 1;
    let error = validate_headers(&network.params, &forged, &mut verifier).unwrap_err();
    assert_eq!(error.height, 4);
    assert!(matches!(error.error, BlockError::Signature));
}

/// Rules 5 and 8 hold at a receiver that has only headers: a header signed by its miner
/// that claims less foreign data than its predecessor's primary size asks for, or a body
/// beyond the maximum, fails `extend_headers` with that rule's error, before any body is
/// seen. (The header-only path of peer validation; a block path test is above.)
#[test]
fn headers_alone_show_a_breach_of_rules_5_and_8() {
    for auth in AUTHS {
        let network = shared(auth);
        let params = &network.params;
        let headers: Vec<_> = network
            .blocks(MINER)
            .iter()
            .map(|b| b.header.clone())
            .collect();
        let mut tip = BranchTip::new();
        extend_headers(params, &mut tip, &headers[..2], &mut Verifier::default())
            .expect("the real headers pass");
        let needed = match params.requirement(tip.last_primary()) {
            Requirement::Bytes(needed) => needed,
            other => panic!("size rule expected, got {other:?}"),
        };
        let mut short = headers[2].clone();
        short.foreign_size = needed - 1;
        resign(&mut short, network.keys(MINER));
        let error = extend_headers(params, &mut tip.clone(), &[short], &mut Verifier::default())
            .unwrap_err()
            .error;
        assert_eq!(
            error,
            BlockError::TooFewForeignBytes {
                have: needed - 1,
                needed
            }
        );
        assert_eq!(error.rule(), 8);
        let mut large = headers[2].clone();
        large.body_size = params.max_primary;
        resign(&mut large, network.keys(MINER));
        let error = extend_headers(params, &mut tip, &[large], &mut Verifier::default())
            .unwrap_err()
            .error;
        assert!(matches!(error, BlockError::TooLarge { .. }), "{error}");
        assert_eq!(error.rule(), 5);
    }
}
