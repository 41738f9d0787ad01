//! Rule 6: only primary data (header and records) is coded into chunks, so block and chunk
//! sizes follow the records alone and do not compound with height, as they did in the
//! dissertation's prototype, which coded foreign chunks again.

use crate::support::{
    config, contains, count_params, miner_keys, network, params, Layout, Network, AUTHS,
};
use medilanac::protocol::erasure::shard_len;
use medilanac::protocol::{Block, BlockHeader, BranchTip, Codec, Hash, Params};
use proptest::prelude::*;

const MINERS: usize = 6;

/// Asserts, for every block of every miner of `network`, that primary data is header and
/// records only, that its chunks are sized by it alone, and that foreign chunks are never
/// part of it. Returns the chunk data length of each height (equal for all miners).
fn assert_primary_only(network: &Network) -> Vec<usize> {
    let codec = network.codec();
    let k = network.params.k;
    let mut lengths = Vec::new();
    for miner in &network.miners {
        let mut own_lengths = Vec::new();
        for (block, chunks) in miner.blocks.iter().zip(&miner.chunks) {
            let header = &block.header;
            let primary = block.primary_bytes();
            assert_eq!(primary.len() as u64, header.primary_size());
            assert_eq!(block.size().primary(), header.primary_size());
            let (decoded_header, records) = Block::decode_primary(&primary).unwrap();
            assert_eq!(&decoded_header, header);
            assert_eq!(records, block.records);
            let expected = shard_len(header.primary_size(), k);
            for chunk in chunks {
                assert_eq!(chunk.data.len(), expected, "height {}", header.height);
                assert_eq!(chunk.header.primary_len, header.primary_size());
            }
            let shards: Vec<(usize, &[u8])> = chunks[chunks.len() - k as usize..]
                .iter()
                .map(|c| (c.header.index as usize, &c.data[..]))
                .collect();
            assert_eq!(
                codec.decode(&shards, primary.len() as u64).unwrap(),
                primary
            );
            for chunk in &block.foreign {
                assert!(
                    !contains(&primary, &chunk.data),
                    "primary data of height {} holds a foreign chunk",
                    header.height
                );
                let source_block = network.source_block(chunk);
                let source_len = shard_len(source_block.header.primary_size(), k);
                assert_eq!(chunk.data.len(), source_len);
            }
            own_lengths.push(expected);
        }
        if lengths.is_empty() {
            lengths = own_lengths;
        } else {
            assert_eq!(own_lengths, lengths, "miners with equal records differ");
        }
    }
    lengths
}

/// The header size of a block at `height` with `links` back-links.
fn header_len(height: usize, links: u16) -> usize {
    let genesis = Block::seal(&miner_keys(0), &BranchTip::new(), 0, Vec::new(), Vec::new());
    let header = BlockHeader {
        prev_headers: vec![Hash::default(); height.min(links as usize)],
        ..genesis.header
    };
    header.encoded_len()
}

#[test]
fn chunk_size_is_set_by_primary_size_alone_and_does_not_grow_with_height() {
    for auth in AUTHS {
        for params in [params(auth), count_params(auth, 5)] {
            let network = network(params, MINERS, 10);
            for index in 0..MINERS {
                network.validate(index).unwrap();
            }
            let lengths = assert_primary_only(network);
            assert_eq!(lengths.len(), 11);
            assert!(
                lengths[1..].iter().all(|&len| len == lengths[1]),
                "{lengths:?}"
            );
            // Primary size: header + body, body = count + records.
            let block = &network.blocks(0)[10];
            let body: usize = 4 + block.records.iter().map(|r| r.encoded_len()).sum::<usize>();
            assert_eq!(block.header.body_size, body as u64);
            assert_eq!(
                block.header.primary_size(),
                (header_len(10, 1) + body) as u64
            );
        }
    }
}

#[test]
fn whole_block_size_stays_level_while_the_branch_grows() {
    for auth in AUTHS {
        let network = network(params(auth), MINERS, 10);
        for miner in &network.miners {
            let sizes: Vec<_> = miner.blocks.iter().map(Block::size).collect();
            let primary = sizes[2].primary();
            // The most a chunk of this code carries besides its data: header and proof.
            let overhead = miner.chunks[2]
                .iter()
                .map(|c| (c.encoded_len() - c.data.len()) as u64)
                .max()
                .unwrap();
            for (block, size) in miner.blocks.iter().zip(&sizes).skip(2) {
                assert_eq!(size.primary(), primary, "height {}", block.header.height);
                // Rule 8 met with no chunk to spare: m/k of the previous (equal) primary
                // size, and less than one more chunk of it.
                let coded = (primary * 5).div_ceil(3);
                assert!(size.foreign_data >= coded, "{size:?}");
                assert!(size.foreign_data < coded + shard_len(primary, 3) as u64);
                // Chunk headers and proofs do not grow either.
                assert!(size.foreign_overhead <= block.foreign.len() as u64 * overhead);
            }
        }
    }
}

#[test]
fn with_three_links_chunk_size_grows_only_with_the_header_until_three_links() {
    let params = Params {
        links: 3,
        ..params(AUTHS[1])
    };
    let network = network(params, MINERS, 6);
    let lengths = assert_primary_only(network);
    let primary = |height: usize| network.blocks(0)[height].header.primary_size();
    assert_eq!(lengths.len(), 7);
    for (height, &len) in lengths.iter().enumerate().skip(1) {
        let extra = header_len(height, 3) - header_len(1, 3);
        assert_eq!(primary(height), primary(1) + extra as u64);
        assert_eq!(len, shard_len(primary(height), 3));
    }
    assert!(lengths[3..].iter().all(|&len| len == lengths[3]));
}

proptest! {
    #![proptest_config(config(12))]

    #[test]
    fn equal_records_give_equal_chunks_at_every_height(
        (records, record_size) in (1usize..4, 1usize..400),
        (k, m) in (1u16..=5).prop_flat_map(|k| (Just(k), k..=5)),
    ) {
        let params = Params { k, m, ..params(AUTHS[1]) };
        let layout = Layout { records, record_size, ..Layout::new(params, MINERS, 8) };
        let network = layout.build();
        for block in &network.blocks(1)[1..] {
            prop_assert_eq!(block.records.len(), records);
            prop_assert!(block.records.iter().all(|r| r.payload.len() == record_size));
        }
        let lengths = assert_primary_only(&network);
        prop_assert!(lengths[1..].iter().all(|&len| len == lengths[1]), "{:?}", lengths);
        let codec = Codec::new(k, m).unwrap();
        prop_assert_eq!(codec.encode(&network.blocks(2)[8].primary_bytes())[0].len(), lengths[8]);
    }
}
