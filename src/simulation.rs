//! One run: build a network from a scenario and a seed, run it, and collect what happened.
//!
//! Actor 0 is the exchange, actors `1..=miners` are the miners (miner `i` is actor `i + 1`
//! and logs as "Miner i"), the patients come after. Keys are derived from the seed, so the
//! whole run, and its digest, follows from the scenario and the seed.

use crate::actors::{Behaviour, Exchange, Miner, MinerStats, Node, Patient, World};
use crate::protocol::keys::VerifyStats;
use crate::protocol::{Block, Codec, Hash, KeyPair};
use crate::scenario::Scenario;
use crate::sim::{Engine, EngineStats, Level, LogLine, RunEnd, Time};
use crate::summary::Summary;
use sha2::{Digest, Sha256};

/// What one miner ended with.
pub struct MinerOutcome {
    pub number: usize,
    pub behaviour: Behaviour,
    pub blocks: Vec<Block>,
    pub stats: MinerStats,
    pub finished: bool,
    /// Foreign chunks gathered for a block it could not complete.
    pub stalled_with: Option<usize>,
    pub unplaced_chunks: usize,
}

/// Everything a run produced.
pub struct Outcome {
    pub scenario: String,
    pub seed: u64,
    pub end: RunEnd,
    pub end_time: Time,
    pub engine: EngineStats,
    pub verify: VerifyStats,
    pub signatures: u64,
    pub miners: Vec<MinerOutcome>,
    pub log: Vec<LogLine>,
    pub summary: Summary,
    /// SHA-256 over the event journal and every branch's headers.
    pub digest: Hash,
}

/// The miners' behaviours: the highest-numbered are the adversaries.
fn behaviours(scenario: &Scenario) -> Vec<Behaviour> {
    let a = &scenario.adversaries;
    let honest = scenario.miners - a.tamperers - a.free_riders;
    let mut all = vec![Behaviour::Honest; honest];
    all.extend(std::iter::repeat_n(Behaviour::FreeRider, a.free_riders));
    all.extend(std::iter::repeat_n(Behaviour::Tamperer, a.tamperers));
    all
}

fn build(scenario: &Scenario, seed: u64) -> Vec<Node> {
    let config = scenario.miner_config();
    let mut nodes = vec![Node::Exchange(Exchange::default())];
    for (number, behaviour) in behaviours(scenario).into_iter().enumerate() {
        let keys = KeyPair::derive(seed, "miner", number as u64);
        let miner = Miner::new(number, keys, 0, config.clone(), behaviour);
        nodes.push(Node::Miner(Box::new(miner)));
    }
    let p = &scenario.patients;
    let interval = Time::from_secs_f64(p.interval);
    for number in 0..scenario.miners * p.per_miner {
        let keys = KeyPair::derive(seed, "patient", number as u64);
        let miner = 1 + number / p.per_miner;
        nodes.push(Node::Patient(Box::new(Patient::new(
            keys,
            miner,
            p.record_size,
            interval,
            scenario.blocks,
        ))));
    }
    nodes
}

/// Runs `scenario` with `seed`, keeping log lines up to `log_level`.
pub fn run(scenario: &Scenario, seed: u64, log_level: Option<Level>) -> Outcome {
    let params = scenario.protocol.clone();
    let codec = Codec::new(params.k, params.m).expect("scenario was checked");
    let mut world = World::new(params, codec);
    let mut engine = Engine::new(build(scenario, seed), seed, scenario.network.clone());
    engine.keep_log(log_level);
    let end = engine.run(&mut world, Time::from_secs_f64(scenario.duration));
    let miners: Vec<MinerOutcome> = engine
        .actors()
        .iter()
        .filter_map(Node::as_miner)
        .map(|miner| MinerOutcome {
            number: miner.number,
            behaviour: miner.behaviour(),
            blocks: miner.blocks().to_vec(),
            stats: miner.stats,
            finished: miner.is_done(),
            stalled_with: miner.stalled_draft(),
            unplaced_chunks: miner.unplaced_chunks(),
        })
        .collect();
    let summary = Summary::of(&world.params, &world.codec, &miners, &mut world.verifier);
    let digest = digest(engine.journal_digest(), &miners);
    Outcome {
        scenario: scenario.name.clone(),
        seed,
        end,
        end_time: engine.now(),
        engine: engine.stats(),
        verify: world.verifier.stats,
        signatures: world.signatures,
        miners,
        log: engine.log().to_vec(),
        summary,
        digest,
    }
}

fn digest(journal: Hash, miners: &[MinerOutcome]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update(journal.0);
    for miner in miners {
        for block in &miner.blocks {
            hasher.update(block.header.hash().0);
            hasher.update((block.foreign.len() as u64).to_le_bytes());
        }
    }
    Hash(hasher.finalize().into())
}
