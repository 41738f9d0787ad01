//! What a miner caught a peer doing: the reason it blacklists that peer, with the protocol
//! rule it broke.
//!
//! One variant per kind of catch, each naming the rule of DESIGN §2 it breaks, so a run's
//! observations, logs and traces say which defence fired. A breach that comes from a
//! signed header ([`Breach::Block`]) is the peer's own signed statement; the others are
//! answers the peer gave to a request this miner made.

use crate::protocol::{ChunkError, InvalidAt};
use thiserror::Error;

#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum Breach {
    /// A header the peer sent breaks a rule of its own (rules 1 to 5 and 8).
    #[error("invalid header: {0}")]
    Block(InvalidAt),
    /// The headers are signed by another key than the branch the peer announced.
    #[error("headers are not of the branch it announced")]
    WrongBranch,
    /// A challenged file was missing or does not match its header's Merkle root.
    #[error("served a file that does not match its header (block {height}, file {index})")]
    BadFile { height: u64, index: u32 },
    /// A challenged foreign chunk was missing, failed verification or did not match.
    #[error("could not serve a foreign chunk it embedded (block {height}, chunk {index})")]
    BadForeignChunk { height: u64, index: u32 },
    /// The peer offered a chunk of a branch other than its own.
    #[error("offered a chunk of another branch")]
    OfferedForeign,
    /// The peer offered one of its own chunks that does not verify.
    #[error("offered a bad chunk: {0}")]
    BadOffer(ChunkError),
    /// The peer offered a valid chunk of its block `height` that names another header than
    /// the one it showed this miner at that height: it keeps two histories.
    #[error("offered a chunk of another block {height} than the one it showed")]
    ChunkOfAnotherHeader { height: u64 },
    /// The peer answered a request with a message of another kind.
    #[error("answered with the wrong message")]
    WrongAnswer,
    /// A challenged file is a record whose patient key no institution certified.
    #[error("served a record of an uncertified patient (block {height}, file {index})")]
    UncertifiedRecord { height: u64, index: u32 },
    /// Two of the peer's signed headers conflict at `height`: one came from the peer, the
    /// other from a miner that gossiped what the peer showed it.
    #[error("showed two different histories (signed headers conflict at height {height})")]
    Equivocated { height: u64 },
    /// Another miner handed on evidence against the peer, checked here, of a breach of
    /// `rule`.
    #[error("convicted by evidence another miner handed on (rule {rule})")]
    Convicted { rule: u8 },
    /// The peer answered its headers but left a challenge unanswered in `missed`
    /// validations in a row.
    #[error(
        "left challenges unanswered in {missed} validations in a row while answering its headers"
    )]
    Withheld { missed: u32 },
}

impl Breach {
    /// The rule of DESIGN §2 the breach breaks.
    pub fn rule(&self) -> u8 {
        match self {
            Breach::Block(invalid) => invalid.error.rule(),
            Breach::WrongBranch => 1,
            Breach::BadFile { .. }
            | Breach::BadForeignChunk { .. }
            | Breach::WrongAnswer
            | Breach::Withheld { .. } => 11,
            Breach::OfferedForeign | Breach::BadOffer(_) => 7,
            Breach::UncertifiedRecord { .. } => 16,
            Breach::Equivocated { .. } | Breach::ChunkOfAnotherHeader { .. } => 2,
            Breach::Convicted { rule } => *rule,
        }
    }
}
