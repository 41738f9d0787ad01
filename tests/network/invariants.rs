use super::scenario;
use medilanac::invariants::check;
use medilanac::protocol::{Codec, Verifier};
use medilanac::simulation::run;
use medilanac::summary::Summary;

#[test]
fn an_honest_network_breaks_no_invariant() {
    let outcome = run(&scenario(|_| {}), 5, None);
    assert_eq!(outcome.violation, None);
}

#[test]
fn a_corrupted_honest_branch_is_reported_with_its_miner_and_block() {
    let network = scenario(|_| {});
    let mut outcome = run(&network, 5, None);
    let record = &mut outcome.miners[2].blocks[3].records[0];
    record.payload = record.payload.with_flipped_byte(0);
    let params = &network.protocol;
    let codec = Codec::new(params.k, params.m).unwrap();
    let summary = Summary::of(params, &codec, &outcome.miners, &mut Verifier::default());
    let broken = check(
        params,
        &outcome.miners,
        &summary,
        outcome.end_time,
        &mut Verifier::default(),
    );
    let broken = broken.expect("the corruption is caught");
    assert_eq!(broken.rule, "an honest miner's branch is valid");
    assert!(
        broken.detail.contains("miner 2") && broken.detail.contains("block 3"),
        "{}",
        broken.detail
    );
}

#[test]
fn a_rebuild_that_differs_from_the_original_is_reported() {
    let network = scenario(|_| {});
    let mut outcome = run(&network, 5, None);
    // The miner's own copy changes after its chunks were made: rebuilt and original differ.
    outcome.miners[4].blocks[1].header.time += 1;
    let params = &network.protocol;
    let codec = Codec::new(params.k, params.m).unwrap();
    let summary = Summary::of(params, &codec, &outcome.miners, &mut Verifier::default());
    assert!(summary.wrong_rebuilds >= 1);
}
