//! Every block an honest miner adds is valid under every protocol rule.

use super::{blocks_added, Invariant};
use crate::actors::{Node, Observation, World};
use crate::protocol::validate::check_block;
use crate::protocol::BranchTip;
use crate::sim::{EventRecord, View};

/// Each block an honest miner adds is checked against every rule as soon as the miner
/// reports it, against the branch's tip as this invariant has followed it (by actor id); a
/// genesis block starts the tip afresh (a miner that came back wiped).
#[derive(Default)]
pub struct BlocksStayValid {
    tips: Vec<BranchTip>,
}

impl Invariant for BlocksStayValid {
    fn rule(&self) -> &'static str {
        "every block an honest miner adds is valid"
    }

    fn check(
        &mut self,
        event: &EventRecord,
        observed: &[Observation],
        run: &View<Node>,
        world: &mut World,
    ) -> Result<(), String> {
        let Some(miner) = run.actors[event.actor].as_honest_miner() else {
            return Ok(());
        };
        if self.tips.len() <= event.actor {
            self.tips.resize_with(event.actor + 1, BranchTip::new);
        }
        let tip = &mut self.tips[event.actor];
        let params = &world.params;
        for height in blocks_added(observed) {
            if height == 0 {
                *tip = BranchTip::new();
            }
            let block = &miner.blocks()[height as usize];
            check_block(params, tip, block, &mut world.verifier)
                .map_err(|error| format!("miner {}, block {height}: {error}", miner.number))?;
            tip.push_block(block, block.hash(), params.links);
        }
        Ok(())
    }
}
