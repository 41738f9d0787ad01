//! Gossip at the receiver (`Msg::Seen`, rule 2): a miner told a header of a peer it checked
//! that cannot be part of the history it was shown blacklists the peer as an equivocator
//! and hands the two headers on; what agrees with its history, or is not the peer's
//! signed statement, changes nothing. And at the sender (`miner.gossip_headers`): a miner
//! that finishes validating a peer tells that many trusted peers its newest header.

use crate::support_defences::{
    blacklisted, challenges, evidence_sent, headers_of, keys_of, known_to_all, sent_by, sign,
    signed_variant, validated, validation, Answers,
};
use crate::switchboard::{Emitted, Switchboard};
use medilanac::actors::{Breach, Msg};
use medilanac::protocol::{BlockHeader, Evidence, Hash};
use medilanac::sim::ActorId;
use std::collections::BTreeSet;

/// The peer the subject checked, and the miner that tells it what the peer showed it.
const PEER: ActorId = 2;
const TELLER: ActorId = 6;

/// A subject that knows every miner and has validated `PEER`; with the peer's newest
/// header, the one it checked last.
fn checked() -> (Switchboard, BlockHeader) {
    let mut board = known_to_all();
    let emitted = validation(&mut board, PEER, Answers::All);
    assert!(validated(&emitted, PEER), "{emitted:?}");
    let newest = headers_of(&board, PEER).pop().expect("a branch");
    assert!(newest.height >= 2);
    (board, newest)
}

/// The subject is told by `TELLER` that `PEER` showed it `header`.
fn tell(board: &mut Switchboard, header: BlockHeader) -> Emitted {
    let subject = board.subject;
    board.deliver(TELLER, subject, Msg::Seen(Box::new(header)))
}

/// Asserts that `emitted` blacklists `PEER` as an equivocator at `height` and hands every
/// other miner the headers `ours` (the one checked) and `seen`.
fn convicted(
    board: &Switchboard,
    emitted: &Emitted,
    height: u64,
    ours: &BlockHeader,
    seen: BlockHeader,
) {
    let breach = Breach::Equivocated { height };
    assert_eq!(blacklisted(emitted), vec![(PEER, breach.clone())]);
    assert_eq!(breach.rule(), 2);
    assert_eq!(challenges(emitted, PEER), 0, "no challenge needed");
    let evidence = Evidence::Equivocation {
        first: ours.clone(),
        second: seen,
    };
    let handed = evidence_sent(emitted, board.subject);
    let to: BTreeSet<ActorId> = handed.iter().map(|(to, _)| *to).collect();
    let others: BTreeSet<ActorId> = board.peers().into_iter().filter(|&p| p != PEER).collect();
    assert_eq!(to, others);
    assert!(handed.iter().all(|(_, sent)| *sent == evidence));
}

/// Guards `Miner::on_seen` (src/actors/miner/evidence.rs: `Evidence::between` with the
/// `last_header` kept in `Miner::on_headers`, then `self.convict(...)`): one height, two
/// headers, both signed by the peer.
#[test]
fn a_seen_header_of_a_checked_peer_differing_at_the_same_height_gets_it_blacklisted() {
    let (mut board, newest) = checked();
    let other = signed_variant(&board, PEER, newest.height as usize, |h| h.time += 1);
    let emitted = tell(&mut board, other.clone());
    convicted(&board, &emitted, newest.height, &newest, other);
}

/// The same through links: a signed header one height above the one checked whose link
/// names another header, or a signed header one height below that is not the one the
/// checked header links to.
#[test]
fn a_seen_header_whose_link_names_another_header_gets_the_checked_peer_blacklisted() {
    let (mut board, newest) = checked();
    let keys = keys_of(&board, PEER);
    let mut above = newest.clone();
    above.height += 1;
    above.prev_headers = vec![Hash([7; 32])];
    sign(&mut above, &keys);
    let emitted = tell(&mut board, above.clone());
    convicted(&board, &emitted, newest.height + 1, &newest, above);

    let (mut board, newest) = checked();
    let below = newest.height as usize - 1;
    let below = signed_variant(&board, PEER, below, |h| h.files_root = Hash([3; 32]));
    let emitted = tell(&mut board, below.clone());
    convicted(&board, &emitted, newest.height, &newest, below);
}

/// Guards the `Evidence::between` condition of `Miner::on_seen`: what agrees with the
/// history checked (the header itself, an earlier real header, a later header that links
/// to it, as a branch that grew since shows) convicts nobody.
#[test]
fn a_seen_header_that_agrees_with_what_was_checked_changes_nothing() {
    let (mut board, newest) = checked();
    let mut grown = newest.clone();
    grown.height += 1;
    grown.prev_headers = vec![newest.hash()];
    sign(&mut grown, &keys_of(&board, PEER));
    let real = headers_of(&board, PEER);
    for (what, header) in [
        ("the header checked", newest.clone()),
        ("its predecessor", real[real.len() - 2].clone()),
        ("genesis", real[0].clone()),
        ("a successor", grown),
    ] {
        let emitted = tell(&mut board, header);
        assert!(emitted.is_empty(), "{what}: {emitted:?}");
    }
}

/// Guards the `evidence.check(...)` condition of `Miner::on_seen`: a header that differs
/// but does not carry the peer's signature (left with the old one, or signed by whoever
/// gossips it) is no statement of the peer's, so gossip cannot frame an honest miner.
/// The peer is still in good standing afterwards: a real second header still convicts.
#[test]
fn a_seen_header_with_a_bad_signature_changes_nothing() {
    let (mut board, newest) = checked();
    let mut unsigned = newest.clone();
    unsigned.time += 1;
    let mut forged = unsigned.clone();
    sign(&mut forged, &keys_of(&board, TELLER));
    for (what, header) in [("unsigned", unsigned), ("forged", forged)] {
        let emitted = tell(&mut board, header);
        assert!(emitted.is_empty(), "{what}: {emitted:?}");
    }
    let real = signed_variant(&board, PEER, newest.height as usize, |h| h.time += 1);
    let emitted = tell(&mut board, real);
    assert_eq!(blacklisted(&emitted).len(), 1);
}

/// Gossip compares with what this miner checked: of a peer it knows but never validated
/// there is nothing to compare with.
#[test]
fn a_seen_header_of_a_peer_never_checked_changes_nothing() {
    let mut board = known_to_all();
    let newest = headers_of(&board, PEER).len() - 1;
    let other = signed_variant(&board, PEER, newest, |h| h.time += 1);
    let emitted = tell(&mut board, other);
    assert!(emitted.is_empty(), "{emitted:?}");
}

/// The headers the subject gossiped in `emitted`, by addressee.
fn seen_sent(board: &Switchboard, emitted: &Emitted) -> Vec<(ActorId, BlockHeader)> {
    let all = sent_by(emitted, board.subject).into_iter();
    all.filter_map(|(to, msg)| match msg {
        Msg::Seen(header) => Some((to, (**header).clone())),
        _ => None,
    })
    .collect()
}

/// The subject validates three peers in turn (no time passes, so the first stay trusted),
/// with `gossip_headers` as given; returns what it gossiped at each validation.
fn gossip(fanout: usize) -> (Switchboard, Vec<Vec<(ActorId, BlockHeader)>>) {
    let mut board = Switchboard::new(|s| s.miner.gossip_headers = fanout);
    let mut told = Vec::new();
    for peer in [1, 4, PEER] {
        let emitted = validation(&mut board, peer, Answers::All);
        assert!(validated(&emitted, peer), "{emitted:?}");
        told.push(seen_sent(&board, &emitted));
    }
    (board, told)
}

/// Guards `Miner::gossip_header` (src/actors/miner/evidence.rs), called from
/// `Miner::trust`: with `gossip_headers = 1`, finishing a validation sends one `Seen` with
/// the peer's newest header, to one peer trusted then (not the peer itself); the first
/// validation, with nobody trusted yet, sends none.
#[test]
fn with_gossip_on_a_validated_peers_newest_header_goes_to_one_trusted_peer() {
    let (board, told) = gossip(1);
    assert_eq!(told[0], vec![], "nobody trusted yet");
    let newest = |peer| headers_of(&board, peer).pop().expect("a branch");
    assert_eq!(told[1], vec![(1, newest(4))]);
    assert_eq!(told[2].len(), 1, "{:?}", told[2]);
    let (to, header) = &told[2][0];
    assert!([1, 4].contains(to), "to a trusted peer, not {to}");
    assert_eq!(header, &newest(PEER));
}

/// Guards `if fanout == 0 { return; }` in `Miner::gossip_header`: off (the default), no
/// validation sends a `Seen`.
#[test]
fn with_gossip_off_no_validation_sends_a_seen() {
    let (_, told) = gossip(0);
    assert!(told.iter().all(Vec::is_empty), "{told:?}");
}
