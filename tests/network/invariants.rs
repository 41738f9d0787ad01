use super::{churning, scenario};
use medilanac::actors::{Msg, Node, Observation, World};
use medilanac::invariants::{check, rebuilds_as_made, BlocksStayRecoverable, Invariant};
use medilanac::protocol::{Block, Chunk, Codec, Verifier};
use medilanac::scenario::Scenario;
use medilanac::sim::{EventKind, EventRecord, RunEnd, View};
use medilanac::simulation::{run, run_with, Hooks, Outcome};
use medilanac::summary::Summary;
use std::cell::Cell;
use std::rc::Rc;

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

/// A deliberately wrong rule, for tests only: "no miner ever adds block 3".
struct NoThirdBlock;

impl Invariant for NoThirdBlock {
    fn rule(&self) -> &'static str {
        "no miner adds block 3 (deliberately wrong)"
    }

    fn check(
        &mut self,
        event: &EventRecord,
        _: &[Observation],
        run: &View<Node>,
        _: &mut World,
    ) -> Result<(), String> {
        match run.actors[event.actor].as_miner() {
            Some(miner) if miner.blocks().len() > 3 => Err(format!("miner {}", miner.number)),
            _ => Ok(()),
        }
    }
}

/// Runs with [`NoThirdBlock`], noting the last event dispatched.
fn run_broken(network: &Scenario, seed: u64) -> (Outcome, Option<EventRecord>) {
    let last = Rc::new(Cell::new(None));
    let seen = last.clone();
    let hooks = Hooks {
        observer: Some(Box::new(move |event: &EventRecord, _: Option<&Msg>| {
            seen.set(Some(*event))
        })),
        invariants: vec![Box::new(NoThirdBlock)],
        ..Hooks::default()
    };
    let outcome = run_with(network, seed, hooks);
    (outcome, last.get())
}

#[test]
fn a_broken_invariant_stops_the_run_at_its_event_and_replays_to_the_same_event() {
    let network = scenario(|_| {});
    let (outcome, last) = run_broken(&network, 5);
    let broken = outcome.violation.clone().expect("the wrong rule is caught");
    let event = broken.event.expect("caught during the run, at an event");
    assert_eq!(broken.rule, "no miner adds block 3 (deliberately wrong)");
    assert_eq!(outcome.end, RunEnd::Stopped);
    assert_eq!(last, Some(event), "the run went on past the violation");
    assert_eq!((broken.time, outcome.end_time), (event.time, event.time));
    // Exactly the miner that handled the event has block 3, and nobody has more.
    let third: Vec<usize> = outcome
        .miners
        .iter()
        .filter(|m| m.blocks.len() > 3)
        .map(|m| m.number)
        .collect();
    assert_eq!(third, vec![event.actor - 1]);
    assert!(broken
        .detail
        .contains(&format!("miner {}", event.actor - 1)));
    // The same seed stops at the same event with the same digest.
    let (again, _) = run_broken(&network, 5);
    assert_eq!(again.violation, outcome.violation);
    assert_eq!(again.digest, outcome.digest);
    // Without the wrong rule the run goes on.
    let honest = run(&network, 5, None);
    assert_eq!(honest.violation, None);
    assert!(honest.end_time > event.time);
}

/// Blocks of miner `owner`'s branch at `height`, and `count` distinct chunks of it found
/// on the other branches.
fn block_and_chunks(
    outcome: &Outcome,
    owner: usize,
    height: usize,
    count: usize,
) -> (Block, Vec<Chunk>) {
    let block = outcome.miners[owner].blocks[height].clone();
    let branch = block.header.branch;
    let mut chunks: Vec<Chunk> = Vec::new();
    let embedded = outcome
        .miners
        .iter()
        .flat_map(|m| &m.blocks)
        .flat_map(|b| &b.foreign);
    for chunk in embedded {
        let ours = chunk.header.source == branch && chunk.header.height == height as u64;
        if ours && chunks.iter().all(|c| c.header.index != chunk.header.index) {
            chunks.push(chunk.clone());
        }
    }
    chunks.truncate(count);
    assert_eq!(chunks.len(), count, "fewer than {count} chunks placed");
    (block, chunks)
}

#[test]
fn k_placed_chunks_rebuild_their_block_and_nothing_else() {
    let network = scenario(|_| {});
    let outcome = run(&network, 5, None);
    let params = &network.protocol;
    let codec = Codec::new(params.k, params.m).unwrap();
    let mut verifier = Verifier::default();
    let (block, chunks) = block_and_chunks(&outcome, 4, 1, params.k as usize);
    let chunks: Vec<&Chunk> = chunks.iter().collect();
    assert_eq!(
        rebuilds_as_made(params, &codec, &block, &chunks, &mut verifier),
        Ok(())
    );
    let mut changed = block.clone();
    changed.records[0].payload = changed.records[0].payload.with_flipped_byte(0);
    let differs = rebuilds_as_made(params, &codec, &changed, &chunks, &mut verifier);
    assert!(differs.unwrap_err().contains("differs from the original"));
    let short = rebuilds_as_made(params, &codec, &block, &chunks[1..], &mut verifier);
    assert!(short.is_err(), "decoded from k - 1 chunks");
}

/// [`BlocksStayRecoverable`] decoding as if the code took `k + 1` chunks, so that every
/// rebuild it tries fails: it must try one at a miner's departure, and stop the run there.
struct WrongCodec(BlocksStayRecoverable, World);

impl Invariant for WrongCodec {
    fn rule(&self) -> &'static str {
        "rebuilds through a wrong codec (deliberately broken)"
    }

    fn check(
        &mut self,
        event: &EventRecord,
        observed: &[Observation],
        run: &View<Node>,
        _: &mut World,
    ) -> Result<(), String> {
        self.0.check(event, observed, run, &mut self.1)
    }
}

#[test]
fn blocks_are_rebuilt_from_running_holders_when_a_holder_departs() {
    let network = churning(0.0);
    let params = network.protocol.clone();
    let honest = run(&network, 2, None);
    assert_eq!(honest.violation, None);
    let codec = Codec::new(params.k + 1, params.m).unwrap();
    let wrong = WrongCodec(
        BlocksStayRecoverable::default(),
        World::new(params, codec, 2),
    );
    let hooks = Hooks {
        invariants: vec![Box::new(wrong)],
        ..Hooks::default()
    };
    let broken = run_with(&network, 2, hooks);
    let violation = broken.violation.expect("a departure triggers a rebuild");
    let event = violation.event.expect("during the run");
    assert!(
        matches!(
            event.kind,
            EventKind::Down { .. } | EventKind::Up { wiped: true }
        ),
        "{event:?}"
    );
    assert!(
        violation.detail.contains("chunks on running holders"),
        "{}",
        violation.detail
    );
}

/// An invariant that checks every header signature of the acting miner's branch after each
/// of its events: pure extra verification work, for counting.
struct ReverifyHeaders;

impl Invariant for ReverifyHeaders {
    fn rule(&self) -> &'static str {
        "every header's signature verifies (again)"
    }

    fn check(
        &mut self,
        event: &EventRecord,
        _: &[Observation],
        run: &View<Node>,
        world: &mut World,
    ) -> Result<(), String> {
        let Some(miner) = run.actors[event.actor].as_miner() else {
            return Ok(());
        };
        for block in miner.blocks() {
            let header = &block.header;
            let digest = header.signing_digest();
            if !world
                .verifier
                .verify(&header.public_key, &digest, &header.signature)
            {
                return Err("a bad header signature".into());
            }
        }
        Ok(())
    }
}

#[test]
fn the_miners_signature_checks_are_counted_apart_from_the_invariants() {
    let network = scenario(|_| {});
    let plain = run(&network, 3, None);
    let hooks = Hooks {
        invariants: vec![Box::new(ReverifyHeaders)],
        ..Hooks::default()
    };
    let watched = run_with(&network, 3, hooks);
    assert_eq!(watched.digest, plain.digest);
    let calls = |v: medilanac::protocol::keys::VerifyStats| v.computed + v.reused;
    assert_eq!(
        calls(watched.verify),
        calls(plain.verify),
        "the miners' own checks"
    );
    assert!(calls(watched.checks_verify) > calls(plain.checks_verify) + 100);
}
