//! Which of each miner's blocks an invariant has already looked at.
//!
//! Invariants run after every event but care only about the blocks a miner added since
//! they last looked; a miner that comes back wiped starts a new branch, looked at from
//! genesis.

use crate::protocol::{Block, BranchId};
use crate::sim::ActorId;

/// Per actor: the branch looked at, and how many of its blocks.
#[derive(Default)]
pub struct NewBlocks(Vec<(Option<BranchId>, usize)>);

/// What an actor's branch gained since the last look.
pub struct Added<'b> {
    /// The branch was not seen before (the actor's first, or a new one after a wipe).
    pub new_branch: bool,
    pub blocks: &'b [Block],
}

impl NewBlocks {
    /// The blocks of `actor`'s branch `blocks` not looked at yet; they count as seen now.
    pub fn take<'b>(&mut self, actor: ActorId, blocks: &'b [Block]) -> Added<'b> {
        let Some(genesis) = blocks.first() else {
            return Added {
                new_branch: false,
                blocks,
            };
        };
        if self.0.len() <= actor {
            self.0.resize(actor + 1, (None, 0));
        }
        let (known, count) = &mut self.0[actor];
        let new_branch = *known != Some(genesis.header.branch);
        if new_branch {
            (*known, *count) = (Some(genesis.header.branch), 0);
        }
        let added = &blocks[*count..];
        *count = blocks.len();
        Added {
            new_branch,
            blocks: added,
        }
    }
}
