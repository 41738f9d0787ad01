//! The withholder: stores what it should, but does not answer when challenged or audited.
//!
//! It answers everything else (headers, chunk requests), so it looks alive. Asked for a
//! file or a foreign chunk by one of its targets, it withholds the answer with the
//! configured chance: silently, so the asker times out, or by saying it has nothing, which
//! fails the challenge at once. Silence is the hard case: one unanswered challenge looks
//! like a lost message or a crash, so the honest asker counts consecutive challenges left
//! unanswered by a peer that did answer its headers, and blacklists at the limit
//! (`miner.missed_challenges`), as Storj counts failed audits rather than acting on one.

use super::{Twist, WithholderSettings};
use crate::actors::message::Msg;
use crate::actors::miner::Miner;
use crate::actors::{Ctx, Roster};
use crate::sim::ActorId;
use rand::Rng;

pub struct Withholder {
    refusal: f64,
    silent: bool,
    /// Actor ids of the miners it withholds from (empty: all).
    targets: Vec<ActorId>,
}

impl Withholder {
    pub fn new(settings: &WithholderSettings, roster: &Roster) -> Withholder {
        Withholder {
            refusal: settings.refusal,
            silent: settings.silent,
            targets: settings.targets.iter().map(|&n| roster.miner(n)).collect(),
        }
    }

    fn withholds_from(&self, from: ActorId, ctx: &mut Ctx) -> bool {
        (self.targets.is_empty() || self.targets.contains(&from))
            && ctx.rng.gen_bool(self.refusal.clamp(0.0, 1.0))
    }
}

impl Twist for Withholder {
    fn incoming(&mut self, from: ActorId, msg: Msg, miner: &Miner, ctx: &mut Ctx) -> Option<Msg> {
        let branch = miner.branch();
        let nothing = match &msg {
            Msg::GetFile { request, .. } => Msg::File {
                request: *request,
                branch,
                answer: None,
            },
            Msg::GetForeignChunk { request, .. } => Msg::ForeignChunk {
                request: *request,
                branch,
                answer: None,
            },
            _ => return Some(msg),
        };
        if !self.withholds_from(from, ctx) {
            return Some(msg);
        }
        if !self.silent {
            ctx.send(from, nothing);
        }
        None
    }
}
