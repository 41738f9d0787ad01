//! What a miner knows of each peer: its branch, the headers it checked, and its standing.
//!
//! That knowledge is kept on disk ([`PeerBook`]): a miner that crashes still knows whom it
//! trusts and whom it blacklisted. What it was doing with a peer when it crashed (a
//! validation under way, a chunk asked for in this gathering round) is held in memory
//! ([`Rounds`]) and is gone with the crash.

use crate::protocol::{BlockHeader, BranchId, BranchTip, Evidence, Hash};
use crate::sim::{ActorId, Time};

/// Where a peer stands with this miner (DESIGN rule 11).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// Never validated, its trust ran out, or it is being validated now.
    Unknown,
    Trusted {
        until: Time,
    },
    /// Failed a check; never asked again.
    Blacklisted,
    /// Did not answer; left alone until `until`.
    Resting {
        until: Time,
    },
    /// Answered its headers but left challenges unanswered (rule 11): barred until
    /// `until`, then validated afresh (`MinerSettings::suspension`).
    Suspended {
        until: Time,
    },
}

impl Standing {
    /// When the suspension in force at `now` ends, if one is.
    pub fn suspended_until(self, now: Time) -> Option<Time> {
        match self {
            Standing::Suspended { until } if now < until => Some(until),
            _ => None,
        }
    }
}

/// What a checked header commits to: all a challenge answer is checked against. Kept
/// instead of the whole header, since every miner keeps this for every peer's every block.
pub struct Commitments {
    pub file_count: u32,
    pub files_root: Hash,
    pub chunk_count: u32,
    pub chunks_root: Hash,
}

impl From<&BlockHeader> for Commitments {
    fn from(header: &BlockHeader) -> Commitments {
        Commitments {
            file_count: header.file_count,
            files_root: header.files_root,
            chunk_count: header.chunk_count,
            chunks_root: header.chunks_root,
        }
    }
}

pub struct Peer {
    pub branch: BranchId,
    /// What the peer's headers checked so far commit to, by height, and the tip they
    /// lead to.
    pub headers: Vec<Commitments>,
    /// Boxed, as it is large and seldom used: every gathering round scans all peers'
    /// standing, and with the tip inline the scan read four times the memory.
    pub tip: Box<BranchTip>,
    pub standing: Standing,
    /// Had no chunk for us; not asked again before this (when it may have a new block).
    pub dry_until: Time,
    /// Told us it blacklisted us: it will never hand us a chunk, so it is neither asked
    /// nor validated again.
    pub refuses_us: bool,
    /// Validations in a row in which it left a challenge unanswered (after every retry)
    /// while it answered its headers: a withholder's mark, counted so that one lost message
    /// is not taken for one.
    pub missed: u32,
    /// The newest header of the peer checked so far, whole: what gossip about the peer is
    /// compared with.
    pub last_header: Option<Box<BlockHeader>>,
    /// What convicts the peer, if it was blacklisted on signed evidence.
    pub evidence: Option<Box<Evidence>>,
}

impl Peer {
    pub fn is_trusted(&self, now: Time) -> bool {
        matches!(self.standing, Standing::Trusted { until } if now < until)
    }

    /// Whether the peer may ever hand us a chunk: we did not blacklist it, nor it us (a
    /// suspension ends).
    pub fn may_supply(&self) -> bool {
        self.standing != Standing::Blacklisted && !self.refuses_us
    }

    /// Whether validation may start (or restart) now, unless one is under way.
    pub fn needs_validation(&self, now: Time) -> bool {
        if self.refuses_us {
            return false;
        }
        match self.standing {
            Standing::Unknown => true,
            Standing::Trusted { until }
            | Standing::Resting { until }
            | Standing::Suspended { until } => now >= until,
            Standing::Blacklisted => false,
        }
    }
}

/// Peers by actor id: a slot per id, so lookups on the hot path cost an index, and
/// iteration runs in id order as a sorted map's would.
#[derive(Default)]
pub struct PeerBook {
    peers: Vec<Option<Peer>>,
}

impl PeerBook {
    /// Adds a peer under the branch it claims; validation checks the claim. An actor that
    /// now claims another branch (it came back wiped) is known afresh; returns the branch
    /// it replaced, so the caller can forget what it asked of the old one.
    pub fn learn(&mut self, actor: ActorId, branch: BranchId) -> Option<BranchId> {
        let known = self.get(actor).map(|peer| peer.branch);
        if known == Some(branch) {
            return None;
        }
        let peer = Peer {
            branch,
            headers: Vec::new(),
            tip: Box::new(BranchTip::new()),
            standing: Standing::Unknown,
            dry_until: Time::ZERO,
            refuses_us: false,
            missed: 0,
            last_header: None,
            evidence: None,
        };
        if self.peers.len() <= actor {
            self.peers.resize_with(actor + 1, || None);
        }
        self.peers[actor] = Some(peer);
        known
    }

    pub fn get(&self, actor: ActorId) -> Option<&Peer> {
        self.peers.get(actor)?.as_ref()
    }

    pub fn get_mut(&mut self, actor: ActorId) -> Option<&mut Peer> {
        self.peers.get_mut(actor)?.as_mut()
    }

    pub fn iter(&self) -> impl Iterator<Item = (ActorId, &Peer)> {
        let slots = self.peers.iter().enumerate();
        slots.filter_map(|(id, peer)| Some((id, peer.as_ref()?)))
    }

    /// The actor serving `branch`, if known.
    pub fn actor_of(&self, branch: BranchId) -> Option<ActorId> {
        self.iter()
            .find(|(_, peer)| peer.branch == branch)
            .map(|(id, _)| id)
    }
}

/// What a miner is doing with one peer right now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Round {
    /// Answers awaited to finish validating the peer (zero: no validation under way).
    pub validating: usize,
    /// Already asked for a chunk in this gathering round.
    pub asked: bool,
}

/// Per peer, by actor id, what the miner is doing with it; kept in memory only.
#[derive(Default)]
pub struct Rounds(Vec<Round>);

impl Rounds {
    pub fn get(&self, actor: ActorId) -> Round {
        self.0.get(actor).copied().unwrap_or_default()
    }

    pub fn get_mut(&mut self, actor: ActorId) -> &mut Round {
        if self.0.len() <= actor {
            self.0.resize(actor + 1, Round::default());
        }
        &mut self.0[actor]
    }

    /// A new gathering round: every peer may be asked again.
    pub fn new_round(&mut self) {
        self.0.iter_mut().for_each(|round| round.asked = false);
    }
}
