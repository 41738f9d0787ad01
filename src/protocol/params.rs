//! The protocol parameters every participant of one network agrees on.
//!
//! They fix the erasure code (`k` of `m`), the number of back-links per header, the primary
//! size limits, the foreign-chunk rule and how chunks are authenticated and placed. Blocks
//! are validated against these values, never against what a block claims.

use serde::{Deserialize, Serialize};

/// Largest `m` the code supports: Reed-Solomon over GF(2^8) has at most 256 shards.
pub const MAX_CHUNKS: u16 = 256;

/// How much foreign data each block must embed (DESIGN rule 8).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case", deny_unknown_fields)]
pub enum ForeignRule {
    /// At least `(m/k) * S + threshold` bytes of foreign chunk data, where `S` is the
    /// primary size of the branch's previous block: the block whose chunks are being placed
    /// while this one is built. (The dissertation names the block being added; its chunks
    /// cannot be placed before it exists, so that reading deadlocks at start-up.)
    Size { threshold: u64 },
    /// At least this many foreign chunks per block, as the prototype counted.
    Count { per_block: u32 },
}

/// How a chunk proves it comes from its source miner (DESIGN rule 7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChunkAuth {
    /// Each chunk carries the source's signature over it: `m` signatures per block.
    Signature,
    /// Each chunk carries a Merkle path to a per-block commitment the source signed once.
    Commitment,
}

/// Which branches may hold a block's chunks (DESIGN rule 9).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Placement {
    /// A branch holds at most one chunk of any one foreign block.
    Distinct,
    /// A chunk goes to whichever peer asks, as in the prototype.
    Any,
}

impl Placement {
    /// Rule 9, the one place it is decided: whether a branch may take a chunk of a foreign
    /// block, given whether it already holds (or is taking) one of that block. The question
    /// is asked only when the policy needs the answer. Receivers checking a block, miners
    /// gathering chunks and miners offering them all call this.
    pub fn admits(self, holds_one_already: impl FnOnce() -> bool) -> bool {
        match self {
            Placement::Any => true,
            Placement::Distinct => !holds_one_already(),
        }
    }
}

/// What a record's payload is (DESIGN rule 16).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordFormat {
    /// Bytes standing for an encrypted file of the scenario's `record_size`, as the
    /// dissertation's experiments store them; miners check only the patient's signature.
    Opaque,
    /// Entries of FHIR resources, sealed or in the clear, with terminations and successor
    /// links; miners check them ([`crate::protocol::entry::admit`]).
    Fhir,
}

/// The network's protocol parameters; the `[protocol]` table of a scenario file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Chunks needed to rebuild a block.
    pub k: u16,
    /// Chunks each block's primary data is coded into.
    pub m: u16,
    /// Hashes of previous headers each header carries (1 = a plain chain).
    pub links: u16,
    /// Smallest primary size (header + body) of a block after genesis, in bytes.
    pub min_primary: u64,
    /// Largest primary size of any block, in bytes.
    pub max_primary: u64,
    pub foreign: ForeignRule,
    pub chunk_auth: ChunkAuth,
    pub placement: Placement,
    /// Whether miners record in later blocks where their chunks went (DESIGN rule 14).
    pub placement_notes: bool,
    /// Whether a record counts only if an institution certified its patient's key: the
    /// defence against miners that fabricate records (DESIGN §2, the generator).
    pub certified_patients: bool,
    pub records: RecordFormat,
}

/// What rule 8 asks of one block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Requirement {
    Bytes(u64),
    Chunks(u64),
}

impl Requirement {
    /// Whether foreign chunks totalling `chunks` pieces and `bytes` bytes of data meet it.
    pub fn is_met(&self, chunks: usize, bytes: u64) -> bool {
        match *self {
            Requirement::Bytes(needed) => bytes >= needed,
            Requirement::Chunks(needed) => chunks as u64 >= needed,
        }
    }

    /// The requirement cut to `share` of itself (rounded down): what a free rider that
    /// gathers only part of its due aims at.
    pub fn scaled(self, share: f64) -> Requirement {
        let cut = |needed: u64| (needed as f64 * share.clamp(0.0, 1.0)) as u64;
        match self {
            Requirement::Bytes(needed) => Requirement::Bytes(cut(needed)),
            Requirement::Chunks(needed) => Requirement::Chunks(cut(needed)),
        }
    }
}

impl Params {
    /// What rule 8 asks of a block whose predecessor has `previous_primary` bytes of primary
    /// data; genesis (no predecessor) embeds nothing.
    pub fn requirement(&self, previous_primary: Option<u64>) -> Requirement {
        match (previous_primary, self.foreign) {
            (None, ForeignRule::Size { .. }) => Requirement::Bytes(0),
            (None, ForeignRule::Count { .. }) => Requirement::Chunks(0),
            (Some(size), ForeignRule::Size { threshold }) => {
                let coded = (size * self.m as u64).div_ceil(self.k as u64);
                Requirement::Bytes(coded + threshold)
            }
            (Some(_), ForeignRule::Count { per_block }) => Requirement::Chunks(per_block as u64),
        }
    }
}

impl Default for Params {
    fn default() -> Params {
        Params {
            k: 3,
            m: 5,
            links: 1,
            min_primary: 0,
            max_primary: 16 << 20,
            foreign: ForeignRule::Size { threshold: 0 },
            chunk_auth: ChunkAuth::Commitment,
            placement: Placement::Distinct,
            placement_notes: false,
            certified_patients: false,
            records: RecordFormat::Opaque,
        }
    }
}
