//! Filling the index from branches, block by block, checking each block as it comes.
//!
//! A block already in the index is compared with the branch file (same header, and records
//! that still hash to its file root), so an export changed after it was indexed is caught;
//! a new block is checked in full and added in one transaction with everything its
//! entries' proofs need later. A block that fails stops its branch there: the index holds
//! only what it could check, and the problem is reported with the branch and height.

use super::store::SqlStore;
use super::{AuditIndex, IndexError};
use crate::export::BranchFile;
use crate::protocol::audit::{advance, check_index, AuditRecord, Trail};
use crate::protocol::audit_tree::{apply, start, PatientHead};
use crate::protocol::codec::{Reader, Writer};
use crate::protocol::merkle::MerkleTree;
use crate::protocol::validate::check_body;
use crate::protocol::{
    check_header, Block, BlockHeader, BranchTip, Hash, PublicKey, Record, Verifier,
};
use rusqlite::{params, OptionalExtension, Transaction};

/// What one pass over the branches did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ingested {
    pub blocks_added: u64,
    pub entries_added: u64,
    /// Blocks that were already indexed and still match.
    pub blocks_checked: u64,
    /// (branch, height, what is wrong), in branch and height order.
    pub problems: Vec<(String, u64, String)>,
}

pub(super) fn header_bytes(header: &BlockHeader) -> Vec<u8> {
    let mut writer = Writer::default();
    header.encode(&mut writer);
    writer.bytes
}

pub(super) fn header_from(bytes: &[u8]) -> Result<BlockHeader, IndexError> {
    let mut reader = Reader::new(bytes);
    let header =
        BlockHeader::decode(&mut reader).map_err(|e| IndexError::Corrupt(e.to_string()))?;
    reader
        .finish()
        .map_err(|e| IndexError::Corrupt(e.to_string()))?;
    Ok(header)
}

pub(super) fn record_bytes(record: &Record) -> Vec<u8> {
    let mut writer = Writer::default();
    record.encode(&mut writer);
    writer.bytes
}

pub(super) fn record_from(bytes: &[u8]) -> Result<Record, IndexError> {
    let mut reader = Reader::new(bytes);
    let record = Record::decode(&mut reader).map_err(|e| IndexError::Corrupt(e.to_string()))?;
    reader
        .finish()
        .map_err(|e| IndexError::Corrupt(e.to_string()))?;
    Ok(record)
}

/// Where the index stands on one branch.
struct Position {
    height: Option<u64>,
    trail: Trail,
    tip: BranchTip,
}

fn position(tx: &Transaction, branch: &str, links: u16) -> Result<Position, IndexError> {
    let row: Option<(i64, bool, i64)> = tx
        .query_row(
            "SELECT height, indexed, entries FROM branches WHERE branch = ?1",
            params![branch],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()?;
    let Some((height, indexed, entries)) = row else {
        return Ok(Position {
            height: None,
            trail: Trail::default(),
            tip: BranchTip::new(),
        });
    };
    let mut heads = std::collections::BTreeMap::new();
    let mut statement =
        tx.prepare("SELECT patient, leaf, height, count FROM heads WHERE branch = ?1")?;
    let mut rows = statement.query(params![branch])?;
    while let Some(row) = rows.next()? {
        let key: Vec<u8> = row.get(0)?;
        let leaf: Vec<u8> = row.get(1)?;
        let corrupt = || IndexError::Corrupt("a head of the wrong size".into());
        heads.insert(
            PublicKey(key.try_into().map_err(|_| corrupt())?),
            PatientHead {
                leaf: Hash(leaf.try_into().map_err(|_| corrupt())?),
                height: row.get::<_, i64>(2)? as u64,
                count: row.get::<_, i64>(3)? as u64,
            },
        );
    }
    let mut tip = BranchTip::new();
    let first = (height - i64::from(links) + 1).max(0);
    let mut statement = tx
        .prepare("SELECT header FROM headers WHERE branch = ?1 AND height >= ?2 ORDER BY height")?;
    let mut rows = statement.query(params![branch, first])?;
    while let Some(row) = rows.next()? {
        tip.push_header(&header_from(&row.get::<_, Vec<u8>>(0)?)?, links);
    }
    Ok(Position {
        height: Some(height as u64),
        trail: Trail {
            heads,
            entries: entries as u64,
            indexed,
        },
        tip,
    })
}

/// Adds to the index every block of `files` it does not hold yet, after checking it, and
/// checks the blocks it holds against the files.
pub fn ingest(index: &mut AuditIndex, files: &[BranchFile]) -> Result<Ingested, IndexError> {
    let mut done = Ingested::default();
    let mut verifier = Verifier::default();
    let mut files: Vec<&BranchFile> = files.iter().collect();
    files.sort_by_key(|file| file.branch);
    for file in files {
        let tx = index.db.transaction()?;
        ingest_branch(&tx, file, &mut verifier, &mut done)?;
        tx.commit()?;
    }
    Ok(done)
}

fn ingest_branch(
    tx: &Transaction,
    file: &BranchFile,
    verifier: &mut Verifier,
    done: &mut Ingested,
) -> Result<(), IndexError> {
    let branch = file.branch.to_string();
    let params = &file.params;
    let mut at = position(tx, &branch, params.links)?;
    let mut problem =
        |height: u64, what: String| done.problems.push((branch.clone(), height, what));
    let mut blocks = file.blocks.iter().peekable();
    // Blocks the index holds: the file must still say what the index took from it.
    while let Some(block) = blocks.next_if(|b| at.height.is_some_and(|h| b.height <= h)) {
        let stored: Option<Vec<u8>> = tx
            .query_row(
                "SELECT hash FROM headers WHERE branch = ?1 AND height = ?2",
                params![branch, block.height as i64],
                |row| row.get(0),
            )
            .optional()?;
        let files_root = MerkleTree::new(block.records.iter().map(Record::leaf).collect()).root();
        if stored.as_deref() != Some(&block.header.hash().0[..]) {
            problem(
                block.height,
                "the header differs from the one indexed".into(),
            );
        } else if files_root != block.header.files_root {
            problem(block.height, "a record was changed after it was indexed: the records no longer hash to the signed file root".into());
        } else {
            done.blocks_checked += 1;
        }
    }
    if at.height.is_none() {
        let mut store = SqlStore {
            db: tx,
            branch: &branch,
        };
        start(&mut store)?;
    }
    for file_block in blocks {
        let block = Block {
            header: file_block.header.clone(),
            records: file_block.records.clone(),
            foreign: file_block.foreign_chunks.clone(),
        };
        let header = &block.header;
        if let Err(error) = check_header(params, &at.tip, header, verifier) {
            problem(header.height, format!("header: {error}"));
            break;
        }
        if let Err(error) = check_body(header, &block.records, verifier) {
            problem(header.height, format!("records: {error}"));
            break;
        }
        let step = match advance(
            &at.trail,
            &header.public_key,
            header.height,
            header.time,
            &block.records,
        ) {
            Ok(step) => step,
            Err(error) => {
                problem(header.height, format!("audit trail: {error}"));
                break;
            }
        };
        let root = if header.height == 0 && step.index.is_none() {
            None
        } else {
            let mut store = SqlStore {
                db: tx,
                branch: &branch,
            };
            Some(apply(&mut store, header.height, &step.moved)?)
        };
        if let Some(root) = root {
            if let Err(error) = check_index(&at.trail, &step, root) {
                problem(header.height, format!("audit trail: {error}"));
                break;
            }
        }
        let tree = MerkleTree::new(block.records.iter().map(Record::leaf).collect());
        let proof_of = |position: usize| {
            tree.proof(position)
                .expect("a record of the block has a proof")
                .to_bytes()
        };
        for found in &step.entries {
            let fields = &found.fields;
            let record = &block.records[found.position];
            let event = match AuditRecord::of(record) {
                Some(Ok(AuditRecord::Entry(entry))) => {
                    String::from_utf8_lossy(&entry.event).into_owned()
                }
                _ => unreachable!("advance found an entry here"),
            };
            tx.prepare_cached(
                "INSERT INTO entries (branch, height, position, leaf, prev, record, proof, patient, recorded,
                 activity, agent, purpose, observer, source, destination, event)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
            )?
            .execute(params![
                branch,
                header.height as i64,
                found.position as i64,
                found.leaf.0.to_vec(),
                found.prev.map(|p| p.0.to_vec()),
                record_bytes(record),
                proof_of(found.position),
                hex::encode(fields.patient.0),
                fields.recorded as i64,
                fields.activity.name(),
                fields.agent,
                fields.purpose,
                fields.observer,
                fields.source,
                fields.destination,
                event,
            ])?;
            done.entries_added += 1;
        }
        if let Some((position, _)) = step.index {
            tx.prepare_cached(
                "INSERT INTO indices (branch, height, record, proof) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![
                branch,
                header.height as i64,
                record_bytes(&block.records[position]),
                proof_of(position)
            ])?;
        }
        for (patient, head) in &step.moved {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO heads (branch, patient, leaf, height, count) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                branch,
                patient.0.to_vec(),
                head.leaf.0.to_vec(),
                head.height as i64,
                head.count as i64
            ])?;
        }
        at.trail.take(&step);
        tx.prepare_cached(
            "INSERT INTO headers (branch, height, hash, header) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![
            branch,
            header.height as i64,
            header.hash().0.to_vec(),
            header_bytes(header)
        ])?;
        tx.prepare_cached(
            "INSERT OR REPLACE INTO branches (branch, height, header, indexed, entries) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            branch,
            header.height as i64,
            header_bytes(header),
            at.trail.indexed,
            at.trail.entries as i64
        ])?;
        at.tip.push_block(&block, block.hash(), params.links);
        at.height = Some(header.height);
        done.blocks_added += 1;
    }
    Ok(())
}
