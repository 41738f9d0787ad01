//! Rule 14 at the auditor: a holder that cannot serve a chunk it embedded is lost, and its
//! chunks are placed again.

use crate::switchboard::{observations, sent, Switchboard};
use medilanac::actors::{MinerTimer, Msg, Observation};
use medilanac::scenario::Scenario;
use medilanac::sim::Time;

/// Repair every 100 s; the run stops between two rounds, so no audit is open.
fn audited(scenario: &mut Scenario) {
    scenario.miner.repair_period = Time::from_secs_f64(100.0);
    scenario.duration = 1_050.0;
}

#[test]
fn an_audit_answered_without_the_chunk_marks_the_holder_lost_and_frees_its_chunks() {
    let mut board = Switchboard::new(audited);
    let auditor = 1;
    let round = board.fire(auditor, MinerTimer::Repair);
    let started = observations(&round).into_iter().find_map(|o| match o {
        Observation::RepairStarted { audits, .. } => Some(*audits),
        _ => None,
    });
    assert!(started.is_some_and(|audits| audits > 0), "{round:?}");
    let (holder, request) = board
        .peers()
        .into_iter()
        .find_map(|peer| {
            sent(&round, auditor, peer)
                .into_iter()
                .find_map(|m| match m {
                    Msg::GetForeignChunk { request, .. } => Some((peer, *request)),
                    _ => None,
                })
        })
        .expect("some holder is audited");
    let branch = board.branch(holder);
    let empty = Msg::ForeignChunk {
        request,
        branch,
        answer: None,
    };
    let emitted = board.deliver(holder, auditor, empty);
    let lost = observations(&emitted).into_iter().find_map(|o| match o {
        Observation::HolderLost { holder, freed } => Some((*holder, *freed)),
        _ => None,
    });
    let (lost, freed) = lost.expect("the holder is lost");
    assert_eq!(lost, branch);
    assert!(
        freed > 0,
        "with the default threshold, lost chunks are placed again"
    );
}

#[test]
fn an_audit_answered_with_the_right_chunk_loses_nothing() {
    let mut board = Switchboard::new(audited);
    let auditor = 1;
    let round = board.fire(auditor, MinerTimer::Repair);
    let emitted = board.settle(round, |_, _, _| {});
    let lost = observations(&emitted)
        .into_iter()
        .any(|o| matches!(o, Observation::HolderLost { .. }));
    assert!(!lost);
}

/// Guards the Merkle check in `Miner::on_audit` (src/actors/miner/repair.rs): at the first
/// audit of a placement, the holder serves our chunk byte for byte but with a proof that
/// does not put it where it said (its placement notice was false), so it is blacklisted as
/// well as lost. (Repair is on but no round came yet, so no placement was proved before.)
#[test]
fn an_audit_answered_with_the_right_chunk_and_a_wrong_proof_blacklists_the_holder() {
    use medilanac::actors::Breach;
    use medilanac::protocol::Hash;
    use std::sync::Arc;
    let mut board = Switchboard::new(|scenario| {
        scenario.miner.repair_period = Time::from_secs_f64(5_000.0);
        scenario.duration = 1_050.0;
    });
    let auditor = 1;
    let round = board.fire(auditor, MinerTimer::Repair);
    let emitted = board.settle(round, |_, to, msg| {
        if let (
            1,
            Msg::ForeignChunk {
                answer: Some(answer),
                ..
            },
        ) = (to, msg)
        {
            let (_, proof) = Arc::make_mut(answer);
            match proof.siblings.first_mut() {
                Some(sibling) => *sibling = Hash(sibling.0.map(|b| b ^ 1)),
                None => proof.index ^= 1,
            }
        }
    });
    let seen = observations(&emitted);
    let blacklisted = seen.iter().filter(|o| {
        matches!(
            o,
            Observation::PeerBlacklisted {
                breach: Breach::BadForeignChunk { .. },
                ..
            }
        )
    });
    assert!(blacklisted.count() > 0, "a false placement went unnoticed");
    assert!(seen
        .iter()
        .any(|o| matches!(o, Observation::HolderLost { .. })));
}
