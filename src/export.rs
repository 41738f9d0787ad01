//! Branch files: one JSON file per branch, as the prototype's users kept them.
//!
//! A file holds the branch id, the protocol parameters and every block (header hash, full
//! header, records, foreign chunks with their headers, data and proofs), so that anyone
//! can rebuild a lost branch from the files of the others ([`resolve`] and [`rebuild`], which
//! `medilanac reconstruct` runs). Files are written to a temporary name and renamed, so a
//! file is either whole or absent.

use crate::protocol::erasure::CodeError;
use crate::protocol::{
    reconstruct, Block, BlockHeader, BranchId, Chunk, Codec, Hash, HeightStatus, Params,
    Reconstruction, Record, Verifier,
};
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

    /// The file of the blocks `result` rebuilt (those linked back to genesis), as
    /// `medilanac reconstruct --out` writes it: no foreign chunks, which a rebuild cannot
    /// recover.
    pub fn rebuilt(params: &Params, result: &Reconstruction) -> BranchFile {
        let blocks = result
            .heights
            .iter()
            .filter(|h| h.status == HeightStatus::Rebuilt)
            .filter_map(|h| h.block.clone())
            .map(|(header, records)| BlockFile {
                height: header.height,
                hash: header.hash(),
                header,
                records,
                foreign_chunks: Vec::new(),
            })
            .collect();
        BranchFile {
            branch: result.branch,
            k: params.k,
            m: params.m,
            params: params.clone(),
            blocks,
        }
    }

    /// Reads the branch file at `path` (see [`BranchFile::parse`]).
    pub fn read(path: &Path) -> Result<BranchFile, ExportError> {
        let text = std::fs::read_to_string(path).map_err(|source| ExportError::Io {
            path: path.display().to_string(),
            source,
        })?;
        BranchFile::parse(&text).map_err(|message| ExportError::Format {
            path: path.display().to_string(),
            message,
        })
    }

    /// Parses a branch file's text; the error says why it is not one. The `k` and `m` a
    /// file states beside its parameters must be the parameters' own.
    pub fn parse(text: &str) -> Result<BranchFile, String> {
        let file: BranchFile = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if (file.k, file.m) != (file.params.k, file.params.m) {
            return Err(format!(
                "k = {}, m = {} beside parameters with k = {}, m = {}",
                file.k, file.m, file.params.k, file.params.m
            ));
        }
        Ok(file)
    }

    /// Writes the file whole or not at all.
    pub fn write(&self, path: &Path) -> Result<(), ExportError> {
        let text = serde_json::to_string_pretty(self).expect("branch files serialise");
        write_atomically(path, text.as_bytes())
    }
}

/// Why a set of branch files names no one branch, or cannot rebuild it.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum RebuildError {
    #[error("no branch files")]
    NoFiles,
    #[error("no branch in the files starts with {0:?}")]
    NoBranch(String),
    #[error("{prefix:?} names {count} branches; give more digits")]
    Ambiguous { prefix: String, count: usize },
    #[error("the branch files disagree on protocol parameters")]
    Disagree,
    #[error(transparent)]
    Code(#[from] CodeError),
}

/// The one branch whose id (lower-case hex) starts with `prefix`, in any case, among the
/// files' branches and the sources of the chunks they hold.
pub fn resolve(files: &[BranchFile], prefix: &str) -> Result<BranchId, RebuildError> {
    let prefix = prefix.to_ascii_lowercase();
    let mut known: Vec<BranchId> = files.iter().map(|f| f.branch).collect();
    known.extend(chunks(files).map(|c| c.header.source));
    known.sort();
    known.dedup();
    let matching: Vec<BranchId> = known
        .into_iter()
        .filter(|b| b.to_string().starts_with(&prefix))
        .collect();
    match matching.as_slice() {
        [one] => Ok(*one),
        [] => Err(RebuildError::NoBranch(prefix)),
        _ => Err(RebuildError::Ambiguous {
            count: matching.len(),
            prefix,
        }),
    }
}

/// Rebuilds `target` from the foreign chunks of every file but its own, under the
/// parameters all the files must share; and those parameters.
pub fn rebuild(
    files: &[BranchFile],
    target: BranchId,
) -> Result<(Reconstruction, Params), RebuildError> {
    let params = &files.first().ok_or(RebuildError::NoFiles)?.params;
    if files.iter().any(|f| f.params != *params) {
        return Err(RebuildError::Disagree);
    }
    let codec = Codec::new(params.k, params.m)?;
    let others = files.iter().filter(|file| file.branch != target);
    let chunks = chunks(others);
    let result = reconstruct(params, &codec, target, chunks, &mut Verifier::default());
    Ok((result, params.clone()))
}

/// Every foreign chunk the files hold, in file and block order.
fn chunks<'a>(files: impl IntoIterator<Item = &'a BranchFile>) -> impl Iterator<Item = &'a Chunk> {
    let blocks = files.into_iter().flat_map(|file| &file.blocks);
    blocks.flat_map(|block| &block.foreign_chunks)
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
