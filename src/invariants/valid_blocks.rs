//! Every block an honest miner adds is valid under every protocol rule.

use super::new_blocks::NewBlocks;
use super::Invariant;
use crate::actors::{Behaviour, Node, World};
use crate::protocol::validate::check_block;
use crate::protocol::BranchTip;
use crate::sim::EventRecord;

/// Each block an honest miner adds is checked against every rule as soon as it is there,
/// against the branch's tip as this invariant has followed it (by actor id).
#[derive(Default)]
pub struct BlocksStayValid {
    seen: NewBlocks,
    tips: Vec<BranchTip>,
}

impl Invariant for BlocksStayValid {
    fn rule(&self) -> &'static str {
        "every block an honest miner adds is valid"
    }

    fn check(
        &mut self,
        event: &EventRecord,
        nodes: &[Node],
        world: &mut World,
    ) -> Result<(), String> {
        let Some(miner) = nodes[event.actor].as_miner() else {
            return Ok(());
        };
        if miner.behaviour() != Behaviour::Honest {
            return Ok(());
        }
        let added = self.seen.take(event.actor, miner.branch(), miner.blocks());
        if self.tips.len() <= event.actor {
            self.tips.resize_with(event.actor + 1, BranchTip::new);
        }
        let tip = &mut self.tips[event.actor];
        if added.new_branch {
            *tip = BranchTip::new();
        }
        let params = &world.params;
        for block in added.blocks {
            check_block(params, tip, block, &mut world.verifier).map_err(|error| {
                let height = block.header.height;
                format!("miner {}, block {height}: {error}", miner.number)
            })?;
            tip.push_block(block, block.hash(), params.links);
        }
        Ok(())
    }
}
