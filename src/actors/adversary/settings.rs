//! The scenario's `[adversaries]` table: how many miners of each hostile kind a run has,
//! and how each kind goes about it.
//!
//! Counts by kind, so any mix can be written down; the highest-numbered miners are the
//! adversaries, in the order of [`Behaviour::ADVERSARIES`]. Each kind has its own table of
//! options with defaults, so `tamperers = 1` alone is a complete setting.

use super::Behaviour;
use crate::sim::Time;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Adversaries {
    pub free_riders: usize,
    pub withholders: usize,
    pub tamperers: usize,
    pub duplicators: usize,
    pub generators: usize,
    pub equivocators: usize,
    pub free_rider: FreeRiderSettings,
    pub withholder: WithholderSettings,
    pub tamperer: TampererSettings,
    pub duplicator: DuplicatorSettings,
    pub generator: GeneratorSettings,
    /// One operator runs every adversary of the run (Filecoin's Sybil): with `fails_at`,
    /// the operator's failure takes them all down at that time, for good.
    pub operator: Option<Operator>,
}

/// A free rider takes part but does not hold up its end of rule 8.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FreeRiderSettings {
    /// Share of rule 8's requirement it gathers before sealing: 1 seals a block that
    /// meets the rule, less publishes one that breaks it.
    pub embeds: f64,
    /// Whether it keeps the foreign chunk data it embedded (the short variant does; the
    /// default drops it once the block is sealed).
    pub keeps_data: bool,
}

impl Default for FreeRiderSettings {
    fn default() -> FreeRiderSettings {
        FreeRiderSettings {
            embeds: 1.0,
            keeps_data: false,
        }
    }
}

/// A withholder stores what it should but does not serve it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WithholderSettings {
    /// Chance that it withholds the answer to one challenge or audit.
    pub refusal: f64,
    /// Whether it stays silent (the asker times out) rather than answer "I have nothing".
    pub silent: bool,
    /// Miner numbers it withholds from; empty: everyone.
    pub targets: Vec<usize>,
}

impl Default for WithholderSettings {
    fn default() -> WithholderSettings {
        WithholderSettings {
            refusal: 1.0,
            silent: true,
            targets: Vec::new(),
        }
    }
}

/// What a tamperer corrupts in what it serves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Corrupts {
    /// The payload of every challenged file.
    #[default]
    File,
    /// The data of every chunk it offers and every foreign chunk it serves.
    ChunkData,
    /// The signature of every chunk it offers, and the Merkle proof of every foreign
    /// chunk it serves.
    ChunkProof,
    /// The signature of the newest header in every header list it sends.
    HeaderSignature,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TampererSettings {
    pub corrupts: Corrupts,
}

/// A duplicator hands each of its chunks to several holders.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DuplicatorSettings {
    /// Holders each of its chunks goes to (the protocol places one copy).
    pub copies: usize,
}

impl Default for DuplicatorSettings {
    fn default() -> DuplicatorSettings {
        DuplicatorSettings { copies: 3 }
    }
}

/// A generator pads its blocks with records it can regenerate from a seed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GeneratorSettings {
    /// Fabricated records added to each block, per real record the block may take.
    pub per_block: usize,
}

impl Default for GeneratorSettings {
    fn default() -> GeneratorSettings {
        GeneratorSettings { per_block: 4 }
    }
}

/// The one operator behind every adversary identity of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operator {
    /// When the operator fails, taking every identity it runs down for good.
    #[serde(with = "crate::sim::time::seconds")]
    pub fails_at: Time,
}

impl Adversaries {
    /// The kind of every adversary, in the order they take the highest miner numbers.
    pub fn kinds(&self) -> Vec<Behaviour> {
        Behaviour::ADVERSARIES
            .iter()
            .flat_map(|&kind| std::iter::repeat_n(kind, self.count(kind)))
            .collect()
    }

    /// How many miners are of `kind`.
    pub fn count(&self, kind: Behaviour) -> usize {
        match kind {
            Behaviour::Honest => 0,
            Behaviour::FreeRider => self.free_riders,
            Behaviour::Withholder => self.withholders,
            Behaviour::Tamperer => self.tamperers,
            Behaviour::Duplicator => self.duplicators,
            Behaviour::Generator => self.generators,
            Behaviour::Equivocator => self.equivocators,
        }
    }

    /// Sets how many miners are of `kind`.
    pub fn set_count(&mut self, kind: Behaviour, count: usize) {
        let slot = match kind {
            Behaviour::Honest => return,
            Behaviour::FreeRider => &mut self.free_riders,
            Behaviour::Withholder => &mut self.withholders,
            Behaviour::Tamperer => &mut self.tamperers,
            Behaviour::Duplicator => &mut self.duplicators,
            Behaviour::Generator => &mut self.generators,
            Behaviour::Equivocator => &mut self.equivocators,
        };
        *slot = count;
    }

    /// Adversaries of every kind.
    pub fn total(&self) -> usize {
        Behaviour::ADVERSARIES.iter().map(|&k| self.count(k)).sum()
    }
}
