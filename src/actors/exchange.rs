//! The exchange: the pre-known address where miners announce themselves and list others.
//!
//! As in the dissertation it validates nothing (DESIGN rule 10); miners decide whom to
//! trust by validating each other.

use super::message::Msg;
use super::Ctx;
use crate::protocol::BranchId;
use crate::sim::ActorId;

/// Records announcements in arrival order and lists them on request; an address that
/// announces a new branch (its miner came back wiped) replaces its old entry. An
/// announcement is answered with the list, which names the announcer: the miner's
/// acknowledgement, without which it announces again.
#[derive(Default)]
pub struct Exchange {
    announced: Vec<(ActorId, BranchId)>,
}

impl Exchange {
    pub fn receive(&mut self, from: ActorId, msg: Msg, ctx: &mut Ctx) {
        match msg {
            Msg::Announce { branch } => {
                match self.announced.iter_mut().find(|(a, _)| *a == from) {
                    Some(entry) => entry.1 = branch,
                    None => self.announced.push((from, branch)),
                }
                ctx.send(from, Msg::Peers(self.announced.clone()));
            }
            Msg::ListPeers => ctx.send(from, Msg::Peers(self.announced.clone())),
            _ => {}
        }
    }
}
