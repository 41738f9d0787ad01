//! Liveness after the heal: once the faults stop, the honest miners get their work done.
//!
//! Safety alone cannot tell a deadlock from churn that never lets up. In a run that heals
//! ([`crate::heal`]) this check asks, after every event that may change the answer (a block
//! added, a record taken in, a patient acting, a miner going down or coming back), whether
//! the network has converged: every record the patients of an honest running miner
//! submitted is stored and sealed in one of its blocks (a miner back with an empty disk
//! starts a new branch and has only what arrives after to seal). By the deadline it must
//! have; the run fails at the first event past the deadline while it has not, or at the
//! end if the network went quiet with work still pending, and the report says which miner
//! waits for what and which requests it has open.
//!
//! Sealing a record takes foreign chunks (rule 8), so the check covers the flow of chunks
//! that blocks need. It does not require each block to end with `k` chunks placed: chunks
//! travel only inside blocks other miners build for their own records, so once the
//! workload is sealed nothing can place what is left, and in fault-free runs of the default
//! scenario some older blocks end short of `k` because later blocks found other chunks
//! first (the dissertation's end-of-run stranding). Those blocks are counted in the
//! verdict, newest and older apart, so a sweep can report them; holding every block to `k`
//! would fail networks that have no fault left to blame.
//!
//! The same end-of-run stranding can leave a miner's last records unsealed: the
//! dissertation's "Network Termination" section notes that in a finite run the last miners
//! cannot gather the chunks they need, and that "this is not a problem of the protocol".
//! Such a miner is *starved*, not stuck, and is reported apart (`Verdict::starved`) rather
//! than failing the run, but only when nothing could change it: its patients have handed
//! over every record, even every chunk the running branches could still offer it would not
//! meet rule 8 for the block it builds, and no running miner of another kind is still
//! building blocks whose chunks could arrive. A miner that could finish with what is on
//! offer, or waits for a record, is pending, and fails the run at the deadline.
//!
//! The check reads the miners' branches, as the summary does, from the run's view, and only
//! after the events above.

use super::Invariant;
use crate::actors::{Behaviour, Miner, Node, Observation, World};
use crate::heal::HealPlan;
use crate::protocol::Params;
use crate::sim::{ActorId, EventKind, EventRecord, Presence, Time, View};
use crate::summary::Holdings;
use std::collections::BTreeMap;

/// The liveness invariant of one run.
pub struct Liveness {
    plan: HealPlan,
    params: Params,
    /// What the last look found pending (`None`: no look yet).
    pending: Option<Vec<Pending>>,
    /// When the network was last seen to converge (and has stayed so since).
    converged: Option<Time>,
    /// The verdict, once given: at the first event past the deadline or at the run's end.
    verdict: Option<Verdict>,
}

/// What the check found when it gave its verdict.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Work an honest running miner has not done, one line each.
    pub pending: Vec<String>,
    /// Miners left waiting at the network's termination, one line each: work no running
    /// branch can supply, so not a failure (see the module's docs).
    pub starved: Vec<String>,
    /// Newest blocks of honest running miners with fewer than `k` chunks on running
    /// branches: only a block built after them can take their chunks.
    pub stranded_newest: usize,
    /// Older blocks of honest running miners with fewer than `k` chunks on running
    /// branches.
    pub stranded_older: usize,
}

impl Liveness {
    /// The rule, as reports name it.
    pub const RULE: &'static str =
        "every honest running miner converges within the bound after the heal";

    /// The check for a run healing as `plan` says, of `params`.
    pub fn new(plan: HealPlan, params: &Params) -> Liveness {
        Liveness {
            plan,
            params: params.clone(),
            pending: None,
            converged: None,
            verdict: None,
        }
    }

    /// How long after the heal the network converged, if it has.
    pub fn converged_after(&self) -> Option<Time> {
        self.converged.map(|at| at - self.plan.at)
    }

    /// The verdict, once given.
    pub fn verdict(&self) -> Option<&Verdict> {
        self.verdict.as_ref()
    }

    /// The verdict on a finished run at `now`, unless one was given at the deadline: an
    /// error if work is still pending.
    pub fn finish(&mut self, run: &View<Node>, now: Time) -> Result<(), String> {
        if self.verdict.is_some() {
            return Ok(());
        }
        self.look(run, now);
        let heal = self.plan.at;
        let verdict = self.judge(run);
        match verdict.pending.is_empty() {
            true => Ok(()),
            false => Err(format!(
                "the run ended at {now} (the heal was at {heal}) with work pending: {}",
                verdict.pending.join("; ")
            )),
        }
    }

    fn look(&mut self, run: &View<Node>, now: Time) {
        let pending = pending(run, now);
        match (pending.is_empty(), self.converged) {
            // A network that went quiet before the heal converged at it.
            (true, None) => self.converged = Some(now.max(self.plan.at)),
            (false, _) => self.converged = None,
            _ => {}
        }
        self.pending = Some(pending);
    }

    /// Gives the verdict on the last look: what is pending, unless all of it is starved
    /// at the network's termination, and the blocks short of `k` (counted once, here: it
    /// reads every branch).
    fn judge(&mut self, run: &View<Node>) -> &Verdict {
        let (stranded_newest, stranded_older) = stranded(run, self.params.k as usize);
        let pending = self.pending.clone().unwrap_or_default();
        let lines: Vec<String> = pending.iter().map(|p| p.line.clone()).collect();
        let (pending, starved) = match !pending.is_empty() && starved(run, &pending, &self.params) {
            true => (Vec::new(), lines),
            false => (lines, Vec::new()),
        };
        self.verdict.insert(Verdict {
            pending,
            starved,
            stranded_newest,
            stranded_older,
        })
    }
}

/// One honest running miner's unfinished work, as a look found it.
#[derive(Clone, Debug)]
struct Pending {
    actor: ActorId,
    /// Records its patients have yet to see stored.
    unsent: u64,
    /// What it waits for, in words.
    line: String,
}

/// The miners of the run: actor, miner and how it behaves.
fn miners<'n>(run: &View<'n, Node>) -> Vec<(ActorId, &'n Miner, Behaviour)> {
    (0..run.actors.len())
        .filter_map(|actor| {
            let node = &run.actors[actor];
            Some((actor, node.as_miner()?, node.behaviour()?))
        })
        .collect()
}

/// Whether `actor` is an honest miner that is running.
fn honest_running(run: &View<Node>, (actor, _, kind): &(ActorId, &Miner, Behaviour)) -> bool {
    run.presence(*actor) == Presence::Running && *kind == Behaviour::Honest
}

/// What the honest running miners have still to do at `now`: records not yet sealed, or
/// not yet stored, one entry per miner with what it waits for.
fn pending(run: &View<Node>, now: Time) -> Vec<Pending> {
    // Records each miner's patients have yet to see stored.
    let mut owed: BTreeMap<ActorId, u64> = BTreeMap::new();
    for node in run.actors {
        if let Node::Patient(patient) = node {
            *owed.entry(patient.miner()).or_default() += patient.unsettled();
        }
    }
    let miners = miners(run);
    let honest = miners.iter().filter(|miner| honest_running(run, miner));
    let mut pending = Vec::new();
    for (actor, miner, _) in honest {
        let waiting = miner.waiting_records().len();
        let unsent = owed.get(actor).copied().unwrap_or(0);
        if waiting > 0 || unsent > 0 {
            let line = format!(
                "miner {}: {waiting} records not in a block yet, {unsent} of its patients' \
                 records not stored yet; {}",
                miner.number,
                miner.waiting_for(now)
            );
            pending.push(Pending {
                actor: *actor,
                unsent,
                line,
            });
        }
    }
    pending
}

/// Whether the network has terminated around the `pending` miners: each of them builds a
/// block that would fall short of rule 8 even with every chunk the running miners could
/// still offer it, its patients have nothing left to hand over, and no running miner of
/// another kind is still building (its blocks could make chunks). Then nothing can ever
/// arrive that lets one of them seal, and no fault is left to blame.
fn starved(run: &View<Node>, pending: &[Pending], params: &Params) -> bool {
    let miners = miners(run);
    let running: Vec<&(ActorId, &Miner, Behaviour)> = miners
        .iter()
        .filter(|(actor, _, _)| run.presence(*actor) == Presence::Running)
        .collect();
    if running
        .iter()
        .any(|(_, miner, kind)| *kind != Behaviour::Honest && !miner.is_done())
    {
        return false;
    }
    let suppliers: Vec<&Miner> = running.iter().map(|(_, miner, _)| *miner).collect();
    pending.iter().all(|entry| {
        let miner = running.iter().find(|(actor, _, _)| *actor == entry.actor);
        let short = miner.and_then(|(_, m, _)| m.could_finish_with(&suppliers, params));
        entry.unsent == 0 && short == Some(false)
    })
}

/// Blocks of honest running miners with fewer than `k` chunks on running branches: (the
/// newest of their branch, older ones).
fn stranded(run: &View<Node>, k: usize) -> (usize, usize) {
    let miners = miners(run);
    let current = miners
        .iter()
        .map(|(actor, miner, _)| (run.presence(*actor), miner.blocks()));
    let holdings = Holdings::of(std::iter::empty(), current);
    let (mut newest, mut older) = (0, 0);
    for (_, miner, _) in miners.iter().filter(|miner| honest_running(run, miner)) {
        let heights = miner.blocks().len() as u64;
        for height in 0..heights {
            if holdings.running(miner.branch(), height) >= k {
                continue;
            }
            match height + 1 == heights {
                true => newest += 1,
                false => older += 1,
            }
        }
    }
    (newest, older)
}

impl Invariant for Liveness {
    fn rule(&self) -> &'static str {
        Liveness::RULE
    }

    fn check(
        &mut self,
        event: &EventRecord,
        observed: &[Observation],
        run: &View<Node>,
        _world: &mut World,
    ) -> Result<(), String> {
        let now = event.time;
        if now < self.plan.at {
            return Ok(());
        }
        if self.verdict.is_some() {
            return Ok(());
        }
        if now > self.plan.deadline {
            // Judged on the last look before the deadline (or on this one, if no event
            // came between the heal and the deadline); told as things stand now.
            let before = self.pending.as_ref().map(Vec::is_empty);
            let plan = self.plan;
            self.look(run, now);
            let now_converged = self.pending.as_ref().is_some_and(Vec::is_empty);
            let verdict = self.judge(run);
            return match (before.unwrap_or(now_converged), now_converged) {
                (true, _) => Ok(()),
                (false, true) => Err(format!(
                    "not converged by {} (the heal was at {}): converged only at {now}",
                    plan.deadline, plan.at
                )),
                (false, false) if verdict.pending.is_empty() => Ok(()), // starved
                (false, false) => Err(format!(
                    "not converged by {} (the heal was at {}): {}",
                    plan.deadline,
                    plan.at,
                    verdict.pending.join("; ")
                )),
            };
        }
        // What moves the verdict: who runs, a block added, a record taken in, and a
        // patient's events (a record acknowledged or sent).
        let changed = matches!(event.kind, EventKind::Up { .. } | EventKind::Down { .. })
            || matches!(run.actors[event.actor], Node::Patient(_))
            || observed.iter().any(|seen| {
                matches!(
                    seen,
                    Observation::BlockAdded { .. } | Observation::RecordStored { .. }
                )
            });
        if changed || self.pending.is_none() {
            self.look(run, now);
        }
        Ok(())
    }
}
