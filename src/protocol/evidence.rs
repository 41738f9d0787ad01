//! Evidence: a miner's own signed headers that convict it, checkable by anyone who holds
//! nothing but the headers.
//!
//! A miner that catches a peer keeps what convicts it, and a peer handed that evidence can
//! blacklist without challenging the culprit itself, after checking the signatures: forged
//! evidence cannot frame an honest miner, since only its key signs its headers. Two kinds
//! of catch carry such proof. Two headers of one branch that cannot both be its history
//! (one height, two hashes; or a header whose link to an earlier height names another
//! header) show an equivocation, which rule 2's one branch per miner forbids. A header that
//! states a breach of rule 5 or 8 (with the header before it, which rule 8 is measured
//! against) shows a block no receiver may accept. A bad answer to a challenge is not such
//! proof, since answers are not signed: that evidence stays with the miner that saw it.

use super::block::BlockHeader;
use super::hash::BranchId;
use super::keys::Verifier;
use super::params::Params;
use super::validate::{check_claims, BlockError};
use thiserror::Error;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Evidence {
    /// Two signed headers of one branch that cannot both be part of it.
    Equivocation {
        first: BlockHeader,
        second: BlockHeader,
    },
    /// A signed header that breaks a rule by what it states, with its predecessor (none
    /// for genesis).
    BrokenRule {
        previous: Option<BlockHeader>,
        header: BlockHeader,
    },
}

/// Why evidence does not convict.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum EvidenceError {
    #[error("a header is not signed by the key of the branch it names")]
    NotSigned,
    #[error("the headers are of different branches")]
    Branches,
    #[error("the headers do not conflict")]
    NoConflict,
    #[error("the previous header is not the one the header links to")]
    NotPredecessor,
    #[error("the header breaks no rule")]
    NoBreach,
}

/// Whether `a` and `b`, of one branch, cannot both be in its history: same height and
/// different headers, or the higher one links to the lower one's height by another hash.
fn conflict(a: &BlockHeader, b: &BlockHeader) -> bool {
    let (low, high) = if a.height <= b.height { (a, b) } else { (b, a) };
    let gap = (high.height - low.height) as usize;
    match gap {
        0 => low != high,
        gap => high
            .prev_headers
            .get(gap - 1)
            .is_some_and(|link| *link != low.hash()),
    }
}

fn signed(header: &BlockHeader, verifier: &mut Verifier) -> bool {
    header.public_key.branch_id() == header.branch && header.verify_signature(verifier)
}

impl Evidence {
    /// The equivocation two headers of one branch show, if they conflict.
    pub fn between(a: &BlockHeader, b: &BlockHeader) -> Option<Evidence> {
        (a.branch == b.branch && conflict(a, b)).then(|| Evidence::Equivocation {
            first: a.clone(),
            second: b.clone(),
        })
    }

    /// The branch the evidence convicts.
    pub fn branch(&self) -> BranchId {
        match self {
            Evidence::Equivocation { first, .. } => first.branch,
            Evidence::BrokenRule { header, .. } => header.branch,
        }
    }

    /// Checks the evidence from scratch: signatures, and that it shows what it claims.
    /// Returns the rule broken.
    pub fn check(
        &self,
        params: &Params,
        verifier: &mut Verifier,
    ) -> Result<BlockError, EvidenceError> {
        match self {
            Evidence::Equivocation { first, second } => {
                if first.branch != second.branch {
                    return Err(EvidenceError::Branches);
                }
                if !conflict(first, second) {
                    return Err(EvidenceError::NoConflict);
                }
                if !signed(first, verifier) || !signed(second, verifier) {
                    return Err(EvidenceError::NotSigned);
                }
                Ok(BlockError::Equivocation {
                    height: first.height.max(second.height),
                })
            }
            Evidence::BrokenRule { previous, header } => {
                if let Some(previous) = previous {
                    let links = header.prev_headers.first() == Some(&previous.hash());
                    if previous.branch != header.branch
                        || previous.height + 1 != header.height
                        || !links
                    {
                        return Err(EvidenceError::NotPredecessor);
                    }
                } else if header.height != 0 {
                    return Err(EvidenceError::NotPredecessor);
                }
                let before = previous.as_ref().map(BlockHeader::primary_size);
                let breach = check_claims(params, before, header)
                    .err()
                    .ok_or(EvidenceError::NoBreach)?;
                let all_signed = previous.iter().chain([header]).all(|h| signed(h, verifier));
                if !all_signed {
                    return Err(EvidenceError::NotSigned);
                }
                Ok(breach)
            }
        }
    }

    /// Bytes on the wire: the headers it carries.
    pub fn encoded_len(&self) -> usize {
        match self {
            Evidence::Equivocation { first, second } => first.encoded_len() + second.encoded_len(),
            Evidence::BrokenRule { previous, header } => {
                1 + previous.as_ref().map_or(0, BlockHeader::encoded_len) + header.encoded_len()
            }
        }
    }
}
