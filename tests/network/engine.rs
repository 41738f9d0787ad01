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
    type Env = Vec<(ActorId, u64)>;
    fn start(&mut self, ctx: &mut Context<Ping>, _: &mut Self::Env) {
        for id in [3, 1, 2] {
            ctx.set_timer(Time(1_000), id);
        }
    }
    fn receive(&mut self, _: ActorId, _: Ping, _: &mut Context<Ping>, _: &mut Self::Env) {}
    fn timer(&mut self, id: u64, ctx: &mut Context<Ping>, fired: &mut Self::Env) {
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
