//! Crash and wipe: what a miner keeps on disk survives a crash; a wipe starts a new branch.

use crate::switchboard::{sent, Switchboard, EXCHANGE};
use medilanac::actors::message::Refusal;
use medilanac::actors::{MinerTimer, Msg};
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
        branch: board.branch(1),
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

/// A peer that came back wiped offers chunks of its new branch. The offer names that
/// branch, as every reply does, so the subject knows the peer afresh and validates it,
/// where it used to take the chunk for one of another branch and blacklist an honest
/// miner (chaos seeds 502 and 1094). The same chunk under the branch the subject knows
/// the peer by still blacklists it.
#[test]
fn a_peer_back_wiped_offering_its_new_branchs_chunk_is_validated_afresh_not_blacklisted() {
    use medilanac::actors::{Breach, Observation};
    use medilanac::sim::Time;
    for claims_new_branch in [true, false] {
        let mut board = Switchboard::stalled();
        let subject = board.subject;
        let (peer, other) = (board.peers()[0], board.peers()[1]);
        let new_branch = board.branch(other); // stands for the peer's branch after a wipe
        let chunk = board
            .embedded_chunks()
            .into_iter()
            .find(|c| c.header.source == new_branch)
            .expect("a chunk of that branch");
        board.now = board.now + Time::from_secs(11); // the peers said "no chunk" 10 s ago
        let asked = board.fire(subject, MinerTimer::Retry);
        let request = sent(&asked, subject, peer)
            .into_iter()
            .find_map(|m| match m {
                Msg::WantChunk { request, .. } => Some(*request),
                _ => None,
            })
            .expect("the subject asks the peer");
        let branch = match claims_new_branch {
            true => new_branch,
            false => board.branch(peer),
        };
        let offer = Msg::Offer {
            request,
            branch,
            chunk: Ok(Box::new(chunk)),
        };
        let emitted = board.deliver(peer, subject, offer);
        let seen = crate::switchboard::observations(&emitted);
        let blacklisted = seen.iter().any(|o| {
            matches!(o, Observation::PeerBlacklisted { peer: p, breach: Breach::OfferedForeign, .. } if *p == peer)
        });
        let validates = seen
            .iter()
            .any(|o| matches!(o, Observation::ValidationStarted { peer: p } if *p == peer));
        assert_eq!(
            blacklisted, !claims_new_branch,
            "claims new branch: {claims_new_branch}"
        );
        assert_eq!(
            validates, claims_new_branch,
            "claims new branch: {claims_new_branch}"
        );
    }
}
