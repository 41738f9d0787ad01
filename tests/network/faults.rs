use super::scenario;
use medilanac::simulation::run;

#[test]
fn lost_messages_are_retried_and_the_network_still_completes() {
    let lossy = scenario(|s| s.network.loss = 0.1);
    let outcome = run(&lossy, 3, None);
    assert!(outcome.engine.messages_lost > 0);
    let retries: u64 = outcome.miners.iter().map(|m| m.stats.retries).sum();
    assert!(retries > 0, "no request was retried");
    assert!(outcome.miners.iter().all(|m| m.finished));
    assert_eq!(outcome.summary.failed(), 0);
}

#[test]
fn without_loss_nothing_is_retried() {
    let outcome = run(&scenario(|_| {}), 3, None);
    assert_eq!(outcome.engine.messages_lost, 0);
    assert!(outcome.miners.iter().all(|m| m.stats.retries == 0));
}

#[test]
fn bandwidth_stretches_virtual_time() {
    let fast = run(&scenario(|_| {}), 2, None);
    let slow = run(&scenario(|s| s.network.bandwidth = 2_000), 2, None);
    assert!(
        slow.end_time > fast.end_time,
        "{} <= {}",
        slow.end_time,
        fast.end_time
    );
}
