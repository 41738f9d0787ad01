//! Crash and wipe: what a miner keeps on disk survives a crash; a wipe starts a new branch.

use crate::switchboard::{sent, Switchboard, EXCHANGE};
use medilanac::actors::message::Refusal;
use medilanac::actors::Msg;
use medilanac::sim::Actor;

fn announced(
    emitted: &crate::switchboard::Emitted,
    subject: usize,
) -> Vec<medilanac::protocol::BranchId> {
    let to_exchange = sent(emitted, subject, EXCHANGE).into_iter();
    to_exchange
        .filter_map(|m| match m {
            Msg::Announce { branch } => Some(*branch),
            _ => None,
        })
        .collect()
}

#[test]
fn a_crash_drops_the_draft_and_keeps_the_branch_and_every_accepted_record() {
    let mut board = Switchboard::stalled();
    let subject = board.subject;
    let (branch, blocks) = (
        board.branch(subject),
        board.miner(subject).blocks().to_vec(),
    );
    let emitted = board.handle(subject, |node, ctx, world| node.restart(false, ctx, world));
    let miner = board.miner(subject);
    assert_eq!(miner.stalled_draft(), None, "the draft was in memory");
    assert_eq!(miner.branch(), branch);
    assert_eq!(miner.blocks(), &blocks[..]);
    assert_eq!(
        miner.waiting_records().len(),
        4,
        "records acknowledged are on disk"
    );
    assert_eq!(announced(&emitted, subject), vec![branch]);
    // Open requests were in memory: a reply to one from before the crash matches nothing.
    let stale = Msg::Offer {
        request: 0,
        chunk: Err(Refusal::NoChunk),
    };
    assert!(board.deliver(1, subject, stale).is_empty());
}

#[test]
fn a_wipe_starts_a_new_branch_from_genesis_and_retires_the_old_one() {
    let mut board = Switchboard::stalled();
    let subject = board.subject;
    let old = board.branch(subject);
    let emitted = board.handle(subject, |node, ctx, world| node.restart(true, ctx, world));
    let miner = board.miner(subject);
    assert_ne!(miner.branch(), old);
    assert_eq!(miner.blocks().len(), 1, "a new genesis block only");
    assert_eq!(miner.blocks()[0].header.branch, miner.branch());
    assert!(miner.waiting_records().is_empty(), "the disk is gone");
    assert_eq!(miner.retired().len(), 1);
    assert_eq!(miner.retired()[0][0].header.branch, old);
    assert_eq!(announced(&emitted, subject), vec![miner.branch()]);
}
