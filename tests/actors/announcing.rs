//! A miner the exchange's list leaves out announces itself again: its first announcement
//! may have been lost, or sent before the exchange was up, and without one no peer that
//! starts later can find it.

use crate::switchboard::{sent, Switchboard, EXCHANGE};
use medilanac::actors::Msg;

#[test]
fn a_list_without_the_miner_makes_it_announce_again_and_one_with_it_does_not() {
    let mut board = Switchboard::new(|_| {});
    let subject = board.subject;
    let others: Vec<_> = board
        .peers()
        .into_iter()
        .map(|id| (id, board.branch(id)))
        .collect();
    let emitted = board.deliver(EXCHANGE, subject, Msg::Peers(others.clone()));
    let announced = sent(&emitted, subject, EXCHANGE);
    let branch = board.branch(subject);
    assert!(
        announced
            .iter()
            .any(|msg| matches!(msg, Msg::Announce { branch: b } if *b == branch)),
        "{emitted:?}"
    );
    let emitted = board.introduce_everyone();
    let again = sent(&emitted, subject, EXCHANGE);
    assert!(
        !again.iter().any(|msg| matches!(msg, Msg::Announce { .. })),
        "{emitted:?}"
    );
    // A list under an old branch of the subject's address does not count as naming it.
    let mut stale = others;
    stale.push((subject, board.branch(others_first(&board))));
    let emitted = board.deliver(EXCHANGE, subject, Msg::Peers(stale));
    let announced = sent(&emitted, subject, EXCHANGE);
    assert!(announced
        .iter()
        .any(|msg| matches!(msg, Msg::Announce { .. })));
}

fn others_first(board: &Switchboard) -> medilanac::sim::ActorId {
    board.peers()[0]
}

/// The announce timers `emitted` set, with their waits.
fn announce_waits(emitted: &crate::switchboard::Emitted) -> Vec<medilanac::sim::Time> {
    use medilanac::actors::{MinerTimer, NodeTimer};
    use medilanac::sim::Command;
    emitted
        .iter()
        .filter_map(|(_, command)| match command {
            Command::SetTimer { after, timer }
                if *timer == NodeTimer::Miner(MinerTimer::Announce) =>
            {
                Some(*after)
            }
            _ => None,
        })
        .collect()
}

/// A wiped miner whose announcement was lost, and that has nothing to build, never asks
/// for the list that would show it missing: a chaos seed ended with its new branch
/// unknown to everyone and a peer waiting for its chunks. An announcement is now resent,
/// at a doubling wait, until a list from the exchange names the miner, and then no more.
#[test]
fn an_unanswered_announcement_is_resent_at_a_doubling_wait_until_a_list_names_the_miner() {
    use medilanac::actors::MinerTimer;
    let mut board = Switchboard::new(|_| {});
    let subject = board.subject;
    let announced = |emitted: &crate::switchboard::Emitted| {
        sent(emitted, subject, EXCHANGE)
            .iter()
            .any(|msg| matches!(msg, Msg::Announce { .. }))
    };
    let mut waits = Vec::new();
    for _ in 0..8 {
        let emitted = board.fire(subject, MinerTimer::Announce);
        assert!(announced(&emitted), "{emitted:?}");
        waits.extend(announce_waits(&emitted));
    }
    let seconds: Vec<u64> = waits.iter().map(|t| t.as_secs_f64() as u64).collect();
    assert_eq!(seconds, [2, 4, 8, 16, 32, 60, 60, 60]);
    board.introduce_everyone();
    let emitted = board.fire(subject, MinerTimer::Announce);
    assert!(!announced(&emitted), "listed, it announces no more");
    assert!(announce_waits(&emitted).is_empty());
}

#[test]
fn the_exchange_answers_an_announcement_with_a_list_that_names_the_announcer() {
    let mut board = Switchboard::new(|_| {});
    let (subject, branch) = (board.subject, board.branch(board.subject));
    let emitted = board.deliver(subject, EXCHANGE, Msg::Announce { branch });
    let answers = sent(&emitted, EXCHANGE, subject);
    assert!(
        answers
            .iter()
            .any(|msg| matches!(msg, Msg::Peers(list) if list.contains(&(subject, branch)))),
        "{answers:?}"
    );
}
