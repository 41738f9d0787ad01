//! Audit records on an institution's branch, and the rules a block of them must follow
//! (DESIGN rule 18).
//!
//! An institution's miner signs two kinds of record with its branch key: an [`AuditEntry`]
//! (one AuditEvent, linked to the previous entry about the same patient on this branch) and,
//! as the last record of every block, an [`AuditIndex`] (the root of the per-patient tree of
//! [`super::audit_tree`] after the block, and how many entries the branch holds). Their
//! payloads begin with tags no placement-notes payload can begin with (a notes payload
//! starts with its count, and these tags read as a count of over a billion notes), so the
//! branch's own records stay apart by kind.
//!
//! [`advance`] is the one home of the rules: the miner runs it to make its index record,
//! and every reader of a branch runs it again to check what the miner committed.

use super::audit_event::{AuditEvent, Fields};
use super::audit_tree::PatientHead;
use super::codec::{DecodeError, Reader, Writer};
use super::fhir::SchemaError;
use super::hash::Hash;
use super::keys::{KeyPair, PublicKey};
use super::record::Record;
use std::collections::BTreeMap;
use thiserror::Error;

const ENTRY_TAG: &[u8] = b"medilanac/audit-entry\0";
const INDEX_TAG: &[u8] = b"medilanac/audit-index\0";

/// One audit entry: an AuditEvent's JSON and the entry about the same patient before it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    pub prev: Option<Hash>,
    pub event: Vec<u8>,
}

/// A block's commitment to its branch's audit trail so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuditIndex {
    /// Root of the per-patient tree after this block.
    pub root: Hash,
    /// Audit entries on the branch up to and including this block.
    pub entries: u64,
}

/// What an audit payload holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuditRecord {
    Entry(AuditEntry),
    Index(AuditIndex),
}

/// Why a block's audit records break rule 18.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AuditError {
    #[error("record {position} is an audit record that does not decode: {error}")]
    Malformed { position: usize, error: DecodeError },
    #[error("record {position} is not an AuditEvent the index can read: {error}")]
    Schema { position: usize, error: SchemaError },
    #[error("record {position} links to {found} as the patient's previous entry, but the branch's last is {expected}", found = show(.found), expected = show(.expected))]
    BrokenLink {
        position: usize,
        expected: Option<Hash>,
        found: Option<Hash>,
    },
    #[error("record {position} was recorded at {recorded} µs, after its block was sealed at {sealed} µs")]
    FromTheFuture {
        position: usize,
        recorded: u64,
        sealed: u64,
    },
    #[error("the block's last record is not its audit index, though the branch keeps one")]
    MissingIndex,
    #[error("record {position} is an audit index but not the block's last record")]
    MisplacedIndex { position: usize },
    #[error("the block commits to audit root {committed} and {committed_entries} entries; its records give {computed} and {computed_entries}")]
    WrongIndex {
        committed: Hash,
        committed_entries: u64,
        computed: Hash,
        computed_entries: u64,
    },
}

fn show(hash: &Option<Hash>) -> String {
    hash.map_or("nothing".into(), |hash| hash.short())
}

impl AuditError {
    /// The position of the record at fault, when one is.
    pub fn position(&self) -> Option<usize> {
        match self {
            AuditError::Malformed { position, .. }
            | AuditError::Schema { position, .. }
            | AuditError::BrokenLink { position, .. }
            | AuditError::FromTheFuture { position, .. }
            | AuditError::MisplacedIndex { position } => Some(*position),
            AuditError::MissingIndex | AuditError::WrongIndex { .. } => None,
        }
    }
}

impl AuditRecord {
    /// What `record` holds, if its payload is an audit record (`None` otherwise).
    pub fn of(record: &Record) -> Option<Result<AuditRecord, DecodeError>> {
        let payload: &[u8] = &record.payload;
        if let Some(rest) = payload.strip_prefix(ENTRY_TAG) {
            return Some(decode_entry(rest).map(AuditRecord::Entry));
        }
        let rest = payload.strip_prefix(INDEX_TAG)?;
        Some(decode_index(rest).map(AuditRecord::Index))
    }

    /// Whether a payload is tagged as an audit record.
    pub fn is_audit(payload: &[u8]) -> bool {
        payload.starts_with(ENTRY_TAG) || payload.starts_with(INDEX_TAG)
    }

    fn encode(&self) -> Vec<u8> {
        let mut writer = Writer::default();
        match self {
            AuditRecord::Entry(entry) => {
                writer.fixed(ENTRY_TAG);
                match &entry.prev {
                    Some(prev) => writer.u8(1).hash(prev),
                    None => writer.u8(0),
                };
                writer.bytes(&entry.event);
            }
            AuditRecord::Index(index) => {
                writer.fixed(INDEX_TAG).hash(&index.root).u64(index.entries);
            }
        }
        writer.bytes
    }

    /// The record, signed with the branch's key, that carries this.
    pub fn sign(&self, keys: &KeyPair, sequence: u64) -> Record {
        Record::new(keys, sequence, self.encode().into())
    }

    /// Encoded bytes of a block's index record.
    pub const INDEX_RECORD_LEN: u64 = (Record::OVERHEAD + INDEX_TAG.len() + 32 + 8) as u64;
}

fn decode_entry(bytes: &[u8]) -> Result<AuditEntry, DecodeError> {
    let mut reader = Reader::new(bytes);
    let prev = match reader.u8()? {
        0 => None,
        1 => Some(reader.hash()?),
        tag => return Err(DecodeError::UnknownTag(tag)),
    };
    let event = reader.bytes()?.to_vec();
    reader.finish()?;
    Ok(AuditEntry { prev, event })
}

fn decode_index(bytes: &[u8]) -> Result<AuditIndex, DecodeError> {
    let mut reader = Reader::new(bytes);
    let index = AuditIndex {
        root: reader.hash()?,
        entries: reader.u64()?,
    };
    reader.finish()?;
    Ok(index)
}

/// A branch's audit trail as far as it has been followed: each patient's head.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trail {
    pub heads: BTreeMap<PublicKey, PatientHead>,
    pub entries: u64,
    /// Whether the branch has committed an index yet; from then on every block must.
    pub indexed: bool,
}

/// One audit entry of a block, as [`advance`] read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub position: usize,
    pub leaf: Hash,
    pub prev: Option<Hash>,
    pub fields: Fields,
}

/// What a block adds to a trail.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Step {
    pub entries: Vec<Found>,
    /// The heads the block moved, by patient.
    pub moved: Vec<(PublicKey, PatientHead)>,
    /// The block's own index record, if it has one: (position, what it commits to).
    pub index: Option<(usize, AuditIndex)>,
}

/// Reads the audit records among `records` (those signed by `branch_key`) of the block at
/// `height` sealed at `sealed`, checks each entry's schema, time and link, and returns what
/// the block moves. `trail` is not changed: [`Trail::take`] applies a step once its index is
/// made, or checked with [`check_index`].
pub fn advance(
    trail: &Trail,
    branch_key: &PublicKey,
    height: u64,
    sealed: u64,
    records: &[Record],
) -> Result<Step, AuditError> {
    let mut heads: BTreeMap<PublicKey, PatientHead> = BTreeMap::new();
    let mut step = Step::default();
    for (position, record) in records.iter().enumerate() {
        if &record.patient != branch_key {
            continue;
        }
        let Some(decoded) = AuditRecord::of(record) else {
            continue;
        };
        let entry = match decoded.map_err(|error| AuditError::Malformed { position, error })? {
            AuditRecord::Index(index) => {
                if position + 1 != records.len() {
                    return Err(AuditError::MisplacedIndex { position });
                }
                step.index = Some((position, index));
                continue;
            }
            AuditRecord::Entry(entry) => entry,
        };
        let (_, fields) = AuditEvent::parse(&entry.event)
            .map_err(|error| AuditError::Schema { position, error })?;
        if fields.recorded > sealed {
            return Err(AuditError::FromTheFuture {
                position,
                recorded: fields.recorded,
                sealed,
            });
        }
        let last = heads
            .get(&fields.patient)
            .or_else(|| trail.heads.get(&fields.patient))
            .copied();
        let expected = last.map(|head| head.leaf);
        if entry.prev != expected {
            return Err(AuditError::BrokenLink {
                position,
                expected,
                found: entry.prev,
            });
        }
        let leaf = record.leaf();
        let head = PatientHead {
            leaf,
            height,
            count: last.map_or(0, |head| head.count) + 1,
        };
        heads.insert(fields.patient, head);
        step.entries.push(Found {
            position,
            leaf,
            prev: entry.prev,
            fields,
        });
    }
    step.moved = heads.into_iter().collect();
    Ok(step)
}

impl Trail {
    /// Entries on the branch after `step`.
    pub fn entries_after(&self, step: &Step) -> u64 {
        self.entries + step.entries.len() as u64
    }

    /// Applies a checked step.
    pub fn take(&mut self, step: &Step) {
        self.heads.extend(step.moved.iter().copied());
        self.entries = self.entries_after(step);
        self.indexed |= step.index.is_some();
    }
}

/// Checks what a block commits to against what its records give: once a branch keeps an
/// index (and in any block with audit entries) the block must end with one, and it must
/// name the root `computed` and the count of entries the trail reaches.
pub fn check_index(trail: &Trail, step: &Step, computed: Hash) -> Result<(), AuditError> {
    let entries = trail.entries_after(step);
    match step.index {
        None if trail.indexed || !step.entries.is_empty() => Err(AuditError::MissingIndex),
        Some((_, index)) if index.root != computed || index.entries != entries => {
            Err(AuditError::WrongIndex {
                committed: index.root,
                committed_entries: index.entries,
                computed,
                computed_entries: entries,
            })
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::audit_event::{Activity, Occurrence};
    use proptest::prelude::*;

    fn keys() -> KeyPair {
        KeyPair::derive(3, "miner", 0)
    }

    fn patient(i: u8) -> PublicKey {
        PublicKey([i; 32])
    }

    /// Entries about `patients` (in order), each linked to the last about its patient.
    fn entries(patients: &[u8]) -> Vec<Record> {
        let mut last: BTreeMap<u8, Hash> = BTreeMap::new();
        patients
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let event = AuditEvent::new(&Occurrence {
                    activity: Activity::Access,
                    recorded: i as u64 * 1_000_000,
                    patient: &patient(*p),
                    agent: "Practitioner/0-1",
                    purpose: "TREAT",
                    observer: "Organization/0",
                    transfer: None,
                });
                let entry = AuditEntry {
                    prev: last.get(p).copied(),
                    event: event.to_json(),
                };
                let record = AuditRecord::Entry(entry).sign(&keys(), i as u64);
                last.insert(*p, record.leaf());
                record
            })
            .collect()
    }

    fn index(root: Hash, entries: u64) -> Record {
        AuditRecord::Index(AuditIndex { root, entries }).sign(&keys(), 999)
    }

    #[test]
    fn audit_records_round_trip_and_are_told_apart_from_other_records() {
        let record = &entries(&[1])[0];
        assert!(matches!(
            AuditRecord::of(record),
            Some(Ok(AuditRecord::Entry(_)))
        ));
        let committed = index(Hash([4; 32]), 7);
        assert_eq!(
            committed.encoded_len() as u64,
            AuditRecord::INDEX_RECORD_LEN
        );
        assert_eq!(
            AuditRecord::of(&committed),
            Some(Ok(AuditRecord::Index(AuditIndex {
                root: Hash([4; 32]),
                entries: 7
            })))
        );
        let notes = crate::protocol::notes_record(&keys(), 1, &[]);
        assert_eq!(AuditRecord::of(&notes), None);
    }

    proptest! {
        /// Entries made in order pass, count per patient, and move each patient's head to
        /// its newest entry; any two entries about one patient swapped break a link.
        #[test]
        fn entries_in_order_pass_and_swapped_ones_break_a_link(patients in prop::collection::vec(0u8..4, 1..12)) {
            let records = entries(&patients);
            let step = advance(&Trail::default(), &keys().public(), 1, u64::MAX, &records).unwrap();
            prop_assert_eq!(step.entries.len(), patients.len());
            for (p, head) in &step.moved {
                let about = patients.iter().filter(|q| patient(**q) == *p).count() as u64;
                prop_assert_eq!(head.count, about);
                let newest = patients.iter().rposition(|q| patient(*q) == *p).unwrap();
                prop_assert_eq!(head.leaf, records[newest].leaf());
            }
            let repeated = (0..patients.len()).find(|&i| patients[i + 1..].contains(&patients[i]));
            if let Some(first) = repeated {
                let second = first + 1 + patients[first + 1..].iter().position(|q| *q == patients[first]).unwrap();
                let mut swapped = records.clone();
                swapped.swap(first, second);
                let broken = advance(&Trail::default(), &keys().public(), 1, u64::MAX, &swapped);
                prop_assert!(matches!(broken, Err(AuditError::BrokenLink { .. })), "{:?}", broken);
            }
        }
    }

    #[test]
    fn an_entry_left_out_breaks_the_link_of_the_next_about_its_patient() {
        let mut records = entries(&[1, 2, 1]);
        records.remove(0);
        let error =
            advance(&Trail::default(), &keys().public(), 1, u64::MAX, &records).unwrap_err();
        assert!(matches!(
            error,
            AuditError::BrokenLink {
                position: 1,
                expected: None,
                found: Some(_)
            }
        ));
    }

    #[test]
    fn an_entry_recorded_after_its_block_was_sealed_is_refused() {
        let records = entries(&[1, 1, 1]);
        let error =
            advance(&Trail::default(), &keys().public(), 1, 1_500_000, &records).unwrap_err();
        assert_eq!(
            error,
            AuditError::FromTheFuture {
                position: 2,
                recorded: 2_000_000,
                sealed: 1_500_000
            }
        );
    }

    #[test]
    fn the_index_must_close_the_block_and_commit_what_its_records_give() {
        let mut records = entries(&[1]);
        records.insert(0, index(Hash([0; 32]), 1));
        let error =
            advance(&Trail::default(), &keys().public(), 1, u64::MAX, &records).unwrap_err();
        assert_eq!(error, AuditError::MisplacedIndex { position: 0 });

        let records = entries(&[1]);
        let trail = Trail::default();
        let step = advance(&trail, &keys().public(), 1, u64::MAX, &records).unwrap();
        assert_eq!(
            check_index(&trail, &step, Hash([9; 32])),
            Err(AuditError::MissingIndex)
        );

        let mut records = entries(&[1]);
        records.push(index(Hash([9; 32]), 2));
        let step = advance(&trail, &keys().public(), 1, u64::MAX, &records).unwrap();
        assert!(matches!(
            check_index(&trail, &step, Hash([9; 32])),
            Err(AuditError::WrongIndex {
                committed_entries: 2,
                computed_entries: 1,
                ..
            })
        ));
        assert!(check_index(&trail, &step, Hash([8; 32])).is_err());

        let mut kept = Trail::default();
        kept.take(&Step {
            index: Some((
                0,
                AuditIndex {
                    root: Hash([0; 32]),
                    entries: 0,
                },
            )),
            ..Step::default()
        });
        let empty = advance(&kept, &keys().public(), 2, u64::MAX, &[]).unwrap();
        assert_eq!(
            check_index(&kept, &empty, Hash([0; 32])),
            Err(AuditError::MissingIndex)
        );
    }
}
