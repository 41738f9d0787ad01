//! Blocks: a signed header, the primary body of patients' records, and foreign chunks.
//!
//! The header commits to everything (DESIGN rule 3): the branch and height, hashes of the
//! previous `L` headers and of the whole previous block, and Merkle roots over the records
//! and over the foreign chunks. The miner signs it. Only header + body ("primary data") is
//! erasure-coded; foreign chunks never are, or block sizes would compound with height.

use super::chunk::Chunk;
use super::codec::{DecodeError, Reader, Writer};
use super::hash::{BranchId, Hash};
use super::keys::{KeyPair, PublicKey, Signature, Verifier};
use super::merkle::MerkleTree;
use super::record::Record;
use super::tip::BranchTip;
use serde::{Deserialize, Serialize};

const HEADER_TAG: &[u8] = b"medilanac/header";

/// The signed summary of a block; what peers fetch to validate a branch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockHeader {
    pub branch: BranchId,
    pub height: u64,
    /// The miner's key; its hash is the branch id.
    pub public_key: PublicKey,
    /// Virtual time the block was sealed, in microseconds.
    pub time: u64,
    /// Hashes of the previous headers, the immediate predecessor first (up to `L`).
    pub prev_headers: Vec<Hash>,
    /// Hash of the whole previous block (header, body and foreign chunks).
    pub prev_block: Hash,
    pub files_root: Hash,
    pub file_count: u32,
    /// Bytes of the encoded body.
    pub body_size: u64,
    pub chunks_root: Hash,
    pub chunk_count: u32,
    /// Bytes of foreign chunk data (excluding chunk headers and proofs).
    pub foreign_size: u64,
    pub signature: Signature,
}

/// A whole block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    pub header: BlockHeader,
    pub records: Vec<Record>,
    pub foreign: Vec<Chunk>,
}

/// Where a block's bytes go, for the storage-ratio experiment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BlockSize {
    pub header: u64,
    pub body: u64,
    /// Foreign chunk data.
    pub foreign_data: u64,
    /// Foreign chunk headers and proofs.
    pub foreign_overhead: u64,
}

impl BlockSize {
    pub fn primary(&self) -> u64 {
        self.header + self.body
    }
    pub fn total(&self) -> u64 {
        self.primary() + self.foreign_data + self.foreign_overhead
    }
}

impl BlockHeader {
    const FIXED_LEN: usize = 32 + 8 + 32 + 8 + 4 + 32 + 32 + 4 + 8 + 32 + 4 + 8 + 64;

    fn encode_unsigned(&self, writer: &mut Writer) {
        writer
            .hash(&self.branch)
            .u64(self.height)
            .fixed(&self.public_key.0)
            .u64(self.time)
            .u32(self.prev_headers.len() as u32);
        for link in &self.prev_headers {
            writer.hash(link);
        }
        writer
            .hash(&self.prev_block)
            .hash(&self.files_root)
            .u32(self.file_count)
            .u64(self.body_size)
            .hash(&self.chunks_root)
            .u32(self.chunk_count)
            .u64(self.foreign_size);
    }

    pub fn encode(&self, writer: &mut Writer) {
        self.encode_unsigned(writer);
        writer.fixed(&self.signature.0);
    }

    pub fn decode(reader: &mut Reader) -> Result<BlockHeader, DecodeError> {
        let branch = reader.hash()?;
        let height = reader.u64()?;
        let public_key = PublicKey(reader.array()?);
        let time = reader.u64()?;
        let links = reader.count(32)?;
        let prev_headers = (0..links)
            .map(|_| reader.hash())
            .collect::<Result<_, _>>()?;
        Ok(BlockHeader {
            branch,
            height,
            public_key,
            time,
            prev_headers,
            prev_block: reader.hash()?,
            files_root: reader.hash()?,
            file_count: reader.u32()?,
            body_size: reader.u64()?,
            chunks_root: reader.hash()?,
            chunk_count: reader.u32()?,
            foreign_size: reader.u64()?,
            signature: Signature(reader.array()?),
        })
    }

    /// The digest the miner signs: every field but the signature.
    pub fn signing_digest(&self) -> Hash {
        let mut writer = Writer::default();
        writer.fixed(HEADER_TAG);
        self.encode_unsigned(&mut writer);
        Hash::of(&writer.bytes)
    }

    /// The header's hash, signature included: what later headers link to.
    pub fn hash(&self) -> Hash {
        let mut writer = Writer::default();
        self.encode(&mut writer);
        Hash::of(&writer.bytes)
    }

    pub fn verify_signature(&self, verifier: &mut Verifier) -> bool {
        verifier.verify(&self.public_key, &self.signing_digest(), &self.signature)
    }

    pub fn encoded_len(&self) -> usize {
        Self::len_with_links(self.prev_headers.len())
    }

    /// Bytes of any header that carries `links` previous-header hashes.
    pub fn len_with_links(links: usize) -> usize {
        Self::FIXED_LEN + 32 * links
    }

    /// Bytes of primary data (header + body) this header describes. A forged `body_size`
    /// near `u64::MAX` saturates, so the size check still refuses it instead of the sum
    /// wrapping to a small size (or panicking).
    pub fn primary_size(&self) -> u64 {
        (self.encoded_len() as u64).saturating_add(self.body_size)
    }
}

impl Block {
    /// Builds and signs the next block of the branch whose end is `tip`.
    pub fn seal(
        keys: &KeyPair,
        tip: &BranchTip,
        time: u64,
        records: Vec<Record>,
        foreign: Vec<Chunk>,
    ) -> Block {
        let files = MerkleTree::new(records.iter().map(Record::leaf).collect());
        let chunks = MerkleTree::new(foreign.iter().map(Chunk::leaf).collect());
        let mut header = BlockHeader {
            branch: keys.public().branch_id(),
            height: tip.next_height(),
            public_key: keys.public(),
            time,
            prev_headers: tip.links().to_vec(),
            prev_block: tip.last_block().unwrap_or_default(),
            files_root: files.root(),
            file_count: records.len() as u32,
            body_size: body_size(&records),
            chunks_root: chunks.root(),
            chunk_count: foreign.len() as u32,
            foreign_size: foreign.iter().map(|chunk| chunk.data.len() as u64).sum(),
            signature: Signature([0; 64]),
        };
        header.signature = keys.sign(&header.signing_digest());
        Block {
            header,
            records,
            foreign,
        }
    }

    /// Header and body, as erasure-coded into chunks.
    pub fn primary_bytes(&self) -> Vec<u8> {
        let mut writer = Writer::default();
        self.header.encode(&mut writer);
        writer.u32(self.records.len() as u32);
        for record in &self.records {
            record.encode(&mut writer);
        }
        writer.bytes
    }

    /// Parses primary bytes (as rebuilt from chunks) back into header and records.
    pub fn decode_primary(bytes: &[u8]) -> Result<(BlockHeader, Vec<Record>), DecodeError> {
        let mut reader = Reader::new(bytes);
        let header = BlockHeader::decode(&mut reader)?;
        let count = reader.count(Record::OVERHEAD)?;
        let records = (0..count)
            .map(|_| Record::decode(&mut reader))
            .collect::<Result<_, _>>()?;
        reader.finish()?;
        Ok((header, records))
    }

    /// Hash of the whole block: primary bytes and every foreign chunk.
    pub fn hash(&self) -> Hash {
        let mut foreign = Writer::default();
        for chunk in &self.foreign {
            chunk.encode(&mut foreign);
        }
        Hash::of_parts(&[&self.primary_bytes(), &foreign.bytes])
    }

    /// The block's size, itemised.
    pub fn size(&self) -> BlockSize {
        let data: u64 = self.foreign.iter().map(|c| c.data.len() as u64).sum();
        let whole: u64 = self.foreign.iter().map(|c| c.encoded_len() as u64).sum();
        BlockSize {
            header: self.header.encoded_len() as u64,
            body: self.header.body_size,
            foreign_data: data,
            foreign_overhead: whole - data,
        }
    }
}

/// Bytes of the encoded body: a count, then each record.
pub fn body_size(records: &[Record]) -> u64 {
    4 + records.iter().map(|r| r.encoded_len() as u64).sum::<u64>()
}
