//! The exchange: the pre-known address where miners announce themselves and list others.
//!
//! As in the dissertation it validates nothing (DESIGN rule 10); miners decide whom to
//! trust by validating each other.

use super::message::Msg;
use super::World;
use crate::protocol::BranchId;
use crate::sim::{ActorId, Context};

/// Records announcements in arrival order and lists them on request.
#[derive(Default)]
pub struct Exchange {
    announced: Vec<(ActorId, BranchId)>,
}

impl Exchange {
    pub fn receive(&mut self, from: ActorId, msg: Msg, ctx: &mut Context<Msg>, _: &mut World) {
        match msg {
            Msg::Announce { branch } if !self.announced.contains(&(from, branch)) => {
                self.announced.push((from, branch));
            }
            Msg::ListPeers => ctx.send(from, Msg::Peers(self.announced.clone())),
            _ => {}
        }
    }
}
