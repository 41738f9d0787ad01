//! The interface between the event loop and the actors it runs: handlers that only emit.
//!
//! An actor never touches the queue, the network or the clock. It reacts to one event (a
//! start, a message, a timer) by writing [`Command`]s into an [`Out`] buffer: send a
//! message, set or cancel a timer, report an observation, log a line. The loop carries them
//! out after the handler returns. Because the buffer is plain data, a test builds one actor
//! and one [`Out`], hands the actor one message through a [`Context`] it made itself, and
//! asserts on the commands, with no engine at all (stateright's `Out` is the model; here
//! timers are typed values that can be cancelled, and observations are commands too, so
//! whoever watches a run learns what happened without reading an actor's fields).

use super::random::Rng;
use super::time::Time;
use std::fmt;

/// Index of an actor in the engine.
pub type ActorId = usize;

/// What the loop needs to know of a message: a name for logs and traces, and its size.
pub trait Message: Clone {
    fn kind(&self) -> &'static str;
    fn wire_size(&self) -> usize;
}

/// A timer an actor sets: a value of the actor's own type, handed back when it fires.
/// Cancelling one cancels every pending timer of the actor equal to it.
pub trait Timer: Clone + PartialEq + fmt::Debug {
    /// The number that names this timer in the event journal and in traces.
    fn code(&self) -> u64;
}

/// A state machine driven by messages and timers.
pub trait Actor {
    type Msg: Message;
    type Timer: Timer;
    /// What the actor reports of what it did, for invariants, samplers and traces.
    type Observation;
    /// State shared by all actors of one run (protocol parameters, caches).
    type Env;
    fn start(&mut self, ctx: &mut Context<Self>, env: &mut Self::Env);
    fn receive(
        &mut self,
        from: ActorId,
        msg: Self::Msg,
        ctx: &mut Context<Self>,
        env: &mut Self::Env,
    );
    fn timer(&mut self, timer: Self::Timer, ctx: &mut Context<Self>, env: &mut Self::Env);
    /// Called when the actor comes back after being down; `wiped` says its storage was
    /// lost too. Timers set before it went down never fire.
    fn restart(&mut self, wiped: bool, ctx: &mut Context<Self>, env: &mut Self::Env) {
        let _ = wiped;
        self.start(ctx, env);
    }
}

/// How much an actor's log line matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Milestones: blocks added, chunks found.
    Info,
    /// Protocol steps: validations, offers, retries.
    Debug,
}

/// One line an actor logged.
#[derive(Clone, Debug)]
pub struct LogLine {
    pub time: Time,
    pub actor: ActorId,
    pub level: Level,
    pub text: String,
}

/// One thing a handler asks the loop to do.
pub enum Command<A: Actor + ?Sized> {
    Send {
        to: ActorId,
        msg: A::Msg,
    },
    /// Hands `timer` back to the actor after `after`, unless cancelled or the actor goes
    /// down first.
    SetTimer {
        after: Time,
        timer: A::Timer,
    },
    /// Cancels every pending timer equal to this one.
    CancelTimer(A::Timer),
    Observe(A::Observation),
    Log {
        level: Level,
        text: String,
    },
}

impl<A: Actor + ?Sized> fmt::Debug for Command<A>
where
    A::Msg: fmt::Debug,
    A::Observation: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::Send { to, msg } => write!(f, "Send {{ to: {to}, msg: {msg:?} }}"),
            Command::SetTimer { after, timer } => write!(f, "SetTimer({timer:?} after {after})"),
            Command::CancelTimer(timer) => write!(f, "CancelTimer({timer:?})"),
            Command::Observe(observation) => write!(f, "Observe({observation:?})"),
            Command::Log { level, text } => write!(f, "Log({level:?}: {text})"),
        }
    }
}

/// The commands one handler emitted, in order.
pub struct Out<A: Actor + ?Sized> {
    commands: Vec<Command<A>>,
    /// Log lines up to this level are kept (none by default).
    log_level: Option<Level>,
}

impl<A: Actor + ?Sized> Default for Out<A> {
    fn default() -> Self {
        Out {
            commands: Vec::new(),
            log_level: None,
        }
    }
}

impl<A: Actor + ?Sized> Out<A> {
    /// A buffer that keeps log lines up to `level`.
    pub fn keeping_log(level: Option<Level>) -> Self {
        Out {
            commands: Vec::new(),
            log_level: level,
        }
    }

    /// Takes the commands out, in the order they were emitted.
    pub fn drain(&mut self) -> std::vec::Drain<'_, Command<A>> {
        self.commands.drain(..)
    }

    /// How many commands the buffer holds: a mark to take back what comes after it.
    pub fn mark(&self) -> usize {
        self.commands.len()
    }

    /// Takes out the commands emitted since `mark`, so a wrapper around an actor can
    /// rewrite, drop or duplicate what the wrapped actor emitted before pushing it back.
    pub fn split_off(&mut self, mark: usize) -> Vec<Command<A>> {
        self.commands.split_off(mark)
    }

    /// Appends a command as if a handler had emitted it.
    pub fn push(&mut self, command: Command<A>) {
        self.commands.push(command);
    }
}

/// An actor's window on the world while it handles one event: who it is, the time, its own
/// random stream, and the buffer its commands go to.
pub struct Context<'a, A: Actor + ?Sized> {
    pub me: ActorId,
    pub now: Time,
    pub rng: &'a mut Rng,
    pub out: &'a mut Out<A>,
}

impl<'a, A: Actor + ?Sized> Context<'a, A> {
    pub fn new(me: ActorId, now: Time, rng: &'a mut Rng, out: &'a mut Out<A>) -> Self {
        Context { me, now, rng, out }
    }

    pub fn send(&mut self, to: ActorId, msg: A::Msg) {
        self.out.commands.push(Command::Send { to, msg });
    }

    /// Hands `timer` back to the actor after `after`.
    pub fn set_timer(&mut self, after: Time, timer: impl Into<A::Timer>) {
        let timer = timer.into();
        self.out.commands.push(Command::SetTimer { after, timer });
    }

    /// Cancels every pending timer equal to `timer`.
    pub fn cancel_timer(&mut self, timer: impl Into<A::Timer>) {
        self.out.commands.push(Command::CancelTimer(timer.into()));
    }

    pub fn observe(&mut self, observation: impl Into<A::Observation>) {
        let observation = observation.into();
        self.out.commands.push(Command::Observe(observation));
    }

    /// Records a log line; `text` is only formatted if the level is being kept.
    pub fn log(&mut self, level: Level, text: impl FnOnce() -> String) {
        if self.out.log_level.is_some_and(|kept| level <= kept) {
            let text = text();
            self.out.commands.push(Command::Log { level, text });
        }
    }
}

/// A bare number as a timer, for actors whose timers carry nothing else (tests, benches).
impl Timer for u64 {
    fn code(&self) -> u64 {
        *self
    }
}
