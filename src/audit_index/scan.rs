//! The same question answered by reading every record of every branch: what the index
//! saves, and the reference its answers are compared with.

use super::answer::{Query, Row};
use crate::export::BranchFile;
use crate::protocol::audit::AuditRecord;
use crate::protocol::audit_event::{AuditEvent, Fields};
use crate::protocol::{PublicKey, Record};
use std::collections::BTreeSet;

/// Every readable audit entry of a branch file, oldest first: (height, record, fields).
fn entries(file: &BranchFile) -> impl Iterator<Item = (u64, &Record, Fields)> {
    file.blocks.iter().flat_map(|block| {
        block
            .records
            .iter()
            .filter(|record| record.patient == block.header.public_key)
            .filter_map(move |record| {
                let Some(Ok(AuditRecord::Entry(entry))) = AuditRecord::of(record) else {
                    return None;
                };
                let (_, fields) = AuditEvent::parse(&entry.event).ok()?;
                Some((block.height, record, fields))
            })
    })
}

/// Entries about `patient` passing `query`, newest first per branch (branches in id order),
/// as [`super::answer::verify`] lists them. Nothing is checked: this is a reading, not a proof.
pub fn scan(files: &[BranchFile], patient: &PublicKey, query: &Query) -> Vec<Row> {
    let mut files: Vec<&BranchFile> = files.iter().collect();
    files.sort_by_key(|file| file.branch);
    let mut rows = Vec::new();
    for file in files {
        let mut branch_rows: Vec<Row> = entries(file)
            .filter(|(_, _, fields)| fields.patient == *patient && query.admits(fields))
            .map(|(height, record, fields)| Row {
                branch: file.branch,
                height,
                leaf: record.leaf(),
                fields,
            })
            .collect();
        branch_rows.reverse();
        rows.extend(branch_rows);
    }
    rows
}

/// Every patient an audit entry of `files` is about.
pub fn patients(files: &[BranchFile]) -> BTreeSet<PublicKey> {
    files
        .iter()
        .flat_map(|file| entries(file).map(|(_, _, fields)| fields.patient))
        .collect()
}
