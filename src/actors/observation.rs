//! What nodes report of what they did, as they do it.
//!
//! Invariants, samplers, traces and tests learn what happened from these, not by reading a
//! node's fields after every event and diffing: the node says what changed, once, where it
//! changed. An observation names things by identity (branch, height, chunk id), so watching
//! costs no copy of the data.

use super::Breach;
use crate::protocol::{BranchId, ChunkId, PublicKey};
use crate::sim::ActorId;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Observation {
    /// The miner appended block `height` to its branch `branch`, embedding `foreign` chunks.
    BlockAdded {
        branch: BranchId,
        height: u64,
        foreign: usize,
    },
    /// The miner took a patient's record into its keeping (first time only).
    RecordStored { patient: PublicKey, sequence: u64 },
    /// The miner refused a patient's record, breaking `rule`.
    RecordRefused {
        patient: PublicKey,
        sequence: u64,
        rule: u8,
    },
    /// The miner learnt (from the patient or a peer) that `patient` terminated its record.
    RecordTerminated { patient: PublicKey },
    /// The miner offered one of its chunks to the branch `to`.
    ChunkOffered { chunk: ChunkId, to: BranchId },
    /// A holder reported embedding one of the miner's chunks, for the first time.
    ChunkPlaced { chunk: ChunkId, holder: BranchId },
    /// The miner concluded that branch `holder` lost every chunk of its it held, and freed
    /// `freed` of them for placing again.
    HolderLost { holder: BranchId, freed: usize },
    /// The miner started an audit round of the holders of its chunks.
    RepairStarted { round: usize, audits: usize },
    /// The miner started validating `peer` (rule 11): fetching its headers, then
    /// challenging it.
    ValidationStarted { peer: ActorId },
    /// The miner validated `peer` (rule 11) and trusts it for a while.
    PeerValidated { peer: ActorId, branch: BranchId },
    /// The miner barred `peer`, with what it caught: for good, or for a suspension when
    /// the breach is withholding and `miner.suspension` is set.
    PeerBlacklisted {
        peer: ActorId,
        branch: BranchId,
        breach: Breach,
    },
}
