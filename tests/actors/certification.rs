//! Certified patients at the receiver (rule 16, `protocol.certified_patients`): with
//! certification on, a challenged file that is a validly signed, proven record of a
//! patient whose key no institution certified gets the peer blacklisted; with it off the
//! same answer passes.

use crate::support_defences::{blacklisted, validated, validation, Answers};
use crate::switchboard::{Emitted, Switchboard};
use medilanac::actors::Breach;
use medilanac::protocol::PublicKey;
use medilanac::sim::ActorId;
use std::collections::BTreeSet;

const PEER: ActorId = 4;

/// A run with certification on (every patient of the run certified, as `set_up` in
/// src/simulation.rs does), then, if `uncertify`, the certificates of every patient whose
/// records `PEER` holds withdrawn, and `certified_patients` set to `check`; the subject
/// validates `PEER`, whose answers are all real.
fn validate(uncertify: bool, check: bool) -> Emitted {
    let mut board = Switchboard::new(|s| s.protocol.certified_patients = true);
    let blocks = board.miner(PEER).blocks().iter();
    let patients: BTreeSet<PublicKey> = blocks
        .flat_map(|block| block.records.iter().map(|record| record.patient))
        .collect();
    assert!(!patients.is_empty());
    assert!(
        patients.is_subset(&board.world.certified),
        "set_up certified them"
    );
    if uncertify {
        board.world.certified.retain(|key| !patients.contains(key));
    }
    board.world.params.certified_patients = check;
    validation(&mut board, PEER, Answers::All)
}

/// Guards `world.certified.contains(&record.patient)` in `Miner::on_file`
/// (src/actors/miner/validation.rs) and its `Some((true, false))` arm: the record's
/// signature and proof are good, only the certificate is missing, and that is rule 16.
#[test]
fn with_certification_a_proven_record_of_an_uncertified_patient_gets_the_peer_blacklisted() {
    let emitted = validate(true, true);
    let caught = blacklisted(&emitted);
    assert!(
        matches!(&caught[..], [(PEER, Breach::UncertifiedRecord { .. })]),
        "{caught:?}"
    );
    assert_eq!(caught[0].1.rule(), 16);
    assert!(!validated(&emitted, PEER));
}

/// Guards `!world.params.certified_patients ||` in `Miner::on_file`: with certification
/// off the same answers pass.
#[test]
fn without_certification_the_same_uncertified_records_pass() {
    let emitted = validate(true, false);
    assert_eq!(blacklisted(&emitted), vec![]);
    assert!(validated(&emitted, PEER), "{emitted:?}");
}

/// With certification on, a peer holding records of certified patients only is not
/// framed by the check.
#[test]
fn with_certification_records_of_certified_patients_pass() {
    let emitted = validate(false, true);
    assert_eq!(blacklisted(&emitted), vec![]);
    assert!(validated(&emitted, PEER), "{emitted:?}");
}
