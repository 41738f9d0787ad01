use medilanac::sim::{
    Actor, ActorId, Context, Engine, EventKind, Message, NetworkModel, RunEnd, Time,
};
use std::cell::RefCell;
use std::rc::Rc;

#[derive(Clone)]
struct Ping;

impl Message for Ping {
    fn kind(&self) -> &'static str {
        "ping"
    }
    fn wire_size(&self) -> usize {
        8
    }
}

/// Sets three timers at the same instant and pings actor 0 on each.
struct Echo;

impl Actor for Echo {
    type Msg = Ping;
    type Timer = u64;
    type Observation = ();
    type Env = Vec<(ActorId, u64)>;
    fn start(&mut self, ctx: &mut Context<Self>, _: &mut Self::Env) {
        for id in [3u64, 1, 2] {
            ctx.set_timer(Time(1_000), id);
        }
    }
    fn receive(&mut self, _: ActorId, _: Ping, _: &mut Context<Self>, _: &mut Self::Env) {}
    fn timer(&mut self, id: u64, ctx: &mut Context<Self>, fired: &mut Self::Env) {
        fired.push((ctx.me, id));
        ctx.send(0, Ping);
    }
}

fn run(seed: u64, deadline: Time) -> (Vec<(ActorId, u64)>, Vec<Time>, RunEnd, String) {
    let mut engine = Engine::new(vec![Echo, Echo], seed, NetworkModel::default());
    let times = Rc::new(RefCell::new(Vec::new()));
    let seen = times.clone();
    engine.observe(move |event| seen.borrow_mut().push(event.time));
    let mut fired = Vec::new();
    let end = engine.run(&mut fired, deadline);
    let times = times.borrow().clone();
    (fired, times, end, engine.journal_digest().to_string())
}

#[test]
fn simultaneous_timers_fire_in_the_order_they_were_set() {
    let (fired, _, end, _) = run(1, Time::MAX);
    assert_eq!(fired, vec![(0, 3), (0, 1), (0, 2), (1, 3), (1, 1), (1, 2)]);
    assert_eq!(end, RunEnd::Quiet);
}

#[test]
fn virtual_time_never_goes_backwards() {
    let (_, times, _, _) = run(1, Time::MAX);
    assert!(times.len() > 6);
    assert!(times.windows(2).all(|pair| pair[0] <= pair[1]));
}

#[test]
fn a_deadline_stops_the_run_before_later_events() {
    let (fired, _, end, _) = run(1, Time(999));
    assert!(fired.is_empty());
    assert_eq!(end, RunEnd::Deadline);
}

#[test]
fn the_journal_is_reproducible() {
    assert_eq!(run(5, Time::MAX).3, run(5, Time::MAX).3);
}

#[test]
fn messages_arrive_after_the_network_latency() {
    let mut engine = Engine::new(vec![Echo], 1, NetworkModel::default());
    let deliveries = Rc::new(RefCell::new(Vec::new()));
    let seen = deliveries.clone();
    engine.observe(move |event| {
        if let EventKind::Deliver { .. } = event.kind {
            seen.borrow_mut().push(event.time);
        }
    });
    engine.run(&mut Vec::new(), Time::MAX);
    // Timers at 1 ms, default latency 20 ms.
    assert_eq!(*deliveries.borrow(), vec![Time(21_000); 3]);
}

/// Sets timers 1 and 2 twice each at start; cancels timer 2 when the first timer 1 fires.
struct Canceller;

impl Actor for Canceller {
    type Msg = Ping;
    type Timer = u64;
    type Observation = ();
    type Env = Vec<(Time, u64)>;
    fn start(&mut self, ctx: &mut Context<Self>, _: &mut Self::Env) {
        for (at, id) in [(1, 1u64), (2, 2), (3, 1), (4, 2)] {
            ctx.set_timer(Time(at * 1_000), id);
        }
    }
    fn receive(&mut self, _: ActorId, _: Ping, _: &mut Context<Self>, _: &mut Self::Env) {}
    fn timer(&mut self, id: u64, ctx: &mut Context<Self>, fired: &mut Self::Env) {
        if fired.is_empty() {
            ctx.cancel_timer(2u64);
        }
        fired.push((ctx.now, id));
    }
}

#[test]
fn a_cancelled_timer_never_fires_and_others_still_do() {
    let mut engine = Engine::new(vec![Canceller], 1, NetworkModel::default());
    let mut fired = Vec::new();
    engine.run(&mut fired, Time::MAX);
    assert_eq!(fired, vec![(Time(1_000), 1), (Time(3_000), 1)]);
    // A cancelled timer is no event: the start and the two timers that fired.
    assert_eq!(engine.stats().events, 3);
}

/// A miner that was told "no chunk" by a peer does not ask that peer again before the peer
/// could have made another block (one block interval), however often it retries.
#[test]
fn a_peer_with_no_chunk_is_not_asked_again_within_a_block_interval() {
    use medilanac::actors::message::Refusal;
    use medilanac::actors::Msg;
    use medilanac::sim::{EventKind, EventRecord, Time};
    use medilanac::simulation::{run_with, Hooks};
    use std::cell::RefCell;
    use std::collections::BTreeMap;
    use std::rc::Rc;
    let network = super::scenario(|s| s.miners = 12);
    let interval = network.miner.block_interval;
    // (asker, peer) -> when the asker last heard "no chunk" from the peer.
    let refused: Rc<RefCell<BTreeMap<(usize, usize), Time>>> = Rc::default();
    let (seen, broken) = (refused.clone(), Rc::new(RefCell::new(Vec::new())));
    let report = broken.clone();
    let observer = move |event: &EventRecord, msg: Option<&Msg>| {
        let EventKind::Deliver { from, sent, .. } = event.kind else {
            return;
        };
        match msg {
            Some(Msg::Offer {
                chunk: Err(Refusal::NoChunk),
                ..
            }) => {
                seen.borrow_mut().insert((event.actor, from), event.time);
            }
            Some(Msg::WantChunk { .. }) => {
                if let Some(&at) = seen.borrow().get(&(from, event.actor)) {
                    if sent < at + interval {
                        report.borrow_mut().push((from, event.actor, at, sent));
                    }
                }
            }
            _ => {}
        }
    };
    let hooks = Hooks {
        observer: Some(Box::new(observer)),
        ..Hooks::default()
    };
    let outcome = run_with(&network, 2, hooks);
    assert!(
        !refused.borrow().is_empty(),
        "no peer ever had nothing to give"
    );
    assert_eq!(*broken.borrow(), Vec::new(), "asked again too soon");
    assert!(outcome.miners.iter().all(|m| m.finished));
}
