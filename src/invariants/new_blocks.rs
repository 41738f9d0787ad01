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
    /// The blocks of `actor`'s branch `branch`, `blocks`, not looked at yet; they count as
    /// seen now. The branch is the miner's (kept, not read from its genesis block), since
    /// this runs after every event and a look into the blocks is a cache miss.
    pub fn take<'b>(&mut self, actor: ActorId, branch: BranchId, blocks: &'b [Block]) -> Added<'b> {
        if self.0.len() <= actor {
            self.0.resize(actor + 1, (None, 0));
        }
        let (known, count) = &mut self.0[actor];
        let new_branch = *known != Some(branch);
        if new_branch {
            (*known, *count) = (Some(branch), 0);
        }
        let added = &blocks[*count..];
        *count = blocks.len();
        Added {
            new_branch,
            blocks: added,
        }
    }
}
