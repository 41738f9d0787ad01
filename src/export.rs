//! Branch files: one JSON file per branch, as the prototype's users kept them.
//!
//! A file holds the branch id, the protocol parameters and every block (header hash, full
//! header, records, foreign chunks with their headers, data and proofs), so that anyone
//! can rebuild a lost branch from the files of the others. Files are written to a temporary
//! name and renamed, so a file is either whole or absent.

use crate::protocol::{Block, BlockHeader, BranchId, Chunk, Hash, Params, Record};
use serde::{Deserialize, Serialize};
use std::path::Path;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ExportError {
    #[error("{path}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: not a branch file: {message}")]
    Format { path: String, message: String },
}

/// One block as exported.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BlockFile {
    pub height: u64,
    /// Hash of the header (hex).
    pub hash: Hash,
    pub header: BlockHeader,
    pub records: Vec<Record>,
    pub foreign_chunks: Vec<Chunk>,
}

/// One branch as exported.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BranchFile {
    pub branch: BranchId,
    pub k: u16,
    pub m: u16,
    pub params: Params,
    pub blocks: Vec<BlockFile>,
}

impl BranchFile {
    pub fn new(params: &Params, branch: BranchId, blocks: &[Block]) -> BranchFile {
        let blocks = blocks
            .iter()
            .map(|block| BlockFile {
                height: block.header.height,
                hash: block.header.hash(),
                header: block.header.clone(),
                records: block.records.clone(),
                foreign_chunks: block.foreign.clone(),
            })
            .collect();
        BranchFile {
            branch,
            k: params.k,
            m: params.m,
            params: params.clone(),
            blocks,
        }
    }

    pub fn read(path: &Path) -> Result<BranchFile, ExportError> {
        let text = std::fs::read_to_string(path).map_err(|source| ExportError::Io {
            path: path.display().to_string(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|e| ExportError::Format {
            path: path.display().to_string(),
            message: e.to_string(),
        })
    }

    /// Writes the file whole or not at all.
    pub fn write(&self, path: &Path) -> Result<(), ExportError> {
        let text = serde_json::to_string_pretty(self).expect("branch files serialise");
        write_atomically(path, text.as_bytes())
    }
}

/// Writes `bytes` to a temporary file beside `path`, then renames it into place.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    let io = |source| ExportError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".partial");
    std::fs::write(&temporary, bytes).map_err(io)?;
    std::fs::rename(&temporary, path).map_err(io)
}
