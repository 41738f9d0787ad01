//! The writing side of rule 18: what an institution keeps to sign its audit entries and
//! close each block with its index, kept apart from any event loop so that a miner in a run
//! and a benchmark that builds a consortium's year directly write the same bytes.

use super::audit::{advance, AuditEntry, AuditIndex, AuditRecord, Trail};
use super::audit_event::{AuditEvent, Occurrence};
use super::audit_tree::{apply, MemoryStore};
use super::hash::Hash;
use super::keys::{KeyPair, PublicKey};
use super::record::Record;
use std::collections::BTreeMap;

/// A branch's audit trail as its writer keeps it.
#[derive(Clone, Debug)]
pub struct AuditLog {
    /// The trail as far as sealed blocks go.
    trail: Trail,
    tree: MemoryStore,
    /// The newest entry made about each patient, sealed or not: the next one's `prev`.
    made: BTreeMap<PublicKey, Hash>,
    /// Sequence numbers of the branch key's audit records.
    sequence: u64,
}

impl Default for AuditLog {
    fn default() -> AuditLog {
        AuditLog {
            trail: Trail::default(),
            tree: MemoryStore::started(),
            made: BTreeMap::new(),
            sequence: 0,
        }
    }
}

impl AuditLog {
    /// Signs the entry for `occurrence`, linked to the last made about its patient. Entries
    /// must reach blocks in the order they were made.
    pub fn entry(&mut self, keys: &KeyPair, occurrence: &Occurrence) -> Record {
        let entry = AuditEntry {
            prev: self.made.get(occurrence.patient).copied(),
            event: AuditEvent::new(occurrence).to_json(),
        };
        let record = AuditRecord::Entry(entry).sign(keys, self.sequence);
        self.sequence += 1;
        self.made.insert(*occurrence.patient, record.leaf());
        record
    }

    /// Ends the records of block `height`, sealed at `sealed`, with the signed index of the
    /// branch's trail after them: the rule's own reading of the entries, the tree moved to
    /// the block's height.
    pub fn close(&mut self, keys: &KeyPair, height: u64, sealed: u64, records: &mut Vec<Record>) {
        let mut step = advance(&self.trail, &keys.public(), height, sealed, records)
            .expect("entries made by this log, in order, follow the rule");
        let root = apply(&mut self.tree, height, &step.moved)
            .expect("the in-memory tree moves one version per block");
        let index = AuditIndex {
            root,
            entries: self.trail.entries_after(&step),
        };
        records.push(AuditRecord::Index(index).sign(keys, self.sequence));
        self.sequence += 1;
        step.index = Some((records.len() - 1, index));
        self.trail.take(&step);
    }
}
