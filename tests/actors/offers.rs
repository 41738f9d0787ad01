//! The source's side of an offer: what a decline tells it, and what it could still supply.

use crate::switchboard::{sent, Switchboard};
use medilanac::actors::message::{Declined, Refusal};
use medilanac::actors::{MinerTimer, Msg};
use medilanac::protocol::ChunkId;
use medilanac::sim::{ActorId, Time};

/// The subject, its first block sealed: every peer has validated it and trusts it.
/// Offers lapse after 10 s.
fn trusted_subject() -> Switchboard {
    let mut board = Switchboard::new(|s| s.miner.offer_timeout = Time::from_secs(10));
    let subject = board.subject;
    board.submit_records(4);
    let mut emitted = board.introduce_everyone();
    emitted.extend(board.fire(subject, MinerTimer::Block));
    board.settle(emitted, |_, _, _| {});
    for _ in 0..3 {
        let retry = board.fire(subject, MinerTimer::Retry);
        board.settle(retry, |_, _, _| {});
    }
    assert_eq!(board.miner(subject).blocks().len(), 2, "block 1 sealed");
    board
}

/// The chunk `source` offers the subject when asked, if any.
fn ask(board: &mut Switchboard, source: ActorId, request: u64) -> Option<ChunkId> {
    let (subject, branch) = (board.subject, board.branch(board.subject));
    let emitted = board.deliver(subject, source, Msg::WantChunk { request, branch });
    let offers = sent(&emitted, source, subject);
    match offers.as_slice() {
        [Msg::Offer {
            chunk: Ok(chunk), ..
        }] => Some(chunk.id()),
        [Msg::Offer {
            chunk: Err(Refusal::NoChunk),
            ..
        }] => None,
        other => panic!("not an offer: {other:?}"),
    }
}

/// Every chunk `source` offers the subject, asked again and again without declining.
fn offered_until_none(board: &mut Switchboard, source: ActorId) -> Vec<ChunkId> {
    let mut offered = Vec::new();
    while let Some(id) = ask(board, source, 100 + offered.len() as u64) {
        offered.push(id);
    }
    offered
}

/// A source that did not learn its chunk of block `h` reached the subject (a lost notice,
/// or an offer that lapsed and went to another) offers another one of `h`; the subject,
/// holding one, declines. Told it holds one in a sealed block, the source offers the
/// subject no chunk of `h` again, but still its other blocks; told it holds one in the
/// block it builds, not until that offer would have lapsed (the block may be dropped in a
/// crash); told only "no longer needed", it offers `h` again at once. Without this the
/// repeated offer livelocked chaos runs.
#[test]
fn a_decline_for_holding_one_stops_offers_of_that_block_to_that_branch_only() {
    let mut tried = 0;
    for source in trusted_subject().peers() {
        for why in [Declined::Held, Declined::InDraft, Declined::NoDraft] {
            let mut board = trusted_subject();
            let Some(first) = ask(&mut board, source, 1) else {
                continue;
            };
            let subject = board.subject;
            let decline = Msg::Decline { chunk: first, why };
            board.deliver(subject, source, decline);
            let later = offered_until_none(&mut board, source);
            let again = later.iter().any(|id| id.height == first.height);
            assert_eq!(again, why == Declined::NoDraft, "source {source}, {why:?}");
            if why != Declined::NoDraft && !later.is_empty() {
                tried += 1;
            }
            // Past the lifetime of an offer (10 s here; trust lasts 30 s).
            board.now = board.now + Time::from_secs(11);
            let after = offered_until_none(&mut board, source);
            let again = after.iter().any(|id| id.height == first.height);
            assert_eq!(again, why != Declined::Held, "source {source}, {why:?}");
        }
    }
    assert!(tried > 0, "no source had a second block to offer");
}

/// A subject whose every request was refused builds a draft with nothing in it: the
/// chunks its peers could still offer would let it finish, none at all would not, and a
/// miner with no draft has nothing to finish.
#[test]
fn whether_a_draft_could_finish_counts_what_the_suppliers_still_hold() {
    let board = Switchboard::stalled();
    let subject = board.subject;
    let params = board.world.params.clone();
    let miner = board.miner(subject);
    assert_eq!(miner.stalled_draft(), Some(0));
    let peers: Vec<_> = board.peers().into_iter().map(|p| board.miner(p)).collect();
    assert_eq!(miner.could_finish_with(&peers, &params), Some(true));
    assert_eq!(miner.could_finish_with(&[], &params), Some(false));
    assert_eq!(peers[0].could_finish_with(&peers, &params), None);
}
