//! Chunks: the erasure-coded pieces of a block's primary data that other branches store.
//!
//! A chunk names its source block (branch, height, header hash), its index and the code, and
//! proves it was made by the source miner: either by a signature of its own, or by a Merkle
//! path to a per-block commitment the miner signed once (DESIGN rule 7). The proof carries
//! the source's public key, which must hash to the source branch id, so anyone can check a
//! chunk with nothing but the chunk.

use super::block::BlockHeader;
use super::bytes::Bytes;
use super::codec::Writer;
use super::erasure::{shard_len, Codec};
use super::hash::{BranchId, Hash};
use super::keys::{KeyPair, PublicKey, Signature, Verifier};
use super::merkle::{leaf_hash, MerkleProof, MerkleTree};
use super::params::{ChunkAuth, Params};
use serde::{Deserialize, Serialize};
use thiserror::Error;

const COMMITMENT_TAG: &[u8] = b"medilanac/chunk-commitment";

/// Identifies one chunk in the whole network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ChunkId {
    pub source: BranchId,
    pub height: u64,
    pub index: u16,
}

/// What a chunk says about itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkHeader {
    pub source: BranchId,
    pub height: u64,
    pub index: u16,
    pub k: u16,
    pub m: u16,
    /// Length of the primary data the chunks decode to.
    pub primary_len: u64,
    /// Hash of the source block's header, which the decoded data must reproduce.
    pub header_hash: Hash,
}

/// How the chunk proves its origin.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ChunkProof {
    Signature {
        key: PublicKey,
        signature: Signature,
    },
    Commitment {
        key: PublicKey,
        root: Hash,
        signature: Signature,
        path: MerkleProof,
    },
}

/// One erasure-coded piece of a block, with its header and proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chunk {
    #[serde(flatten)]
    pub header: ChunkHeader,
    pub data: Bytes,
    pub proof: ChunkProof,
}

/// Why a chunk is rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ChunkError {
    #[error("coded with k = {k}, m = {m}; the network uses k = {want_k}, m = {want_m}")]
    WrongCode {
        k: u16,
        m: u16,
        want_k: u16,
        want_m: u16,
    },
    #[error("index {index} is not below m = {m}")]
    BadIndex { index: u16, m: u16 },
    #[error("data is {len} bytes, the header implies {expected}")]
    BadLength { len: usize, expected: usize },
    #[error("primary length {0} exceeds the protocol maximum")]
    TooLarge(u64),
    #[error("the proof's key does not hash to the source branch")]
    WrongKey,
    #[error("the signature does not verify")]
    BadSignature,
    #[error("the Merkle path does not lead to the signed commitment")]
    BadPath,
    #[error("the proof is of the wrong kind for this network")]
    WrongProofKind,
}

impl ChunkHeader {
    pub const ENCODED_LEN: usize = 32 + 8 + 2 + 2 + 2 + 8 + 32;

    pub fn encode(&self, writer: &mut Writer) {
        writer
            .hash(&self.source)
            .u64(self.height)
            .u16(self.index)
            .u16(self.k)
            .u16(self.m)
            .u64(self.primary_len)
            .hash(&self.header_hash);
    }

    pub fn id(&self) -> ChunkId {
        ChunkId {
            source: self.source,
            height: self.height,
            index: self.index,
        }
    }
}

impl ChunkProof {
    fn encoded_len(&self) -> usize {
        match self {
            ChunkProof::Signature { .. } => 1 + 32 + 64,
            ChunkProof::Commitment { path, .. } => 1 + 32 + 32 + 64 + path.encoded_len(),
        }
    }

    fn encode(&self, writer: &mut Writer) {
        match self {
            ChunkProof::Signature { key, signature } => {
                writer.u8(0).fixed(&key.0).fixed(&signature.0);
            }
            ChunkProof::Commitment {
                key,
                root,
                signature,
                path,
            } => {
                writer.u8(1).fixed(&key.0).hash(root).fixed(&signature.0);
                writer.u32(path.index).u32(path.leaf_count);
                for sibling in &path.siblings {
                    writer.hash(sibling);
                }
            }
        }
    }
}

impl Chunk {
    /// The chunk's leaf in its holder's foreign-chunk Merkle tree (header and data).
    pub fn leaf(&self) -> Hash {
        leaf(&self.header, &self.data)
    }

    pub fn id(&self) -> ChunkId {
        self.header.id()
    }

    /// Bytes of the whole chunk as stored in a block: header, data and proof.
    pub fn encoded_len(&self) -> usize {
        ChunkHeader::ENCODED_LEN + 8 + self.data.len() + self.proof.encoded_len()
    }

    pub fn encode(&self, writer: &mut Writer) {
        self.header.encode(writer);
        writer.bytes(&self.data);
        self.proof.encode(writer);
    }

    /// Checks the chunk's shape against the network's code and its proof of origin.
    pub fn verify(&self, params: &Params, verifier: &mut Verifier) -> Result<(), ChunkError> {
        self.verify_with_leaf(&self.leaf(), params, verifier)
    }

    /// Like [`Chunk::verify`], given the chunk's [`Chunk::leaf`] the caller computed.
    pub fn verify_with_leaf(
        &self,
        leaf: &Hash,
        params: &Params,
        verifier: &mut Verifier,
    ) -> Result<(), ChunkError> {
        self.check_shape(params)?;
        let (key, signature, digest) = match (&self.proof, params.chunk_auth) {
            (ChunkProof::Signature { key, signature }, ChunkAuth::Signature) => {
                (key, signature, *leaf)
            }
            (
                ChunkProof::Commitment {
                    key,
                    root,
                    signature,
                    path,
                },
                ChunkAuth::Commitment,
            ) => {
                let in_tree = path.leaf_count == self.header.m as u32
                    && path.index == self.header.index as u32
                    && path.verify(root, leaf);
                if !in_tree {
                    return Err(ChunkError::BadPath);
                }
                (key, signature, commitment_digest(&self.header, root))
            }
            _ => return Err(ChunkError::WrongProofKind),
        };
        if key.branch_id() != self.header.source {
            return Err(ChunkError::WrongKey);
        }
        if !verifier.verify(key, &digest, signature) {
            return Err(ChunkError::BadSignature);
        }
        Ok(())
    }

    fn check_shape(&self, params: &Params) -> Result<(), ChunkError> {
        let header = &self.header;
        if (header.k, header.m) != (params.k, params.m) {
            return Err(ChunkError::WrongCode {
                k: header.k,
                m: header.m,
                want_k: params.k,
                want_m: params.m,
            });
        }
        if header.index >= header.m {
            return Err(ChunkError::BadIndex {
                index: header.index,
                m: header.m,
            });
        }
        if header.primary_len > params.max_primary {
            return Err(ChunkError::TooLarge(header.primary_len));
        }
        let expected = shard_len(header.primary_len, header.k);
        if self.data.len() != expected {
            return Err(ChunkError::BadLength {
                len: self.data.len(),
                expected,
            });
        }
        Ok(())
    }
}

fn leaf(header: &ChunkHeader, data: &[u8]) -> Hash {
    let mut encoded = Writer::default();
    header.encode(&mut encoded);
    leaf_hash(&[&encoded.bytes, data])
}

fn commitment_digest(header: &ChunkHeader, root: &Hash) -> Hash {
    Hash::of_parts(&[
        COMMITMENT_TAG,
        &header.source.0,
        &header.height.to_le_bytes(),
        &root.0,
    ])
}

/// Codes a sealed block's primary data into its `m` authenticated chunks.
pub fn make_chunks(
    codec: &Codec,
    auth: ChunkAuth,
    keys: &KeyPair,
    header: &BlockHeader,
    primary: &[u8],
) -> Vec<Chunk> {
    let header_hash = header.hash();
    let pieces: Vec<(ChunkHeader, Bytes)> = codec
        .encode(primary)
        .into_iter()
        .enumerate()
        .map(|(index, data)| {
            let chunk_header = ChunkHeader {
                source: header.branch,
                height: header.height,
                index: index as u16,
                k: codec.k(),
                m: codec.m(),
                primary_len: primary.len() as u64,
                header_hash,
            };
            (chunk_header, Bytes::from(data))
        })
        .collect();
    let key = keys.public();
    let leaves: Vec<Hash> = pieces
        .iter()
        .map(|(header, data)| leaf(header, data))
        .collect();
    let proofs: Vec<ChunkProof> = match auth {
        ChunkAuth::Signature => leaves
            .iter()
            .map(|leaf| ChunkProof::Signature {
                key,
                signature: keys.sign(leaf),
            })
            .collect(),
        ChunkAuth::Commitment => {
            let tree = MerkleTree::new(leaves);
            let root = tree.root();
            let signature = keys.sign(&commitment_digest(&pieces[0].0, &root));
            (0..pieces.len())
                .map(|index| ChunkProof::Commitment {
                    key,
                    root,
                    signature,
                    path: tree.proof(index).expect("one leaf per chunk"),
                })
                .collect()
        }
    };
    pieces
        .into_iter()
        .zip(proofs)
        .map(|((header, data), proof)| Chunk {
            header,
            data,
            proof,
        })
        .collect()
}
