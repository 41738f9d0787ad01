//! Key theft and recovery (rule 17) in a whole network: `scenarios/key-theft.toml`, where
//! a thief forges entries under patient 0's stolen key and the patient terminates its
//! record at `noticed_at`. Once a miner has checked the termination it stores nothing more
//! under that key; every honest miner ends up refusing the thief; and the refusals come from
//! the termination, since without one in time the same thief is never refused.

use medilanac::actors::identities::patient_signing_key;
use medilanac::actors::Observation;
use medilanac::protocol::PublicKey;
use medilanac::scenario::Scenario;
use medilanac::sim::ActorId;
use medilanac::simulation::{run_with, Hooks, Outcome};
use std::collections::BTreeSet;

fn key_theft(edit: impl FnOnce(&mut Scenario)) -> Scenario {
    crate::shipped("key-theft.toml", |s| {
        s.duration = 600.0;
        edit(s);
    })
}

/// Runs `scenario`; returns the outcome and every (miner, sequence) that stored an entry
/// under `stolen` after that miner had learnt of its termination.
fn run_watching(scenario: &Scenario, stolen: PublicKey) -> (Outcome, Vec<(ActorId, u64)>) {
    let mut told: BTreeSet<ActorId> = BTreeSet::new();
    let mut late = Vec::new();
    let outcome = {
        let watch = |event: &medilanac::sim::EventRecord, seen: &[Observation]| {
            for observation in seen {
                match observation {
                    Observation::RecordTerminated { patient } if *patient == stolen => {
                        told.insert(event.actor);
                    }
                    Observation::RecordStored { patient, sequence }
                        if *patient == stolen && told.contains(&event.actor) =>
                    {
                        late.push((event.actor, *sequence));
                    }
                    _ => {}
                }
            }
        };
        let hooks = Hooks {
            watcher: Some(Box::new(watch)),
            ..Hooks::default()
        };
        run_with(scenario, scenario.seed, hooks)
    };
    (outcome, late)
}

#[test]
fn once_a_miner_knows_of_the_termination_it_stores_nothing_more_under_the_stolen_key() {
    let scenario = key_theft(|_| {});
    let stolen = patient_signing_key(scenario.seed, 0).public();
    let (outcome, late) = run_watching(&scenario, stolen);
    assert_eq!(
        late,
        vec![],
        "entries stored under a key the miner knew terminated"
    );
    let records = outcome.records.expect("FHIR records are reported");
    let theft = records.theft.expect("the theft is reported");
    // The attack is real: before the termination, miners took the forgeries.
    assert!(theft.thief.stored > 0, "{theft:?}");
    assert!(theft.thief.refused > 0, "{theft:?}");
    assert_eq!(theft.miners_told, theft.honest_miners, "{theft:?}");
    assert_eq!(theft.honest_refusers, theft.honest_miners, "{theft:?}");
    assert_eq!(
        (records.refused_rule_16, records.refused_rule_17),
        (0, 0),
        "the patient's own entries, its termination among them, were all taken"
    );
    assert!(outcome.violation.is_none(), "{:?}", outcome.violation);
}

/// The metamorphic half: the same run with the patient noticing only after the thief is
/// done refuses none of the forgeries.
#[test]
fn without_a_termination_in_time_the_same_thief_is_never_refused() {
    let scenario = key_theft(|s| {
        s.key_theft.as_mut().expect("a theft").noticed_at = 590.0;
    });
    let stolen = patient_signing_key(scenario.seed, 0).public();
    let (outcome, _) = run_watching(&scenario, stolen);
    let theft = outcome.records.and_then(|r| r.theft).expect("reported");
    assert_eq!(theft.thief.refused, 0, "{theft:?}");
    assert_eq!(theft.thief.stored, theft.thief.forged * 10, "{theft:?}");
}
