//! Every block an honest miner adds is valid under every protocol rule.

use super::Invariant;
use crate::actors::{Behaviour, Node, World};
use crate::protocol::validate::check_block;
use crate::protocol::BranchTip;
use crate::sim::EventRecord;

/// Each block an honest miner adds is checked against every rule as soon as it is there;
/// the branch's tip is kept per miner (by actor id), so each block is checked once.
#[derive(Default)]
pub struct BlocksStayValid {
    checked: Vec<(BranchTip, usize)>,
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
        let (blocks, params) = (miner.blocks(), &world.params);
        if miner.behaviour() != Behaviour::Honest || blocks.is_empty() {
            return Ok(());
        }
        if self.checked.len() <= event.actor {
            self.checked.resize_with(event.actor + 1, Default::default);
        }
        let (tip, checked) = &mut self.checked[event.actor];
        if tip
            .branch()
            .is_some_and(|branch| branch != blocks[0].header.branch)
        {
            (*tip, *checked) = (BranchTip::new(), 0); // wiped: a new branch from genesis
        }
        for block in &blocks[*checked..] {
            check_block(params, tip, block, &mut world.verifier).map_err(|error| {
                let height = block.header.height;
                format!("miner {}, block {height}: {error}", miner.number)
            })?;
            tip.push_block(block, block.hash(), params.links);
            *checked += 1;
        }
        Ok(())
    }
}
