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
