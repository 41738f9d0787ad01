//! The event loop: a queue of timed events, dispatched one at a time to actors.
//!
//! Events are ordered by (virtual time, sequence number), so ties resolve in the order they
//! were scheduled and a run is a pure function of its actors, seed and network model. Time
//! jumps straight to the next event; idle periods cost nothing. Actors never touch the queue:
//! they push commands (send, set or cancel a timer, observe) into their [`Out`] buffer (see
//! [`super::actor`]), and the loop turns those into events after the handler returns. The
//! loop knows nothing of blocks or chunks.

use super::actor::{Actor, ActorId, Command, Context, Level, LogLine, Message, Out, Timer};
use super::network::{NetworkModel, Uplinks};
use super::random::{stream, Rng};
use super::time::Time;
use crate::protocol::Hash;
use sha2::{Digest, Sha256};
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// What one dispatched event was, for the journal digest and for traces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EventRecord {
    pub time: Time,
    pub seq: u64,
    pub actor: ActorId,
    pub kind: EventKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    Start,
    Deliver {
        from: ActorId,
        message: &'static str,
        size: usize,
        /// When the message was sent.
        sent: Time,
    },
    Timer {
        /// The timer's [`Timer::code`].
        id: u64,
    },
    /// The actor crashes, or leaves for good.
    Down {
        for_good: bool,
    },
    /// The actor comes back.
    Up {
        wiped: bool,
    },
}

/// Counters the loop keeps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EngineStats {
    pub events: u64,
    pub messages_sent: u64,
    pub messages_lost: u64,
    /// Messages dropped because a partition separated sender and receiver.
    pub messages_cut: u64,
    /// Copies that arrived for an actor that was down (dropped).
    pub messages_to_down: u64,
    pub bytes_sent: u64,
}

/// Why [`Engine::run`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunEnd {
    /// No events were left.
    Quiet,
    /// The next event lies past the deadline.
    Deadline,
    /// A check failed after an event; [`Engine::stopped`] says which and why.
    Stopped,
}

/// The check that stopped a run: the event after which it failed, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stop {
    pub record: EventRecord,
    pub reason: String,
}

/// A check run after every dispatched event, shown the event, the observations its handler
/// reported, and the run as it stands.
pub type Check<'c, A> = &'c mut dyn FnMut(
    &EventRecord,
    &[<A as Actor>::Observation],
    &View<A>,
    &mut <A as Actor>::Env,
) -> Result<(), String>;

/// What a check may look at between two events: every actor (indexed by [`ActorId`]) and
/// whether each is running.
pub struct View<'e, A> {
    pub actors: &'e [A],
    alive: &'e [bool],
    gone: &'e [bool],
}

impl<A> View<'_, A> {
    pub fn presence(&self, actor: ActorId) -> Presence {
        match (self.alive[actor], self.gone[actor]) {
            (true, _) => Presence::Running,
            (false, false) => Presence::Down,
            (false, true) => Presence::Gone,
        }
    }
}

enum Event<A: Actor> {
    Start,
    Deliver {
        from: ActorId,
        msg: A::Msg,
        sent: Time,
        /// The message's wire size, taken once when it was sent.
        size: usize,
    },
    /// A timer set during the actor's life number `life`.
    Timer {
        timer: A::Timer,
        life: u32,
    },
    /// A timer that was cancelled before it fired.
    Cancelled,
    Down {
        for_good: bool,
    },
    Up {
        wiped: bool,
    },
}

/// Whether an actor is running, down for now, or gone for good with all it stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presence {
    Running,
    Down,
    Gone,
}

impl Presence {
    /// Whether what the actor stored still exists (it is running, or down for now).
    pub fn keeps_data(self) -> bool {
        self != Presence::Gone
    }
}

/// A queue entry: small, so the heap moves little; the event itself waits in a slot.
struct Scheduled {
    at: Time,
    seq: u64,
    slot: u32,
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Scheduled {}
impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Scheduled {
    /// Reversed, so that the max-heap pops the earliest event first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

/// Pending events by slot; freed slots are reused, so the store stays as large as the
/// queue's peak.
struct Slots<A: Actor> {
    events: Vec<Option<(ActorId, Event<A>)>>,
    free: Vec<u32>,
}

impl<A: Actor> Slots<A> {
    fn put(&mut self, actor: ActorId, event: Event<A>) -> u32 {
        match self.free.pop() {
            Some(slot) => {
                self.events[slot as usize] = Some((actor, event));
                slot
            }
            None => {
                self.events.push(Some((actor, event)));
                u32::try_from(self.events.len() - 1).expect("fewer than 2^32 pending events")
            }
        }
    }

    fn take(&mut self, slot: u32) -> (ActorId, Event<A>) {
        self.free.push(slot);
        self.events[slot as usize]
            .take()
            .expect("a queued slot holds its event")
    }
}

/// A callback that sees every event, and the message a delivery carries, before it is
/// dispatched.
pub type Observer<M> = Box<dyn FnMut(&EventRecord, Option<&M>)>;

/// The simulation loop over actors of type `A`.
pub struct Engine<A: Actor> {
    actors: Vec<A>,
    rngs: Vec<Rng>,
    network: NetworkModel,
    network_rng: Rng,
    uplinks: Uplinks,
    queue: BinaryHeap<Scheduled>,
    slots: Slots<A>,
    now: Time,
    seq: u64,
    journal: Sha256,
    /// The bytes one event adds to the journal (kept to reuse its allocation).
    entry: Vec<u8>,
    stats: EngineStats,
    out: Out<A>,
    /// What the handler of the current event observed, shown to the check.
    observed: Vec<A::Observation>,
    log: Vec<LogLine>,
    observer: Option<Observer<A::Msg>>,
    /// Per actor: the slots of its pending timers, so a cancelled one can be found.
    timers: Vec<Vec<u32>>,
    /// Whether each actor is running (started and not down).
    alive: Vec<bool>,
    /// Whether each actor left for good.
    gone: Vec<bool>,
    /// How many times each actor went down; timers of earlier lives are discarded.
    lives: Vec<u32>,
    stopped: Option<Stop>,
}

impl<A: Actor> Engine<A> {
    /// An engine whose actors all start at time zero, in index order.
    pub fn new(actors: Vec<A>, seed: u64, network: NetworkModel) -> Engine<A> {
        let starts = vec![Time::ZERO; actors.len()];
        Engine::with_starts(actors, &starts, seed, network)
    }

    /// An engine whose actor `i` starts at `starts[i]` (later starts join a running network).
    pub fn with_starts(
        actors: Vec<A>,
        starts: &[Time],
        seed: u64,
        network: NetworkModel,
    ) -> Engine<A> {
        let count = actors.len();
        let rngs = (0..actors.len())
            .map(|id| stream(seed, "actor", id as u64))
            .collect();
        let mut engine = Engine {
            actors,
            rngs,
            network,
            network_rng: stream(seed, "network", 0),
            uplinks: Uplinks::default(),
            queue: BinaryHeap::new(),
            slots: Slots {
                events: Vec::new(),
                free: Vec::new(),
            },
            now: Time::ZERO,
            seq: 0,
            journal: Sha256::new(),
            entry: Vec::new(),
            stats: EngineStats::default(),
            out: Out::default(),
            observed: Vec::new(),
            log: Vec::new(),
            observer: None,
            timers: vec![Vec::new(); count],
            alive: vec![false; count],
            gone: vec![false; count],
            lives: vec![0; count],
            stopped: None,
        };
        for (actor, &at) in starts.iter().enumerate() {
            engine.schedule(at, actor, Event::Start);
        }
        engine
    }

    /// Takes `actor` down at `at`: messages to it are dropped and its timers never fire.
    /// An actor down `for_good` has left, and what it stored is gone with it.
    pub fn schedule_down(&mut self, actor: ActorId, at: Time, for_good: bool) {
        self.schedule(at, actor, Event::Down { for_good });
    }

    /// Brings `actor` back at `at`, with or without its storage.
    pub fn schedule_up(&mut self, actor: ActorId, at: Time, wiped: bool) {
        self.schedule(at, actor, Event::Up { wiped });
    }

    pub fn presence(&self, actor: ActorId) -> Presence {
        self.view().presence(actor)
    }

    /// The run as a check sees it.
    pub fn view(&self) -> View<'_, A> {
        View {
            actors: &self.actors,
            alive: &self.alive,
            gone: &self.gone,
        }
    }

    /// Keeps actors' log lines up to `level` (none are kept by default).
    pub fn keep_log(&mut self, level: Option<Level>) {
        self.out = Out::keeping_log(level);
    }

    /// Calls `observer` with every event before it is dispatched.
    pub fn observe(&mut self, mut observer: impl FnMut(&EventRecord) + 'static) {
        self.observe_messages(move |record, _| observer(record));
    }

    /// Like [`Engine::observe`], also showing the message of each delivery (for traces).
    pub fn observe_messages(
        &mut self,
        observer: impl FnMut(&EventRecord, Option<&A::Msg>) + 'static,
    ) {
        self.observer = Some(Box::new(observer));
    }

    fn schedule(&mut self, at: Time, actor: ActorId, event: Event<A>) -> u32 {
        let seq = self.seq;
        self.seq += 1;
        let slot = self.slots.put(actor, event);
        self.queue.push(Scheduled { at, seq, slot });
        slot
    }

    /// Dispatches events in order until none are left or the next lies past `deadline`.
    pub fn run(&mut self, env: &mut A::Env, deadline: Time) -> RunEnd {
        self.run_checked(env, deadline, &mut |_, _, _, _| Ok(()))
    }

    /// Like [`Engine::run`], calling `check` after every event and stopping at the first
    /// failure. The engine checks one thing itself: no message arrives before it was sent.
    pub fn run_checked(&mut self, env: &mut A::Env, deadline: Time, check: Check<A>) -> RunEnd {
        if self.stopped.is_some() {
            return RunEnd::Stopped;
        }
        while let Some(next) = self.queue.peek() {
            if next.at > deadline {
                return RunEnd::Deadline;
            }
            let next = self.queue.pop().expect("peeked");
            let Some(record) = self.dispatch(next, env) else {
                continue;
            };
            let checked = match record.kind {
                EventKind::Deliver { sent, .. } if sent > record.time => Err(format!(
                    "a message was delivered at {} before it was sent at {sent}",
                    record.time
                )),
                _ => check(&record, &self.observed, &self.view(), env),
            };
            if let Err(reason) = checked {
                self.stopped = Some(Stop { record, reason });
                return RunEnd::Stopped;
            }
        }
        RunEnd::Quiet
    }

    /// The check that stopped the run, if one did.
    pub fn stopped(&self) -> Option<&Stop> {
        self.stopped.as_ref()
    }

    /// Dispatches one event; returns its record, or `None` if it no longer applied.
    fn dispatch(&mut self, scheduled: Scheduled, env: &mut A::Env) -> Option<EventRecord> {
        let Scheduled { at, seq, slot } = scheduled;
        let (actor, event) = self.slots.take(slot);
        self.now = at;
        if !self.applies(actor, slot, &event) {
            return None;
        }
        let kind = match &event {
            Event::Start => EventKind::Start,
            Event::Deliver {
                from,
                msg,
                sent,
                size,
            } => EventKind::Deliver {
                from: *from,
                message: msg.kind(),
                size: *size,
                sent: *sent,
            },
            Event::Timer { timer, .. } => EventKind::Timer { id: timer.code() },
            Event::Cancelled => unreachable!("a cancelled timer does not apply"),
            Event::Down { for_good } => EventKind::Down {
                for_good: *for_good,
            },
            Event::Up { wiped } => EventKind::Up { wiped: *wiped },
        };
        let message = match &event {
            Event::Deliver { msg, .. } => Some(msg),
            _ => None,
        };
        let record = EventRecord {
            time: at,
            seq,
            actor,
            kind,
        };
        self.record(record, message);
        let mut ctx = Context::new(actor, at, &mut self.rngs[actor], &mut self.out);
        let target = &mut self.actors[actor];
        match event {
            Event::Start => target.start(&mut ctx, env),
            Event::Deliver { from, msg, .. } => target.receive(from, msg, &mut ctx, env),
            Event::Timer { timer, .. } => target.timer(timer, &mut ctx, env),
            Event::Up { wiped } => target.restart(wiped, &mut ctx, env),
            Event::Down { .. } | Event::Cancelled => {}
        }
        self.apply_commands(actor);
        Some(record)
    }

    /// Whether an event still means something for its actor, updating liveness: deliveries
    /// and timers reach only running actors, timers only in the life they were set in.
    fn applies(&mut self, actor: ActorId, slot: u32, event: &Event<A>) -> bool {
        let alive = self.alive[actor];
        match event {
            Event::Start | Event::Up { .. } if !alive => self.alive[actor] = true,
            Event::Start | Event::Up { .. } => return false,
            Event::Down { for_good } if alive => {
                self.alive[actor] = false;
                self.gone[actor] = *for_good;
                self.lives[actor] += 1;
                self.timers[actor].clear();
            }
            Event::Down { .. } => return false,
            Event::Deliver { .. } if !alive => {
                self.stats.messages_to_down += 1;
                return false;
            }
            Event::Timer { life, .. } => {
                if *life != self.lives[actor] {
                    return false;
                }
                let pending = &mut self.timers[actor];
                let at = pending.iter().position(|&s| s == slot);
                pending.swap_remove(at.expect("a live timer is pending"));
                return alive;
            }
            Event::Cancelled => return false,
            Event::Deliver { .. } => {}
        }
        true
    }

    /// Journals `record` and shows it, with the message `msg` it delivers, to the observer.
    fn record(&mut self, record: EventRecord, msg: Option<&A::Msg>) {
        self.stats.events += 1;
        let (code, from, name, size, id) = match record.kind {
            EventKind::Start => (0u8, 0, "", 0, 0),
            EventKind::Deliver {
                from,
                message,
                size,
                ..
            } => (1, from, message, size, 0),
            EventKind::Timer { id } => (2, 0, "", 0, id),
            EventKind::Down { for_good } => (3, 0, "", 0, for_good as u64),
            EventKind::Up { wiped } => (4, 0, "", 0, wiped as u64),
        };
        // One update per event (the hasher's per-call cost showed in profiles); the bytes
        // are the fields in order, as if each were fed on its own.
        let entry = &mut self.entry;
        entry.clear();
        entry.extend_from_slice(&record.time.0.to_le_bytes());
        entry.push(code);
        entry.extend_from_slice(&(record.actor as u64).to_le_bytes());
        entry.extend_from_slice(&(from as u64).to_le_bytes());
        entry.extend_from_slice(name.as_bytes());
        entry.extend_from_slice(&(size as u64).to_le_bytes());
        entry.extend_from_slice(&id.to_le_bytes());
        self.journal.update(&*entry);
        if let Some(observer) = &mut self.observer {
            observer(&record, msg);
        }
    }

    fn apply_commands(&mut self, actor: ActorId) {
        let mut out = std::mem::take(&mut self.out);
        self.observed.clear();
        for command in out.drain() {
            match command {
                Command::Send { to, msg } => self.send(actor, to, msg),
                Command::SetTimer { after, timer } => {
                    let life = self.lives[actor];
                    let event = Event::Timer { timer, life };
                    let slot = self.schedule(self.now + after, actor, event);
                    self.timers[actor].push(slot);
                }
                Command::CancelTimer(timer) => self.cancel(actor, &timer),
                Command::Observe(observation) => self.observed.push(observation),
                Command::Log { level, text } => self.log.push(LogLine {
                    time: self.now,
                    actor,
                    level,
                    text,
                }),
            }
        }
        self.out = out;
    }

    /// Cancels `actor`'s pending timers equal to `timer`: their slots are left to be
    /// popped and dropped, unjournaled, as timers of an earlier life are.
    fn cancel(&mut self, actor: ActorId, timer: &A::Timer) {
        let slots = &mut self.slots.events;
        self.timers[actor].retain(|&slot| {
            let entry = &mut slots[slot as usize];
            let matches = matches!(entry, Some((_, Event::Timer { timer: t, .. })) if t == timer);
            if matches {
                *entry = Some((actor, Event::Cancelled));
            }
            !matches
        });
    }

    /// Puts `msg` on `from`'s link, behind what it sent before, and schedules the copies
    /// that arrive.
    fn send(&mut self, from: ActorId, to: ActorId, msg: A::Msg) {
        let size = msg.wire_size();
        self.stats.messages_sent += 1;
        self.stats.bytes_sent += size as u64;
        let now = self.now;
        let left = self.uplinks.send(from, now, self.network.transfer(size));
        if self.network.cut(from, to, now) {
            self.stats.messages_cut += 1;
            return;
        }
        let delays = self
            .network
            .deliveries(from, to, now, &mut self.network_rng);
        let copies = delays.iter().flatten().count();
        if copies == 0 {
            self.stats.messages_lost += 1;
        }
        let mut msg = Some(msg);
        for (copy, delay) in delays.into_iter().flatten().enumerate() {
            let msg = match copy + 1 == copies {
                true => msg.take().expect("the last copy takes the message"),
                false => msg.clone().expect("copies come before the last"),
            };
            self.schedule(
                left + delay,
                to,
                Event::Deliver {
                    from,
                    msg,
                    sent: now,
                    size,
                },
            );
        }
    }

    pub fn now(&self) -> Time {
        self.now
    }

    pub fn actors(&self) -> &[A] {
        &self.actors
    }

    /// The actors as the run left them, for a caller that goes on driving them by hand.
    pub fn into_actors(self) -> Vec<A> {
        self.actors
    }

    pub fn stats(&self) -> EngineStats {
        self.stats
    }

    pub fn log(&self) -> &[LogLine] {
        &self.log
    }

    /// SHA-256 over every event dispatched so far.
    pub fn journal_digest(&self) -> Hash {
        Hash(self.journal.clone().finalize().into())
    }
}
