//! Shared builders: networks whose branches the real simulator's miners built (run with a
//! fixed seed, each branch's last block held aside as its candidate), plus records, keys
//! and tampering helpers.

use medilanac::protocol::validate::validate_branch;
use medilanac::protocol::{
    check_block, make_chunks, Block, BlockError, BlockHeader, BranchId, BranchTip, Bytes, Chunk,
    ChunkAuth, Codec, ForeignRule, Hash, InvalidAt, KeyPair, Params, Record, Verifier,
};
use medilanac::scenario::{Scenario, DEFAULT};
use medilanac::simulation::run;
use proptest::test_runner::Config as ProptestConfig;
use std::sync::{Mutex, OnceLock};

/// The seed of every run, and so of every key, in these tests.
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

/// Miner `index`'s keys, derived as the simulator derives them.
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

/// Records each block after genesis carries in the usual networks: one per patient of the
/// miner (the miner takes one record per patient into each block).
pub const RECORDS: usize = 2;

/// Payload bytes of every record in the usual networks.
pub const RECORD_SIZE: usize = 100;

/// What a test network is: the parameters, how many miners, how many blocks each keeps
/// after genesis, and the records of every later block.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    pub params: Params,
    pub miners: usize,
    pub blocks: u64,
    /// Records per block after genesis (patients per miner).
    pub records: usize,
    /// Payload bytes of each record.
    pub record_size: usize,
}

impl Layout {
    /// `miners` miners keeping `blocks` blocks each after genesis, with the usual records.
    pub fn new(params: Params, miners: usize, blocks: u64) -> Layout {
        Layout {
            params,
            miners,
            blocks,
            records: RECORDS,
            record_size: RECORD_SIZE,
        }
    }

    /// The scenario whose run builds this network: one block more than it keeps, held
    /// aside as each miner's candidate.
    fn scenario(&self) -> Scenario {
        let mut scenario = Scenario::parse(DEFAULT).expect("the default scenario parses");
        scenario.name = "protocol tests".to_string();
        scenario.seed = SEED;
        scenario.miners = self.miners;
        scenario.blocks = self.blocks + 1;
        scenario.protocol = self.params.clone();
        scenario.patients.per_miner = self.records;
        scenario.patients.record_size = self.record_size;
        scenario.check().expect("a valid test scenario");
        scenario
    }

    /// Runs the real simulator and keeps each branch but its last block, the candidate.
    pub fn build(&self) -> Network {
        let outcome = run(&self.scenario(), SEED, None);
        assert_eq!(outcome.violation, None, "the test run broke an invariant");
        assert_eq!(outcome.miners.len(), self.miners);
        let codec = Codec::new(self.params.k, self.params.m).expect("valid code");
        let miners = outcome
            .miners
            .into_iter()
            .map(|outcome| {
                let number = outcome.number;
                assert!(outcome.finished, "miner {number} did not finish its blocks");
                let keys = miner_keys(number);
                let mut blocks = outcome.blocks;
                assert_eq!(blocks.len() as u64, self.blocks + 2, "miner {number}");
                assert!(blocks
                    .iter()
                    .all(|b| b.header.branch == keys.public().branch_id()));
                let candidate = blocks.pop().expect("one block more than kept");
                let chunks = blocks
                    .iter()
                    .map(|block| chunks_of(&self.params, &codec, &keys, block))
                    .collect();
                Miner {
                    tip: tip_after(&self.params, &blocks),
                    keys,
                    blocks,
                    chunks,
                    candidate,
                }
            })
            .collect();
        Network {
            params: self.params.clone(),
            miners,
        }
    }
}

/// The `m` chunks of `block`, as its miner makes them.
fn chunks_of(params: &Params, codec: &Codec, keys: &KeyPair, block: &Block) -> Vec<Chunk> {
    let primary = block.primary_bytes();
    make_chunks(codec, params.chunk_auth, keys, &block.header, &primary)
}

/// One miner of a test network: its keys and the branch its real miner built, but for the
/// last block, held aside as the candidate.
pub struct Miner {
    pub keys: KeyPair,
    /// The tip after the kept blocks.
    pub tip: BranchTip,
    /// The kept branch, genesis first.
    pub blocks: Vec<Block>,
    /// The `m` chunks of each kept block, by height.
    pub chunks: Vec<Vec<Chunk>>,
    /// The block the real miner sealed after the kept ones: a valid next block.
    pub candidate: Block,
}

impl Miner {
    pub fn branch(&self) -> BranchId {
        self.keys.public().branch_id()
    }

    /// Block `height` of the branch, the candidate included.
    pub fn block(&self, height: u64) -> Option<&Block> {
        self.blocks
            .iter()
            .chain([&self.candidate])
            .find(|block| block.header.height == height)
    }
}

/// Branches built by the real simulator's miners, each kept but for its last block.
pub struct Network {
    pub params: Params,
    pub miners: Vec<Miner>,
}

impl Network {
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

    /// The valid next block of `miner`: the one its real miner sealed after the kept ones.
    pub fn candidate(&self, miner: usize) -> Block {
        self.miners[miner].candidate.clone()
    }

    /// The miner whose branch is `branch`.
    pub fn miner_of(&self, branch: BranchId) -> &Miner {
        let mut miners = self.miners.iter();
        miners
            .find(|m| m.branch() == branch)
            .expect("a miner's branch")
    }

    /// The block `chunk` was made of: a kept block or a candidate.
    pub fn source_block(&self, chunk: &Chunk) -> &Block {
        let source = self.miner_of(chunk.header.source);
        source.block(chunk.header.height).expect("a sealed block")
    }

    /// The `m` chunks of the block `chunk` was made of.
    pub fn siblings(&self, chunk: &Chunk) -> Vec<Chunk> {
        let keys = &self.miner_of(chunk.header.source).keys;
        chunks_of(&self.params, &self.codec(), keys, self.source_block(chunk))
    }

    /// Seals a block on `miner`'s tip, at its candidate's time, with exactly these records
    /// and foreign chunks.
    pub fn seal_with(&self, miner: usize, records: Vec<Record>, foreign: Vec<Chunk>) -> Block {
        let miner = &self.miners[miner];
        let time = miner.candidate.header.time;
        Block::seal(&miner.keys, &miner.tip, time, records, foreign)
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

    /// Every foreign chunk the kept blocks embed whose source block is kept too (chunks of
    /// candidates, and chunks in candidates, are left out).
    pub fn embedded_chunks(&self) -> Vec<Chunk> {
        let blocks = self.miners.iter().flat_map(|miner| &miner.blocks);
        let foreign = blocks.flat_map(|block| &block.foreign);
        let kept = |chunk: &&Chunk| {
            let source = self.miner_of(chunk.header.source);
            chunk.header.height < source.blocks.len() as u64
        };
        foreign.filter(kept).cloned().collect()
    }

    /// How many chunks of each of `source`'s kept blocks the other kept blocks embed, by
    /// height.
    pub fn placed(&self, source: usize) -> Vec<usize> {
        let mut counts = vec![0; self.blocks(source).len()];
        for chunk in self.embedded_chunks_of(source) {
            counts[chunk.header.height as usize] += 1;
        }
        counts
    }
}

/// The network of `layout`, built once per layout for the whole test binary.
pub fn network_of(layout: Layout) -> &'static Network {
    type Cells = Vec<(Layout, &'static OnceLock<Network>)>;
    static BUILT: Mutex<Cells> = Mutex::new(Vec::new());
    let cell = {
        let mut built = BUILT
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match built.iter().find(|(known, _)| *known == layout) {
            Some((_, cell)) => *cell,
            None => {
                let cell: &'static OnceLock<Network> = Box::leak(Box::default());
                built.push((layout.clone(), cell));
                cell
            }
        }
    };
    cell.get_or_init(|| layout.build())
}

/// `miners` miners with `blocks` blocks each after genesis, under `params`.
pub fn network(params: Params, miners: usize, blocks: u64) -> &'static Network {
    network_of(Layout::new(params, miners, blocks))
}

/// The network most tests share: six miners, five blocks each after genesis, under the
/// default parameters with the given chunk authentication.
pub fn shared(auth: ChunkAuth) -> &'static Network {
    network(params(auth), 6, 5)
}

/// Parameters with the count form of rule 8.
pub fn count_params(auth: ChunkAuth, per_block: u32) -> Params {
    Params {
        foreign: ForeignRule::Count { per_block },
        ..params(auth)
    }
}
