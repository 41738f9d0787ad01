//! Key recovery in a whole network (`scenarios/key-recovery.toml`): patient 0 splits its
//! keys 3-of-5 among miners, loses them at 100 s, gets them back from the holders, and
//! every entry it was to write is stored, the ones after the loss signed with the
//! recovered key; with more shares needed than holders that can answer, it stays locked out.

use medilanac::actors::identities::patient_signing_key;
use medilanac::actors::Observation;
use medilanac::scenario::Scenario;
use medilanac::sim::Time;
use medilanac::simulation::{run_with, Hooks};
use std::collections::BTreeSet;

fn key_recovery(edit: impl FnOnce(&mut Scenario)) -> Scenario {
    crate::shipped("key-recovery.toml", |s| {
        s.duration = 900.0;
        edit(s);
    })
}

/// The outcome's recovery report, and the sequences stored under patient `number`'s key.
fn run_patient(
    scenario: &Scenario,
    number: usize,
) -> (
    medilanac::actors::key_recovery::RecoveryReport,
    BTreeSet<u64>,
) {
    let key = patient_signing_key(scenario.seed, number).public();
    let mut stored = BTreeSet::new();
    let outcome = {
        let watch = |_: &medilanac::sim::EventRecord, seen: &[Observation]| {
            for observation in seen {
                if let Observation::RecordStored { patient, sequence } = observation {
                    if *patient == key {
                        stored.insert(*sequence);
                    }
                }
            }
        };
        let hooks = Hooks {
            watcher: Some(Box::new(watch)),
            ..Hooks::default()
        };
        run_with(scenario, scenario.seed, hooks)
    };
    let report = outcome
        .records
        .and_then(|r| r.recovery)
        .expect("a recovery is reported");
    (report, stored)
}

#[test]
fn a_patient_who_lost_its_keys_recovers_them_from_its_holders_and_writes_on() {
    let scenario = key_recovery(|_| {});
    let (report, stored) = run_patient(&scenario, 0);
    assert_eq!(report.kept, 5, "{report:?}");
    let at = report.recovered_at.expect("recovered");
    assert!(
        at > report.lost_at && at < report.lost_at + Time::from_secs_f64(10.0),
        "{report:?}"
    );
    assert!(report.returned >= 3, "{report:?}");
    // Every entry stored, under the original key: the recovered key is the patient's own.
    let all: BTreeSet<u64> = (0..scenario.blocks).collect();
    assert_eq!(stored, all);
}

/// Shares needed beyond what the holders can give: every share needed, and the last
/// holder down for good before the loss (an adversary whose operator fails at 15 s), so
/// the patient cannot recover and writes nothing more.
#[test]
fn with_one_holder_gone_and_every_share_needed_the_patient_stays_locked_out() {
    let scenario = key_recovery(|s| {
        s.adversaries.duplicators = 1; // miner 9, the highest number
        s.adversaries.operator = Some(medilanac::actors::adversary::Operator {
            fails_at: Time::from_secs_f64(15.0),
        });
        let plan = s.key_recovery.as_mut().expect("a recovery");
        plan.patient = 20; // miner 5's first patient: holders are miners 5 to 9
        plan.threshold = 5;
        plan.lost_at = 20.0;
    });
    let (report, _) = run_patient(&scenario, 20);
    assert_eq!(
        report.kept, 5,
        "every holder took its share before the failure: {report:?}"
    );
    assert_eq!(report.recovered_at, None, "{report:?}");
    assert_eq!(report.returned, 4, "{report:?}");
}
