//! Patients' entries at the miner's door (rules 16 and 17), with FHIR records: a miner
//! refuses what breaks the schema and says why; a termination it checked floods to every
//! peer, after which every honest miner refuses the terminated key; a peer cannot fake one.

use crate::switchboard::{observations, sent, Emitted, Switchboard};
use medilanac::actors::identities::miner_reading_keys;
use medilanac::actors::{Msg, Observation};
use medilanac::protocol::entry::{context, Body, Entry, EntryError};
use medilanac::protocol::envelope::Envelope;
use medilanac::protocol::fhir::SchemaError;
use medilanac::protocol::{Bytes, KeyPair, Record, RecordFormat};
use medilanac::sim::{stream, Actor, ActorId};

/// A miner of the run that knows every other miner.
const MINER: ActorId = 1;

/// An address no node has: where a patient's (or thief's) submissions come from.
fn patient_address(board: &Switchboard) -> ActorId {
    board.nodes.len()
}

const OBSERVATION: &[u8] = br#"{"resourceType":"Observation","status":"final","code":{"text":"pulse"},"subject":{"reference":"Patient/x"}}"#;

fn board() -> Switchboard {
    Switchboard::new(|s| {
        s.protocol.records = RecordFormat::Fhir;
        s.duration = 300.0;
    })
}

fn keys() -> KeyPair {
    KeyPair::derive(7, "records-test", 0)
}

fn entry_record(keys: &KeyPair, sequence: u64, body: Body) -> Record {
    let entry = Entry { prev: None, body };
    Record::new(keys, sequence, Bytes::from(entry.to_payload()))
}

/// The test patient's termination (sequence 1), naming its successor.
fn termination() -> Record {
    let body = Body::Terminate {
        through: None,
        successor: KeyPair::derive(7, "records-test", 1).public(),
    };
    entry_record(&keys(), 1, body)
}

fn clear(json: &[u8]) -> Body {
    Body::Data(Envelope::Clear(json.to_vec()))
}

fn submit(board: &mut Switchboard, to: ActorId, record: Record) -> Emitted {
    let from = patient_address(board);
    board.deliver(from, to, Msg::Submit(Box::new(record)))
}

/// What `to` answered the submitter: `Ok(())` for stored, the reason for refused.
fn answer(board: &Switchboard, emitted: &Emitted, to: ActorId) -> Result<(), EntryError> {
    let replies = sent(emitted, to, patient_address(board));
    match replies.as_slice() {
        [Msg::Stored { .. }] => Ok(()),
        [Msg::Refused { why, .. }] => Err(why.clone()),
        other => panic!("expected one answer, got {other:?}"),
    }
}

fn stored(emitted: &Emitted) -> bool {
    observations(emitted)
        .iter()
        .any(|seen| matches!(seen, Observation::RecordStored { .. }))
}

/// Guards the schema check in `admit` as `Miner::accept_record` calls it: the refusal
/// names the missing field, the record is not stored, and the observation gives rule 16.
#[test]
fn a_miner_refuses_an_entry_missing_a_required_field_and_names_it() {
    let mut board = board();
    let broken = br#"{"resourceType":"Observation","code":{"text":"pulse"},"subject":{"reference":"Patient/x"}}"#;
    let emitted = submit(&mut board, MINER, entry_record(&keys(), 0, clear(broken)));
    assert_eq!(
        answer(&board, &emitted, MINER),
        Err(EntryError::Schema(SchemaError::Missing {
            resource: "Observation",
            field: "status"
        }))
    );
    assert!(!stored(&emitted));
    assert!(observations(&emitted)
        .iter()
        .any(|seen| matches!(seen, Observation::RecordRefused { rule: 16, .. })));
    let emitted = submit(
        &mut board,
        MINER,
        entry_record(&keys(), 1, clear(OBSERVATION)),
    );
    assert_eq!(answer(&board, &emitted, MINER), Ok(()));
    assert!(stored(&emitted));
}

/// A miner the patient let read an entry opens it and checks the schema inside; the same
/// sealed junk wrapped for someone else passes, since that miner cannot see into it.
#[test]
fn a_reading_miner_checks_inside_a_sealed_entry_and_an_outsider_cannot() {
    let mut board = board();
    let junk = br#"{"resourceType":"Encounter","status":"finished"}"#;
    let seal_for = |number: usize, sequence: u64| {
        let reader = miner_reading_keys(board.world.seed, number).public();
        let context = context(&keys().public(), sequence);
        let envelope = Envelope::seal(junk, &[reader], &context, &mut stream(1, "t", sequence));
        entry_record(&keys(), sequence, Body::Data(envelope))
    };
    let (for_this_miner, for_another) = (seal_for(0, 0), seal_for(5, 1));
    let emitted = submit(&mut board, MINER, for_this_miner);
    assert!(matches!(
        answer(&board, &emitted, MINER),
        Err(EntryError::Schema(SchemaError::Missing {
            resource: "Encounter",
            field: "class"
        }))
    ));
    let emitted = submit(&mut board, MINER, for_another);
    assert_eq!(answer(&board, &emitted, MINER), Ok(()));
}

/// Rule 17 at every honest miner: the patient's own miner checks the termination and
/// floods it; once the flood settles, every miner refuses a validly signed append under the
/// terminated key, with rule 17, while the successor key is taken.
#[test]
fn after_a_termination_floods_every_miner_refuses_the_old_key_and_takes_the_successor() {
    let mut board = board();
    let old = keys();
    let successor = KeyPair::derive(7, "records-test", 1);
    let before = submit(&mut board, MINER, entry_record(&old, 0, clear(OBSERVATION)));
    assert_eq!(answer(&board, &before, MINER), Ok(()));
    let termination = Body::Terminate {
        through: None,
        successor: successor.public(),
    };
    let emitted = submit(&mut board, MINER, entry_record(&old, 1, termination));
    assert_eq!(answer(&board, &emitted, MINER), Ok(()));
    board.settle(emitted, |_, _, _| {});
    let miners = board.peers();
    assert!(miners.len() >= 10);
    for &miner in &miners {
        assert!(
            board.miner(miner).knows_termination_of(&old.public()),
            "miner {miner} never heard of the termination"
        );
        let forged = entry_record(&old, 100 + miner as u64, clear(OBSERVATION));
        let emitted = submit(&mut board, miner, forged);
        let why = answer(&board, &emitted, miner).unwrap_err();
        assert_eq!((why.clone(), why.rule()), (EntryError::Terminated, 17));
        assert!(!stored(&emitted));
        let next = entry_record(&successor, 200 + miner as u64, clear(OBSERVATION));
        let emitted = submit(&mut board, miner, next);
        assert_eq!(answer(&board, &emitted, miner), Ok(()), "miner {miner}");
    }
}

/// A peer's word is not enough: `Miner::learn_termination` checks the patient's signature
/// and that the record is a termination before it stops taking the key.
#[test]
fn a_peer_cannot_terminate_a_record_without_the_patients_signed_termination() {
    let mut board = board();
    let patient = keys();
    let other = KeyPair::derive(7, "records-test", 2);
    let body = Body::Terminate {
        through: None,
        successor: other.public(),
    };
    let mut forged = entry_record(&patient, 3, body);
    forged.signature = entry_record(&other, 3, clear(OBSERVATION)).signature;
    let data = entry_record(&patient, 4, clear(OBSERVATION));
    for fake in [forged, data] {
        let emitted = board.deliver(2, MINER, Msg::Terminated(Box::new(fake)));
        assert!(sent(&emitted, MINER, 3).is_empty(), "a fake was passed on");
        assert!(!board.miner(MINER).knows_termination_of(&patient.public()));
    }
    let emitted = submit(
        &mut board,
        MINER,
        entry_record(&patient, 5, clear(OBSERVATION)),
    );
    assert_eq!(answer(&board, &emitted, MINER), Ok(()));
}

/// A miner met after the flood went by is told on meeting: `Miner::learn_peer` hands a
/// new peer every termination it holds.
#[test]
fn a_peer_met_after_the_flood_is_handed_the_termination() {
    let mut board = board();
    let termination = termination();
    submit(&mut board, MINER, termination.clone());
    let subject = board.subject;
    let list = vec![(subject, board.branch(subject))];
    let emitted = board.deliver(crate::switchboard::EXCHANGE, MINER, Msg::Peers(list));
    let handed = sent(&emitted, MINER, subject);
    assert!(
        handed
            .iter()
            .any(|msg| matches!(msg, Msg::Terminated(record) if **record == termination)),
        "{handed:?}"
    );
}

/// A holder keeps a patient's share on disk (rule: what survives a crash survives) and
/// hands it back opened; a holder that came back wiped has nothing to hand back.
#[test]
fn a_holder_returns_a_kept_share_after_a_crash_but_not_after_a_wipe() {
    use medilanac::actors::key_recovery::share_context;
    use medilanac::protocol::envelope::ReaderKeys;
    use medilanac::protocol::key_shares::{split, PatientSecrets};
    let mut board = board();
    let patient = keys();
    let secrets = PatientSecrets {
        signing: patient.clone(),
        reading: ReaderKeys::derive(7, "records-test", 0),
    };
    let shares = split(&secrets, 2, 3, &mut stream(1, "shares", 0));
    let reader = miner_reading_keys(board.world.seed, 0).public();
    let context = share_context(&patient.public());
    let sealed = Envelope::seal(&shares[0].0, &[reader], &context, &mut stream(1, "t", 0));
    let from = patient_address(&board);
    let public = patient.public();
    let emitted = board.deliver(
        from,
        MINER,
        Msg::KeyShare {
            patient: public,
            share: Box::new(sealed),
        },
    );
    assert!(matches!(
        sent(&emitted, MINER, from)[..],
        [Msg::ShareKept { .. }]
    ));
    let ask = |board: &mut Switchboard| {
        let emitted = board.deliver(from, MINER, Msg::ShareWanted { patient: public });
        sent(&emitted, MINER, from)
            .into_iter()
            .filter_map(|msg| match msg {
                Msg::ShareBack { share, .. } => Some(share.clone()),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(ask(&mut board), vec![shares[0].clone()]);
    board.handle(MINER, |node, ctx, world| node.restart(false, ctx, world));
    assert_eq!(
        ask(&mut board),
        vec![shares[0].clone()],
        "a crash keeps the disk"
    );
    board.handle(MINER, |node, ctx, world| node.restart(true, ctx, world));
    assert_eq!(ask(&mut board), vec![], "a wipe loses the share");
}

/// A resend of a record the miner already took, the termination itself included, is
/// acknowledged as stored, not refused under rule 17 (`Miner::accept_record` checks what
/// it kept before it admits).
#[test]
fn a_resent_termination_is_acknowledged_not_refused() {
    let mut board = board();
    let termination = termination();
    let first = submit(&mut board, MINER, termination.clone());
    assert_eq!(answer(&board, &first, MINER), Ok(()));
    let again = submit(&mut board, MINER, termination);
    assert_eq!(answer(&board, &again, MINER), Ok(()));
    assert!(!stored(&again), "stored once");
}
