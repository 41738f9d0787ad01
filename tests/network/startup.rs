//! Start-up shapes (the dissertation's start-up deadlock): a network whose first miner is
//! alone for a long time, which the scenario check must accept when enough miners join.

use super::scenario;
use medilanac::scenario::{Join, Scenario, ScenarioError};
use medilanac::sim::RunEnd;
use medilanac::simulation::run;

#[test]
fn a_miner_alone_for_fifteen_minutes_is_joined_by_nine_and_the_network_converges() {
    let network = scenario(|s| {
        s.miners = 1;
        s.joins = vec![Join {
            at: 900.0,
            count: 9,
        }];
    });
    let outcome = run(&network, 1, None);
    assert_eq!(outcome.end, RunEnd::Quiet, "ended at {}", outcome.end_time);
    assert!(outcome.miners.iter().all(|m| m.finished));
    // The first miner could not seal block 1 before anyone joined: rule 8 needs chunks of
    // other branches, and it waited rather than break it.
    let first = &outcome.miners[0].blocks;
    assert!(
        first[1].header.time >= 900_000_000,
        "block 1 sealed before anyone joined"
    );
    assert_eq!(outcome.summary.validations_failed, 0);
}

#[test]
fn distinct_placement_counts_the_miners_that_join_later() {
    let mut alone = Scenario::parse(medilanac::scenario::DEFAULT).unwrap();
    alone.miners = 1;
    match alone.check() {
        Err(ScenarioError::Invalid { field, rule, .. }) => {
            assert_eq!(field, "miners");
            assert!(rule.contains("0 join later"), "{rule}");
        }
        other => panic!("a lone miner with m = 5 was accepted: {other:?}"),
    }
    alone.joins = vec![Join { at: 60.0, count: 5 }];
    alone
        .check()
        .expect("six miners in all can place five chunks apart");
}
