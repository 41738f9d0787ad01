//! Rule 11 at the receiver: the subject validates a peer of the run, honest or lying.

use crate::switchboard::{observations, Emitted, Switchboard};
use medilanac::actors::{Breach, Msg, Observation};
use medilanac::protocol::{BlockError, BlockHeader, InvalidAt, KeyPair};
use medilanac::sim::ActorId;
use std::sync::Arc;

/// The subject, asked for a chunk by `peer`, validates it; every answer of the peer goes
/// through `lie` on the way. Returns what the subject emitted.
fn validate(peer: ActorId, mut lie: impl FnMut(&mut Msg)) -> (Switchboard, Emitted) {
    let mut board = Switchboard::new(|_| {});
    let subject = board.subject;
    let branch = board.branch(peer);
    let ask = board.deliver(peer, subject, Msg::WantChunk { request: 0, branch });
    let emitted = board.settle(ask, |from, to, msg| {
        if from == peer && to == subject {
            lie(msg);
        }
    });
    let by_subject = emitted.into_iter().filter(|(by, _)| *by == subject);
    (board, by_subject.collect())
}

/// What the subject caught, if it blacklisted anyone.
fn blacklisted(emitted: &Emitted) -> Option<Breach> {
    observations(emitted).into_iter().find_map(|o| match o {
        Observation::PeerBlacklisted { breach, .. } => Some(breach.clone()),
        _ => None,
    })
}

fn validated(emitted: &Emitted) -> bool {
    let mut all = observations(emitted).into_iter();
    all.any(|o| matches!(o, Observation::PeerValidated { .. }))
}

#[test]
fn an_honest_peer_passes_validation_after_its_headers_and_challenges() {
    let (_, emitted) = validate(1, |_| {});
    assert!(validated(&emitted), "{emitted:?}");
    assert_eq!(blacklisted(&emitted), None);
    let challenges = emitted.iter().filter(|(_, c)| {
        matches!(
            c,
            medilanac::sim::Command::Send {
                msg: Msg::GetFile { .. } | Msg::GetForeignChunk { .. },
                ..
            }
        )
    });
    assert!(
        challenges.count() >= 2,
        "files and a foreign chunk are challenged"
    );
}

#[test]
fn a_served_file_with_a_flipped_byte_gets_the_peer_blacklisted() {
    let (_, emitted) = validate(1, |msg| {
        if let Msg::File {
            answer: Some(answer),
            ..
        } = msg
        {
            let (record, _) = Arc::make_mut(answer);
            record.payload = record.payload.with_flipped_byte(3);
        }
    });
    let breach = blacklisted(&emitted).expect("caught");
    assert!(matches!(breach, Breach::BadFile { .. }), "{breach}");
    assert_eq!(breach.rule(), 11);
    assert!(!validated(&emitted));
}

#[test]
fn a_challenged_file_the_peer_cannot_serve_gets_it_blacklisted() {
    let (_, emitted) = validate(2, |msg| {
        if let Msg::File { answer, .. } = msg {
            *answer = None;
        }
    });
    let breach = blacklisted(&emitted);
    assert!(matches!(breach, Some(Breach::BadFile { .. })), "{breach:?}");
}

#[test]
fn a_foreign_chunk_answer_with_changed_data_gets_the_peer_blacklisted() {
    let (_, emitted) = validate(3, |msg| {
        if let Msg::ForeignChunk {
            answer: Some(answer),
            ..
        } = msg
        {
            let (chunk, _) = Arc::make_mut(answer);
            chunk.data = chunk.data.with_flipped_byte(0);
        }
    });
    let breach = blacklisted(&emitted).expect("caught");
    assert!(matches!(breach, Breach::BadForeignChunk { .. }), "{breach}");
}

#[test]
fn a_header_with_a_forged_signature_gets_the_peer_blacklisted_before_any_challenge() {
    let (_, emitted) = validate(1, |msg| {
        if let Msg::Headers { headers, .. } = msg {
            headers[1].signature.0[7] ^= 1;
        }
    });
    let breach = blacklisted(&emitted).expect("caught");
    let signature = Breach::Block(InvalidAt {
        height: 1,
        error: BlockError::Signature,
    });
    assert_eq!(breach, signature);
    let challenged = emitted.iter().any(|(_, c)| {
        matches!(
            c,
            medilanac::sim::Command::Send {
                msg: Msg::GetFile { .. },
                ..
            }
        )
    });
    assert!(!challenged, "no challenge after a bad header");
}

#[test]
fn headers_of_another_branch_than_announced_get_the_peer_blacklisted() {
    let board = Switchboard::new(|_| {});
    let other: Vec<_> = board
        .miner(4)
        .blocks()
        .iter()
        .map(|b| b.header.clone())
        .collect();
    let (_, emitted) = validate(1, move |msg| {
        if let Msg::Headers { headers, .. } = msg {
            *headers = other.clone();
        }
    });
    assert_eq!(blacklisted(&emitted), Some(Breach::WrongBranch));
}

#[test]
fn an_answer_of_the_wrong_kind_gets_the_peer_blacklisted() {
    let (_, emitted) = validate(1, |msg| {
        if let Msg::File {
            request, branch, ..
        } = msg
        {
            *msg = Msg::Headers {
                request: *request,
                branch: *branch,
                headers: Vec::new(),
            };
        }
    });
    assert_eq!(blacklisted(&emitted), Some(Breach::WrongAnswer));
}

#[test]
fn a_late_reply_that_matches_no_open_request_changes_nothing() {
    let (mut board, _) = validate(1, |_| {});
    let (subject, branch) = (board.subject, board.branch(1));
    let stray = Msg::File {
        request: 987_654,
        branch,
        answer: None,
    };
    let emitted = board.deliver(1, subject, stray);
    assert!(emitted.is_empty(), "{emitted:?}");
}

/// `peer`'s headers pass through `edit` and are signed again with the peer's own key, so
/// only the rule the edit breaks can catch them, not the signature.
fn validate_signed(peer: ActorId, edit: impl Fn(&mut BlockHeader)) -> Emitted {
    let seed = Switchboard::new(|_| {}).world.seed;
    let keys = KeyPair::derive(seed, "miner", peer as u64 - 1);
    let (_, emitted) = validate(peer, move |msg| {
        if let Msg::Headers { headers, .. } = msg {
            let header = &mut headers[1];
            edit(header);
            header.signature = keys.sign(&header.signing_digest());
        }
    });
    emitted
}

#[test]
fn a_signed_header_claiming_too_little_foreign_data_breaks_rule_8_at_the_receiver() {
    let emitted = validate_signed(1, |header| header.foreign_size = 0);
    let breach = blacklisted(&emitted).expect("caught");
    assert!(
        matches!(
            breach,
            Breach::Block(InvalidAt {
                height: 1,
                error: BlockError::TooFewForeignBytes { have: 0, .. }
            })
        ),
        "{breach}"
    );
    assert_eq!(breach.rule(), 8);
    assert!(!validated(&emitted));
}

#[test]
fn a_signed_header_claiming_a_body_above_the_maximum_breaks_rule_5_at_the_receiver() {
    let emitted = validate_signed(2, |header| header.body_size = 1 << 40);
    let breach = blacklisted(&emitted).expect("caught");
    assert!(
        matches!(
            breach,
            Breach::Block(InvalidAt {
                error: BlockError::TooLarge { .. },
                ..
            })
        ),
        "{breach}"
    );
    assert_eq!(breach.rule(), 5);
}
