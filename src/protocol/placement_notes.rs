//! Where a miner's chunks went, recorded in its own later blocks (DESIGN rule 14).
//!
//! The dissertation suggests storing the locations of each block's chunks in subsequent
//! blocks, for transparency and to make rebuilding easier. A miner does so with a record it
//! signs itself: its payload lists the placements confirmed since its last block, and it
//! rides in the block like a patient's record (committed by the file root, coded into the
//! chunks, rebuilt with the block). No header field changes, and anyone can tell these
//! records apart: they are signed by the branch's own key.

use super::audit::AuditRecord;
use super::block::Block;
use super::codec::{DecodeError, Reader, Writer};
use super::hash::BranchId;
use super::keys::KeyPair;
use super::record::Record;
use serde::{Deserialize, Serialize};

/// Chunk `index` of the miner's block `height` is foreign chunk `position` of block
/// `holder_height` of branch `holder`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlacementNote {
    pub height: u64,
    pub index: u16,
    pub holder: BranchId,
    pub holder_height: u64,
    pub position: u32,
}

impl PlacementNote {
    const LEN: usize = 8 + 2 + 32 + 8 + 4;

    fn encode(&self, writer: &mut Writer) {
        writer
            .u64(self.height)
            .u16(self.index)
            .hash(&self.holder)
            .u64(self.holder_height)
            .u32(self.position);
    }

    fn decode(reader: &mut Reader) -> Result<PlacementNote, DecodeError> {
        Ok(PlacementNote {
            height: reader.u64()?,
            index: reader.u16()?,
            holder: reader.hash()?,
            holder_height: reader.u64()?,
            position: reader.u32()?,
        })
    }
}

/// Encoded bytes of the record that carries `count` notes.
pub fn notes_record_len(count: usize) -> u64 {
    (Record::OVERHEAD + 4 + count * PlacementNote::LEN) as u64
}

/// The record, signed by the miner, that carries `notes`.
pub fn notes_record(keys: &KeyPair, sequence: u64, notes: &[PlacementNote]) -> Record {
    let mut writer = Writer::default();
    writer.u32(notes.len() as u32);
    for note in notes {
        note.encode(&mut writer);
    }
    Record::new(keys, sequence, writer.bytes.into())
}

/// The placement notes a block carries: those in records signed by the block's own key
/// that are not audit records.
pub fn notes_of(block: &Block) -> Result<Vec<PlacementNote>, DecodeError> {
    let mut notes = Vec::new();
    let own = block
        .records
        .iter()
        .filter(|record| record.patient == block.header.public_key)
        .filter(|record| !AuditRecord::is_audit(&record.payload));
    for record in own {
        let mut reader = Reader::new(&record.payload);
        let count = reader.count(PlacementNote::LEN)?;
        for _ in 0..count {
            notes.push(PlacementNote::decode(&mut reader)?);
        }
        reader.finish()?;
    }
    Ok(notes)
}
