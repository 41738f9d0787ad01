//! Scenario files: one TOML file describes one network and how long to run it.
//!
//! Every table rejects unknown keys, so a typo fails loudly instead of silently running the
//! default. After parsing, [`Scenario::check`] rejects values the simulator cannot honour and
//! names the field, the value and the rule it breaks. Times are in seconds in the file.

use crate::actors::consortium::Consortium;
use crate::actors::key_recovery::KeyRecovery;
use crate::actors::thief::KeyTheft;
use crate::actors::workload::RecordsModel;
use crate::actors::{Adversaries, Behaviour, MinerConfig, MinerSettings, Roster};
use crate::chaos::{Chaos, Drawn};
use crate::heal::{default_within, Heal, HealPlan};
use crate::protocol::params::MAX_CHUNKS;
use crate::protocol::{Params, Placement, RecordFormat};
use crate::sim::churn::ChurnModel;
use crate::sim::network::Regions;
use crate::sim::{Latency, NetworkModel, Time};
use serde::{Deserialize, Serialize};
use std::path::Path;
use thiserror::Error;

/// The scenario `medilanac run` uses when given no file.
pub const DEFAULT: &str = include_str!("../scenarios/default.toml");

/// Most runs a sweep may have (grid points times seeds).
const MAX_RUNS: u64 = 1_000_000;

/// Largest record, block or bandwidth figure accepted: 1 GiB.
const ABSURD_BYTES: u64 = 1 << 30;

/// Why a scenario cannot be used.
#[derive(Debug, Error)]
pub enum ScenarioError {
    #[error("cannot read {path}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Parse(String),
    #[error("{field} = {value}: {rule}")]
    Invalid {
        field: String,
        value: String,
        rule: String,
    },
}

/// One simulated network.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Shown in summaries and plot titles.
    pub name: String,
    /// Seed of the run (overridden by `--seed`).
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Number of miners.
    pub miners: usize,
    /// Blocks each miner adds after its genesis block.
    pub blocks: u64,
    /// Virtual seconds after which the run stops even if miners are still waiting.
    #[serde(default = "default_duration")]
    pub duration: f64,
    /// Second at which the exchange starts (miners that start before it find nobody
    /// listening until it does).
    #[serde(default)]
    pub exchange_starts: f64,
    #[serde(default)]
    pub protocol: Params,
    #[serde(default)]
    pub patients: Patients,
    /// The clinical workload, with `protocol.records = "fhir"` (its defaults without it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records: Option<RecordsModel>,
    /// A patient's signing key stolen during the run (needs FHIR records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_theft: Option<KeyTheft>,
    /// A patient's keys split among miners, lost and recovered (needs FHIR records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_recovery: Option<KeyRecovery>,
    /// Hospitals auditing every access and transfer on their branches (rule 18).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consortium: Option<Consortium>,
    #[serde(default)]
    pub miner: MinerSettings,
    #[serde(default)]
    pub network: NetworkModel,
    #[serde(default)]
    pub adversaries: Adversaries,
    /// How miners fail and return (no churn without this table).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub churn: Option<ChurnModel>,
    /// Ranges the seed draws fault settings from (chaos mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chaos: Option<Chaos>,
    /// When the faults stop, and how soon after the network must converge (the liveness
    /// invariant is checked only in a run that heals).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heal: Option<Heal>,
    /// Miners that join after the start, on top of `miners`.
    #[serde(default)]
    pub joins: Vec<Join>,
    /// What `medilanac sweep` measures in each run.
    #[serde(default)]
    pub experiment: Experiment,
    /// The grid `medilanac sweep` runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep: Option<Sweep>,
}

/// The `[experiment]` table: what one run of a sweep reports.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Experiment {
    /// One row per run: the run's summary.
    #[default]
    Summary,
    /// The dissertation's reconstruction fault tolerance: for `subjects` random branches,
    /// remove the others one at a time until the first `prefix` blocks no longer rebuild.
    FaultTolerance { subjects: usize, prefix: u64 },
    /// The dissertation's storage proportion: block size against primary size.
    StorageRatio,
    /// Share of placed blocks still recoverable from running branches, every `every`
    /// seconds of the run.
    Durability { every: f64 },
    /// `count` miners of kind `adversary`: how soon they are found out, what they cost the
    /// honest miners and what they gain.
    Adversaries { adversary: Behaviour, count: usize },
    /// The multi-linked chain (DESIGN rule 4): for `subjects` random branches, remove the
    /// others one at a time and, after each removal, count the blocks after the first lost
    /// one that still decode and that still link back to genesis.
    MultiLink { subjects: usize },
}

/// The `[sweep]` table: every combination of the `grid` values, each run with `seeds`
/// consecutive seeds from the scenario's `seed`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sweep {
    #[serde(default = "one")]
    pub seeds: u64,
    /// Scenario fields by dotted path (`"protocol.k"`, `miners`), each with its values.
    #[serde(default)]
    pub grid: std::collections::BTreeMap<String, Vec<toml::Value>>,
}

fn one() -> u64 {
    1
}

/// The `[patients]` table.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Patients {
    /// Patients per miner; each submits one record per interval.
    pub per_miner: usize,
    /// Payload bytes of each record.
    pub record_size: usize,
    /// Seconds between one patient's records.
    pub interval: f64,
}

/// One `[[joins]]` entry: `count` more miners start at `at` seconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Join {
    pub at: f64,
    pub count: usize,
}

fn check_regions(regions: &Regions) -> Result<(), ScenarioError> {
    let field = "network.regions.latency_ms";
    let count = regions.latency_ms.len();
    if count == 0 || regions.latency_ms.iter().any(|row| row.len() != count) {
        let shape: Vec<usize> = regions.latency_ms.iter().map(Vec::len).collect();
        let value = format!("{count} rows of lengths {shape:?}");
        return Err(invalid(
            field,
            value,
            "must be a square matrix, one row per region",
        ));
    }
    if let Some(bad) = regions
        .latency_ms
        .iter()
        .flatten()
        .find(|ms| !(0.0..=3.6e6).contains(*ms))
    {
        return Err(invalid(
            field,
            bad,
            "milliseconds must be between 0 and an hour",
        ));
    }
    Ok(())
}

fn default_seed() -> u64 {
    1
}

fn default_duration() -> f64 {
    86_400.0
}

impl Default for Patients {
    fn default() -> Patients {
        Patients {
            per_miner: 4,
            record_size: 64,
            interval: 10.0,
        }
    }
}

fn invalid(field: &str, value: impl ToString, rule: impl ToString) -> ScenarioError {
    ScenarioError::Invalid {
        field: field.to_string(),
        value: value.to_string(),
        rule: rule.to_string(),
    }
}

fn positive_seconds(field: &'static str, value: f64) -> Result<(), ScenarioError> {
    if value.is_finite() && value > 0.0 && value < 1e12 {
        Ok(())
    } else {
        Err(invalid(
            field,
            value,
            "must be a positive number of seconds",
        ))
    }
}

impl Scenario {
    /// Parses and checks a scenario given as TOML text.
    pub fn parse(text: &str) -> Result<Scenario, ScenarioError> {
        let scenario: Scenario =
            toml::from_str(text).map_err(|e| ScenarioError::Parse(e.to_string()))?;
        scenario.check()?;
        Ok(scenario)
    }

    /// Reads, parses and checks a scenario file.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Scenario::parse(&text).map_err(|error| match error {
            ScenarioError::Parse(message) => {
                ScenarioError::Parse(format!("{}: {message}", path.display()))
            }
            other => other,
        })
    }

    /// Rejects values the simulator cannot honour.
    pub fn check(&self) -> Result<(), ScenarioError> {
        self.check_sizes()?;
        self.check_protocol()?;
        self.check_times()?;
        self.check_experiment()?;
        self.check_churn()?;
        self.check_heal()?;
        self.check_records()?;
        if let Some(consortium) = &self.consortium {
            consortium
                .check(self.miners)
                .map_err(|(field, value, rule)| invalid(field, value, rule))?;
        }
        self.check_network()
    }

    /// The workload patients follow: `None` when records are opaque.
    pub fn records_model(&self) -> Option<RecordsModel> {
        match self.protocol.records {
            RecordFormat::Opaque => None,
            RecordFormat::Fhir => Some(self.records.clone().unwrap_or_default()),
        }
    }

    fn check_records(&self) -> Result<(), ScenarioError> {
        let Some(model) = self.records_model() else {
            if self.records.is_some() {
                return Err(invalid(
                    "records",
                    "a table",
                    "describes FHIR entries: it needs protocol.records = \"fhir\"",
                ));
            }
            if self.key_recovery.is_some() {
                return Err(invalid("key_recovery", "a table", "shares are dealt by patients writing FHIR entries: it needs protocol.records = \"fhir\""));
            }
            if self.key_theft.is_some() {
                return Err(invalid(
                    "key_theft",
                    "a table",
                    "terminations are FHIR entries: it needs protocol.records = \"fhir\"",
                ));
            }
            return Ok(());
        };
        if !(0.0..=1.0).contains(&model.clear) {
            return Err(invalid(
                "records.clear",
                model.clear,
                "must be a share between 0 and 1",
            ));
        }
        let largest = self.protocol.max_primary.saturating_sub(64 * 1024);
        for (field, _, mix) in model.kinds() {
            let [low, high] = mix.bytes;
            if low == 0 || low > high || high as u64 > largest {
                return Err(invalid(
                    &format!("{field}.bytes"),
                    format!("[{low}, {high}]"),
                    format!("must be [smallest, largest] with 1 <= smallest <= largest <= {largest} (protocol.max_primary less 64 KiB for the envelope and the block)"),
                ));
            }
        }
        if model.kinds().iter().all(|(_, _, mix)| mix.weight == 0) {
            return Err(invalid(
                "records.*.weight",
                0,
                "at least one kind needs a weight above 0",
            ));
        }
        if model
            .readers
            .contains(&crate::actors::workload::Party::SecondHospital)
            && self.miners < 2
        {
            return Err(invalid(
                "records.readers",
                "second_hospital",
                "needs at least 2 miners",
            ));
        }
        if let Some(theft) = &self.key_theft {
            theft
                .check(self.roster().patients(), self.duration)
                .map_err(|(field, value, rule)| invalid(field, value, rule))?;
        }
        if let (Some(theft), Some(recovery)) = (&self.key_theft, &self.key_recovery) {
            if theft.patient == recovery.patient {
                return Err(invalid(
                    "key_recovery.patient",
                    recovery.patient,
                    "is also key_theft.patient: stage the theft and the loss on different patients",
                ));
            }
        }
        if let Some(recovery) = &self.key_recovery {
            recovery
                .check(self.roster().patients(), self.miners, self.duration)
                .map_err(|(field, value, rule)| invalid(field, value, rule))?;
        }
        Ok(())
    }

    fn check_heal(&self) -> Result<(), ScenarioError> {
        match (&self.heal, self.heal_within()) {
            (Some(heal), Some(within)) => heal
                .check(self.duration, self.last_join(), within)
                .map_err(|(field, value, rule)| invalid(field, value, rule)),
            _ => Ok(()),
        }
    }

    /// Seconds the network may take to converge after its heal: `heal.within`, or the
    /// default derived from the settings; `None` if the scenario does not heal.
    pub fn heal_within(&self) -> Option<f64> {
        let heal = self.heal.as_ref()?;
        let derived = || default_within(self.blocks, &self.miner, self.patients.interval);
        Some(heal.within.unwrap_or_else(derived))
    }

    /// The heal of a run with `seed`, if the scenario heals. Its deadline counts from the
    /// heal or the last join, whichever comes later: a miner alone cannot place a chunk.
    pub fn heal_plan(&self, seed: u64) -> Option<HealPlan> {
        let within = Time::from_secs_f64(self.heal_within()?);
        let at = self.heal.as_ref()?.at(seed);
        let deadline = at.max(Time::from_secs_f64(self.last_join())) + within;
        Some(HealPlan { at, deadline })
    }

    /// The second the last miner joins (0 without joins).
    fn last_join(&self) -> f64 {
        self.joins.iter().map(|join| join.at).fold(0.0, f64::max)
    }

    fn check_sizes(&self) -> Result<(), ScenarioError> {
        if !(1..=10_000).contains(&self.miners) {
            return Err(invalid(
                "miners",
                self.miners,
                "must be between 1 and 10000",
            ));
        }
        if self.blocks > 1_000_000 {
            return Err(invalid("blocks", self.blocks, "must be at most 1000000"));
        }
        let patients = &self.patients;
        if !(1..=10_000).contains(&patients.per_miner) {
            return Err(invalid(
                "patients.per_miner",
                patients.per_miner,
                "must be between 1 and 10000",
            ));
        }
        if patients.record_size as u64 > ABSURD_BYTES {
            return Err(invalid(
                "patients.record_size",
                patients.record_size,
                "must be at most 1 GiB",
            ));
        }
        let adversaries = self.adversaries.total();
        if adversaries > self.miners {
            return Err(invalid(
                "adversaries",
                adversaries,
                "more adversaries than miners",
            ));
        }
        if self.miner.attempts == 0 {
            return Err(invalid("miner.attempts", 0, "must be at least 1"));
        }
        if self.miner.parallel == 0 {
            return Err(invalid("miner.parallel", 0, "must be at least 1"));
        }
        Ok(())
    }

    fn check_protocol(&self) -> Result<(), ScenarioError> {
        let p = &self.protocol;
        if p.k == 0 {
            return Err(invalid("protocol.k", p.k, "must be at least 1"));
        }
        if p.m == 0 {
            return Err(invalid("protocol.m", p.m, "must be at least 1"));
        }
        if p.m > MAX_CHUNKS {
            return Err(invalid(
                "protocol.m",
                p.m,
                format!("Reed-Solomon over GF(2^8) supports m <= {MAX_CHUNKS}"),
            ));
        }
        if p.k > p.m {
            return Err(invalid(
                "protocol.k",
                p.k,
                format!("must not exceed m = {}", p.m),
            ));
        }
        if p.links == 0 {
            return Err(invalid(
                "protocol.links",
                0,
                "a header links at least its predecessor",
            ));
        }
        if p.max_primary > ABSURD_BYTES {
            return Err(invalid(
                "protocol.max_primary",
                p.max_primary,
                "must be at most 1 GiB",
            ));
        }
        if p.min_primary > p.max_primary {
            return Err(invalid(
                "protocol.min_primary",
                p.min_primary,
                "must not exceed max_primary",
            ));
        }
        let one_record =
            self.patients.record_size as u64 + crate::protocol::Record::OVERHEAD as u64 + 1024;
        if one_record > p.max_primary {
            return Err(invalid(
                "patients.record_size",
                self.patients.record_size,
                "a block could not hold one record within protocol.max_primary",
            ));
        }
        // Miners that join later count: a network may start with one miner alone (the
        // start-up case), which waits for the others.
        if p.placement == Placement::Distinct && self.total_miners() <= p.m as usize {
            let joining = self.total_miners() - self.miners;
            let rule = format!("placement \"distinct\" puts the m = {} chunks of a block on m other miners, so it needs more than m miners ({joining} join later)", p.m);
            return Err(invalid("miners", self.miners, rule));
        }
        Ok(())
    }

    fn check_times(&self) -> Result<(), ScenarioError> {
        let m = &self.miner;
        positive_seconds("duration", self.duration)?;
        if !(0.0..self.duration).contains(&self.exchange_starts) {
            return Err(invalid(
                "exchange_starts",
                self.exchange_starts,
                "must be a second within the run's duration",
            ));
        }
        positive_seconds("patients.interval", self.patients.interval)?;
        positive_seconds("miner.block_interval", m.block_interval.as_secs_f64())?;
        positive_seconds("miner.trust_period", m.trust_period.as_secs_f64())?;
        positive_seconds("miner.request_timeout", m.request_timeout.as_secs_f64())?;
        positive_seconds("miner.backoff", m.backoff.as_secs_f64())?;
        positive_seconds("miner.backoff_max", m.backoff_max.as_secs_f64())?;
        positive_seconds("miner.offer_timeout", m.offer_timeout.as_secs_f64())?;
        if m.repair_threshold > self.protocol.m as usize {
            return Err(invalid(
                "miner.repair_threshold",
                m.repair_threshold,
                format!("must not exceed m = {}", self.protocol.m),
            ));
        }
        Ok(())
    }

    fn check_experiment(&self) -> Result<(), ScenarioError> {
        if let Experiment::Durability { every } = self.experiment {
            positive_seconds("experiment.every", every)?;
            if every > self.duration {
                return Err(invalid(
                    "experiment.every",
                    every,
                    "is longer than the run's duration",
                ));
            }
            if self.duration / every > 100_000.0 {
                return Err(invalid(
                    "experiment.every",
                    every,
                    "more than 100000 samples in the run",
                ));
            }
        }
        if let Experiment::Adversaries { adversary, count } = self.experiment {
            if adversary == Behaviour::Honest {
                return Err(invalid(
                    "experiment.adversary",
                    "honest",
                    "must name an adversary kind (free_rider, withholder, tamperer, duplicator, generator, equivocator)",
                ));
            }
            let others = self.adversaries.total() - self.adversaries.count(adversary);
            if count + others > self.miners {
                let rule = format!("with the [adversaries] table's {others} others, more adversaries than the {} miners", self.miners);
                return Err(invalid("experiment.count", count, rule));
            }
        }
        if let Experiment::FaultTolerance { subjects, .. } | Experiment::MultiLink { subjects } =
            self.experiment
        {
            if subjects == 0 || subjects > self.miners {
                let rule = format!(
                    "must be between 1 and the number of miners ({})",
                    self.miners
                );
                return Err(invalid("experiment.subjects", subjects, rule));
            }
        }
        if let Experiment::FaultTolerance { prefix, .. } = self.experiment {
            if prefix == 0 || prefix > self.blocks + 1 {
                let rule = format!("must be between 1 and blocks + 1 ({})", self.blocks + 1);
                return Err(invalid("experiment.prefix", prefix, rule));
            }
        }
        if let Some(sweep) = &self.sweep {
            if !(1..=100_000).contains(&sweep.seeds) {
                return Err(invalid(
                    "sweep.seeds",
                    sweep.seeds,
                    "must be between 1 and 100000",
                ));
            }
            if let Some((path, _)) = sweep.grid.iter().find(|(_, values)| values.is_empty()) {
                return Err(invalid(
                    &format!("sweep.grid.{path}"),
                    "[]",
                    "needs at least one value",
                ));
            }
            // Counted without overflow: 64 paths of two values each are 2^64 grid points,
            // which a plain product wraps to 0 runs (and panics on in a debug build).
            let runs = sweep
                .grid
                .values()
                .try_fold(sweep.seeds, |runs, values| {
                    runs.checked_mul(values.len() as u64)
                })
                .filter(|&runs| runs <= MAX_RUNS);
            if runs.is_none() {
                let points: Vec<String> =
                    sweep.grid.values().map(|v| v.len().to_string()).collect();
                let value = format!("{} seeds x {} grid values", sweep.seeds, points.join(" x "));
                let rule = format!("a sweep runs at most {MAX_RUNS} runs");
                return Err(invalid("sweep", value, rule));
            }
        }
        Ok(())
    }

    fn check_network(&self) -> Result<(), ScenarioError> {
        let n = &self.network;
        if !(0.0..1.0).contains(&n.loss) {
            return Err(invalid(
                "network.loss",
                n.loss,
                "must be a probability in [0, 1)",
            ));
        }
        for (field, value) in [("network.duplicate", n.duplicate)] {
            if !(0.0..1.0).contains(&value) {
                return Err(invalid(field, value, "must be a probability in [0, 1)"));
            }
        }
        if !(0.0..=3.6e6).contains(&n.jitter_ms) {
            return Err(invalid(
                "network.jitter_ms",
                n.jitter_ms,
                "must be between 0 and an hour",
            ));
        }
        for p in &n.partitions {
            if p.start >= p.end {
                let (start, end) = (p.start.as_secs_f64(), p.end.as_secs_f64());
                let value = format!("start = {start}, end = {end}");
                return Err(invalid(
                    "network.partitions",
                    value,
                    "needs 0 <= start < end (seconds)",
                ));
            }
            if let Some(miner) = p.sites.iter().find(|&&m| m >= self.total_miners()) {
                return Err(invalid(
                    "network.partitions.miners",
                    miner,
                    format!("miners are numbered 0 to {}", self.total_miners() - 1),
                ));
            }
        }
        if let Some(regions) = &n.regions {
            check_regions(regions)?;
        }
        if n.bandwidth > ABSURD_BYTES * 1024 {
            return Err(invalid(
                "network.bandwidth",
                n.bandwidth,
                "must be at most 1 TiB/s (0 = unlimited)",
            ));
        }
        let bad = |x: f64| !(0.0..=3.6e6).contains(&x);
        let latency_ok = match n.latency {
            Latency::Constant { ms } => !bad(ms),
            Latency::Uniform { min_ms, max_ms } => !bad(min_ms) && !bad(max_ms) && min_ms <= max_ms,
            Latency::LogNormal { median_ms, sigma } => {
                !bad(median_ms) && median_ms > 0.0 && !bad(sigma) && sigma <= 10.0
            }
        };
        if !latency_ok {
            let rule = "milliseconds must be finite, non-negative, at most an hour (min_ms <= max_ms; median_ms > 0, 0 <= sigma <= 10)";
            return Err(invalid("network.latency", format!("{:?}", n.latency), rule));
        }
        Ok(())
    }

    /// Miners at the start plus those that join later.
    pub fn total_miners(&self) -> usize {
        self.miners + self.joins.iter().map(|j| j.count).sum::<usize>()
    }

    /// The scenario with the faults `seed` draws from its `[chaos]` ranges (unchanged
    /// without one) and its heal time in the network, and what was drawn.
    pub fn with_chaos(&self, seed: u64) -> (Scenario, Drawn) {
        let mut drawn = Scenario {
            chaos: None,
            ..self.clone()
        };
        let mut record = Drawn::default();
        if let Some(chaos) = &self.chaos {
            let draw = chaos.draw(seed, self.total_miners(), self.duration);
            let network = &mut drawn.network;
            network.loss = draw.loss.unwrap_or(network.loss);
            network.duplicate = draw.duplicate.unwrap_or(network.duplicate);
            network.jitter_ms = draw.jitter_ms.unwrap_or(network.jitter_ms);
            network.partitions.extend(draw.partition);
            if draw.churn.is_some() {
                drawn.churn = draw.churn;
            }
            record = draw.drawn;
        }
        if let Some(plan) = self.heal_plan(seed) {
            drawn.network.heal = Some(plan.at);
            record
                .0
                .push(("heal", format!("{:.0}s", plan.at.as_secs_f64())));
        }
        (drawn, record)
    }

    /// The actor numbering of a run of this scenario.
    pub fn roster(&self) -> Roster {
        Roster {
            miners: self.total_miners(),
            per_miner: self.patients.per_miner,
            thieves: usize::from(self.key_theft.is_some()),
        }
    }

    /// When each miner starts, in miner order.
    pub fn miner_starts(&self) -> Vec<Time> {
        let mut starts = vec![Time::ZERO; self.miners];
        for join in &self.joins {
            starts.extend(std::iter::repeat_n(
                Time::from_secs_f64(join.at),
                join.count,
            ));
        }
        starts
    }

    fn check_churn(&self) -> Result<(), ScenarioError> {
        for join in &self.joins {
            if !(join.at.is_finite() && join.at >= 0.0) || join.count > 10_000 {
                let value = format!("at = {}, count = {}", join.at, join.count);
                return Err(invalid(
                    "joins",
                    value,
                    "needs at >= 0 seconds and count <= 10000",
                ));
            }
        }
        if let Some(chaos) = &self.chaos {
            chaos
                .check()
                .map_err(|(field, value, rule)| invalid(field, value, rule))?;
        }
        let Some(churn) = &self.churn else {
            return Ok(());
        };
        if !churn.lifetime.is_valid() {
            return Err(invalid(
                "churn.lifetime",
                format!("{:?}", churn.lifetime),
                "parameters must be positive numbers of seconds",
            ));
        }
        if !churn.downtime.is_valid() {
            return Err(invalid(
                "churn.downtime",
                format!("{:?}", churn.downtime),
                "parameters must be positive numbers of seconds",
            ));
        }
        for (field, value) in [("churn.leave", churn.leave), ("churn.wipe", churn.wipe)] {
            if !(0.0..=1.0).contains(&value) {
                return Err(invalid(field, value, "must be a probability in [0, 1]"));
            }
        }
        for burst in &churn.bursts {
            if !(burst.at >= 0.0
                && burst.duration > 0.0
                && burst.at.is_finite()
                && burst.duration.is_finite())
            {
                let value = format!("at = {}, duration = {}", burst.at, burst.duration);
                return Err(invalid(
                    "churn.bursts",
                    value,
                    "needs at >= 0 and duration > 0 seconds",
                ));
            }
        }
        Ok(())
    }

    /// What miner `number` of a run with `seed` is asked to do: [`Scenario::miner_config`],
    /// and a consortium member's share of the workload, with room in its blocks for it.
    pub fn config_of_miner(&self, seed: u64, number: usize) -> MinerConfig {
        let mut config = self.miner_config();
        let Some(consortium) = self.consortium.as_ref().filter(|c| number < c.institutions) else {
            return config;
        };
        let roster = self.roster();
        let members = (0..consortium.institutions)
            .map(|n| roster.miner(n))
            .collect();
        config.records_per_block += consortium.entries_per_block;
        config.membership = Some(consortium.membership(seed, number, members));
        config
    }

    /// What every miner of a run is asked to do, with the `[miner]` settings.
    pub fn miner_config(&self) -> MinerConfig {
        MinerConfig {
            blocks: self.blocks,
            records_per_block: self.patients.per_miner,
            chunks_per_block: self.protocol.m as usize,
            settings: self.miner.clone(),
            membership: None,
        }
    }
}
