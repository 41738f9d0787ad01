//! Rule 11 at the receiver: the subject validates a peer of the run, honest or lying.

use crate::switchboard::{observations, Emitted, Switchboard};
use medilanac::actors::{Msg, Observation};
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

fn blacklisted(emitted: &Emitted) -> Option<String> {
    observations(emitted).into_iter().find_map(|o| match o {
        Observation::PeerBlacklisted { evidence, .. } => Some(evidence.clone()),
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
    let evidence = blacklisted(&emitted).expect("caught");
    assert!(evidence.contains("file"), "{evidence}");
    assert!(!validated(&emitted));
}

#[test]
fn a_challenged_file_the_peer_cannot_serve_gets_it_blacklisted() {
    let (_, emitted) = validate(2, |msg| {
        if let Msg::File { answer, .. } = msg {
            *answer = None;
        }
    });
    assert!(blacklisted(&emitted).is_some_and(|e| e.contains("file")));
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
    let evidence = blacklisted(&emitted).expect("caught");
    assert!(evidence.contains("foreign chunk"), "{evidence}");
}

#[test]
fn a_header_with_a_forged_signature_gets_the_peer_blacklisted_before_any_challenge() {
    let (_, emitted) = validate(1, |msg| {
        if let Msg::Headers { headers, .. } = msg {
            headers[1].signature.0[7] ^= 1;
        }
    });
    let evidence = blacklisted(&emitted).expect("caught");
    assert!(evidence.starts_with("invalid header"), "{evidence}");
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
    let evidence = blacklisted(&emitted).expect("caught");
    assert!(evidence.contains("not of the branch"), "{evidence}");
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
    let evidence = blacklisted(&emitted).expect("caught");
    assert!(evidence.contains("wrong message"), "{evidence}");
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
