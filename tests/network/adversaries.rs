use super::scenario;
use medilanac::actors::Behaviour;
use medilanac::simulation::{run, Outcome};

/// Miners revalidate often, so that every adversary is challenged on data blocks.
fn with(tamperers: usize, free_riders: usize) -> Outcome {
    let network = scenario(|s| {
        s.miners = 9;
        s.blocks = 4;
        s.adversaries.tamperers = tamperers;
        s.adversaries.free_riders = free_riders;
        s.miner.trust_period = medilanac::sim::Time::from_secs_f64(5.0);
    });
    run(&network, 7, None)
}

fn honest_failures(outcome: &Outcome) -> u64 {
    let honest = outcome
        .miners
        .iter()
        .filter(|m| m.behaviour == Behaviour::Honest);
    honest.map(|m| m.stats.validations_failed).sum()
}

#[test]
fn an_honest_network_blacklists_nobody() {
    assert_eq!(honest_failures(&with(0, 0)), 0);
}

#[test]
fn a_tamperer_is_blacklisted_and_its_later_blocks_find_no_chunks() {
    let outcome = with(1, 0);
    assert!(honest_failures(&outcome) > 0);
    let tamperer = outcome.miners.last().unwrap();
    assert_eq!(tamperer.behaviour, Behaviour::Tamperer);
    assert!(
        !tamperer.finished,
        "a blacklisted miner still gathered every chunk"
    );
    let honest = &outcome.miners[..outcome.miners.len() - 1];
    assert!(honest.iter().all(|m| m.finished));
}

#[test]
fn a_free_rider_fails_its_foreign_chunk_challenges() {
    let outcome = with(0, 1);
    assert!(honest_failures(&outcome) > 0);
    let rider = outcome.miners.last().unwrap();
    assert_eq!(rider.behaviour, Behaviour::FreeRider);
    assert!(!rider.finished);
}

/// The adversaries of the report, in the default network: blacklisted miners used to
/// ask at the shortest backoff until the cap, so the run never went quiet.
#[test]
fn a_run_with_adversaries_goes_quiet_once_the_honest_miners_are_done() {
    use medilanac::sim::RunEnd;
    let scenario = |tamperers, free_riders| {
        let mut s = medilanac::scenario::Scenario::parse(medilanac::scenario::DEFAULT).unwrap();
        s.adversaries.tamperers = tamperers;
        s.adversaries.free_riders = free_riders;
        s
    };
    let honest = run(&scenario(0, 0), 1, None);
    let hostile = run(&scenario(1, 1), 1, None);
    assert_eq!(hostile.end, RunEnd::Quiet, "ended at {}", hostile.end_time);
    let honest_done = hostile
        .miners
        .iter()
        .filter(|m| m.behaviour == Behaviour::Honest);
    assert!(honest_done.clone().all(|m| m.finished));
    assert!(
        hostile.engine.messages_sent < 3 * honest.engine.messages_sent,
        "{} messages against {} without adversaries",
        hostile.engine.messages_sent,
        honest.engine.messages_sent
    );
}
