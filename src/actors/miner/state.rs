//! A miner's state, split by what survives what: [`Disk`] survives a crash and is lost in a
//! wipe; [`Memory`] is lost in a crash.
//!
//! Keeping the two apart makes crash recovery a matter of construction: a crash replaces
//! `Memory` with its `Default`, a wipe replaces both, and no field can be forgotten by a
//! reset written out by hand. Whatever must outlive a crash (records acknowledged to
//! patients, the branch, where chunks went, whom the miner trusts) belongs on disk.

use super::chain::Chain;
use super::own_chunks::OwnChunks;
use super::peers::{PeerBook, Rounds};
use super::requests::Requests;
use crate::protocol::audit_log::AuditLog;
use crate::protocol::envelope::Envelope;
use crate::protocol::{BranchId, Chunk, KeyPair, PlacementNote, PublicKey, Record};
use crate::sim::Time;
use std::collections::{BTreeMap, BTreeSet};

/// What the miner keeps on disk.
pub struct Disk {
    pub keys: KeyPair,
    /// The hash of the public key, kept: answers and checks ask for it constantly.
    pub branch: BranchId,
    pub chain: Chain,
    /// Records accepted and not yet in a block, oldest first; a draft takes a prefix of
    /// them, which leaves here only when its block is sealed.
    pub pending: Vec<Record>,
    /// (patient, sequence) of every record taken, so a resent one is not stored twice.
    pub kept: BTreeSet<(PublicKey, u64)>,
    /// Placements confirmed since the last block, for its notes (with `placement_notes`);
    /// a draft takes a prefix of them, as it does of `pending`.
    pub notes: Vec<PlacementNote>,
    pub own: OwnChunks,
    pub peers: PeerBook,
    /// Patients' keys whose records were terminated, with the signed termination
    /// (rule 17), so it can be passed on to peers that join later.
    pub terminated: BTreeMap<PublicKey, Record>,
    /// Shares of patients' secret keys this miner keeps, sealed for it, by patient.
    pub key_shares: BTreeMap<PublicKey, Envelope>,
    /// A consortium member's audit trail.
    pub audit: Option<AuditLog>,
}

impl Disk {
    /// An empty disk for a branch under `keys`.
    pub fn new(keys: KeyPair) -> Disk {
        Disk {
            branch: keys.public().branch_id(),
            keys,
            chain: Chain::default(),
            pending: Vec::new(),
            kept: BTreeSet::new(),
            notes: Vec::new(),
            own: OwnChunks::default(),
            peers: PeerBook::default(),
            terminated: BTreeMap::new(),
            key_shares: BTreeMap::new(),
            audit: None,
        }
    }
}

/// A block being assembled: the first `records` pending records and `notes` placement
/// notes go into it, and its foreign chunks are being gathered.
pub struct Draft {
    pub records: usize,
    pub notes: usize,
    pub foreign: Vec<Chunk>,
}

/// What the miner holds in memory only.
#[derive(Default)]
pub struct Memory {
    pub draft: Option<Draft>,
    pub requests: Requests,
    /// What the miner is doing with each peer (validating it, asked it this round).
    pub rounds: Rounds,
    /// When the armed timeout timer fires, if one is armed.
    pub timeouts_due: Option<Time>,
    /// The next wait when no peer can supply a chunk (`None`: the configured first wait).
    pub backoff: Option<Time>,
    /// Whether the retry timer is armed.
    pub retry_armed: bool,
    /// Whether the exchange's last list named this miner under its branch.
    pub listed: bool,
    /// The wait of the armed announce timer (`None`: not armed).
    pub announce_wait: Option<Time>,
}
