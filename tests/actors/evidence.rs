//! Signed evidence at the receiver: a miner handed evidence against a peer it knows checks
//! it and, if it convicts, blacklists the peer without challenging it and hands the
//! evidence on; forged evidence changes nothing, which is what keeps an honest miner from
//! being framed. And the other way round: a peer caught by a header that states a breach of
//! rule 5 or 8 is blacklisted with that header as evidence, handed to every other peer.

use crate::support_defences::{
    blacklisted, challenges, evidence_sent, headers_of, keys_of, known_to_all, sent_by, sign,
    signed_variant, up_to_challenges,
};
use crate::switchboard::{Emitted, Switchboard};
use medilanac::actors::{Breach, Msg};
use medilanac::protocol::{BlockError, BlockHeader, Evidence, Hash, InvalidAt};
use medilanac::sim::ActorId;
use std::collections::BTreeSet;
use std::sync::Arc;

/// The miner the evidence is about, and the one that hands it to the subject.
const CULPRIT: ActorId = 3;
const MESSENGER: ActorId = 5;

/// The subject is handed `evidence` by `from`; returns what it emitted.
fn hand(board: &mut Switchboard, from: ActorId, evidence: Evidence) -> Emitted {
    let subject = board.subject;
    board.deliver(from, subject, Msg::Evidence(Arc::new(evidence)))
}

/// Every miner of the run but those in `but`.
fn peers_but(board: &Switchboard, but: &[ActorId]) -> BTreeSet<ActorId> {
    let all = board.peers().into_iter();
    all.filter(|peer| !but.contains(peer)).collect()
}

/// The addressees of `evidence` in `emitted`, checking that nothing else was handed on.
fn handed_to(board: &Switchboard, emitted: &Emitted, evidence: &Evidence) -> BTreeSet<ActorId> {
    let handed = evidence_sent(emitted, board.subject).into_iter();
    handed
        .map(|(to, sent)| {
            assert_eq!(&sent, evidence, "the evidence handed on as it came");
            to
        })
        .collect()
}

/// The culprit's header at height 2, and a variant of it the culprit signed too.
fn equivocation(board: &Switchboard) -> Evidence {
    Evidence::Equivocation {
        first: headers_of(board, CULPRIT)[2].clone(),
        second: signed_variant(board, CULPRIT, 2, |h| h.time += 1),
    }
}

/// The culprit's header at height 1 stating too little foreign data, signed by it, with its
/// real predecessor.
fn broken_rule_8(board: &Switchboard) -> Evidence {
    Evidence::BrokenRule {
        previous: Some(headers_of(board, CULPRIT)[0].clone()),
        header: signed_variant(board, CULPRIT, 1, |h| h.foreign_size = 0),
    }
}

/// Guards `Miner::on_evidence` and `Miner::convict` (src/actors/miner/evidence.rs):
/// the conviction (`self.blacklist(peer, breach, ctx)`) and the loop that sends
/// `Msg::Evidence` to every other peer but the one it came from. Nothing goes to the
/// culprit: no challenge, no validation; and the same evidence handed again changes
/// nothing (handed on once).
#[test]
fn signed_equivocation_evidence_blacklists_a_known_peer_unchallenged_and_is_handed_on() {
    let mut board = known_to_all();
    let evidence = equivocation(&board);
    let emitted = hand(&mut board, MESSENGER, evidence.clone());
    let convicted = Breach::Convicted { rule: 2 };
    assert_eq!(blacklisted(&emitted), vec![(CULPRIT, convicted)]);
    assert!(sent_by(&emitted, board.subject)
        .iter()
        .all(|(to, _)| *to != CULPRIT));
    assert_eq!(challenges(&emitted, CULPRIT), 0);
    let handed = handed_to(&board, &emitted, &evidence);
    assert_eq!(handed, peers_but(&board, &[CULPRIT, MESSENGER]));
    let again = hand(&mut board, 7, evidence);
    assert!(again.is_empty(), "{again:?}");
}

/// Guards the same lines for evidence of a header stating a rule-8 breach
/// (`Evidence::check`'s `BrokenRule` arm, src/protocol/evidence.rs, reached from
/// `Miner::on_evidence`): the peer is convicted of rule 8.
#[test]
fn evidence_of_a_signed_header_breaking_rule_8_with_its_real_predecessor_blacklists_the_peer() {
    let mut board = known_to_all();
    let evidence = broken_rule_8(&board);
    let emitted = hand(&mut board, MESSENGER, evidence.clone());
    assert_eq!(
        blacklisted(&emitted),
        vec![(CULPRIT, Breach::Convicted { rule: 8 })]
    );
    assert_eq!(challenges(&emitted, CULPRIT), 0);
    let handed = handed_to(&board, &emitted, &evidence);
    assert_eq!(handed, peers_but(&board, &[CULPRIT, MESSENGER]));
}

/// Guards the filter on `Standing::Blacklisted` in `Miner::convict`
/// (src/actors/miner/evidence.rs): a peer blacklisted before is not handed evidence, nor
/// is the peer that handed it.
#[test]
fn evidence_is_handed_on_to_every_other_peer_except_those_blacklisted() {
    let mut board = known_to_all();
    let first = broken_rule_8(&board);
    hand(&mut board, MESSENGER, first);
    let other = 8;
    let evidence = Evidence::Equivocation {
        first: headers_of(&board, other)[4].clone(),
        second: signed_variant(&board, other, 4, |h| h.files_root = Hash([9; 32])),
    };
    let emitted = hand(&mut board, MESSENGER, evidence.clone());
    assert_eq!(
        blacklisted(&emitted),
        vec![(other, Breach::Convicted { rule: 2 })]
    );
    let handed = handed_to(&board, &emitted, &evidence);
    assert_eq!(handed, peers_but(&board, &[CULPRIT, other, MESSENGER]));
}

/// Evidence the subject must ignore: no blacklisting, nothing sent, nothing at all.
fn ignored(board: &mut Switchboard, what: &str, evidence: Evidence) {
    let emitted = hand(board, MESSENGER, evidence);
    assert!(emitted.is_empty(), "{what}: {emitted:?}");
}

/// Guards `signed` (the branch's key, and the signature checked against it) in
/// `Evidence::check` (src/protocol/evidence.rs), for both kinds of evidence: a header
/// changed without the culprit's key is not its statement, so anyone else's forgery
/// convicts nobody. Each forgery below would convict without that check.
#[test]
fn forged_evidence_with_a_header_not_signed_by_the_branchs_key_frames_nobody() {
    let mut board = known_to_all();
    let real = headers_of(&board, CULPRIT);
    let forger = keys_of(&board, MESSENGER);
    // Changed, and left with the culprit's old signature.
    let mut unsigned = real[2].clone();
    unsigned.time += 1;
    // Changed and signed by the forger, still naming the culprit's key and branch.
    let mut forged = unsigned.clone();
    sign(&mut forged, &forger);
    // Changed, carrying the forger's key and signed by it, still naming the culprit's branch.
    let mut rekeyed = unsigned.clone();
    rekeyed.public_key = forger.public();
    sign(&mut rekeyed, &forger);
    for (what, second) in [
        ("unsigned", unsigned),
        ("forged", forged),
        ("rekeyed", rekeyed),
    ] {
        let pair = Evidence::Equivocation {
            first: real[2].clone(),
            second: second.clone(),
        };
        ignored(&mut board, what, pair);
    }
    let mut short = real[1].clone();
    short.foreign_size = 0;
    let mut forged_short = short.clone();
    sign(&mut forged_short, &forger);
    for (what, header) in [("unsigned rule 8", short), ("forged rule 8", forged_short)] {
        let previous = Some(real[0].clone());
        ignored(&mut board, what, Evidence::BrokenRule { previous, header });
    }
    // What the subject would have done with the real thing.
    let real = equivocation(&board);
    let emitted = hand(&mut board, MESSENGER, real);
    assert_eq!(blacklisted(&emitted).len(), 1);
}

/// Guards `conflict` in `Evidence::check` (src/protocol/evidence.rs): two real headers of
/// an honest branch are consistent whatever their heights, so they convict nobody.
#[test]
fn evidence_of_headers_that_do_not_conflict_frames_nobody() {
    let mut board = known_to_all();
    let real = headers_of(&board, CULPRIT);
    for (what, first, second) in [
        ("one header twice", 2, 2),
        ("a header and its successor", 2, 3),
        ("a successor and its header", 4, 3),
        ("headers far apart", 1, 5),
    ] {
        let pair = Evidence::Equivocation {
            first: real[first].clone(),
            second: real[second].clone(),
        };
        ignored(&mut board, what, pair);
    }
}

/// Guards `check_claims(...).err().ok_or(EvidenceError::NoBreach)` in `Evidence::check`
/// (src/protocol/evidence.rs): a real header that meets every rule, with its real
/// predecessor, is no evidence of a broken rule.
#[test]
fn evidence_of_a_broken_rule_whose_header_breaks_nothing_frames_nobody() {
    let mut board = known_to_all();
    let real = headers_of(&board, CULPRIT);
    for height in 1..real.len() {
        let evidence = Evidence::BrokenRule {
            previous: Some(real[height - 1].clone()),
            header: real[height].clone(),
        };
        ignored(&mut board, &format!("height {height}"), evidence);
    }
    let genesis = Evidence::BrokenRule {
        previous: None,
        header: real[0].clone(),
    };
    ignored(&mut board, "genesis", genesis);
}

/// Rule 8 measures a block against its predecessor's primary data, so an honest header
/// paired with a larger block of its own branch than its predecessor seems to embed too
/// little. Guards the predecessor check in `Evidence::check` (src/protocol/evidence.rs,
/// `previous.height + 1 != header.height || !links`): made of the peer's own unmodified
/// signed headers, this evidence passes every other check and would frame it.
#[test]
fn evidence_pairing_real_headers_with_a_header_that_is_not_the_predecessor_frames_nobody() {
    let mut board = known_to_all();
    let real = headers_of(&board, CULPRIT);
    let params = board.world.params.clone();
    let short_against = |previous: &BlockHeader, header: &BlockHeader| {
        let requirement = params.requirement(Some(previous.primary_size()));
        !requirement.is_met(header.chunk_count as usize, header.foreign_size)
    };
    let framings: Vec<(usize, usize)> = (1..real.len())
        .flat_map(|height| (0..real.len()).map(move |previous| (previous, height)))
        .filter(|&(previous, height)| previous + 1 != height)
        .filter(|&(previous, height)| short_against(&real[previous], &real[height]))
        .collect();
    assert!(!framings.is_empty(), "some pairing would frame the peer");
    for (previous, height) in framings {
        let evidence = Evidence::BrokenRule {
            previous: Some(real[previous].clone()),
            header: real[height].clone(),
        };
        ignored(&mut board, &format!("{previous} before {height}"), evidence);
    }
    // A header that does break rule 8, paired with another branch's header at the
    // height before: evidence that does not show what it claims is refused, whoever it
    // names (rule 8 would be measured against a block that is not the predecessor).
    let other = headers_of(&board, MESSENGER);
    let evidence = Evidence::BrokenRule {
        previous: Some(other[1].clone()),
        header: signed_variant(&board, CULPRIT, 2, |h| h.foreign_size = 0),
    };
    ignored(&mut board, "another branch's header", evidence);
}

/// A stranger's branch: evidence against a branch the subject does not know is ignored.
#[test]
fn evidence_against_a_branch_the_miner_does_not_know_is_ignored() {
    let mut board = Switchboard::new(|_| {});
    let evidence = broken_rule_8(&board);
    ignored(&mut board, "unknown branch", evidence);
}

/// The peer `CULPRIT`'s headers, with the one at height 1 changed by `edit` and signed
/// again with its key, validated by a subject that knows every miner.
fn validate_signed(edit: impl Fn(&mut BlockHeader)) -> (Switchboard, Emitted, BlockHeader) {
    let mut board = known_to_all();
    let keys = keys_of(&board, CULPRIT);
    let mut edited = None;
    let emitted = up_to_challenges(&mut board, CULPRIT, |msg| {
        if let Msg::Headers { headers, .. } = msg {
            edit(&mut headers[1]);
            sign(&mut headers[1], &keys);
            edited = Some(headers[1].clone());
        }
    });
    (board, emitted, edited.expect("headers were sent"))
}

/// Guards the `signed` arm of `Miner::on_headers` (src/actors/miner/validation.rs, rules
/// 5 and 8 leading to `self.convict(from, breach, evidence, ctx)`) and
/// `Miner::evidence_in`: the peer is blacklisted for rule 8 and its header, with the
/// predecessor it links to, is handed to every other peer; a miner handed it convicts.
#[test]
fn a_peer_whose_signed_header_states_a_rule_8_breach_is_blacklisted_and_its_header_handed_on() {
    let (mut board, emitted, edited) = validate_signed(|h| h.foreign_size = 0);
    let caught = blacklisted(&emitted);
    assert!(
        matches!(
            &caught[..],
            [(
                CULPRIT,
                Breach::Block(InvalidAt {
                    height: 1,
                    error: BlockError::TooFewForeignBytes { have: 0, .. }
                })
            )]
        ),
        "{caught:?}"
    );
    assert_eq!(caught[0].1.rule(), 8);
    assert_eq!(
        challenges(&emitted, CULPRIT),
        0,
        "no challenge after a bad header"
    );
    let evidence = Evidence::BrokenRule {
        previous: Some(headers_of(&board, CULPRIT)[0].clone()),
        header: edited,
    };
    let handed = handed_to(&board, &emitted, &evidence);
    assert_eq!(handed, peers_but(&board, &[CULPRIT]));
    let world = &mut board.world;
    let broken = evidence.check(&world.params, &mut world.verifier);
    assert!(matches!(broken, Ok(BlockError::TooFewForeignBytes { .. })));
    // A miner of the run handed it convicts the peer in turn.
    let subject = board.subject;
    let at = board.deliver(subject, MESSENGER, Msg::Evidence(Arc::new(evidence)));
    let convicted = blacklisted(&at);
    assert_eq!(convicted, vec![(CULPRIT, Breach::Convicted { rule: 8 })]);
}

/// The same for rule 5: a header claiming a body above the maximum.
#[test]
fn a_peer_whose_signed_header_states_a_rule_5_breach_is_blacklisted_and_its_header_handed_on() {
    let (board, emitted, edited) = validate_signed(|h| h.body_size = 1 << 40);
    let caught = blacklisted(&emitted);
    assert_eq!(caught.len(), 1);
    assert_eq!(caught[0].1.rule(), 5);
    let evidence = Evidence::BrokenRule {
        previous: Some(headers_of(&board, CULPRIT)[0].clone()),
        header: edited,
    };
    let handed = handed_to(&board, &emitted, &evidence);
    assert_eq!(handed, peers_but(&board, &[CULPRIT]));
}

/// Guards the `signed` condition of `Miner::on_headers` (src/actors/miner/validation.rs):
/// a header whose signature does not verify is not the peer's statement, so it is
/// blacklisted on what it sent this miner, but nothing is handed on that would let a
/// man in the middle have others convict an honest peer.
#[test]
fn a_header_with_a_bad_signature_gets_the_peer_blacklisted_but_hands_on_no_evidence() {
    let mut board = known_to_all();
    let emitted = up_to_challenges(&mut board, CULPRIT, |msg| {
        if let Msg::Headers { headers, .. } = msg {
            headers[1].foreign_size = 0;
        }
    });
    let signature = Breach::Block(InvalidAt {
        height: 1,
        error: BlockError::Signature,
    });
    assert_eq!(blacklisted(&emitted), vec![(CULPRIT, signature)]);
    assert!(evidence_sent(&emitted, board.subject).is_empty());
}

/// Guards the `0 =>` arm of `Miner::evidence_in` (src/actors/miner/evidence.rs): when the
/// breaking header is the first of a list, its predecessor is the newest header checked
/// in an earlier validation, and the evidence carries that one.
#[test]
fn a_rule_8_breach_in_the_first_header_of_a_later_validation_is_handed_on_with_the_last_checked() {
    let mut board = known_to_all();
    // First validation: the peer shows genesis and block 1 only, and passes.
    let first = up_to_challenges(&mut board, CULPRIT, |msg| {
        if let Msg::Headers { headers, .. } = msg {
            headers.truncate(2);
        }
    });
    let passed = crate::support_defences::answer_challenges(&mut board, CULPRIT, &first, |_| {});
    assert!(
        crate::support_defences::validated(&passed, CULPRIT),
        "{passed:?}"
    );
    crate::support_defences::wait_for_next_validation(&mut board);
    // Second: asked for what follows block 1, it states a rule-8 breach at once.
    let keys = keys_of(&board, CULPRIT);
    let mut edited = None;
    let second = up_to_challenges(&mut board, CULPRIT, |msg| {
        if let Msg::Headers { headers, .. } = msg {
            assert_eq!(headers[0].height, 2, "only the headers not checked yet");
            headers[0].foreign_size = 0;
            sign(&mut headers[0], &keys);
            edited = Some(headers[0].clone());
        }
    });
    let caught = blacklisted(&second);
    assert_eq!(caught.len(), 1, "{second:?}");
    assert_eq!(caught[0].1.rule(), 8);
    let evidence = Evidence::BrokenRule {
        previous: Some(headers_of(&board, CULPRIT)[1].clone()),
        header: edited.expect("headers were sent"),
    };
    let handed = handed_to(&board, &second, &evidence);
    assert_eq!(handed, peers_but(&board, &[CULPRIT]));
}
