//! Shared builders: a small network of miners that build valid branches with proper
//! foreign chunks, plus records, keys and tampering helpers.

use medilanac::protocol::validate::validate_branch;
use medilanac::protocol::{
    check_block, make_chunks, Block, BlockError, BlockHeader, BranchId, BranchTip, Bytes, Chunk,
    ChunkAuth, Codec, ForeignRule, Hash, InvalidAt, KeyPair, Params, Record, Verifier,
};
use proptest::test_runner::Config as ProptestConfig;

/// The run seed every key in these tests is derived from.
pub const SEED: u64 = 0x4d45_4449;

/// Proptest settings: `cases` cases and no regression files written into the source tree.
pub fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// The default network (k = 3, m = 5, one link, size rule with no threshold, distinct
/// placement) with the given chunk authentication.
pub fn params(auth: ChunkAuth) -> Params {
    Params {
        chunk_auth: auth,
        ..Params::default()
    }
}

/// Both ways a chunk can prove its origin.
pub const AUTHS: [ChunkAuth; 2] = [ChunkAuth::Signature, ChunkAuth::Commitment];

pub fn miner_keys(index: usize) -> KeyPair {
    KeyPair::derive(SEED, "miner", index as u64)
}

pub fn patient_keys(index: u64) -> KeyPair {
    KeyPair::derive(SEED, "patient", index)
}

/// `len` deterministic bytes, different for every `tag` (SHA-256 in counter mode).
pub fn filler(tag: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 32);
    let mut counter = 0u64;
    while out.len() < len {
        out.extend_from_slice(&Hash::of_parts(&[tag, &counter.to_le_bytes()]).0);
        counter += 1;
    }
    out.truncate(len);
    out
}

/// A record of patient `patient`, signed by that patient.
pub fn record(patient: u64, sequence: u64, payload: Vec<u8>) -> Record {
    Record::new(&patient_keys(patient), sequence, Bytes::from(payload))
}

/// Records of the given payload sizes, with contents unique to `(miner, height)`.
pub fn records_for(miner: usize, height: u64, sizes: &[usize]) -> Vec<Record> {
    sizes
        .iter()
        .enumerate()
        .map(|(i, &size)| {
            let tag = format!("record/{miner}/{height}/{i}");
            let sequence = (height << 16) | miner as u64;
            record(i as u64 % 4, sequence, filler(tag.as_bytes(), size))
        })
        .collect()
}

/// Signs `header` again after a field was changed, as its miner would.
pub fn resign(header: &mut BlockHeader, keys: &KeyPair) {
    header.signature = keys.sign(&header.signing_digest());
}

/// Flips the bits of `mask` (made non-zero) in byte `index` of `data` (taken modulo its length).
pub fn flip(data: &Bytes, index: usize, mask: u8) -> Bytes {
    let mut bytes = data.to_vec();
    let position = index % bytes.len();
    bytes[position] ^= mask.max(1);
    Bytes::from(bytes)
}

/// Flips one bit of a hash, chosen by `noise`.
pub fn flip_hash(hash: &Hash, noise: u64) -> Hash {
    let mut bytes = hash.0;
    bytes[(noise % 32) as usize] ^= 1 << ((noise >> 8) % 8);
    Hash(bytes)
}

/// Flips one bit of a 64-byte array (a signature), chosen by `noise`.
pub fn flip_64(bytes: &[u8; 64], noise: u64) -> [u8; 64] {
    let mut out = *bytes;
    out[(noise % 64) as usize] ^= 1 << ((noise >> 8) % 8);
    out
}

/// Flips one bit of a 32-byte array (a key), chosen by `noise`.
pub fn flip_32(bytes: &[u8; 32], noise: u64) -> [u8; 32] {
    let mut out = *bytes;
    out[(noise % 32) as usize] ^= 1 << ((noise >> 8) % 8);
    out
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty()
        || haystack
            .windows(needle.len())
            .any(|window| window == needle)
}

/// The tip a validator holds after checking `blocks`.
pub fn tip_after(params: &Params, blocks: &[Block]) -> BranchTip {
    let mut tip = BranchTip::new();
    for block in blocks {
        tip.push_block(block, block.hash(), params.links);
    }
    tip
}

/// One miner of the test network: its keys, branch and the chunks of each of its blocks.
#[derive(Clone)]
pub struct Miner {
    pub keys: KeyPair,
    pub tip: BranchTip,
    pub blocks: Vec<Block>,
    /// The `m` chunks made of each block, by height.
    pub chunks: Vec<Vec<Chunk>>,
    /// How many chunks of each block were handed out so far, by height.
    handed: Vec<u16>,
}

impl Miner {
    pub fn branch(&self) -> BranchId {
        self.keys.public().branch_id()
    }
}

/// A network of miners taking turns to seal blocks. Each block embeds chunks of other
/// miners' blocks, oldest first, one per foreign block and handing out each block's chunk
/// indices in turn, until rule 8 is met.
#[derive(Clone)]
pub struct Network {
    pub params: Params,
    pub miners: Vec<Miner>,
    /// Payload sizes of the records each block after genesis carries.
    pub record_sizes: Vec<usize>,
    time: u64,
}

impl Network {
    /// `miners` miners, each with its genesis block sealed.
    pub fn new(params: Params, miners: usize) -> Network {
        let mut network = Network {
            params,
            miners: (0..miners)
                .map(|index| Miner {
                    keys: miner_keys(index),
                    tip: BranchTip::new(),
                    blocks: Vec::new(),
                    chunks: Vec::new(),
                    handed: Vec::new(),
                })
                .collect(),
            record_sizes: vec![120, 80],
            time: 0,
        };
        for miner in 0..miners {
            network.seal_next(miner, Vec::new());
        }
        network
    }

    /// The payload sizes of the records of every later block.
    pub fn with_records(mut self, sizes: Vec<usize>) -> Network {
        self.record_sizes = sizes;
        self
    }

    /// `count` more rounds in which every miner, in turn, seals one block.
    pub fn rounds(mut self, count: usize) -> Network {
        for _ in 0..count {
            for miner in 0..self.miners.len() {
                let height = self.miners[miner].tip.next_height();
                let records = records_for(miner, height, &self.record_sizes);
                self.seal_next(miner, records);
            }
        }
        self
    }

    pub fn codec(&self) -> Codec {
        Codec::new(self.params.k, self.params.m).expect("valid code")
    }

    pub fn branch(&self, miner: usize) -> BranchId {
        self.miners[miner].branch()
    }

    pub fn keys(&self, miner: usize) -> &KeyPair {
        &self.miners[miner].keys
    }

    pub fn tip(&self, miner: usize) -> &BranchTip {
        &self.miners[miner].tip
    }

    pub fn blocks(&self, miner: usize) -> &[Block] {
        &self.miners[miner].blocks
    }

    /// Seals `miner`'s next block with `records` and the foreign chunks rule 8 asks for,
    /// and appends it to the branch.
    pub fn seal_next(&mut self, miner: usize, records: Vec<Record>) -> &Block {
        let block = self.next_block(miner, records);
        self.push(miner, block);
        self.miners[miner].blocks.last().expect("just pushed")
    }

    /// The valid next block of `miner` with its usual records, without changing the network.
    pub fn candidate(&self, miner: usize) -> Block {
        let height = self.tip(miner).next_height();
        let records = records_for(miner, height, &self.record_sizes);
        self.clone().next_block(miner, records)
    }

    /// Seals a block on `miner`'s tip with exactly these records and foreign chunks.
    pub fn seal_with(&self, miner: usize, records: Vec<Record>, foreign: Vec<Chunk>) -> Block {
        let miner = &self.miners[miner];
        Block::seal(&miner.keys, &miner.tip, self.time + 1, records, foreign)
    }

    /// Checks `block` as the next block of `miner`'s branch.
    pub fn check(&self, miner: usize, block: &Block) -> Result<(), BlockError> {
        self.check_with(&self.params, miner, block)
    }

    /// Checks `block` as the next block of `miner`'s branch, under other parameters.
    pub fn check_with(
        &self,
        params: &Params,
        miner: usize,
        block: &Block,
    ) -> Result<(), BlockError> {
        check_block(params, self.tip(miner), block, &mut Verifier::default())
    }

    /// Validates `miner`'s whole branch from genesis.
    pub fn validate(&self, miner: usize) -> Result<BranchTip, InvalidAt> {
        validate_branch(&self.params, self.blocks(miner), &mut Verifier::default())
    }

    /// Every chunk of `source`'s blocks embedded in the other branches.
    pub fn embedded_chunks_of(&self, source: usize) -> Vec<Chunk> {
        let branch = self.branch(source);
        self.embedded_chunks()
            .into_iter()
            .filter(|chunk| chunk.header.source == branch)
            .collect()
    }

    /// Every foreign chunk embedded in any branch.
    pub fn embedded_chunks(&self) -> Vec<Chunk> {
        let blocks = self.miners.iter().flat_map(|miner| &miner.blocks);
        blocks.flat_map(|block| block.foreign.clone()).collect()
    }

    fn next_block(&mut self, miner: usize, records: Vec<Record>) -> Block {
        let foreign = self.pick_foreign(miner);
        self.time += 1;
        let own = &self.miners[miner];
        Block::seal(&own.keys, &own.tip, self.time, records, foreign)
    }

    fn push(&mut self, miner: usize, block: Block) {
        let codec = self.codec();
        let own = &mut self.miners[miner];
        own.tip.push_block(&block, block.hash(), self.params.links);
        let chunks = make_chunks(
            &codec,
            self.params.chunk_auth,
            &own.keys,
            &block.header,
            &block.primary_bytes(),
        );
        own.chunks.push(chunks);
        own.handed.push(0);
        own.blocks.push(block);
    }

    fn pick_foreign(&mut self, miner: usize) -> Vec<Chunk> {
        let requirement = self.params.requirement(self.tip(miner).last_primary());
        let mut picked: Vec<Chunk> = Vec::new();
        let mut bytes = 0u64;
        let top = self
            .miners
            .iter()
            .map(|m| m.blocks.len())
            .max()
            .unwrap_or(0);
        for height in 0..top {
            for source in 0..self.miners.len() {
                if requirement.is_met(picked.len(), bytes) {
                    return picked;
                }
                let branch = self.branch(source);
                let holds = self.tip(miner).holds(branch, height as u64);
                let other = &mut self.miners[source];
                if source == miner || height >= other.blocks.len() || holds {
                    continue;
                }
                let index = other.handed[height] % self.params.m;
                other.handed[height] += 1;
                let chunk = other.chunks[height][index as usize].clone();
                bytes += chunk.data.len() as u64;
                picked.push(chunk);
            }
        }
        assert!(
            requirement.is_met(picked.len(), bytes),
            "test network too small: miner {miner} cannot meet {requirement:?}"
        );
        picked
    }
}

/// The default network: six miners, `rounds` blocks each after genesis.
pub fn network(auth: ChunkAuth, rounds: usize) -> Network {
    Network::new(params(auth), 6).rounds(rounds)
}

/// A size-rule network under other parameters.
pub fn network_with(params: Params, miners: usize, rounds: usize) -> Network {
    Network::new(params, miners).rounds(rounds)
}

/// Parameters with the count form of rule 8.
pub fn count_params(auth: ChunkAuth, per_block: u32) -> Params {
    Params {
        foreign: ForeignRule::Count { per_block },
        ..params(auth)
    }
}
