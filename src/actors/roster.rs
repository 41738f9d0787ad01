//! Which actor id each participant of a run has: the one place that numbers them.
//!
//! Actor 0 is the exchange, actors `1..=miners` are the miners in order, and the patients
//! follow, `per_miner` of them for each miner in miner order; a thief, if the scenario
//! stages one, comes last. The engine, the network
//! model, churn, traces and tests all ask this type, so the numbering cannot drift apart.

use crate::sim::network::Sites;
use crate::sim::ActorId;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Roster {
    pub miners: usize,
    /// Patients per miner.
    pub per_miner: usize,
    /// Thieves (0 or 1: a `[key_theft]` table).
    pub thieves: usize,
}

impl Roster {
    pub const EXCHANGE: ActorId = 0;

    /// The actor of miner `number`.
    pub fn miner(&self, number: usize) -> ActorId {
        1 + number
    }

    /// The actor of patient `number` (counted over all miners).
    pub fn patient(&self, number: usize) -> ActorId {
        1 + self.miners + number
    }

    /// The actor of the miner that patient `number` hands its records to.
    pub fn miner_of_patient(&self, number: usize) -> ActorId {
        self.miner(number / self.per_miner)
    }

    /// Miner `number` and its patients: what a partition or a region moves together.
    pub fn actors_of_miner(&self, number: usize) -> impl Iterator<Item = ActorId> {
        let first = self.patient(number * self.per_miner);
        std::iter::once(self.miner(number)).chain(first..first + self.per_miner)
    }

    /// Where each actor is for the network model: miner `i` and its patients at site `i`,
    /// the exchange and the thief at none.
    pub fn sites(&self) -> Sites {
        let mut of_actor = vec![None; self.actors()];
        for miner in 0..self.miners {
            for actor in self.actors_of_miner(miner) {
                of_actor[actor] = Some(miner);
            }
        }
        Sites { of_actor }
    }

    pub fn patients(&self) -> usize {
        self.miners * self.per_miner
    }

    /// The actor of the thief, when there is one.
    pub fn thief(&self) -> Option<ActorId> {
        (self.thieves > 0).then(|| 1 + self.miners + self.patients())
    }

    /// How many actors a run has.
    pub fn actors(&self) -> usize {
        1 + self.miners + self.patients() + self.thieves
    }
}
