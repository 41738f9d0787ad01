//! No honest miner's block becomes unrecoverable while `k` holders of distinct chunks of it
//! are running, and what they rebuild is the block its miner made.
//!
//! A block can only become unrecoverable when a holder of its chunks stops running: it goes
//! down, leaves, or comes back wiped. At each such event every block that holder kept
//! chunks of is checked: if `k` valid distinct chunks of it remain on running holders, they
//! must decode to the original. Decoding all of them at every departure would cost more
//! than the run, so each block keeps a witness: the holders of the `k` chunks that last
//! decoded it. While they all run the block is recoverable from exactly them; only a
//! departure that breaks the witness decodes again, from the chunks still running.

use super::{blocks_added, Invariant};
use crate::actors::{Miner, Node, Observation, World};
use crate::protocol::{decode_block, Block, BranchId, Chunk, Codec, Params, Verifier};
use crate::sim::{ActorId, EventKind, EventRecord, Presence, View};
use std::collections::BTreeMap;

/// A block of the network: its branch and height.
type BlockId = (BranchId, u64);

/// Where one chunk sits: foreign chunk `position` of block `height` of `actor`'s `branch`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Holding {
    actor: ActorId,
    branch: BranchId,
    height: u64,
    position: usize,
}

#[derive(Default)]
pub struct BlocksStayRecoverable {
    /// Every chunk placed, by the block it came from.
    holdings: BTreeMap<BlockId, Vec<Holding>>,
    /// Per actor: the blocks its current branch holds chunks of.
    held_by: Vec<Vec<BlockId>>,
    /// The actor each branch belongs (or belonged) to.
    owners: BTreeMap<BranchId, ActorId>,
    /// Per block: the holdings whose `k` chunks last decoded it.
    witnesses: BTreeMap<BlockId, Vec<Holding>>,
}

impl Invariant for BlocksStayRecoverable {
    fn rule(&self) -> &'static str {
        "an honest miner's block rebuilds, as it was, while k holders of it run"
    }

    fn check(
        &mut self,
        event: &EventRecord,
        observed: &[Observation],
        run: &View<Node>,
        world: &mut World,
    ) -> Result<(), String> {
        let actor = event.actor;
        let Some(miner) = run.actors[actor].as_miner() else {
            return Ok(());
        };
        if self.held_by.len() <= actor {
            self.held_by.resize_with(actor + 1, Vec::new);
        }
        let mut departed = match event.kind {
            EventKind::Up { wiped: true } => std::mem::take(&mut self.held_by[actor]),
            EventKind::Down { .. } => self.held_by[actor].clone(),
            _ => Vec::new(),
        };
        for height in blocks_added(observed) {
            self.index(actor, miner, height);
        }
        departed.sort();
        departed.dedup();
        for block in departed {
            self.check_block(block, run, world)?;
        }
        Ok(())
    }
}

/// Whether `chunks` (at least `k` distinct ones) decode to `original`, header and records.
pub fn rebuilds_as_made(
    params: &Params,
    codec: &Codec,
    original: &Block,
    chunks: &[&Chunk],
    verifier: &mut Verifier,
) -> Result<(), String> {
    let header = &original.header;
    let (branch, height, hash) = (header.branch, header.height, header.hash());
    let chunks = chunks.iter().copied();
    let (rebuilt, records) =
        decode_block(params, codec, branch, height, &hash, chunks, verifier)
            .map_err(|why| format!("{} chunks on running holders, yet {why}", params.k))?;
    if rebuilt != *header || records != original.records {
        return Err("rebuilt from running holders, it differs from the original".into());
    }
    Ok(())
}

impl BlocksStayRecoverable {
    /// Indexes the chunks in block `height` that `actor` just added; a genesis block
    /// starts a new branch (the actor's first, or a new one after a wipe).
    fn index(&mut self, actor: ActorId, miner: &Miner, height: u64) {
        let branch = miner.branch();
        if height == 0 {
            self.held_by[actor].clear();
            self.owners.insert(branch, actor);
        }
        let block = &miner.blocks()[height as usize];
        for (position, chunk) in block.foreign.iter().enumerate() {
            let id = (chunk.header.source, chunk.header.height);
            let at = Holding {
                actor,
                branch,
                height,
                position,
            };
            self.holdings.entry(id).or_default().push(at);
            self.held_by[actor].push(id);
        }
    }

    /// The chunk `at` names, if its holder runs and still has it.
    fn chunk<'n>(&self, at: &Holding, run: &View<'n, Node>) -> Option<&'n Chunk> {
        let miner = run.actors[at.actor].as_miner()?;
        if run.presence(at.actor) != Presence::Running || miner.branch() != at.branch {
            return None;
        }
        let block = miner.blocks().get(at.height as usize)?;
        block.foreign.get(at.position)
    }

    /// Checks `block` after one of its holders stopped running.
    fn check_block(
        &mut self,
        id: BlockId,
        run: &View<Node>,
        world: &mut World,
    ) -> Result<(), String> {
        let Some((number, original)) = self.original(id, run.actors) else {
            return Ok(());
        };
        let witness = self.witnesses.get(&id);
        if witness.is_some_and(|w| w.iter().all(|at| self.chunk(at, run).is_some())) {
            return Ok(());
        }
        let k = world.params.k as usize;
        let mut chosen: Vec<(Holding, &Chunk)> = Vec::with_capacity(k);
        for at in self.holdings.get(&id).into_iter().flatten() {
            let Some(chunk) = self.chunk(at, run) else {
                continue;
            };
            let index = chunk.header.index;
            let new = chosen.iter().all(|(_, c)| c.header.index != index);
            if new && chunk.verify(&world.params, &mut world.verifier).is_ok() {
                chosen.push((*at, chunk));
            }
            if chosen.len() == k {
                break;
            }
        }
        if chosen.len() < k {
            self.witnesses.remove(&id);
            return Ok(());
        }
        let chunks: Vec<&Chunk> = chosen.iter().map(|(_, chunk)| *chunk).collect();
        rebuilds_as_made(
            &world.params,
            &world.codec,
            original,
            &chunks,
            &mut world.verifier,
        )
        .map_err(|why| format!("miner {number}, block {}: {why}", id.1))?;
        let witness = chosen.into_iter().map(|(at, _)| at).collect();
        self.witnesses.insert(id, witness);
        Ok(())
    }

    /// The miner number and the block `id` as its honest miner made it.
    fn original<'n>(
        &self,
        (branch, height): BlockId,
        nodes: &'n [Node],
    ) -> Option<(usize, &'n Block)> {
        let owner = nodes[*self.owners.get(&branch)?].as_honest_miner()?;
        let current = std::iter::once(owner.blocks());
        let retired = owner.retired().iter().map(Vec::as_slice);
        let blocks = current
            .chain(retired)
            .find(|blocks| blocks.first().is_some_and(|g| g.header.branch == branch))?;
        Some((owner.number, blocks.get(height as usize)?))
    }
}
