//! Reconstruction (rule 13, rule 4 and the tamperer and equivocator adversaries): a branch
//! is rebuilt from the chunks other branches hold, and never into a block its miner did not
//! seal.

use crate::support::{self, config, flip, network, records_for, shared, tip_after, Network, AUTHS};
use medilanac::protocol::reconstruct::RebuiltHeight;
use medilanac::protocol::{
    make_chunks, reconstruct, Block, Chunk, ChunkAuth, ChunkProof, HeightStatus, Params,
    Reconstruction, Verifier,
};
use proptest::prelude::*;
use proptest::sample::Index;

/// The branch the tests rebuild.
const LOST: usize = 2;

/// How many heights of `LOST`'s branch, from genesis, have at least `k` chunks embedded in
/// the other branches: the prefix a rebuild must give back. Real miners place the chunks of
/// the newest blocks last, so the prefix may stop short of the kept branch; the tests need
/// one of at least `least` heights.
fn placed_prefix(network: &Network, least: u64) -> u64 {
    let placed = network.placed(LOST);
    let k = network.params.k as usize;
    let prefix = placed.iter().take_while(|&&count| count >= k).count() as u64;
    assert!(prefix >= least, "only {prefix} heights placed: {placed:?}");
    prefix
}

fn rebuild<'a>(network: &Network, chunks: impl IntoIterator<Item = &'a Chunk>) -> Reconstruction {
    let codec = network.codec();
    let branch = network.branch(LOST);
    reconstruct(
        &network.params,
        &codec,
        branch,
        chunks,
        &mut Verifier::default(),
    )
}

fn statuses(rebuilt: &Reconstruction) -> Vec<HeightStatus> {
    rebuilt.heights.iter().map(|h| h.status.clone()).collect()
}

/// Whether a rebuilt height holds exactly `block`'s header and records.
fn holds(height: &RebuiltHeight, block: &Block) -> bool {
    height
        .block
        .as_ref()
        .is_some_and(|(header, records)| *header == block.header && *records == block.records)
}

/// Every decoded block is one its miner sealed (one of `versions`), and every height
/// marked rebuilt links back to a rebuilt height.
fn assert_never_wrong(rebuilt: &Reconstruction, versions: &[&Block]) {
    for height in &rebuilt.heights {
        let decoded = matches!(
            height.status,
            HeightStatus::Rebuilt | HeightStatus::Unlinked
        );
        assert!(!decoded || height.block.is_some(), "{height:?}");
        // A height whose links fail keeps its decoded block, marked invalid.
        if height.block.is_some() {
            let sealed = versions
                .iter()
                .filter(|b| b.header.height == height.height)
                .any(|b| holds(height, b));
            assert!(
                sealed,
                "height {} rebuilt into a block never sealed",
                height.height
            );
        }
        if height.status == HeightStatus::Rebuilt && height.height > 0 {
            let (header, _) = height.block.as_ref().unwrap();
            let anchored = header.prev_headers.iter().enumerate().any(|(j, link)| {
                let target = &rebuilt.heights[height.height as usize - 1 - j];
                target.status == HeightStatus::Rebuilt
                    && target.block.as_ref().unwrap().0.hash() == *link
            });
            assert!(anchored, "height {} is not linked", height.height);
        }
    }
}

#[test]
fn a_branch_is_rebuilt_from_the_chunks_other_branches_embed() {
    for auth in AUTHS {
        let network = shared(auth);
        let prefix = placed_prefix(network, 4);
        let placed = network.placed(LOST);
        let chunks = network.embedded_chunks_of(LOST);
        let rebuilt = rebuild(network, &chunks);
        assert!(rebuilt.rejected.is_empty());
        assert_eq!(rebuilt.branch, network.branch(LOST));
        // Heights up to the last one with a chunk placed are reported, each with every
        // chunk placed of it; the heights with k of them placed are rebuilt.
        let reported = placed.iter().rposition(|&count| count > 0).unwrap() + 1;
        assert_eq!(rebuilt.heights.len(), reported);
        assert!(rebuilt.prefix_rebuilt(prefix));
        assert_eq!(rebuilt.rebuilt(), (0..prefix).collect::<Vec<_>>());
        for (height, block) in rebuilt.heights.iter().zip(network.blocks(LOST)) {
            assert_eq!(height.chunks, placed[height.height as usize]);
            if height.height < prefix {
                assert!(holds(height, block));
            }
        }
    }
}

#[test]
fn chunks_of_other_branches_are_ignored() {
    for auth in AUTHS {
        let network = shared(auth);
        let everything = network.embedded_chunks();
        let own = network.embedded_chunks_of(LOST);
        assert!(everything.len() > own.len());
        let rebuilt = rebuild(network, &everything);
        assert!(rebuilt.rejected.is_empty());
        assert_eq!(statuses(&rebuilt), statuses(&rebuild(network, &own)));
        assert!(rebuilt.prefix_rebuilt(placed_prefix(network, 4)));
        // Other branches' chunks alone rebuild nothing of this one.
        let others: Vec<&Chunk> = everything
            .iter()
            .filter(|c| c.header.source != network.branch(LOST))
            .collect();
        let nothing = rebuild(network, others);
        assert!(nothing.heights.is_empty() && nothing.rejected.is_empty());
    }
}

#[test]
fn a_chunk_of_another_branch_relabelled_as_this_one_is_rejected() {
    for auth in AUTHS {
        let network = shared(auth);
        let mut chunks = network.embedded_chunks_of(LOST);
        let mut forged = network.miners[0].chunks[1][0].clone();
        forged.header.source = network.branch(LOST);
        chunks.push(forged.clone());
        let rebuilt = rebuild(network, &chunks);
        assert_eq!(rebuilt.rejected.len(), 1);
        assert_eq!(rebuilt.rejected[0].chunk, forged.id());
        assert!(rebuilt.prefix_rebuilt(placed_prefix(network, 4)));
        assert_never_wrong(&rebuilt, &network.blocks(LOST).iter().collect::<Vec<_>>());
    }
}

#[test]
fn an_old_block_relabelled_to_a_later_height_by_its_own_miner_is_not_rebuilt_there() {
    let network = shared(ChunkAuth::Signature);
    let keys = network.keys(LOST);
    let own = &network.miners[LOST].chunks;
    // The miner replays block 1 as height 3: chunks naming height 3, validly signed.
    let replayed: Vec<Chunk> = own[1]
        .iter()
        .map(|chunk| {
            let mut chunk = chunk.clone();
            chunk.header.height = 3;
            chunk.proof = ChunkProof::Signature {
                key: keys.public(),
                signature: keys.sign(&chunk.leaf()),
            };
            chunk
        })
        .collect();
    let mut verifier = Verifier::default();
    assert_eq!(replayed[0].verify(&network.params, &mut verifier), Ok(()));
    for pool in [
        own[0].iter().chain(&replayed).collect::<Vec<_>>(),
        own[..3].iter().flatten().chain(&replayed).collect(),
    ] {
        let rebuilt = rebuild(network, pool);
        assert!(rebuilt.rejected.is_empty());
        assert_eq!(rebuilt.heights.len(), 4);
        let status = &rebuilt.heights[3].status;
        assert!(matches!(status, HeightStatus::Invalid(_)), "{status:?}");
        assert_never_wrong(&rebuilt, &network.blocks(LOST).iter().collect::<Vec<_>>());
    }
}

#[test]
fn chunks_that_decode_to_another_header_than_they_name_are_not_rebuilt() {
    let network = shared(ChunkAuth::Signature);
    let keys = network.keys(LOST);
    let blocks = network.blocks(LOST);
    let own = &network.miners[LOST].chunks;
    // The miner's chunks of a second block at height 2, relabelled as the published one's.
    let sealed = &blocks[2];
    let tip = tip_after(&network.params, &blocks[..2]);
    let records = records_for(LOST + 100, 2, &[120, 80]);
    let twin = Block::seal(
        keys,
        &tip,
        sealed.header.time,
        records,
        sealed.foreign.clone(),
    );
    let codec = network.codec();
    let twin_chunks = make_chunks(
        &codec,
        network.params.chunk_auth,
        keys,
        &twin.header,
        &twin.primary_bytes(),
    );
    let relabelled: Vec<Chunk> = twin_chunks
        .iter()
        .map(|chunk| {
            let mut chunk = chunk.clone();
            chunk.header.header_hash = sealed.header.hash();
            chunk.proof = ChunkProof::Signature {
                key: keys.public(),
                signature: keys.sign(&chunk.leaf()),
            };
            chunk
        })
        .collect();
    let pool = own[..2].iter().flatten().chain(&relabelled);
    let rebuilt = rebuild(network, pool);
    assert!(rebuilt.rejected.is_empty());
    let status = &rebuilt.heights[2].status;
    assert!(matches!(status, HeightStatus::Invalid(_)), "{status:?}");
    assert!(rebuilt.heights[2].block.is_none());
}

/// The chunks of `chunks`' block, relabelled by `miner` as chunks of its own branch.
fn claimed_by(network: &Network, miner: usize, chunks: &[Chunk]) -> Vec<Chunk> {
    let keys = network.keys(miner);
    let claim = |chunk: &Chunk| {
        let mut chunk = chunk.clone();
        chunk.header.source = network.branch(miner);
        chunk.proof = ChunkProof::Signature {
            key: keys.public(),
            signature: keys.sign(&chunk.leaf()),
        };
        chunk
    };
    chunks.iter().map(claim).collect()
}

#[test]
fn another_branchs_block_passed_off_as_this_branchs_is_not_rebuilt() {
    let network = shared(ChunkAuth::Signature);
    let own = &network.miners[LOST].chunks;
    let other = &network.miners[0].chunks;
    // The miner signs chunks of another miner's genesis block as its own genesis ...
    let genesis = claimed_by(network, LOST, &other[0]);
    let rebuilt = rebuild(network, &genesis);
    assert!(rebuilt.rejected.is_empty());
    let status = &rebuilt.heights[0].status;
    assert!(matches!(status, HeightStatus::Invalid(_)), "{status:?}");
    assert!(rebuilt.rebuilt().is_empty());
    // ... or of another miner's block 1 on top of its own genesis.
    let block = claimed_by(network, LOST, &other[1]);
    let rebuilt = rebuild(network, own[0].iter().chain(&block));
    assert!(rebuilt.rejected.is_empty());
    let status = &rebuilt.heights[1].status;
    assert!(matches!(status, HeightStatus::Invalid(_)), "{status:?}");
    assert_eq!(rebuilt.rebuilt(), vec![0]);
}

#[test]
fn a_rebuilt_header_must_carry_its_miners_signature() {
    for auth in AUTHS {
        let network = shared(auth);
        let keys = network.keys(LOST);
        let own = &network.miners[LOST].chunks;
        // The miner spreads chunks of a block whose header it never signed.
        let mut unsigned = network.blocks(LOST)[1].clone();
        unsigned.header.signature.0[5] ^= 0x10;
        let codec = network.codec();
        let primary = unsigned.primary_bytes();
        let chunks = make_chunks(&codec, auth, keys, &unsigned.header, &primary);
        let rebuilt = rebuild(network, own[0].iter().chain(&chunks));
        assert!(rebuilt.rejected.is_empty());
        let status = &rebuilt.heights[1].status;
        assert!(matches!(status, HeightStatus::Invalid(_)), "{status:?}");
        assert_eq!(rebuilt.rebuilt(), vec![0]);
    }
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn a_corrupted_chunk_is_rejected_and_the_height_rebuilt_from_the_good_ones(
        commitment in any::<bool>(),
        pick in any::<Index>(),
        position in any::<usize>(),
        mask in 1u8..,
    ) {
        let network = shared(AUTHS[commitment as usize]);
        let prefix = placed_prefix(network, 4);
        let placed = network.placed(LOST);
        let k = network.params.k as usize;
        let mut chunks = network.embedded_chunks_of(LOST);
        // A chunk of a height with more than k chunks placed, so k good ones are left.
        let spare: Vec<usize> = (0..chunks.len())
            .filter(|&i| placed[chunks[i].header.height as usize] > k)
            .collect();
        prop_assert!(!spare.is_empty(), "{:?}", placed);
        let at = spare[pick.index(spare.len())];
        chunks[at].data = flip(&chunks[at].data, position, mask);
        let id = chunks[at].id();
        let rebuilt = rebuild(network, &chunks);
        prop_assert_eq!(rebuilt.rejected.len(), 1);
        prop_assert_eq!(rebuilt.rejected[0].chunk, id);
        let height = &rebuilt.heights[id.height as usize];
        prop_assert_eq!(height.chunks, placed[id.height as usize] - 1);
        prop_assert!(rebuilt.prefix_rebuilt(prefix));
        assert_never_wrong(&rebuilt, &network.blocks(LOST).iter().collect::<Vec<_>>());
    }

    #[test]
    fn a_corrupted_chunk_among_only_k_leaves_the_height_too_few_never_wrong(
        commitment in any::<bool>(),
        height in any::<Index>(),
        order in Just((0..5usize).collect::<Vec<_>>()).prop_shuffle(),
        corrupt in any::<Index>(),
        field in 0usize..3,
        position in any::<usize>(),
    ) {
        let network = shared(AUTHS[commitment as usize]);
        let prefix = placed_prefix(network, 4);
        let height = height.index(prefix as usize) as u64;
        let k = network.params.k as usize;
        let all = network.embedded_chunks_of(LOST);
        let (mut at_height, mut rest): (Vec<Chunk>, Vec<Chunk>) =
            all.into_iter().partition(|c| c.header.height == height);
        at_height.sort_by_key(|c| c.header.index);
        // k of the chunks placed at the height (at least k, at most m = 5, are).
        let mut kept: Vec<Chunk> = order
            .iter()
            .filter(|&&i| i < at_height.len())
            .take(k)
            .map(|&i| at_height[i].clone())
            .collect();
        let bad = corrupt.index(k);
        let chunk = &mut kept[bad];
        match field {
            0 => chunk.data = flip(&chunk.data, position, 0x80),
            1 => chunk.header.header_hash = support::flip_hash(&chunk.header.header_hash, position as u64),
            _ => chunk.header.primary_len += 1 + position as u64 % 3,
        }
        rest.extend(kept);
        let rebuilt = rebuild(network, &rest);
        prop_assert_eq!(rebuilt.rejected.len(), 1);
        let status = &rebuilt.heights[height as usize].status;
        prop_assert_eq!(status, &HeightStatus::TooFewChunks { have: k - 1 });
        prop_assert!(rebuilt.prefix_rebuilt(height));
        for later in &rebuilt.heights[height as usize + 1..prefix as usize] {
            prop_assert_eq!(&later.status, &HeightStatus::Unlinked);
        }
        prop_assert!(rebuilt.rebuilt().iter().all(|&h| h < height));
        assert_never_wrong(&rebuilt, &network.blocks(LOST).iter().collect::<Vec<_>>());
    }

    #[test]
    fn equivocating_chunks_never_rebuild_a_mixed_or_unsealed_block(
        commitment in any::<bool>(),
        (first, second) in (0usize..=5, 0usize..=5),
        orders in (
            Just((0..5usize).collect::<Vec<_>>()).prop_shuffle(),
            Just((0..5usize).collect::<Vec<_>>()).prop_shuffle(),
        ),
    ) {
        let network = shared(AUTHS[commitment as usize]);
        let height = 2;
        let blocks = network.blocks(LOST);
        let keys = network.keys(LOST);
        let sealed = &blocks[height];
        // The miner signs a second block at the same height, with other records.
        let tip = tip_after(&network.params, &blocks[..height]);
        let records = records_for(LOST + 100, height as u64, &[77, 33]);
        let twin = Block::seal(keys, &tip, sealed.header.time, records, sealed.foreign.clone());
        prop_assert_ne!(&twin.header, &sealed.header);
        let codec = network.codec();
        let auth = network.params.chunk_auth;
        let twin_chunks = make_chunks(&codec, auth, keys, &twin.header, &twin.primary_bytes());
        let own = &network.miners[LOST].chunks;
        let mut pool: Vec<&Chunk> = own
            .iter()
            .enumerate()
            .filter(|(h, _)| *h != height)
            .flat_map(|(_, chunks)| chunks)
            .collect();
        pool.extend(orders.0[..first].iter().map(|&i| &own[height][i]));
        pool.extend(orders.1[..second].iter().map(|&i| &twin_chunks[i]));
        let rebuilt = rebuild(network, pool);
        prop_assert!(rebuilt.rejected.is_empty());
        let mut versions: Vec<&Block> = blocks.iter().collect();
        versions.push(&twin);
        assert_never_wrong(&rebuilt, &versions);
        let at = &rebuilt.heights[height];
        let k = network.params.k as usize;
        if first.max(second) < k {
            prop_assert_eq!(&at.status, &HeightStatus::TooFewChunks { have: first.max(second) });
        } else {
            prop_assert!(at.status == HeightStatus::Rebuilt, "{:?}", at.status);
            if first > second {
                prop_assert!(holds(at, sealed));
            }
            if second > first {
                prop_assert!(holds(at, &twin));
            }
        }
        if holds(at, sealed) {
            prop_assert!(rebuilt.prefix_rebuilt(blocks.len() as u64));
        }
    }
}

#[test]
fn with_one_link_a_lost_middle_block_leaves_later_blocks_unlinked() {
    for auth in AUTHS {
        let network = shared(auth);
        let prefix = placed_prefix(network, 4) as usize;
        let chunks = network.embedded_chunks_of(LOST);
        let rebuilt = rebuild(network, chunks.iter().filter(|c| c.header.height != 2));
        let mut expected = vec![
            HeightStatus::Rebuilt,
            HeightStatus::Rebuilt,
            HeightStatus::TooFewChunks { have: 0 },
        ];
        expected.resize(prefix, HeightStatus::Unlinked);
        assert_eq!(statuses(&rebuilt)[..prefix], expected);
        assert_eq!(rebuilt.rebuilt(), vec![0, 1]);
        // The later blocks are still decoded correctly, only not anchored.
        let later = rebuilt.heights.iter().zip(network.blocks(LOST));
        for (height, block) in later.take(prefix).skip(3) {
            assert!(holds(height, block));
        }
    }
}

#[test]
fn fewer_than_k_chunks_of_a_height_leave_it_too_few_and_later_heights_unlinked() {
    let network = shared(ChunkAuth::Signature);
    let k = network.params.k as usize;
    let chunks = network.embedded_chunks_of(LOST);
    let mut at_one = 0;
    let kept = chunks.iter().filter(|c| {
        if c.header.height != 1 {
            return true;
        }
        at_one += 1;
        at_one < k
    });
    let rebuilt = rebuild(network, kept);
    assert_eq!(
        rebuilt.heights[1].status,
        HeightStatus::TooFewChunks { have: k - 1 }
    );
    assert!(rebuilt.heights[1].block.is_none());
    assert_eq!(rebuilt.rebuilt(), vec![0]);
    let prefix = placed_prefix(network, 4) as usize;
    for later in &rebuilt.heights[2..prefix] {
        assert_eq!(later.status, HeightStatus::Unlinked);
    }
}

/// A network with `links` back-links per header; the chunks of `LOST`'s branch its other
/// branches embed; and how many heights from genesis have `k` of them placed. Chunks of later
/// heights (the newest blocks, not yet placed enough) are left out, so that only a test's
/// losses leave gaps.
fn linked_network(links: u16, auth: ChunkAuth) -> (&'static Network, Vec<Chunk>, u64) {
    let params = Params {
        links,
        ..support::params(auth)
    };
    let network = network(params, 6, 7);
    let count = placed_prefix(network, 6);
    let chunks = network.embedded_chunks_of(LOST);
    let placed = chunks.into_iter().filter(|c| c.header.height < count);
    (network, placed.collect(), count)
}

#[test]
fn with_two_links_a_single_lost_block_leaves_later_blocks_rebuilt() {
    for auth in AUTHS {
        let (network, chunks, count) = linked_network(2, auth);
        for lost in 1..count - 1 {
            let rebuilt = rebuild(network, chunks.iter().filter(|c| c.header.height != lost));
            let mut expected: Vec<u64> = (0..count).collect();
            expected.retain(|&h| h != lost);
            assert_eq!(rebuilt.rebuilt(), expected, "lost {lost}");
            let status = &rebuilt.heights[lost as usize].status;
            assert_eq!(status, &HeightStatus::TooFewChunks { have: 0 });
            let versions: Vec<&Block> = network.blocks(LOST).iter().collect();
            assert_never_wrong(&rebuilt, &versions);
        }
        // Two consecutive lost blocks are one too many for two links.
        let rebuilt = rebuild(
            network,
            chunks
                .iter()
                .filter(|c| !(2..=3).contains(&c.header.height)),
        );
        assert_eq!(rebuilt.rebuilt(), vec![0, 1]);
        assert_eq!(rebuilt.heights[4].status, HeightStatus::Unlinked);
    }
}

#[test]
fn with_three_links_two_consecutive_lost_blocks_leave_later_blocks_rebuilt() {
    let (network, chunks, count) = linked_network(3, ChunkAuth::Commitment);
    let rebuilt = rebuild(
        network,
        chunks
            .iter()
            .filter(|c| !(2..=3).contains(&c.header.height)),
    );
    let mut expected: Vec<u64> = (0..count).collect();
    expected.retain(|h| !(2..=3).contains(h));
    assert_eq!(rebuilt.rebuilt(), expected);
    let rebuilt = rebuild(
        network,
        chunks
            .iter()
            .filter(|c| !(2..=4).contains(&c.header.height)),
    );
    assert_eq!(rebuilt.rebuilt(), vec![0, 1]);
}

/// Chunks of `miner`'s block 1 re-sealed by the miner as a block at `height`.
fn forged_at(network: &Network, miner: usize, height: u64) -> Vec<Chunk> {
    let keys = network.keys(miner);
    let mut block = network.blocks(miner)[1].clone();
    block.header.height = height;
    support::resign(&mut block.header, keys);
    let codec = network.codec();
    let auth = network.params.chunk_auth;
    make_chunks(&codec, auth, keys, &block.header, &block.primary_bytes())
}

#[test]
fn validly_signed_chunks_naming_the_largest_height_do_not_hide_the_real_blocks() {
    // A hostile source miner (the case reconstruction exists for) signs one chunk, or
    // enough chunks to decode, of a block it claims to be at the largest height.
    let network = shared(ChunkAuth::Commitment);
    let prefix = placed_prefix(network, 4);
    let forged = forged_at(network, LOST, u64::MAX);
    assert_eq!(
        forged[0].verify(&network.params, &mut Verifier::default()),
        Ok(())
    );
    for count in [1, network.params.m as usize] {
        let mut chunks = network.embedded_chunks_of(LOST);
        chunks.extend_from_slice(&forged[..count]);
        let rebuilt = rebuild(network, &chunks);
        assert!(
            rebuilt.prefix_rebuilt(prefix),
            "real heights 0..{prefix} are not reported as rebuilt: {} heights returned",
            rebuilt.heights.len()
        );
        let last = rebuilt.heights.last().unwrap();
        assert_eq!(last.height, u64::MAX);
        assert_ne!(last.status, HeightStatus::Rebuilt);
    }
}

#[test]
fn decodable_chunks_at_a_forged_far_height_do_not_blow_up_the_report() {
    // k signed chunks are as cheap for a hostile source as one: the report must not list
    // every height up to the one they name.
    let network = shared(ChunkAuth::Signature);
    let far = 1 << 18;
    let prefix = placed_prefix(network, 4);
    let mut chunks = network.embedded_chunks_of(LOST);
    chunks.extend(forged_at(network, LOST, far));
    let rebuilt = rebuild(network, &chunks);
    assert!(rebuilt.prefix_rebuilt(prefix));
    assert!(
        rebuilt.heights.len() < 50_000,
        "{} heights listed for {prefix} real blocks and one forged at height {far}",
        rebuilt.heights.len()
    );
    let forged = rebuilt.heights.iter().find(|h| h.height == far).unwrap();
    assert_ne!(forged.status, HeightStatus::Rebuilt);
}
