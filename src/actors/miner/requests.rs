//! Requests a miner is waiting on, so replies can be matched and silence retried.

use super::super::message::Msg;
use crate::sim::{ActorId, Time};
use std::collections::{BTreeMap, BTreeSet};

/// What a request was for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Headers,
    File {
        height: u64,
        index: u32,
    },
    ForeignChunk {
        height: u64,
        index: u32,
    },
    Chunk,
    /// Checking that a holder still serves our chunk, as foreign chunk `position` of its
    /// block `height`, where it said it put it.
    Audit {
        chunk: crate::protocol::ChunkId,
        height: u64,
        position: u32,
    },
}

/// What requests are counted by, per peer: the questions gathering asks about them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Headers or a challenge: part of validating the peer.
    Validation = 0,
    Chunk = 1,
    Audit = 2,
}

impl Purpose {
    pub fn kind(&self) -> Kind {
        match self {
            Purpose::Headers | Purpose::File { .. } | Purpose::ForeignChunk { .. } => {
                Kind::Validation
            }
            Purpose::Chunk => Kind::Chunk,
            Purpose::Audit { .. } => Kind::Audit,
        }
    }
}

pub struct Request {
    pub peer: ActorId,
    pub purpose: Purpose,
    pub msg: Msg,
    pub attempts: u32,
    /// When the request times out unless answered.
    pub deadline: Time,
}

/// Open requests by id, with their deadlines. Held in memory: a crash forgets them.
///
/// The miner does not arm a timer per request: most are answered long before they time
/// out, and a third of all events were such timers firing for nothing. It keeps one timer
/// at the earliest deadline instead ([`Requests::next_deadline`]), found in an index of
/// deadlines: an audit round opens a request per holder, and scanning them all for the
/// earliest after each one made a round quadratic.
#[derive(Default)]
pub struct Requests {
    next: u64,
    open: BTreeMap<u64, Request>,
    /// (deadline, id) of every open request.
    deadlines: BTreeSet<(Time, u64)>,
    /// Open requests by peer and kind. Gathering asks after every reply which peers are
    /// busy; scanning the open requests for it cost more than the replies' own work.
    counts: Vec<[u32; 3]>,
    /// Peers with a request of each kind open.
    busy_peers: [usize; 3],
}

impl Requests {
    /// Opens a request that times out at `deadline`; `make` builds the message from the
    /// new id. Ids count from zero in each `boot` of the miner and carry the boot in their
    /// high bits, so a late reply to a request made before a crash matches nothing.
    pub fn open(
        &mut self,
        peer: ActorId,
        purpose: Purpose,
        deadline: Time,
        boot: u64,
        make: impl FnOnce(u64) -> Msg,
    ) -> Msg {
        let id = boot << 40 | self.next;
        self.next += 1;
        let msg = make(id);
        let request = Request {
            peer,
            purpose,
            msg: msg.clone(),
            attempts: 1,
            deadline,
        };
        self.open.insert(id, request);
        self.deadlines.insert((deadline, id));
        self.count(peer, purpose.kind(), 1);
        msg
    }

    pub fn close(&mut self, id: u64) -> Option<Request> {
        let request = self.open.remove(&id)?;
        self.deadlines.remove(&(request.deadline, id));
        self.count(request.peer, request.purpose.kind(), -1);
        Some(request)
    }

    fn count(&mut self, peer: ActorId, kind: Kind, change: i32) {
        if self.counts.len() <= peer {
            self.counts.resize(peer + 1, [0; 3]);
        }
        let count = &mut self.counts[peer][kind as usize];
        let was_busy = *count > 0;
        *count = count
            .checked_add_signed(change)
            .expect("counts match requests");
        match (was_busy, *count > 0) {
            (false, true) => self.busy_peers[kind as usize] += 1,
            (true, false) => self.busy_peers[kind as usize] -= 1,
            _ => {}
        }
    }

    /// Whether a request of `kind` to `peer` is open.
    pub fn is_open(&self, peer: ActorId, kind: Kind) -> bool {
        self.counts.get(peer).is_some_and(|c| c[kind as usize] > 0)
    }

    /// How many peers have a request of `kind` open.
    pub fn busy_peers(&self, kind: Kind) -> usize {
        self.busy_peers[kind as usize]
    }

    /// Every open request, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &Request> {
        self.open.values()
    }

    pub fn get(&self, id: u64) -> Option<&Request> {
        self.open.get(&id)
    }

    /// Counts another attempt at request `id`, due to be answered by `deadline`.
    pub fn retried(&mut self, id: u64, deadline: Time) {
        let Some(request) = self.open.get_mut(&id) else {
            return;
        };
        self.deadlines.remove(&(request.deadline, id));
        self.deadlines.insert((deadline, id));
        request.deadline = deadline;
        request.attempts += 1;
    }

    /// The earliest deadline of an open request.
    pub fn next_deadline(&self) -> Option<Time> {
        self.deadlines.first().map(|&(deadline, _)| deadline)
    }

    /// Ids of the open requests whose deadline has passed at `now`, in id order.
    pub fn expired(&self, now: Time) -> Vec<u64> {
        let due = self
            .deadlines
            .iter()
            .take_while(|&&(deadline, _)| deadline <= now);
        let mut ids: Vec<u64> = due.map(|&(_, id)| id).collect();
        ids.sort_unstable();
        ids
    }

    /// Who request `id` went to, if it is open.
    pub fn peer_of(&self, id: u64) -> Option<ActorId> {
        self.open.get(&id).map(|request| request.peer)
    }

    /// Closes every open request to `peer`.
    pub fn drop_peer(&mut self, peer: ActorId) {
        if self.counts.get(peer).is_none_or(|c| c == &[0; 3]) {
            return;
        }
        let to_peer: Vec<u64> = self
            .open
            .iter()
            .filter(|(_, request)| request.peer == peer)
            .map(|(&id, _)| id)
            .collect();
        for id in to_peer {
            self.close(id);
        }
    }
}
