//! Reading a patient's record from branch files, as the patient or a chosen party would.
//!
//! A reader trusts nothing the files say about themselves. Every block's records must hash
//! to the file root its header commits to, every entry must carry its patient's signature,
//! and the history follows rule 17: under a terminated key only the chain the termination
//! names (walked back from `through` by each entry's `prev`) is the patient's own;
//! anything else signed with that key (a thief's appends) is listed apart. The successor
//! key's first entry must name the old key and the same point, or the link is reported
//! broken and not followed, so a termination alone cannot splice another patient's record
//! in. Sealed entries open with the reader's key when the patient wrapped one for it; a
//! sealed entry that names the reader but does not open was altered, and one that opens to
//! something outside the schema breaks rule 16. When two different terminations of one
//! record are found (a thief who terminated too), the one with the lower sequence is
//! followed and the other is a problem: the reader cannot tell which the miners took first. Everything found
//! wrong is a [`Problem`], so `medilanac read` can exit 1 on it.

use crate::export::BranchFile;
use crate::protocol::entry::{context, Body, Entry};
use crate::protocol::envelope::{Envelope, OpenError, ReaderKeys};
use crate::protocol::fhir::Resource;
use crate::protocol::merkle::MerkleTree;
use crate::protocol::{BranchId, Hash, PublicKey, Record, Verifier};
use std::collections::{BTreeMap, BTreeSet};
use thiserror::Error;

/// Why no patient could be read at all (bad input).
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ReadError {
    #[error("no record in the files is signed by a key starting with {0:?}")]
    NoPatient(String),
    #[error("{prefix:?} names {count} patients' keys; give more digits")]
    Ambiguous { prefix: String, count: usize },
}

/// What a reader made of one entry's content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reading {
    /// Not data: a termination or the start of a successor record.
    NoContent,
    /// Opened (or in the clear): the resource's type.
    Read { resource_type: String },
    /// Sealed, and not for this reader.
    NotForThisKey,
    /// Opened, but not a resource of the schema.
    NotAResource(String),
}

/// One entry as read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadEntry {
    /// The key the entry is signed with (the record it belongs to).
    pub key: PublicKey,
    pub sequence: u64,
    pub branch: BranchId,
    pub height: u64,
    pub kind: &'static str,
    /// Whether the entry is on the patient's own history (false: signed with a terminated
    /// key but not on the chain the termination names).
    pub own: bool,
    pub reading: Reading,
    /// Whether the record the entry belongs to was terminated.
    pub terminated: bool,
    /// The successor the record's termination names.
    pub successor: Option<PublicKey>,
}

/// Something found wrong in the files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub branch: BranchId,
    pub height: u64,
    /// `key/sequence` of the entry, when one is to blame.
    pub record: Option<String>,
    pub what: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct History {
    /// Entries in the order of the history: each record's by sequence, records in the
    /// order the successor links give.
    pub entries: Vec<ReadEntry>,
    pub problems: Vec<Problem>,
}

/// An entry as found in a file.
struct Found {
    record: Record,
    branch: BranchId,
    height: u64,
}

/// `key/sequence`, as the output names an entry.
pub fn record_name(key: &PublicKey, sequence: u64) -> String {
    format!("{}/{sequence}", &hex::encode(key.0)[..8])
}

/// The one signing key that starts with `prefix` among the files' records.
pub fn resolve_patient(files: &[BranchFile], prefix: &str) -> Result<PublicKey, ReadError> {
    let prefix = prefix.to_ascii_lowercase();
    let keys: BTreeSet<PublicKey> = records(files)
        .map(|(_, _, record)| record.patient)
        .filter(|key| hex::encode(key.0).starts_with(&prefix))
        .collect();
    match keys.len() {
        1 => Ok(*keys.first().expect("one key")),
        0 => Err(ReadError::NoPatient(prefix)),
        count => Err(ReadError::Ambiguous { prefix, count }),
    }
}

fn records(files: &[BranchFile]) -> impl Iterator<Item = (BranchId, u64, &Record)> {
    files.iter().flat_map(|file| {
        file.blocks.iter().flat_map(move |block| {
            let at = (file.branch, block.height);
            block.records.iter().map(move |record| (at.0, at.1, record))
        })
    })
}

/// The history of the patient whose first key is `patient`, as `keys` may read it.
pub fn read(files: &[BranchFile], patient: PublicKey, keys: &ReaderKeys) -> History {
    let mut history = History::default();
    let mut verifier = Verifier::default();
    for file in files {
        for block in &file.blocks {
            let leaves = block.records.iter().map(Record::leaf).collect();
            if MerkleTree::new(leaves).root() != block.header.files_root {
                history.problems.push(Problem {
                    branch: file.branch,
                    height: block.height,
                    record: None,
                    what: "the block's records do not hash to its header's file root".into(),
                });
            }
        }
    }
    // Every verified entry, by key and then leaf (the same entry on several branches once).
    let mut by_key: BTreeMap<PublicKey, BTreeMap<Hash, Found>> = BTreeMap::new();
    for (branch, height, record) in records(files) {
        if !record.verify(&mut verifier) {
            history.problems.push(Problem {
                branch,
                height,
                record: Some(record_name(&record.patient, record.sequence)),
                what: "not signed by its patient: the record was altered".into(),
            });
            continue;
        }
        by_key
            .entry(record.patient)
            .or_default()
            .entry(record.leaf())
            .or_insert(Found {
                record: record.clone(),
                branch,
                height,
            });
    }
    let mut visited = BTreeSet::new();
    let mut next = Some((patient, None));
    while let Some((current, link)) = next.take() {
        let found = by_key.remove(&current).unwrap_or_default();
        let Some((successor, through)) = read_record(current, &found, keys, link, &mut history)
        else {
            break;
        };
        visited.insert(current);
        // The successor is followed only if its first entry links back to this record at
        // the same point: a termination alone cannot splice another record in.
        let problem = match by_key.get(&successor).and_then(first_entry) {
            _ if visited.contains(&successor) => Some("the successor named leads back to a record already read"),
            Some(Entry { prev: None, body: Body::Succeed { predecessor, through: point } })
                if predecessor == current && point == through => None,
            Some(_) => Some("the successor's first entry does not link back to this record at the point its termination names"),
            None => Some("no entry of the successor the termination names is in the files"),
        };
        match problem {
            None => next = Some((successor, Some((current, through)))),
            Some(what) => {
                let termination = history
                    .entries
                    .iter()
                    .rev()
                    .find(|e| e.kind == "termination");
                let at = termination.map_or((BranchId::default(), 0), |e| (e.branch, e.height));
                history.problems.push(Problem {
                    branch: at.0,
                    height: at.1,
                    record: termination.map(|e| record_name(&e.key, e.sequence)),
                    what: format!("{what}; not followed"),
                });
            }
        }
    }
    history
}

/// The entry with the lowest sequence of a record, if it decodes.
fn first_entry(found: &BTreeMap<Hash, Found>) -> Option<Entry> {
    let first = found.values().min_by_key(|f| f.record.sequence)?;
    Entry::of(&first.record).ok()
}

/// Reads one record (the entries under one key) into `history`; returns its successor
/// and the point its termination names, if it was terminated. `link` is what the
/// predecessor's termination said: (predecessor key, through).
fn read_record(
    key: PublicKey,
    found: &BTreeMap<Hash, Found>,
    keys: &ReaderKeys,
    link: Option<(PublicKey, Option<Hash>)>,
    history: &mut History,
) -> Option<(PublicKey, Option<Hash>)> {
    let mut entries: Vec<(&Found, Entry)> = Vec::new();
    for f in found.values() {
        match Entry::of(&f.record) {
            Ok(entry) => entries.push((f, entry)),
            Err(error) => history.problems.push(Problem {
                branch: f.branch,
                height: f.height,
                record: Some(record_name(&key, f.record.sequence)),
                what: format!("not an entry: {error}"),
            }),
        }
    }
    entries.sort_by_key(|(f, _)| f.record.sequence);
    let terminations: Vec<(&Found, Option<Hash>, PublicKey)> = entries
        .iter()
        .filter_map(|(f, entry)| match entry.body {
            Body::Terminate { through, successor } => Some((*f, through, successor)),
            _ => None,
        })
        .collect();
    if terminations.len() > 1 {
        let (f, ..) = terminations[1];
        history.problems.push(Problem {
            branch: f.branch,
            height: f.height,
            record: Some(record_name(&key, f.record.sequence)),
            what: "a second, different termination of the same record (the first counts)".into(),
        });
    }
    let termination = terminations.first().copied();
    // The patient's own entries: the chain the termination names, or all of them.
    let own: Option<BTreeSet<Hash>> = termination.map(|(f, through, _)| {
        let mut own = BTreeSet::from([f.record.leaf()]);
        let mut at = through;
        while let Some(leaf) = at.filter(|leaf| own.insert(*leaf)) {
            at = found
                .get(&leaf)
                .and_then(|f| Entry::of(&f.record).ok())
                .and_then(|entry| entry.prev);
        }
        own
    });
    let successor = termination.map(|(_, _, successor)| successor);
    for (f, entry) in &entries {
        let record = &f.record;
        let name = record_name(&key, record.sequence);
        let mut problem = |what: String| {
            history.problems.push(Problem {
                branch: f.branch,
                height: f.height,
                record: Some(name.clone()),
                what,
            })
        };
        let (kind, reading) = match &entry.body {
            Body::Data(envelope) => ("data", open(envelope, record, keys, &mut problem)),
            Body::Terminate { .. } => ("termination", Reading::NoContent),
            Body::Succeed {
                predecessor,
                through,
            } => {
                match link {
                    Some(expected) if expected == (*predecessor, *through) => {}
                    Some(_) => problem(
                        "the successor's first entry names another predecessor or point than the termination".into(),
                    ),
                    None => problem("a successor entry no termination read here names".into()),
                }
                ("succession", Reading::NoContent)
            }
        };
        history.entries.push(ReadEntry {
            key,
            sequence: record.sequence,
            branch: f.branch,
            height: f.height,
            kind,
            own: own.as_ref().is_none_or(|own| own.contains(&record.leaf())),
            reading,
            terminated: termination.is_some(),
            successor,
        });
    }
    termination.map(|(_, through, successor)| (successor, through))
}

fn open(
    envelope: &Envelope,
    record: &Record,
    keys: &ReaderKeys,
    problem: &mut impl FnMut(String),
) -> Reading {
    let json = match envelope.open(keys, &context(&record.patient, record.sequence)) {
        Ok(json) => json,
        Err(OpenError::NotAReader) => return Reading::NotForThisKey,
        Err(error) => {
            problem(format!("sealed for this key but does not open: {error}"));
            return Reading::NotForThisKey;
        }
    };
    match Resource::parse(&json) {
        Ok(resource) => Reading::Read {
            resource_type: resource.type_name().into(),
        },
        Err(error) => {
            problem(format!("opened, but breaks the schema (rule 16): {error}"));
            Reading::NotAResource(error.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::envelope::Envelope;
    use crate::protocol::{Block, BranchTip, Bytes, KeyPair, Params};

    fn entry(keys: &KeyPair, sequence: u64, prev: Option<Hash>, body: Body) -> Record {
        Record::new(
            keys,
            sequence,
            Bytes::from(Entry { prev, body }.to_payload()),
        )
    }

    /// One branch file holding `records` in one block after genesis.
    fn files(records: Vec<Record>) -> Vec<BranchFile> {
        let miner = KeyPair::derive(1, "miner", 0);
        let mut tip = BranchTip::new();
        let genesis = Block::seal(&miner, &tip, 0, vec![], vec![]);
        tip.push_block(&genesis, genesis.hash(), 1);
        let block = Block::seal(&miner, &tip, 1, records, vec![]);
        let params = Params::default();
        vec![BranchFile::new(
            &params,
            miner.public().branch_id(),
            &[genesis, block],
        )]
    }

    const JSON: &[u8] = br#"{"resourceType":"Patient","identifier":[{"value":"p"}]}"#;

    fn data(json: &[u8]) -> Body {
        Body::Data(Envelope::Clear(json.to_vec()))
    }

    /// A history of `old` terminated at its first entry, naming `successor`, and the
    /// successor's entries (`first` as its first body).
    fn history(first: impl FnOnce(&KeyPair, Hash) -> Body) -> History {
        let (old, new) = (KeyPair::derive(1, "p", 0), KeyPair::derive(1, "p", 1));
        let own = entry(&old, 0, None, data(JSON));
        let leaf = own.leaf();
        let end = Body::Terminate {
            through: Some(leaf),
            successor: new.public(),
        };
        let termination = entry(&old, 1, Some(leaf), end);
        let link = entry(&new, 2, None, first(&old, leaf));
        let after = entry(&new, 3, Some(link.leaf()), data(JSON));
        read(
            &files(vec![own, termination, link, after]),
            old.public(),
            &ReaderKeys::derive(1, "r", 0),
        )
    }

    #[test]
    fn a_successor_that_links_back_is_followed() {
        let read = history(|old, leaf| Body::Succeed {
            predecessor: old.public(),
            through: Some(leaf),
        });
        assert_eq!(read.problems, vec![]);
        let kinds: Vec<&str> = read.entries.iter().map(|e| e.kind).collect();
        assert_eq!(kinds, ["data", "termination", "succession", "data"]);
    }

    /// Guards the link check in `read`: a termination naming a record whose first entry
    /// does not name it back (another patient's record, or a thief's splice) is reported
    /// and that record is not read as this patient's.
    #[test]
    fn a_successor_that_does_not_link_back_is_reported_and_not_followed() {
        let cases: [fn(&KeyPair, Hash) -> Body; 3] = [
            |_, _| data(JSON),
            |_, leaf| Body::Succeed {
                predecessor: KeyPair::derive(9, "x", 0).public(),
                through: Some(leaf),
            },
            |old, _| Body::Succeed {
                predecessor: old.public(),
                through: None,
            },
        ];
        for first in cases {
            let read = history(first);
            assert_eq!(read.entries.len(), 2, "{:?}", read.entries);
            assert_eq!(read.problems.len(), 1, "{:?}", read.problems);
            assert!(read.problems[0].what.contains("not followed"));
        }
    }

    /// Content a key opens that breaks the schema is a problem, not only a reading.
    #[test]
    fn an_entry_outside_the_schema_is_a_problem() {
        let patient = KeyPair::derive(1, "p", 0);
        let bad = entry(
            &patient,
            0,
            None,
            data(br#"{"resourceType":"Observation"}"#),
        );
        let read = read(
            &files(vec![bad]),
            patient.public(),
            &ReaderKeys::derive(1, "r", 0),
        );
        assert!(matches!(read.entries[0].reading, Reading::NotAResource(_)));
        assert_eq!(read.problems.len(), 1, "{:?}", read.problems);
    }
}
