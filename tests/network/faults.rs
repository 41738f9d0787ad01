use super::{churning, scenario};
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

#[test]
fn miners_that_come_back_wiped_are_known_afresh_not_blacklisted() {
    let outcome = run(&churning(0.0), 2, None);
    assert!(
        outcome.miners.iter().any(|m| !m.retired.is_empty()),
        "no miner came back wiped"
    );
    assert_eq!(outcome.summary.validations_failed, 0);
    assert_eq!(outcome.violation, None);
}

/// A miner that learns a holder came back wiped (it announces a new branch) places the
/// chunks it held again at once, if repair is on, rather than at the next audit; with
/// repair off it places nothing again.
#[test]
fn a_holder_known_to_have_been_wiped_is_repaired_before_any_audit() {
    let freed = |o: &medilanac::simulation::Outcome| -> u64 {
        o.miners.iter().map(|m| m.stats.chunks_freed).sum()
    };
    // Audits would first run after the run's 800 s.
    let before_audits = run(&churning(10_000.0), 2, None);
    assert!(before_audits.miners.iter().all(|m| m.stats.audits == 0));
    assert!(
        freed(&before_audits) > 0,
        "no chunk of a wiped holder was placed again"
    );
    assert_eq!(freed(&run(&churning(0.0), 2, None)), 0, "repair is off");
}

/// Repair keeps more blocks rebuildable. (It does not lower the count of blocks lost outright
/// here: rule 8 fixes how much foreign data a block takes, so copies placed again compete with
/// first placements; README, "Repair under rule 8".)
#[test]
fn repair_places_lost_chunks_again_and_rebuilds_more_blocks() {
    let without = run(&churning(0.0), 2, None);
    let with = run(&churning(20.0), 2, None);
    let freed: u64 = with.miners.iter().map(|m| m.stats.chunks_freed).sum();
    assert!(freed > 0, "no chunk was placed again");
    assert!(without.miners.iter().all(|m| m.stats.audits == 0));
    // Of the blocks that ever had k chunks placed, the share rebuilt at the end.
    let rebuilt_share = |o: &medilanac::simulation::Outcome| {
        let s = &o.summary;
        s.rebuilt as f64 / (s.placeable + s.unavailable + s.lost).max(1) as f64
    };
    assert!(
        rebuilt_share(&with) > 1.5 * rebuilt_share(&without),
        "{} vs {}",
        rebuilt_share(&with),
        rebuilt_share(&without)
    );
}

#[test]
fn a_partition_cuts_messages_and_delays_the_miners_behind_it() {
    let free = run(&scenario(|_| {}), 2, None);
    let cut = run(
        &scenario(|s| {
            s.network.partitions = vec![medilanac::sim::network::Partition {
                start: medilanac::sim::Time::ZERO,
                end: medilanac::sim::Time::from_secs_f64(60.0),
                sites: [0, 1, 2].into(),
            }]
        }),
        2,
        None,
    );
    assert!(cut.engine.messages_cut > 0);
    assert_eq!(free.engine.messages_cut, 0);
    let first_block = |o: &medilanac::simulation::Outcome| o.miners[0].blocks[1].header.time;
    assert!(
        first_block(&cut) >= 60_000_000,
        "block 1 sealed at {} µs",
        first_block(&cut)
    );
    assert!(first_block(&free) < 60_000_000);
}

#[test]
fn duplicated_messages_change_nothing_a_miner_accepts() {
    let outcome = run(&scenario(|s| s.network.duplicate = 0.2), 3, None);
    assert!(outcome.miners.iter().all(|m| m.finished));
    assert_eq!(outcome.violation, None);
}

#[test]
fn chaos_draws_its_faults_from_the_seed_and_reproduces_them() {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/chaos.toml"))
            .unwrap();
    let chaotic = medilanac::scenario::Scenario::parse(&text).unwrap();
    let (first, drawn) = chaotic.with_chaos(7);
    let (again, drawn_again) = chaotic.with_chaos(7);
    let (_, other) = chaotic.with_chaos(8);
    assert_eq!(drawn, drawn_again);
    assert_ne!(drawn, other);
    assert!((0.0..=0.2).contains(&first.network.loss));
    assert!(first.churn.is_some() && again.chaos.is_none());
    let outcome = run(&chaotic, 7, None);
    assert_eq!(outcome.chaos, drawn);
    assert_eq!(outcome.digest, run(&chaotic, 7, None).digest);
}

/// With a lossy network patients resend until acknowledged: each patient's records reach its
/// miner (in a block or waiting for one) with no gap in their sequence numbers and none
/// stored twice.
#[test]
fn lost_records_are_resent_and_stored_once() {
    let lossy = scenario(|s| s.network.loss = 0.2);
    let outcome = run(&lossy, 5, None);
    assert!(outcome.engine.messages_lost > 0);
    let mut sequences: std::collections::BTreeMap<_, Vec<u64>> = Default::default();
    for miner in &outcome.miners {
        let in_blocks = miner.blocks.iter().flat_map(|b| b.records.iter());
        for record in in_blocks.chain(&miner.waiting) {
            sequences
                .entry(record.patient)
                .or_default()
                .push(record.sequence);
        }
    }
    assert_eq!(sequences.len(), lossy.miners * lossy.patients.per_miner);
    for (patient, mut stored) in sequences {
        stored.sort_unstable();
        let expected: Vec<u64> = (0..stored.len() as u64).collect();
        assert_eq!(stored, expected, "patient {patient:?}");
    }
}

/// Regions add their matrix to the latency draw: a matrix of 20 ms everywhere over a zero
/// latency is the plain 20 ms network, event for event; a far region slows the network.
#[test]
fn a_region_matrix_adds_latency_between_regions() {
    use medilanac::sim::network::Regions;
    use medilanac::sim::Latency;
    let plain = run(
        &scenario(|s| s.network.latency = Latency::Constant { ms: 20.0 }),
        4,
        None,
    );
    let with_matrix = |latency_ms: Vec<Vec<f64>>| {
        scenario(move |s| {
            s.network.latency = Latency::Constant { ms: 0.0 };
            s.network.regions = Some(Regions { latency_ms });
        })
    };
    let uniform = run(&with_matrix(vec![vec![20.0; 2]; 2]), 4, None);
    assert_eq!(uniform.digest, plain.digest);
    let far = run(
        &with_matrix(vec![vec![20.0, 2000.0], vec![2000.0, 20.0]]),
        4,
        None,
    );
    assert!(
        far.end_time > plain.end_time,
        "{} <= {}",
        far.end_time,
        plain.end_time
    );
    assert_eq!(far.summary.failed(), 0);
}

/// With a bandwidth, each actor pushes its messages out one after another: under a constant
/// latency a sender's messages arrive in the order it sent them, each at least its own
/// transfer time after the one before.
#[test]
fn messages_queue_on_the_senders_link() {
    use medilanac::actors::Msg;
    use medilanac::sim::{EventKind, EventRecord, Time};
    use medilanac::simulation::{run_with, Hooks};
    use std::cell::RefCell;
    use std::collections::BTreeMap;
    use std::rc::Rc;
    let rate = 20_000u64;
    let network = scenario(|s| s.network.bandwidth = rate);
    // Per sender: (arrival, sent, size) of every delivery, in arrival order.
    type Arrivals = BTreeMap<usize, Vec<(Time, Time, u64)>>;
    let arrivals: Rc<RefCell<Arrivals>> = Rc::default();
    let seen = arrivals.clone();
    let observer = move |event: &EventRecord, _: Option<&Msg>| {
        if let EventKind::Deliver {
            from, sent, size, ..
        } = event.kind
        {
            let entry = (event.time, sent, size as u64);
            seen.borrow_mut().entry(from).or_default().push(entry);
        }
    };
    let hooks = Hooks {
        observer: Some(Box::new(observer)),
        ..Hooks::default()
    };
    run_with(&network, 1, hooks);
    let mut queued = 0;
    for (sender, list) in arrivals.borrow().iter() {
        for pair in list.windows(2) {
            let ((at_a, sent_a, _), (at_b, sent_b, size_b)) = (pair[0], pair[1]);
            assert!(sent_a <= sent_b, "sender {sender}: overtaken");
            let transfer = Time(size_b * 1_000_000 / rate);
            assert!(
                at_b.0 >= at_a.0 + transfer.0,
                "sender {sender}: no queueing"
            );
            queued += (sent_b.0 < at_a.0) as usize;
        }
    }
    assert!(queued > 0, "no message ever waited for the one before it");
}

/// With `placement_notes`, each miner records in its later blocks where its chunks went
/// (DESIGN rule 14): every note names a block, and a position in it, that really holds that
/// chunk, and comes in a later block than the one whose chunk it places.
#[test]
fn placement_notes_in_later_blocks_say_truly_where_chunks_are() {
    use medilanac::protocol::{notes_of, ChunkId};
    use std::collections::BTreeSet;
    let noted = scenario(|s| s.protocol.placement_notes = true);
    let outcome = run(&noted, 3, None);
    assert_eq!(outcome.violation, None);
    assert_eq!(outcome.summary.failed(), 0);
    let branch_of = |branch| {
        outcome
            .miners
            .iter()
            .find(|m| m.blocks[0].header.branch == branch)
    };
    let mut seen = BTreeSet::new();
    for miner in &outcome.miners {
        let own = miner.blocks[0].header.branch;
        for block in &miner.blocks {
            for note in notes_of(block).expect("notes decode") {
                assert!(
                    note.height < block.header.height,
                    "a note about a later block"
                );
                let holder = branch_of(note.holder).expect("the holder is a miner");
                let held = &holder.blocks[note.holder_height as usize].foreign;
                let want = ChunkId {
                    source: own,
                    height: note.height,
                    index: note.index,
                };
                assert_eq!(held[note.position as usize].id(), want);
                assert!(seen.insert((want, note.holder)), "noted twice: {want:?}");
            }
        }
    }
    assert!(
        seen.len() > outcome.summary.chunks_placed as usize / 2,
        "few notes"
    );
    // Without the setting no block carries a record signed by its own miner.
    let plain = run(&scenario(|_| {}), 3, None);
    let notes: usize = plain
        .miners
        .iter()
        .flat_map(|m| m.blocks.iter().map(|b| notes_of(b).unwrap().len()))
        .sum();
    assert_eq!(notes, 0);
}

/// A sampler only watches: the run it watches (cut into slices of virtual time at each
/// sample, as the durability experiment and the run's progress bar do) ends with the
/// digest of the run nobody watched, whatever the period.
#[test]
fn watching_a_run_at_any_period_does_not_change_it() {
    use medilanac::sim::Time;
    use medilanac::simulation::{run_with, Hooks, Sample};
    let network = churning(60.0);
    let unwatched = run(&network, 4, None).digest;
    for period in [0.001, 7.0, 100.0, 799.0] {
        let mut samples = 0;
        let mut count = |_: Time, _: &Sample| samples += 1;
        let hooks = Hooks {
            sampler: Some((Time::from_secs_f64(period), &mut count)),
            ..Hooks::default()
        };
        let watched = run_with(&network, 4, hooks).digest;
        assert!(samples > 0, "a sampler every {period} s was never called");
        assert_eq!(watched, unwatched, "watched every {period} s");
    }
}
