//! The free rider: takes part in the network but does not hold up its end of rule 8.
//!
//! By default it gathers what rule 8 asks, seals, and then lets the foreign chunk data go:
//! its header still commits to the chunks, so the first foreign-chunk challenge or repair
//! audit it faces finds the gap (rule 11). With `embeds` below 1 it seals as soon as it has
//! that share of the requirement, publishing a block that breaks rule 8: every receiver
//! rejects the header on sight, since the header states the foreign data it carries.

use super::{FreeRiderSettings, Twist};
use crate::actors::miner::Miner;
use crate::actors::observation::Observation;
use crate::actors::{Ctx, Node, World};
use crate::sim::Command;

pub struct FreeRider {
    embeds: f64,
    keeps_data: bool,
}

impl FreeRider {
    pub fn new(settings: &FreeRiderSettings) -> FreeRider {
        FreeRider {
            embeds: settings.embeds,
            keeps_data: settings.keeps_data,
        }
    }
}

impl Twist for FreeRider {
    fn after(&mut self, miner: &mut Miner, ctx: &mut Ctx, world: &mut World) {
        if self.embeds >= 1.0 {
            return;
        }
        let Some((chunks, bytes)) = miner.draft_gathered() else {
            return;
        };
        let requirement = world.params.requirement(miner.tip().last_primary());
        if requirement.scaled(self.embeds).is_met(chunks, bytes) {
            miner.seal_draft(ctx, world);
        }
    }

    fn outgoing(
        &mut self,
        command: Command<Node>,
        miner: &mut Miner,
        ctx: &mut Ctx,
        _: &mut World,
    ) {
        if let Command::Observe(Observation::BlockAdded { .. }) = &command {
            if !self.keeps_data {
                miner.discard_foreign_data();
            }
        }
        ctx.out.push(command);
    }
}
