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
    /// Checking that a holder still serves our chunk.
    Audit {
        chunk: crate::protocol::ChunkId,
    },
}

impl Purpose {
    /// Whether the request is part of validating the peer (headers or a challenge).
    pub fn validates(&self) -> bool {
        matches!(
            self,
            Purpose::Headers | Purpose::File { .. } | Purpose::ForeignChunk { .. }
        )
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

/// Open requests by id, with their deadlines.
///
/// The miner does not arm a timer per request: most are answered long before they time
/// out, and a third of all events were such timers firing for nothing. It keeps one timer
/// at the earliest deadline instead ([`Requests::next_deadline`]).
#[derive(Default)]
pub struct Requests {
    next: u64,
    open: BTreeMap<u64, Request>,
}

impl Requests {
    /// Opens a request that times out at `deadline`; `make` builds the message from the
    /// new id.
    pub fn open(
        &mut self,
        peer: ActorId,
        purpose: Purpose,
        deadline: Time,
        make: impl FnOnce(u64) -> Msg,
    ) -> Msg {
        let id = self.next;
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
        msg
    }

    pub fn close(&mut self, id: u64) -> Option<Request> {
        self.open.remove(&id)
    }

    pub fn get_mut(&mut self, id: u64) -> Option<&mut Request> {
        self.open.get_mut(&id)
    }

    /// The earliest deadline of an open request.
    pub fn next_deadline(&self) -> Option<Time> {
        self.open.values().map(|request| request.deadline).min()
    }

    /// Ids of the open requests whose deadline has passed at `now`, in id order.
    pub fn expired(&self, now: Time) -> Vec<u64> {
        let expired = self.open.iter().filter(|(_, r)| r.deadline <= now);
        expired.map(|(&id, _)| id).collect()
    }

    /// The peers with an open request that passes `test`.
    pub fn peers(&self, test: impl Fn(&Request) -> bool) -> BTreeSet<ActorId> {
        self.open
            .values()
            .filter(|r| test(r))
            .map(|r| r.peer)
            .collect()
    }

    /// Who request `id` went to, if it is open.
    pub fn peer_of(&self, id: u64) -> Option<ActorId> {
        self.open.get(&id).map(|request| request.peer)
    }

    /// Forgets every open request (after a crash); ids keep counting, so a late reply to a
    /// request from before the crash matches nothing.
    pub fn forget_all(&mut self) {
        self.open.clear();
    }

    /// Closes every open request to `peer`.
    pub fn drop_peer(&mut self, peer: ActorId) {
        self.open.retain(|_, request| request.peer != peer);
    }
}
