//! The Medilanac protocol as pure functions and plain data.
//!
//! Hashing and signing, Merkle trees, blocks, chunks and erasure coding, validation and
//! reconstruction. Nothing here knows about time or the network, and what needs randomness (sealing a
//! file, splitting a key) takes the caller's seeded stream, so every rule can be tested on
//! its own and reused by the simulator's actors and by the CLI alike.

pub mod audit;
pub mod audit_event;
pub mod audit_log;
pub mod audit_tree;
pub mod block;
pub mod bytes;
pub mod chunk;
pub mod codec;
mod digest_map;
pub mod entry;
pub mod envelope;
pub mod erasure;
pub mod evidence;
pub mod fhir;
pub mod hash;
pub mod key_shares;
pub mod keys;
pub mod merkle;
pub mod params;
pub mod placement_notes;
pub mod reconstruct;
pub mod record;
pub mod tip;
pub mod validate;

pub use block::{Block, BlockHeader, BlockSize};
pub use bytes::Bytes;
pub use chunk::{make_chunks, Chunk, ChunkError, ChunkHeader, ChunkId, ChunkProof};
pub use erasure::Codec;
pub use evidence::{Evidence, EvidenceError};
pub use hash::{BranchId, Hash};
pub use keys::{KeyPair, PublicKey, Signature, Verifier};
pub use params::{ChunkAuth, ForeignRule, Params, Placement, RecordFormat, Requirement};
pub use placement_notes::{notes_of, notes_record, notes_record_len, PlacementNote};
pub use reconstruct::{decode_block, reconstruct, HeightStatus, Reconstruction};
pub use record::Record;
pub use tip::BranchTip;
pub use validate::{check_block, check_header, BlockError, InvalidAt};
