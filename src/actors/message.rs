//! Every message actors exchange, with its size on the wire.
//!
//! Sizes follow the canonical encoding of what is carried plus a small fixed envelope, so
//! bandwidth and byte counts reflect real payloads (a chunk costs its data, a header list
//! its headers).

use crate::protocol::entry::EntryError;
use crate::protocol::envelope::Envelope;
use crate::protocol::key_shares::KeyShare;
use crate::protocol::merkle::MerkleProof;
use crate::protocol::{BlockHeader, BranchId, Chunk, ChunkId, Evidence, Hash, PublicKey, Record};
use crate::sim::{ActorId, Message, Time};
use std::sync::Arc;

/// Bytes of addressing and framing each message carries.
const ENVELOPE: usize = 16;

/// Why a miner declined to hand over a chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The server has not validated the requester yet (it starts doing so).
    Untrusted,
    /// The server has no chunk the requester may take.
    NoChunk,
    /// The server blacklisted the requester and will never hand it a chunk.
    Blacklisted,
    /// The server suspended the requester as a withholder and will validate it again at
    /// `until`.
    Suspended { until: Time },
}

/// Why a requester declined a chunk it was offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Declined {
    /// It builds no block now (it sealed one meanwhile).
    NoDraft,
    /// The block it builds has a chunk of the same block: this one is barred until that
    /// block is sealed, or dropped (a crash empties the block being built).
    InDraft,
    /// A block of its branch holds a chunk of the same block: barred for good.
    Held,
}

/// A challenged file and its proof; behind a pointer, like every payload, so that a
/// message stays small however much it carries and the event loop moves little. Shared,
/// because the holder answers each challenge from one copy it keeps ready.
pub type FileAnswer = Option<Arc<(Record, MerkleProof)>>;
/// A challenged foreign chunk and its proof.
pub type ChunkAnswer = Option<Arc<(Chunk, MerkleProof)>>;

#[derive(Clone, Debug)]
pub enum Msg {
    /// Miner → exchange: "this branch lives at my address".
    Announce {
        branch: BranchId,
    },
    /// Miner → exchange: "who is out there?"
    ListPeers,
    /// Exchange → miner: every announcement so far.
    Peers(Vec<(ActorId, BranchId)>),
    /// Patient → miner: a signed record to store.
    Submit(Box<Record>),
    /// Miner → patient: "your record `sequence` is in my keeping".
    Stored {
        sequence: u64,
    },
    /// Miner → patient: "I will not store your record `sequence`", and why.
    Refused {
        sequence: u64,
        why: EntryError,
    },
    /// Patient → miner: keep this share of my secret keys (sealed for the miner).
    KeyShare {
        patient: PublicKey,
        share: Box<Envelope>,
    },
    /// Miner → patient: "I keep your share".
    ShareKept {
        patient: PublicKey,
    },
    /// Patient → miner: "I lost my keys; give me back my share".
    ShareWanted {
        patient: PublicKey,
    },
    /// Miner → patient: the share, opened (the channel is the hospital's counter).
    ShareBack {
        patient: PublicKey,
        share: KeyShare,
    },
    /// Miner → miner: a patient terminated its record (the signed termination itself, so
    /// the receiver checks it rather than believing the sender); flooded once per miner.
    Terminated(Box<Record>),
    /// Consortium member → member: "I sent you this patient's records" (the sender's
    /// export entry), so the receiver logs its side of the transfer (rule 18).
    Transfer {
        patient: PublicKey,
        export: Hash,
    },
    GetHeaders {
        request: u64,
        from: u64,
    },
    Headers {
        request: u64,
        /// The answering miner's branch, so a peer that changed identity is noticed.
        branch: BranchId,
        headers: Vec<BlockHeader>,
    },
    /// Challenge: file `index` of block `height`.
    GetFile {
        request: u64,
        height: u64,
        index: u32,
    },
    File {
        request: u64,
        branch: BranchId,
        answer: FileAnswer,
    },
    /// Challenge: foreign chunk `index` of block `height`.
    GetForeignChunk {
        request: u64,
        height: u64,
        index: u32,
    },
    ForeignChunk {
        request: u64,
        branch: BranchId,
        answer: ChunkAnswer,
    },
    /// "Give me one of your chunks to embed in my next block."
    WantChunk {
        request: u64,
        branch: BranchId,
    },
    /// Source → requester: a chunk, or why not. Names the source's branch, as every reply
    /// does: a source that came back wiped offers chunks of its new branch, and a
    /// requester that still knew the old one took that for a chunk of another branch and
    /// blacklisted an honest miner.
    Offer {
        request: u64,
        branch: BranchId,
        chunk: Result<Box<Chunk>, Refusal>,
    },
    /// Requester → source: "I no longer need the chunk you offered", and why. Rule 9 bars
    /// every chunk of a block the requester holds one of, which the source may not know (a
    /// `Placed` notice lost, a holder it wrote off, an offer that lapsed and went to
    /// another): told, it offers the requester other blocks instead of the next chunk of
    /// this one, which would be declined again, and again.
    Decline {
        chunk: ChunkId,
        why: Declined,
    },
    /// Holder → source: "your chunk is foreign chunk `position` of my block `height`".
    Placed {
        chunk: ChunkId,
        holder: BranchId,
        height: u64,
        position: u32,
    },
    /// Miner → miner: "this is the newest header I checked of the branch it names", so
    /// that a miner showing different histories to different peers is found out.
    Seen(Box<BlockHeader>),
    /// Miner → miner: signed evidence against a branch, to blacklist it on.
    Evidence(Arc<Evidence>),
}

impl Msg {
    /// The branch a challenge reply says it comes from.
    pub fn replier_branch(&self) -> Option<BranchId> {
        match self {
            Msg::Headers { branch, .. }
            | Msg::File { branch, .. }
            | Msg::ForeignChunk { branch, .. }
            | Msg::Offer { branch, .. } => Some(*branch),
            _ => None,
        }
    }

    /// The request id of a reply, if this is one.
    pub fn reply_to(&self) -> Option<u64> {
        match self {
            Msg::Headers { request, .. }
            | Msg::File { request, .. }
            | Msg::ForeignChunk { request, .. }
            | Msg::Offer { request, .. } => Some(*request),
            _ => None,
        }
    }

    /// The fields that identify this message in a trace (request id, height, index, short
    /// branch and chunk ids), as a JSON object; payloads are left out.
    pub fn key_fields(&self) -> serde_json::Value {
        use serde_json::json;
        let chunk = |id: &ChunkId| format!("{}/{}/{}", id.source.short(), id.height, id.index);
        match self {
            Msg::Announce { branch } => json!({ "branch": branch.short() }),
            Msg::ListPeers => json!({}),
            Msg::Peers(peers) => json!({ "peers": peers.len() }),
            Msg::Submit(record) => json!({
                "patient": hex::encode(&record.patient.0[..4]),
                "sequence": record.sequence,
                "payload": record.payload.len(),
            }),
            Msg::Stored { sequence } => json!({ "sequence": sequence }),
            Msg::Refused { sequence, why } => {
                json!({ "sequence": sequence, "rule": why.rule(), "why": why.to_string() })
            }
            Msg::Terminated(record) => json!({
                "patient": hex::encode(&record.patient.0[..4]),
                "sequence": record.sequence,
            }),
            Msg::KeyShare { patient, .. }
            | Msg::ShareKept { patient }
            | Msg::ShareWanted { patient }
            | Msg::ShareBack { patient, .. } => json!({ "patient": hex::encode(&patient.0[..4]) }),
            Msg::Transfer { patient, export } => json!({
                "patient": hex::encode(&patient.0[..4]),
                "export": export.short(),
            }),
            Msg::GetHeaders { request, from } => json!({ "request": request, "from_height": from }),
            Msg::Headers {
                request, headers, ..
            } => json!({
                "request": request,
                "headers": headers.len(),
                "branch": headers.first().map(|h| h.branch.short()),
                "first_height": headers.first().map(|h| h.height),
                "last_height": headers.last().map(|h| h.height),
            }),
            Msg::GetFile {
                request,
                height,
                index,
            }
            | Msg::GetForeignChunk {
                request,
                height,
                index,
            } => json!({ "request": request, "height": height, "index": index }),
            Msg::File {
                request, answer, ..
            } => json!({
                "request": request,
                "found": answer.is_some(),
                "sequence": answer.as_ref().map(|answer| answer.0.sequence),
            }),
            Msg::ForeignChunk {
                request, answer, ..
            } => json!({
                "request": request,
                "found": answer.is_some(),
                "chunk": answer.as_ref().map(|answer| chunk(&answer.0.header.id())),
            }),
            Msg::WantChunk { request, branch } => {
                json!({ "request": request, "branch": branch.short() })
            }
            Msg::Offer {
                request,
                chunk: offered,
                ..
            } => match offered {
                Ok(c) => json!({ "request": request, "chunk": chunk(&c.header.id()) }),
                Err(Refusal::Untrusted) => json!({ "request": request, "refused": "untrusted" }),
                Err(Refusal::NoChunk) => json!({ "request": request, "refused": "no_chunk" }),
                Err(Refusal::Blacklisted) => {
                    json!({ "request": request, "refused": "blacklisted" })
                }
                Err(Refusal::Suspended { until }) => {
                    json!({ "request": request, "refused": "suspended", "until_s": until.as_secs_f64() })
                }
            },
            Msg::Decline { chunk: id, why } => {
                let why = match why {
                    Declined::NoDraft => "no_draft",
                    Declined::InDraft => "in_draft",
                    Declined::Held => "held",
                };
                json!({ "chunk": chunk(id), "why": why })
            }
            Msg::Placed {
                chunk: id,
                holder,
                height,
                position,
            } => {
                json!({ "chunk": chunk(id), "holder": holder.short(), "height": height, "position": position })
            }
            Msg::Seen(header) => {
                json!({ "branch": header.branch.short(), "height": header.height })
            }
            Msg::Evidence(evidence) => json!({ "branch": evidence.branch().short() }),
        }
    }
}

impl Message for Msg {
    fn kind(&self) -> &'static str {
        match self {
            Msg::Announce { .. } => "announce",
            Msg::ListPeers => "list_peers",
            Msg::Peers(_) => "peers",
            Msg::Submit(_) => "submit",
            Msg::Stored { .. } => "stored",
            Msg::Refused { .. } => "refused",
            Msg::Terminated(_) => "terminated",
            Msg::Transfer { .. } => "transfer",
            Msg::KeyShare { .. } => "key_share",
            Msg::ShareKept { .. } => "share_kept",
            Msg::ShareWanted { .. } => "share_wanted",
            Msg::ShareBack { .. } => "share_back",
            Msg::GetHeaders { .. } => "get_headers",
            Msg::Headers { .. } => "headers",
            Msg::GetFile { .. } => "get_file",
            Msg::File { .. } => "file",
            Msg::GetForeignChunk { .. } => "get_foreign_chunk",
            Msg::ForeignChunk { .. } => "foreign_chunk",
            Msg::WantChunk { .. } => "want_chunk",
            Msg::Offer { .. } => "offer",
            Msg::Decline { .. } => "decline",
            Msg::Placed { .. } => "placed",
            Msg::Seen(_) => "seen",
            Msg::Evidence(_) => "evidence",
        }
    }

    fn wire_size(&self) -> usize {
        ENVELOPE
            + match self {
                Msg::Announce { .. } => 32,
                Msg::ListPeers => 0,
                Msg::Peers(peers) => peers.len() * 40,
                Msg::Submit(record) => record.encoded_len(),
                Msg::Stored { .. } => 8,
                Msg::Refused { .. } => 9, // the sequence and the rule
                Msg::Terminated(record) => record.encoded_len(),
                Msg::Transfer { .. } => 32 + 32,
                Msg::KeyShare { share, .. } => 32 + share.encoded_len(),
                Msg::ShareKept { .. } | Msg::ShareWanted { .. } => 32,
                Msg::ShareBack { share, .. } => 32 + share.0.len(),
                Msg::GetHeaders { .. } => 16,
                Msg::Headers { headers, .. } => {
                    32 + headers.iter().map(|h| h.encoded_len()).sum::<usize>()
                }
                Msg::GetFile { .. } | Msg::GetForeignChunk { .. } => 20,
                Msg::File { answer, .. } => {
                    32 + answer
                        .as_ref()
                        .map_or(1, |answer| answer.0.encoded_len() + answer.1.encoded_len())
                }
                Msg::ForeignChunk { answer, .. } => {
                    32 + answer
                        .as_ref()
                        .map_or(1, |answer| answer.0.encoded_len() + answer.1.encoded_len())
                }
                Msg::WantChunk { .. } => 40,
                Msg::Offer { chunk, .. } => {
                    32 + match chunk {
                        Ok(c) => c.encoded_len(),
                        Err(Refusal::Suspended { .. }) => 9, // the reason and the time
                        Err(_) => 1,
                    }
                }
                Msg::Decline { .. } => 43,
                Msg::Placed { .. } => 90,
                Msg::Seen(header) => header.encoded_len(),
                Msg::Evidence(evidence) => evidence.encoded_len(),
            }
    }
}
