//! The event loop alone: actors that bounce small messages with no crypto behind them, so
//! the figure is the engine's own cost per event (queue, dispatch, journal, network model).
//!
//! Run with `cargo bench --bench engine`; events per second = events / time.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use medilanac::sim::{Actor, ActorId, Context, Engine, Message, NetworkModel, Time};
use rand::Rng;

const ACTORS: usize = 200;
const HOPS: u64 = 1_000;

#[derive(Clone)]
struct Ball(u64);

impl Message for Ball {
    fn kind(&self) -> &'static str {
        "ball"
    }
    fn wire_size(&self) -> usize {
        16
    }
}

/// Throws each ball it gets to a random actor until the ball has made `HOPS` hops, and
/// sets a timer now and then so timers are exercised too.
struct Player;

impl Actor for Player {
    type Msg = Ball;
    type Timer = u64;
    type Observation = ();
    type Env = ();
    fn start(&mut self, ctx: &mut Context<Self>, _: &mut ()) {
        let to = ctx.rng.gen_range(0..ACTORS);
        ctx.send(to, Ball(0));
    }
    fn receive(&mut self, _: ActorId, ball: Ball, ctx: &mut Context<Self>, _: &mut ()) {
        if ball.0 < HOPS {
            let to = ctx.rng.gen_range(0..ACTORS);
            ctx.send(to, Ball(ball.0 + 1));
            if ball.0 % 8 == 0 {
                ctx.set_timer(Time(1_000), ball.0);
            }
        }
    }
    fn timer(&mut self, _: u64, _: &mut Context<Self>, _: &mut ()) {}
}

fn engine(c: &mut Criterion) {
    let events = {
        let mut engine = Engine::new(
            (0..ACTORS).map(|_| Player).collect(),
            1,
            NetworkModel::default(),
        );
        engine.run(&mut (), Time::MAX);
        engine.stats().events
    };
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(events));
    group.bench_function(format!("{events} events, {ACTORS} actors"), |b| {
        b.iter(|| {
            let mut engine = Engine::new(
                (0..ACTORS).map(|_| Player).collect(),
                1,
                NetworkModel::default(),
            );
            engine.run(&mut (), Time::MAX);
            engine.stats().events
        })
    });
    group.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
