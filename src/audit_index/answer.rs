//! Answers to "who accessed this patient's records, when and why", with their proof, and
//! the client's check of them.
//!
//! An answer holds, for every branch the client knows, the branch's latest signed header,
//! the block's index record with its inclusion proof, the patient's head in the committed
//! tree with its proof (or the proof that the branch has no entry about the patient), and
//! the entries from the head back along their `prev` links until one falls before the
//! queried range (or the first), each with its block's signed header and its inclusion
//! proof. [`verify`] checks all of it against the latest header hashes the client trusts
//! (from the export's files here; from cosigned checkpoints across a network) and only then
//! applies the agent, purpose and time filters: an answer that leaves an entry out breaks a
//! link or the head, one that adds or changes an entry breaks a signature or a proof.
//!
//! What it costs: per branch, one header, one record and about log16(patients) tree
//! siblings, whether or not the patient was seen there; per entry in the range, its record,
//! its block header and a Merkle path. The walk covers every entry about the patient after
//! `from`, matching the filters or not, so a narrow filter still carries the whole range.

use super::ingest::{header_from, record_from};
use super::{AuditIndex, IndexError};
use crate::protocol::audit::AuditRecord;
use crate::protocol::audit_event::{AuditEvent, Fields};
use crate::protocol::audit_tree::{prove, HeadProof, PatientHead};
use crate::protocol::merkle::MerkleProof;
use crate::protocol::{BlockHeader, BranchId, Hash, PublicKey, Record, Verifier};
use rusqlite::{params, OptionalExtension};
use std::collections::BTreeMap;
use thiserror::Error;

/// What is asked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query {
    /// Matches the clinician who asked, or either end of a transfer.
    pub agent: Option<String>,
    pub purpose: Option<String>,
    pub source: Option<String>,
    pub destination: Option<String>,
    /// Microseconds of virtual time, inclusive.
    pub from: Option<u64>,
    pub to: Option<u64>,
}

impl Query {
    /// Whether an entry's fields pass the filters (the patient is matched by the walk).
    pub fn admits(&self, fields: &Fields) -> bool {
        let is = |want: &Option<String>, have: Option<&str>| {
            want.as_deref().is_none_or(|w| Some(w) == have)
        };
        let agent = self.agent.as_deref().is_none_or(|agent| {
            fields.agent == agent
                || fields.source.as_deref() == Some(agent)
                || fields.destination.as_deref() == Some(agent)
        });
        agent
            && is(&self.purpose, Some(&fields.purpose))
            && is(&self.source, fields.source.as_deref())
            && is(&self.destination, fields.destination.as_deref())
            && self.from.is_none_or(|from| fields.recorded >= from)
            && self.to.is_none_or(|to| fields.recorded <= to)
    }
}

/// One entry with what proves it is on its branch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProvedEntry {
    pub header: BlockHeader,
    pub record: Record,
    pub proof: MerkleProof,
}

/// One branch's part of an answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BranchPart {
    pub header: BlockHeader,
    /// The latest block's index record and its proof; `None` for a branch that keeps none.
    pub index: Option<(Record, MerkleProof)>,
    pub head: Option<PatientHead>,
    pub head_proof: Option<HeadProof>,
    /// Newest first.
    pub entries: Vec<ProvedEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub patient: PublicKey,
    pub parts: Vec<BranchPart>,
}

/// An entry that passed verification and the filters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub branch: BranchId,
    pub height: u64,
    pub leaf: Hash,
    pub fields: Fields,
}

/// Why an answer does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Unproven {
    #[error("branch {0}: the answer leaves this branch out")]
    BranchMissing(BranchId),
    #[error("branch {0}: the answer's latest header is not the one the client knows")]
    StaleHeader(BranchId),
    #[error("branch {branch}, height {height}: header signature or branch id is wrong")]
    BadHeader { branch: BranchId, height: u64 },
    #[error("branch {0}: the branch keeps an audit index but the answer has none, or a wrong one")]
    BadIndex(BranchId),
    #[error("branch {0}: the patient's head does not match the committed tree")]
    BadHead(BranchId),
    #[error("branch {branch}, height {height}: entry {leaf} is not proven in its block, or is not about the patient")]
    BadEntry {
        branch: BranchId,
        height: u64,
        leaf: Hash,
    },
    #[error("branch {branch}: the walk from the head breaks at {expected}: an entry is missing")]
    Incomplete { branch: BranchId, expected: Hash },
    #[error("branch {branch}: the walk reached the first entry after {walked} of the {count} entries the tree counts")]
    WrongCount {
        branch: BranchId,
        walked: u64,
        count: u64,
    },
}

/// Builds the answer about `patient`'s entries from `from` on, from the index alone.
pub fn answer(
    index: &AuditIndex,
    patient: &PublicKey,
    from: Option<u64>,
) -> Result<Answer, IndexError> {
    let db = &index.db;
    let mut parts = Vec::new();
    let mut branches =
        db.prepare("SELECT branch, height, header, indexed FROM branches ORDER BY branch")?;
    let rows: Vec<(String, i64, Vec<u8>, bool)> = branches
        .query_map([], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })?
        .collect::<Result<_, _>>()?;
    for (branch, height, header, indexed) in rows {
        let header = header_from(&header)?;
        let mut part = BranchPart {
            header,
            index: None,
            head: None,
            head_proof: None,
            entries: Vec::new(),
        };
        if indexed {
            let (record, proof): (Vec<u8>, Vec<u8>) = db
                .prepare_cached(
                    "SELECT record, proof FROM indices WHERE branch = ?1 AND height = ?2",
                )?
                .query_row(params![branch, height], |row| {
                    Ok((row.get(0)?, row.get(1)?))
                })
                .optional()?
                .ok_or_else(|| {
                    IndexError::Corrupt(format!("branch {branch}: no index at height {height}"))
                })?;
            part.index = Some((record_from(&record)?, proof_from(&proof)?));
            let store = super::store::SqlStore {
                db,
                branch: &branch,
            };
            let (head, proof) = prove(&store, height as u64, patient)?;
            part.head = head;
            part.head_proof = Some(proof);
            let mut next = head.map(|h| h.leaf);
            while let Some(leaf) = next {
                let (height, record, proof, recorded): (i64, Vec<u8>, Vec<u8>, i64) = db
                    .prepare_cached(
                        "SELECT height, record, proof, recorded FROM entries WHERE branch = ?1 AND leaf = ?2",
                    )?
                    .query_row(params![branch, leaf.0.to_vec()], |row| {
                        Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
                    })
                    .optional()?
                    .ok_or_else(|| IndexError::Corrupt(format!("branch {branch}: entry {leaf} is not in the index")))?;
                let header: Vec<u8> = db
                    .prepare_cached("SELECT header FROM headers WHERE branch = ?1 AND height = ?2")?
                    .query_row(params![branch, height], |row| row.get(0))?;
                let record = record_from(&record)?;
                next = match AuditRecord::of(&record) {
                    Some(Ok(AuditRecord::Entry(entry))) => entry.prev,
                    _ => {
                        return Err(IndexError::Corrupt(format!(
                            "branch {branch}: {leaf} is not an entry"
                        )))
                    }
                };
                part.entries.push(ProvedEntry {
                    header: header_from(&header)?,
                    record,
                    proof: proof_from(&proof)?,
                });
                if from.is_some_and(|from| (recorded as u64) < from) {
                    break;
                }
            }
        }
        parts.push(part);
    }
    Ok(Answer {
        patient: *patient,
        parts,
    })
}

fn proof_from(bytes: &[u8]) -> Result<MerkleProof, IndexError> {
    MerkleProof::from_bytes(bytes).map_err(|e| IndexError::Corrupt(e.to_string()))
}

/// Checks `answer` against the latest header hash of each branch the client knows, and
/// returns the entries that pass `query`'s filters, newest first per branch.
pub fn verify(
    answer: &Answer,
    latest: &BTreeMap<BranchId, Hash>,
    query: &Query,
    verifier: &mut Verifier,
) -> Result<Vec<Row>, Unproven> {
    let parts: BTreeMap<BranchId, &BranchPart> = answer
        .parts
        .iter()
        .map(|part| (part.header.branch, part))
        .collect();
    let mut rows = Vec::new();
    for (branch, hash) in latest {
        let branch = *branch;
        let part = parts.get(&branch).ok_or(Unproven::BranchMissing(branch))?;
        let header = &part.header;
        if header.hash() != *hash {
            return Err(Unproven::StaleHeader(branch));
        }
        let key = header.public_key;
        let signed = |h: &BlockHeader, verifier: &mut Verifier| {
            h.public_key == key && h.branch == key.branch_id() && h.verify_signature(verifier)
        };
        if !signed(header, verifier) {
            return Err(Unproven::BadHeader {
                branch,
                height: header.height,
            });
        }
        let Some((record, proof)) = &part.index else {
            // A branch without an index must show no entries; whether it should keep one
            // is the ingest's check of its blocks.
            if part.entries.is_empty() && part.head.is_none() {
                continue;
            }
            return Err(Unproven::BadIndex(branch));
        };
        let last = proof.index + 1 == proof.leaf_count && proof.leaf_count == header.file_count;
        let root = match AuditRecord::of(record) {
            Some(Ok(AuditRecord::Index(index)))
                if last
                    && record.patient == key
                    && proof.verify(&header.files_root, &record.leaf())
                    && record.verify(verifier) =>
            {
                index.root
            }
            _ => return Err(Unproven::BadIndex(branch)),
        };
        let head_proven = part
            .head_proof
            .as_ref()
            .is_some_and(|p| p.verify(&root, &answer.patient, part.head.as_ref()));
        if !head_proven {
            return Err(Unproven::BadHead(branch));
        }
        let mut expected = part.head.map(|head| (head.leaf, head.height));
        let mut walked = 0;
        let mut stopped_early = false;
        let mut newer: Option<u64> = None;
        for entry in &part.entries {
            let Some((leaf, height_at_most)) = expected else {
                break;
            };
            let bad = || Unproven::BadEntry {
                branch,
                height: entry.header.height,
                leaf,
            };
            let record = &entry.record;
            let fields = match AuditRecord::of(record) {
                Some(Ok(AuditRecord::Entry(audit)))
                    if record.leaf() == leaf
                        && record.patient == key
                        && entry.header.height <= height_at_most
                        && signed(&entry.header, verifier)
                        && entry.proof.verify(&entry.header.files_root, &leaf)
                        && record.verify(verifier) =>
                {
                    let fields = AuditEvent::parse(&audit.event).map_err(|_| bad())?.1;
                    expected = audit.prev.map(|prev| (prev, entry.header.height));
                    fields
                }
                _ => return Err(bad()),
            };
            if fields.patient != answer.patient || newer.is_some_and(|t| fields.recorded > t) {
                return Err(bad());
            }
            newer = Some(fields.recorded);
            walked += 1;
            let before_range = query.from.is_some_and(|from| fields.recorded < from);
            if query.admits(&fields) {
                rows.push(Row {
                    branch,
                    height: entry.header.height,
                    leaf,
                    fields,
                });
            }
            if before_range {
                // Entries are made in time order: everything further back is earlier.
                stopped_early = true;
                expected = None;
            }
        }
        if let Some((leaf, _)) = expected {
            return Err(Unproven::Incomplete {
                branch,
                expected: leaf,
            });
        }
        let count = part.head.map_or(0, |h| h.count);
        if !stopped_early && walked != count {
            return Err(Unproven::WrongCount {
                branch,
                walked,
                count,
            });
        }
    }
    Ok(rows)
}
