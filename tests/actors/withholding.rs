//! Withholding at the receiver (rule 11, `miner.missed_challenges`): a peer that answers
//! its headers but never the challenges that follow is blacklisted once it has done so in
//! `missed_challenges` validations in a row, and never for mere silence.

use crate::support_defences::{
    blacklisted, challenges, validated, validation, wait_for_next_validation, Answers,
};
use crate::switchboard::{Emitted, Switchboard};
use medilanac::actors::message::Refusal;
use medilanac::actors::{Breach, Msg};
use medilanac::scenario::Scenario;
use medilanac::sim::ActorId;

const PEER: ActorId = 1;

/// Validations of `PEER` by the subject of a fresh board, one after another with the clock
/// moved on between them; returns what the subject emitted in each.
fn validations(edit: impl FnOnce(&mut Scenario), rounds: &[Answers]) -> Vec<Emitted> {
    let mut board = Switchboard::new(edit);
    let mut all = Vec::new();
    for (round, &answers) in rounds.iter().enumerate() {
        if round > 0 {
            wait_for_next_validation(&mut board);
        }
        let emitted = validation(&mut board, PEER, answers);
        assert_eq!(
            validated(&emitted, PEER),
            answers == Answers::All,
            "round {round}: {emitted:?}"
        );
        all.push(emitted);
    }
    all
}

/// What the subject blacklisted in each validation.
fn caught(validations: &[Emitted]) -> Vec<Vec<(ActorId, Breach)>> {
    validations.iter().map(blacklisted).collect()
}

/// Guards the count in `Miner::challenge_missed` (src/actors/miner/validation.rs,
/// `known.missed += 1` and `missed < limit`), and the `drop_peer` after a miss in
/// `Miner::request_timed_out` (src/actors/miner/mod.rs) that makes a validation with
/// three challenges left unanswered count one miss, not three: the peer is blacklisted
/// at the third such validation, not the first.
#[test]
fn a_peer_answering_headers_but_never_challenges_is_blacklisted_at_the_third_validation() {
    let rounds = validations(|_| {}, &[Answers::HeadersOnly; 3]);
    assert!(
        challenges(&rounds[0], PEER) >= 3 * 2,
        "two files and a foreign chunk, each sent again at least once: {:?}",
        rounds[0]
    );
    let caught = caught(&rounds);
    assert_eq!(
        caught,
        vec![vec![], vec![], vec![(PEER, Breach::Withheld { missed: 3 })]]
    );
    assert_eq!(caught[2][0].1.rule(), 11);
}

/// Guards `known.missed = 0` in `Miner::trust` (src/actors/miner/validation.rs): a
/// validation passed between misses starts the count again, so two misses, a pass and two
/// more misses blacklist nobody, and only a third miss after the pass does.
#[test]
fn a_validation_passed_between_missed_challenges_starts_the_count_again() {
    use Answers::{All, HeadersOnly};
    let rounds = [
        HeadersOnly,
        HeadersOnly,
        All,
        HeadersOnly,
        HeadersOnly,
        HeadersOnly,
    ];
    let caught = caught(&validations(|_| {}, &rounds));
    let mut expected = vec![vec![]; 5];
    expected.push(vec![(PEER, Breach::Withheld { missed: 3 })]);
    assert_eq!(caught, expected);
}

/// Guards the `limit == 0` arm of `Miner::challenge_missed`
/// (src/actors/miner/validation.rs): with `missed_challenges = 0` a peer that never
/// answers a challenge is left to rest each time, never blacklisted.
#[test]
fn with_missed_challenges_zero_a_withholding_peer_is_never_blacklisted() {
    let rounds = [Answers::HeadersOnly; 5];
    let caught = caught(&validations(|s| s.miner.missed_challenges = 0, &rounds));
    assert!(caught.iter().all(Vec::is_empty), "{caught:?}");
}

/// The limit is the setting, not a constant: with `missed_challenges = 1` the first
/// validation with a challenge left unanswered blacklists.
#[test]
fn with_missed_challenges_one_the_first_withheld_validation_blacklists() {
    let caught = caught(&validations(
        |s| s.miner.missed_challenges = 1,
        &[Answers::HeadersOnly],
    ));
    assert_eq!(caught, vec![vec![(PEER, Breach::Withheld { missed: 1 })]]);
}

/// Guards the `Purpose::Headers | Purpose::Chunk => {}` arm of
/// `Miner::request_timed_out` (src/actors/miner/mod.rs): a peer that answers nothing at
/// all, not even its headers, is down or cut off, not withholding, and is only left to
/// rest however often that happens.
#[test]
fn a_peer_that_answers_nothing_not_even_its_headers_is_never_taken_for_a_withholder() {
    let caught = caught(&validations(|_| {}, &[Answers::None; 5]));
    assert!(caught.iter().all(Vec::is_empty), "{caught:?}");
}

/// The refusal the subject gives `PEER` when it asks for a chunk now, if any.
fn refusal(board: &mut Switchboard) -> Option<Refusal> {
    let (subject, branch) = (board.subject, board.branch(PEER));
    let emitted = board.deliver(PEER, subject, Msg::WantChunk { request: 7, branch });
    let to_peer = crate::switchboard::sent(&emitted, subject, PEER);
    match to_peer.as_slice() {
        [Msg::Offer {
            chunk: Err(refusal),
            ..
        }] => Some(*refusal),
        _ => None,
    }
}

/// When the suspension of `PEER` in force ends, if one is.
fn suspended_until(board: &mut Switchboard) -> Option<medilanac::sim::Time> {
    match refusal(board) {
        Some(Refusal::Suspended { until }) => Some(until),
        _ => None,
    }
}

/// Silence may be the network's doing (loss, a partition), so with `miner.suspension` set
/// a withholder is suspended, not barred for good: refused and not validated until the
/// suspension ends, then validated afresh. Answering, it is trusted again and the count starts over; withholding
/// again, it is suspended at once for twice as long. An honest miner that loss made look
/// like a withholder once got barred by its peers for good and never finished its blocks.
#[test]
fn a_withholder_is_suspended_then_validated_afresh_and_a_repeat_doubles_the_suspension() {
    use medilanac::sim::Time;
    let suspension = Time::from_secs(300);
    for answers_after in [Answers::All, Answers::HeadersOnly] {
        let mut board = Switchboard::new(|s| s.miner.suspension = suspension);
        for round in 0..3 {
            if round > 0 {
                wait_for_next_validation(&mut board);
            }
            validation(&mut board, PEER, Answers::HeadersOnly);
        }
        let caught_at = board.now;
        let until = suspended_until(&mut board).expect("suspended");
        assert_eq!(until, caught_at + suspension);
        board.now = until - Time::from_secs(1);
        assert_eq!(suspended_until(&mut board), Some(until), "still suspended");
        board.now = until;
        let again = validation(&mut board, PEER, answers_after);
        match answers_after {
            Answers::All => {
                assert!(validated(&again, PEER));
                assert_eq!(suspended_until(&mut board), None);
            }
            _ => {
                let caught = blacklisted(&again);
                assert_eq!(caught, vec![(PEER, Breach::Withheld { missed: 4 })]);
                let doubled = suspended_until(&mut board).expect("suspended again");
                assert_eq!(doubled, board.now + suspension.times(2));
            }
        }
    }
    // By default (0) it is barred for good, as the dissertation's blacklist does.
    let mut board = Switchboard::new(|_| {});
    for round in 0..3 {
        if round > 0 {
            wait_for_next_validation(&mut board);
        }
        validation(&mut board, PEER, Answers::HeadersOnly);
    }
    assert_eq!(refusal(&mut board), Some(Refusal::Blacklisted));
}
