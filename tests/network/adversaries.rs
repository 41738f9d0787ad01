//! Each adversary kind in a whole network: the defence that catches it (the breach every
//! honest miner records), what happens to the honest miners, and the quiet end of the run.

use super::scenario;
use medilanac::actors::adversary::{fabricated_record, Corrupts, Operator};
use medilanac::actors::{Behaviour, Breach, Observation};
use medilanac::protocol::{BlockError, ChunkError, ChunkId};
use medilanac::scenario::Scenario;
use medilanac::sim::{ActorId, Presence, RunEnd, Time};
use medilanac::simulation::{run, run_with, Hooks, Outcome};
use std::collections::{BTreeMap, BTreeSet};

const SEED: u64 = 7;

/// One blacklisting: who, whom, why.
struct Caught {
    by: ActorId,
    peer: ActorId,
    breach: Breach,
}

/// Nine miners, four blocks, peers validated again every 5 s so that every adversary is
/// challenged on data blocks; the last miner is the adversary `edit` makes.
fn network(edit: impl FnOnce(&mut Scenario)) -> Scenario {
    scenario(|s| {
        s.miners = 9;
        s.blocks = 4;
        s.miner.trust_period = Time::from_secs(5);
        edit(s);
    })
}

fn run_watched(scenario: &Scenario) -> (Outcome, Vec<Caught>) {
    let mut caught = Vec::new();
    let outcome = {
        let watch = |event: &medilanac::sim::EventRecord, seen: &[Observation]| {
            for observation in seen {
                if let Observation::PeerBlacklisted { peer, breach, .. } = observation {
                    caught.push(Caught {
                        by: event.actor,
                        peer: *peer,
                        breach: breach.clone(),
                    });
                }
            }
        };
        let hooks = Hooks {
            watcher: Some(Box::new(watch)),
            ..Hooks::default()
        };
        run_with(scenario, SEED, hooks)
    };
    (outcome, caught)
}

fn honest_actors(scenario: &Scenario, outcome: &Outcome) -> BTreeSet<ActorId> {
    let roster = scenario.roster();
    let honest = outcome
        .miners
        .iter()
        .filter(|m| m.behaviour == Behaviour::Honest);
    honest.map(|m| roster.miner(m.number)).collect()
}

/// Every honest miner added all its blocks and the run went quiet.
fn honest_done_and_quiet(outcome: &Outcome) {
    let honest = outcome
        .miners
        .iter()
        .filter(|m| m.behaviour == Behaviour::Honest);
    assert!(
        honest.clone().all(|m| m.finished),
        "an honest miner did not finish"
    );
    assert_eq!(outcome.end, RunEnd::Quiet, "ended at {}", outcome.end_time);
}

/// Runs `scenario`, whose last miner is an adversary, and checks that no honest miner was
/// blacklisted. Returns the breach each honest miner blacklisted the adversary for (none:
/// not caught).
fn breaches(scenario: &Scenario) -> (Outcome, BTreeMap<ActorId, Breach>) {
    let (outcome, caught) = run_watched(scenario);
    let honest = honest_actors(scenario, &outcome);
    let adversary = scenario.roster().miner(scenario.miners - 1);
    let framed: Vec<&Caught> = caught.iter().filter(|c| honest.contains(&c.peer)).collect();
    assert!(
        framed.is_empty(),
        "honest miners blacklisted: {:?}",
        framed
            .iter()
            .map(|c| (c.by, c.peer, c.breach.clone()))
            .collect::<Vec<_>>()
    );
    let by_honest = caught
        .into_iter()
        .filter(|c| c.peer == adversary && honest.contains(&c.by));
    (outcome, by_honest.map(|c| (c.by, c.breach)).collect())
}

/// Every honest miner caught the adversary, each for a breach `expected` accepts; the honest
/// miners then finished and the run went quiet.
fn all_caught(scenario: &Scenario, expected: impl Fn(&Breach) -> bool) -> Outcome {
    let (outcome, breaches) = breaches(scenario);
    honest_done_and_quiet(&outcome);
    assert_eq!(
        breaches.len(),
        scenario.miners - 1,
        "caught by {:?}",
        breaches
    );
    if let Some(other) = breaches.values().find(|b| !expected(b)) {
        panic!("caught for something else: {other}");
    }
    outcome
}

/// Nobody caught the adversary.
fn nobody_caught(scenario: &Scenario) -> Outcome {
    let (outcome, breaches) = breaches(scenario);
    assert!(breaches.is_empty(), "caught: {breaches:?}");
    outcome
}

#[test]
fn an_honest_network_blacklists_nobody() {
    let (outcome, caught) = run_watched(&network(|_| {}));
    assert!(caught.is_empty());
    assert_eq!(outcome.end, RunEnd::Quiet);
}

#[test]
fn a_free_rider_that_drops_its_foreign_data_fails_a_foreign_chunk_challenge() {
    let outcome = all_caught(&network(|s| s.adversaries.free_riders = 1), |b| {
        matches!(b, Breach::BadForeignChunk { .. })
    });
    let rider = outcome.miners.last().unwrap();
    assert!(rider.blocks.iter().all(|b| b.foreign.is_empty()));
    assert!(rider.blocks.iter().any(|b| b.header.chunk_count > 0));
}

#[test]
fn a_free_rider_that_embeds_too_little_is_convicted_by_its_own_signed_header() {
    let network = network(|s| {
        s.adversaries.free_riders = 1;
        s.adversaries.free_rider.embeds = 0.5;
        s.adversaries.free_rider.keeps_data = true;
    });
    let (outcome, breaches) = breaches(&network);
    honest_done_and_quiet(&outcome);
    assert_eq!(breaches.len(), network.miners - 1);
    let saw_it = |b: &Breach| matches!(b, Breach::Block(invalid) if invalid.error.rule() == 8);
    let told = |b: &Breach| *b == Breach::Convicted { rule: 8 };
    assert!(
        breaches.values().any(saw_it),
        "nobody checked the header itself"
    );
    assert!(breaches.values().all(|b| saw_it(b) || told(b)));
}

#[test]
fn a_silent_withholder_is_blacklisted_after_missed_challenges_and_only_by_that_count() {
    let withholding = |limit| {
        network(move |s| {
            s.adversaries.withholders = 1;
            s.miner.missed_challenges = limit;
        })
    };
    all_caught(&withholding(3), |b| *b == Breach::Withheld { missed: 3 });
    // Without the count nothing else catches it: its headers are fine and it never answers
    // wrongly.
    let (outcome, caught) = run_watched(&withholding(0));
    let adversary = withholding(0).roster().miner(8);
    assert!(caught.iter().all(|c| c.peer != adversary));
    assert!(
        !outcome.miners.last().unwrap().finished,
        "it was trusted anyway"
    );
}

#[test]
fn a_withholder_that_answers_it_has_nothing_fails_the_challenge_at_once() {
    let network = network(|s| {
        s.adversaries.withholders = 1;
        s.adversaries.withholder.silent = false;
    });
    all_caught(&network, |b| {
        matches!(b, Breach::BadFile { .. } | Breach::BadForeignChunk { .. })
    });
}

#[test]
fn a_withholder_spares_the_miners_it_does_not_target() {
    // Long enough for the targets to count three misses, 60 s of rest apart.
    let network = network(|s| {
        s.blocks = 30;
        s.adversaries.withholders = 1;
        s.adversaries.withholder.targets = vec![0, 1];
    });
    let (_, breaches) = breaches(&network);
    let roster = network.roster();
    let by: BTreeSet<ActorId> = breaches.keys().copied().collect();
    assert_eq!(by, BTreeSet::from([roster.miner(0), roster.miner(1)]));
}

fn tampering(corrupts: Corrupts) -> Scenario {
    network(move |s| {
        s.adversaries.tamperers = 1;
        s.adversaries.tamperer.corrupts = corrupts;
    })
}

#[test]
fn a_tamperer_of_files_fails_the_merkle_check_of_a_file_challenge() {
    all_caught(&tampering(Corrupts::File), |b| {
        matches!(b, Breach::BadFile { .. })
    });
}

#[test]
fn a_tamperer_of_chunk_data_is_caught_by_the_chunk_proof() {
    all_caught(&tampering(Corrupts::ChunkData), |b| {
        matches!(
            b,
            Breach::BadOffer(ChunkError::BadPath | ChunkError::BadSignature)
                | Breach::BadForeignChunk { .. }
        )
    });
}

#[test]
fn a_tamperer_of_chunk_signatures_is_caught_by_the_signature_check() {
    all_caught(&tampering(Corrupts::ChunkProof), |b| {
        matches!(
            b,
            Breach::BadOffer(ChunkError::BadSignature) | Breach::BadForeignChunk { .. }
        )
    });
}

#[test]
fn a_tamperer_of_header_signatures_is_caught_by_rule_3() {
    all_caught(
        &tampering(Corrupts::HeaderSignature),
        |b| matches!(b, Breach::Block(invalid) if invalid.error == BlockError::Signature),
    );
}

/// Holders of each chunk of the miner with branch `source`, on the branches of `holders`.
fn holders_per_chunk(outcome: &Outcome, source: usize) -> BTreeMap<ChunkId, usize> {
    let branch = outcome.miners[source].blocks[0].header.branch;
    let mut count = BTreeMap::new();
    let all = outcome.miners.iter().flat_map(|m| m.blocks.iter());
    for chunk in all.flat_map(|b| b.foreign.iter()) {
        if chunk.header.source == branch {
            *count.entry(chunk.id()).or_insert(0) += 1;
        }
    }
    count
}

#[test]
fn a_duplicator_places_chunks_on_several_holders_and_no_receiver_check_notices() {
    let outcome = nobody_caught(&network(|s| s.adversaries.duplicators = 1));
    honest_done_and_quiet(&outcome);
    let copies = holders_per_chunk(&outcome, 8);
    assert!(copies.values().any(|&n| n > 1), "no chunk was placed twice");
    assert!(
        copies.values().all(|&n| n <= 3),
        "more than `copies` holders"
    );
    // An honest miner places each chunk once.
    assert!(holders_per_chunk(&outcome, 0).values().all(|&n| n == 1));
}

#[test]
fn a_generator_passes_every_challenge_unless_records_must_be_certified() {
    let generating = |certified| {
        network(move |s| {
            s.adversaries.generators = 1;
            s.protocol.certified_patients = certified;
        })
    };
    // Its padded blocks take more of the honest miners' chunks than its share, so an
    // honest miner may be left waiting at the end of the run: no quiet end to check here.
    let outcome = nobody_caught(&generating(false));
    // What it stored is what it can regenerate from the seed: it need not keep it.
    let generator = outcome.miners.last().unwrap();
    let fake = fabricated_record(SEED, generator.number, 0, 0).patient;
    let fabricated: Vec<_> = generator
        .blocks
        .iter()
        .flat_map(|b| b.records.iter())
        .filter(|r| r.patient == fake)
        .collect();
    assert!(!fabricated.is_empty());
    for record in fabricated {
        let size = record.payload.len();
        assert_eq!(
            *record,
            fabricated_record(SEED, generator.number, record.sequence, size)
        );
    }
    all_caught(&generating(true), |b| {
        matches!(b, Breach::UncertifiedRecord { .. })
    });
}

#[test]
fn an_equivocator_is_invisible_without_gossip_and_convicted_by_evidence_with_it() {
    let equivocating = |gossip| {
        network(move |s| {
            s.adversaries.equivocators = 1;
            s.miner.gossip_headers = gossip;
        })
    };
    honest_done_and_quiet(&nobody_caught(&equivocating(0)));
    let (outcome, breaches) = breaches(&equivocating(1));
    honest_done_and_quiet(&outcome);
    assert_eq!(breaches.len(), 8);
    let compared = |b: &Breach| matches!(b, Breach::Equivocated { .. });
    assert!(breaches.values().any(compared), "nobody compared histories");
    assert!(breaches
        .values()
        .all(|b| compared(b) || *b == Breach::Convicted { rule: 2 }));
}

#[test]
fn an_operator_failure_takes_every_identity_down_at_once() {
    let network = network(|s| {
        s.adversaries.duplicators = 3;
        s.adversaries.operator = Some(Operator {
            fails_at: Time::from_secs(25),
        });
    });
    let outcome = run(&network, SEED, None);
    let (honest, hostile): (Vec<_>, Vec<_>) = outcome
        .miners
        .iter()
        .partition(|m| m.behaviour == Behaviour::Honest);
    assert!(hostile.iter().all(|m| m.presence == Presence::Gone));
    assert!(honest.iter().all(|m| m.presence == Presence::Running));
}

/// The adversaries of the report, in the default network: blacklisted miners used to
/// ask at the shortest backoff until the cap, so the run never went quiet.
#[test]
fn a_run_with_adversaries_goes_quiet_once_the_honest_miners_are_done() {
    let scenario = |tamperers, free_riders| {
        let mut s = Scenario::parse(medilanac::scenario::DEFAULT).unwrap();
        s.adversaries.tamperers = tamperers;
        s.adversaries.free_riders = free_riders;
        s
    };
    let honest = run(&scenario(0, 0), 1, None);
    let hostile = run(&scenario(1, 1), 1, None);
    assert_eq!(hostile.end, RunEnd::Quiet, "ended at {}", hostile.end_time);
    let honest_done = hostile
        .miners
        .iter()
        .filter(|m| m.behaviour == Behaviour::Honest);
    assert!(honest_done.clone().all(|m| m.finished));
    assert!(
        hostile.engine.messages_sent < 3 * honest.engine.messages_sent,
        "{} messages against {} without adversaries",
        hostile.engine.messages_sent,
        honest.engine.messages_sent
    );
}
