//! One run: build a network from a scenario and a seed, run it, and collect what happened.
//!
//! Actors are numbered by [`Roster`] (the exchange, the miners, then their patients); miner
//! `i` logs as "Miner i". Keys are derived from the seed, so the whole run, and its digest,
//! follows from the scenario and the seed.

use crate::actors::identities::{
    miner_reading_keys, patient_keys, patient_signing_key, researcher_keys,
};
use crate::actors::key_recovery::Recovery;
use crate::actors::patient::{Chart, Content, Succession};
use crate::actors::workload::{Party, RecordsModel};
use crate::actors::Thief;
use crate::actors::{
    Behaviour, Exchange, Hostile, Miner, Msg, Node, Observation, Patient, Roster, World,
};
use crate::chaos::Drawn;
use crate::heal::HealPlan;
use crate::invariants::{self, Invariant, Liveness, Verdict, Violation};
use crate::protocol::envelope::ReaderKeys;
use crate::protocol::key_shares::PatientSecrets;
use crate::protocol::keys::VerifyStats;
use crate::protocol::{Codec, Hash, KeyPair};
use crate::records_report::RecordsReport;
use crate::scenario::Scenario;
use crate::sim::churn::{healed, Change};
use crate::sim::{
    stream, Engine, EngineStats, EventKind, EventRecord, Level, LogLine, NetworkModel, Observer,
    Presence, RunEnd, Time, View,
};
use crate::summary::{MinerOutcome, Summary};
use sha2::{Digest, Sha256};

/// Everything a run produced.
pub struct Outcome {
    pub scenario: String,
    pub seed: u64,
    pub end: RunEnd,
    pub end_time: Time,
    pub engine: EngineStats,
    /// Signature checks the miners made.
    pub verify: VerifyStats,
    /// Signature checks the invariants and the summary made.
    pub checks_verify: VerifyStats,
    pub signatures: u64,
    pub miners: Vec<MinerOutcome>,
    pub log: Vec<LogLine>,
    pub summary: Summary,
    /// SHA-256 over the event journal and every branch's headers.
    pub digest: Hash,
    /// The first invariant the run broke, if any.
    pub violation: Option<Violation>,
    /// The fault settings the seed drew in chaos mode (empty otherwise).
    pub chaos: Drawn,
    /// When the faults stopped and the network had to converge by, if the run healed.
    pub heal: Option<HealPlan>,
    /// How long after the heal the network converged (`None`: it did not, or no heal).
    pub converged_after: Option<Time>,
    /// What the liveness check last found, if the run healed.
    pub liveness: Option<Verdict>,
    /// What became of patients' entries (FHIR records only).
    pub records: Option<RecordsReport>,
}

fn miners_of(engine: &Engine<Node>) -> Vec<(Presence, &Miner)> {
    let nodes = engine.actors().iter().enumerate();
    nodes
        .filter_map(|(actor, node)| node.as_miner().map(|miner| (engine.presence(actor), miner)))
        .collect()
}

/// Every miner's behaviour, in miner order.
fn behaviours_of(engine: &Engine<Node>) -> Vec<Behaviour> {
    engine.actors().iter().filter_map(Node::behaviour).collect()
}

/// The miners' behaviours: the highest-numbered are the adversaries.
fn behaviours(scenario: &Scenario) -> Vec<Behaviour> {
    let hostile = scenario.adversaries.kinds();
    let honest = scenario.total_miners() - hostile.len();
    let mut all = vec![Behaviour::Honest; honest];
    all.extend(hostile);
    all
}

/// When each actor starts: the exchange at `exchange_starts`, each miner and its patients
/// when it joins, the thief when it has the key.
fn starts(scenario: &Scenario) -> Vec<Time> {
    let miners = scenario.miner_starts();
    let per_miner = scenario.patients.per_miner;
    let patients = miners
        .iter()
        .flat_map(|&at| std::iter::repeat_n(at, per_miner));
    let thief = scenario
        .key_theft
        .as_ref()
        .map(|theft| Time::from_secs_f64(theft.stolen_at));
    std::iter::once(Time::from_secs_f64(scenario.exchange_starts))
        .chain(miners.iter().copied())
        .chain(patients)
        .chain(thief)
        .collect()
}

fn build(scenario: &Scenario, seed: u64) -> Vec<Node> {
    let roster = scenario.roster();
    let mut nodes = vec![Node::Exchange(Exchange::default())];
    for (number, behaviour) in behaviours(scenario).into_iter().enumerate() {
        let keys = KeyPair::derive(seed, "miner", number as u64);
        let config = scenario.config_of_miner(seed, number);
        let miner = Miner::new(number, keys, Roster::EXCHANGE, config);
        nodes.push(match behaviour {
            Behaviour::Honest => Node::Miner(Box::new(miner)),
            kind => Node::Hostile(Box::new(Hostile::new(
                miner,
                kind,
                &scenario.adversaries,
                &roster,
                scenario.patients.record_size,
            ))),
        });
    }
    let p = &scenario.patients;
    let interval = Time::from_secs_f64(p.interval);
    let model = scenario.records_model();
    for number in 0..roster.patients() {
        let keys = patient_signing_key(seed, number);
        let miner = roster.miner_of_patient(number);
        let content = match &model {
            None => Content::Opaque {
                size: p.record_size,
            },
            Some(model) => Content::Fhir(Box::new(chart(scenario, model, seed, number))),
        };
        nodes.push(Node::Patient(Box::new(Patient::new(
            keys,
            miner,
            content,
            interval,
            scenario.blocks,
        ))));
    }
    if let (Some(theft), Some(model)) = (&scenario.key_theft, model) {
        let stolen = patient_signing_key(seed, theft.patient);
        let miners = (0..roster.miners).map(|n| roster.miner(n)).collect();
        nodes.push(Node::Thief(Box::new(Thief::new(
            theft, stolen, miners, model,
        ))));
    }
    nodes
}

/// What patient `number` writing FHIR entries starts with: its reading key, whom it seals
/// for, and the theft it will notice, if the scenario stages one against it.
fn chart(scenario: &Scenario, model: &RecordsModel, seed: u64, number: usize) -> Chart {
    let stolen = scenario
        .key_theft
        .as_ref()
        .is_some_and(|theft| theft.patient == number);
    let (reading, mut signing) = patient_keys(seed, number, stolen);
    let roster = scenario.roster();
    let own = number / roster.per_miner;
    let mut readers = vec![reading.public()];
    for party in &model.readers {
        let keys = match party {
            Party::OwnMiner => miner_reading_keys(seed, own),
            Party::SecondHospital => miner_reading_keys(seed, (own + 1) % roster.miners),
            Party::Researcher => researcher_keys(seed),
        };
        readers.push(keys.public());
    }
    let succession = scenario.key_theft.as_ref().and_then(|theft| {
        let keys = signing.pop().filter(|_| signing.len() == 1)?;
        Some(Succession {
            at: Time::from_secs_f64(theft.noticed_at),
            keys,
        })
    });
    let recovery = recovery(scenario, seed, number, &reading);
    Chart {
        model: model.clone(),
        number,
        reading,
        readers,
        prev: None,
        succession,
        sealing: stream(seed, "patient/seal", number as u64),
        recovery,
        retired: Vec::new(),
    }
}

/// The split of patient `number`'s keys among its own miner and the miners after it, if
/// the scenario stages a recovery for it.
fn recovery(
    scenario: &Scenario,
    seed: u64,
    number: usize,
    reading: &ReaderKeys,
) -> Option<Recovery> {
    let plan = scenario
        .key_recovery
        .as_ref()
        .filter(|r| r.patient == number)?;
    let roster = scenario.roster();
    let own = number / roster.per_miner;
    let holders = (0..plan.holders as usize)
        .map(|i| {
            let miner = (own + i) % scenario.miners;
            (
                roster.miner(miner),
                miner_reading_keys(seed, miner).public(),
            )
        })
        .collect();
    let secrets = PatientSecrets {
        signing: patient_signing_key(seed, number),
        reading: reading.clone(),
    };
    let lost_at = Time::from_secs_f64(plan.lost_at);
    let rng = &mut stream(seed, "patient/shares", number as u64);
    Some(Recovery::deal(
        &secrets,
        plan.threshold,
        holders,
        lost_at,
        rng,
    ))
}

/// Runs `scenario` with `seed`, keeping log lines up to `log_level`.
pub fn run(scenario: &Scenario, seed: u64, log_level: Option<Level>) -> Outcome {
    let hooks = Hooks {
        log_level,
        ..Hooks::default()
    };
    run_with(scenario, seed, hooks)
}

/// The actors of a run with `seed`, in engine order, before they start (for trace names).
pub fn actors(scenario: &Scenario, seed: u64) -> Vec<Node> {
    build(scenario, seed)
}

/// The miners as a sample sees them: whether each is running, and its state.
pub type Sample<'a> = [(Presence, &'a Miner)];

/// Called at each sample time with the miners.
pub type Sampler<'s> = &'s mut dyn FnMut(Time, &Sample);

/// Called after every event with what its handler observed.
pub type Watcher<'s> = Box<dyn FnMut(&EventRecord, &[Observation]) + 's>;

/// What a caller may attach to a run. Only `invariants` can change the outcome, by
/// stopping a run that breaks one; the others only watch.
#[derive(Default)]
pub struct Hooks<'s> {
    /// Keep actors' log lines up to this level.
    pub log_level: Option<Level>,
    /// Shown every event, and the message it delivers, before dispatch (traces).
    pub observer: Option<Observer<Msg>>,
    /// Shown the miners every so often of virtual time (the durability experiment).
    pub sampler: Option<(Time, Sampler<'s>)>,
    /// Checked after every event, besides [`invariants::during_run`].
    pub invariants: Vec<Box<dyn Invariant>>,
    /// Shown every event after dispatch with the observations its handler reported.
    pub watcher: Option<Watcher<'s>>,
}

/// The engine and shared state of a run of `scenario` (as chaos mode drew it) with `seed`,
/// churn scheduled up to `until`, before any event.
fn set_up(scenario: &Scenario, seed: u64, until: Time) -> (Engine<Node>, World) {
    let params = scenario.protocol.clone();
    let codec = Codec::new(params.k, params.m).expect("scenario was checked");
    let mut world = World::new(params, codec, seed);
    let roster = scenario.roster();
    if world.params.certified_patients {
        world.certified = (0..roster.patients())
            .map(|number| patient_signing_key(seed, number).public())
            .collect();
    }
    let network = NetworkModel {
        sites: roster.sites(),
        ..scenario.network.clone()
    };
    let mut engine = Engine::with_starts(build(scenario, seed), &starts(scenario), seed, network);
    if let Some(operator) = &scenario.adversaries.operator {
        let first = scenario.total_miners() - scenario.adversaries.total();
        for number in first..scenario.total_miners() {
            engine.schedule_down(roster.miner(number), operator.fails_at, true);
        }
    }
    if let Some(churn) = &scenario.churn {
        let joined = scenario.miner_starts();
        let mut events = churn.schedule(&joined, until, &mut stream(seed, "churn", 0));
        if let Some(heal) = scenario.network.heal {
            events = healed(events, heal);
        }
        for event in events {
            let actor = roster.miner(event.member);
            match event.change {
                Change::Down => engine.schedule_down(actor, event.at, false),
                Change::Leave => engine.schedule_down(actor, event.at, true),
                Change::Up { wiped } => engine.schedule_up(actor, event.at, wiped),
            }
        }
    }
    (engine, world)
}

/// The nodes (in actor order) and shared state of a run of `scenario` with `seed`, stopped
/// before the first event past `until`: a network in a realistic state, for tests that go
/// on handing one node one message at a time.
pub fn network_at(scenario: &Scenario, seed: u64, until: Time) -> (Vec<Node>, World) {
    let (drawn_scenario, _) = scenario.with_chaos(seed);
    let (mut engine, mut world) = set_up(&drawn_scenario, seed, until);
    engine.run(&mut world, until);
    (engine.into_actors(), world)
}

/// [`run`], with hooks.
pub fn run_with(scenario: &Scenario, seed: u64, hooks: Hooks) -> Outcome {
    let (drawn_scenario, drawn) = scenario.with_chaos(seed);
    let scenario = &drawn_scenario;
    let until = Time::from_secs_f64(scenario.duration);
    let (mut engine, mut world) = set_up(scenario, seed, until);
    engine.keep_log(hooks.log_level);
    if let Some(observer) = hooks.observer {
        engine.observe_messages(observer);
    }
    let mut checks = invariants::during_run();
    checks.extend(hooks.invariants);
    let heal = scenario.heal_plan(seed);
    let mut liveness = heal.map(|plan| Liveness::new(plan, &scenario.protocol));
    let mut broken = "";
    let mut watcher = hooks.watcher;
    // Signature checks made by the invariants and the summary, counted apart from the
    // miners' own (they share one cache, so what one computed the other finds there).
    let mut checked = VerifyStats::default();
    let mut check =
        |event: &EventRecord, seen: &[Observation], run: &View<Node>, world: &mut World| {
            if let Some(watch) = &mut watcher {
                watch(event, seen);
            }
            let before = world.verifier.stats;
            let during = checks.iter_mut().map(|check| check.as_mut());
            let result = during
                .chain(liveness.as_mut().map(|l| l as &mut dyn Invariant))
                .try_for_each(|invariant| {
                    broken = invariant.rule();
                    invariant.check(event, seen, run, world)
                });
            checked.add(world.verifier.stats.since(before));
            result
        };
    if let Some((every, sample)) = hooks.sampler {
        let mut at = every;
        while at < until && every > Time::ZERO {
            if engine.run_checked(&mut world, at, &mut check) == RunEnd::Stopped {
                break;
            }
            sample(at, &miners_of(&engine));
            at = at + every;
        }
    }
    let end = engine.run_checked(&mut world, until, &mut check);
    let miners: Vec<MinerOutcome> = miners_of(&engine)
        .into_iter()
        .zip(behaviours_of(&engine))
        .map(|((presence, miner), behaviour)| MinerOutcome {
            number: miner.number,
            behaviour,
            blocks: miner.blocks().to_vec(),
            stats: miner.stats,
            finished: miner.is_done(),
            stalled_with: miner.stalled_draft(),
            unplaced_chunks: miner.unplaced_chunks(),
            waiting: miner.waiting_records().to_vec(),
            presence,
            retired: miner.retired().to_vec(),
        })
        .collect();
    let before = world.verifier.stats;
    let summary = Summary::of(&world.params, &world.codec, &miners, &mut world.verifier);
    let digest = digest(engine.journal_digest(), &miners);
    let ended = liveness
        .as_mut()
        .and_then(|check| check.finish(&engine.view(), engine.now()).err());
    let violation = match engine.stopped() {
        Some(stop) => Some(Violation {
            time: stop.record.time,
            event: Some(stop.record),
            rule: match stop.record.kind {
                EventKind::Deliver { sent, .. } if sent > stop.record.time => {
                    "no message is delivered before it was sent"
                }
                _ => broken,
            },
            detail: stop.reason.clone(),
        }),
        None => invariants::check(
            &world.params,
            &miners,
            &summary,
            engine.now(),
            &mut world.verifier,
        )
        .or(ended.map(|detail| Violation {
            time: engine.now(),
            event: None,
            rule: Liveness::RULE,
            detail,
        })),
    };
    checked.add(world.verifier.stats.since(before));
    Outcome {
        scenario: scenario.name.clone(),
        seed,
        end,
        end_time: engine.now(),
        engine: engine.stats(),
        verify: world.verifier.stats.since(checked),
        checks_verify: checked,
        signatures: world.signatures,
        miners,
        log: engine.log().to_vec(),
        summary,
        digest,
        violation,
        chaos: drawn,
        heal,
        converged_after: liveness.as_ref().and_then(Liveness::converged_after),
        liveness: liveness.as_ref().and_then(|check| check.verdict().cloned()),
        records: scenario
            .records_model()
            .map(|_| RecordsReport::of(engine.actors(), &scenario.roster())),
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
