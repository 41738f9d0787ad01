//! Where two runs of one seed part: the first event at which they differ.
//!
//! A digest says only *that* two runs differ. The engine dispatches the same events in the
//! same order in every run of a seed, so the first event whose record (time, sequence
//! number, actor, kind, sender, message kind and size, timer) differs is where the runs
//! part. [`locate`] runs the seed once keeping an 8-byte fingerprint of every event, then
//! again, stopping at the first event whose fingerprint differs, and once more to show that
//! event as the first run had it. A nondeterministic program may of course behave
//! differently a third time; the report says which run each side comes from.

use crate::actors::{Node, Observation, World};
use crate::invariants::Invariant;
use crate::scenario::Scenario;
use crate::sim::{EventKind, EventRecord, View};
use crate::simulation::{run_with, Hooks};
use std::cell::RefCell;
use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::rc::Rc;

/// The first event at which two runs of one seed differ. An event is `None` where that run
/// had already ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FirstDifference {
    /// How many events both runs dispatched alike before it.
    pub index: usize,
    pub first: Option<EventRecord>,
    pub second: Option<EventRecord>,
}

/// What [`locate`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Located {
    /// The runs dispatched different events.
    Events(FirstDifference),
    /// Every event was alike (the digests may still differ in the final branches).
    SameEvents { events: usize },
}

fn fingerprint(record: &EventRecord) -> u64 {
    let mut hasher = DefaultHasher::new();
    record.hash(&mut hasher);
    hasher.finish()
}

/// Stops the run at the first event that does not match the first run's.
struct SameAsFirst {
    first: Rc<Vec<u64>>,
    seen: usize,
}

impl SameAsFirst {
    fn new(first: Rc<Vec<u64>>) -> SameAsFirst {
        SameAsFirst { first, seen: 0 }
    }
}

impl Invariant for SameAsFirst {
    fn rule(&self) -> &'static str {
        "the run repeats the first run of its seed"
    }

    fn check(
        &mut self,
        event: &EventRecord,
        _: &[Observation],
        _: &View<Node>,
        _: &mut World,
    ) -> Result<(), String> {
        let index = self.seen;
        self.seen += 1;
        match self.first.get(index) {
            Some(&print) if print == fingerprint(event) => Ok(()),
            _ => Err(format!("event {index} differs")),
        }
    }
}

/// What one run showed: every event's fingerprint, and the record of the event `wanted`
/// picks (the first it accepts, given the event's index and fingerprint).
fn observe(
    run: &mut impl FnMut(Pass, Hooks),
    pass: Pass,
    wanted: impl Fn(usize, u64) -> bool + 'static,
    invariants: Vec<Box<dyn Invariant>>,
) -> (Vec<u64>, Option<EventRecord>) {
    let shown = Rc::new(RefCell::new((Vec::new(), None)));
    let seen = shown.clone();
    let observer = move |record: &EventRecord, _: Option<&crate::actors::Msg>| {
        let (prints, kept) = &mut *seen.borrow_mut();
        let print = fingerprint(record);
        if kept.is_none() && wanted(prints.len(), print) {
            *kept = Some(*record);
        }
        prints.push(print);
    };
    let hooks = Hooks {
        observer: Some(Box::new(observer)),
        invariants,
        ..Hooks::default()
    };
    run(pass, hooks);
    shown.take()
}

/// Which of the two runs being compared a pass is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
    First,
    Second,
}

/// Runs `scenario` with `seed` twice (three times if they differ) and finds the first
/// event at which the runs differ.
pub fn locate(scenario: &Scenario, seed: u64) -> Located {
    locate_in(|_, hooks| {
        run_with(scenario, seed, hooks);
    })
}

/// [`locate`] over any pair of runs: `run` runs the first or the second with the hooks it
/// is given (the first may be asked for twice).
pub fn locate_in(mut run: impl FnMut(Pass, Hooks)) -> Located {
    let run = &mut run;
    let (first, _) = observe(run, Pass::First, |_, _| false, Vec::new());
    let first = Rc::new(first);
    let (again, check) = (first.clone(), SameAsFirst::new(first.clone()));
    let differs = move |index: usize, print| again.get(index) != Some(&print);
    let (second, second_event) = observe(run, Pass::Second, differs, vec![Box::new(check)]);
    let index = first
        .iter()
        .zip(&second)
        .position(|(a, b)| a != b)
        .unwrap_or(first.len().min(second.len()));
    if index == first.len() && index == second.len() {
        return Located::SameEvents { events: index };
    }
    let first_event = match index < first.len() {
        true => observe(run, Pass::First, move |at, _| at == index, Vec::new()).1,
        false => None,
    };
    Located::Events(FirstDifference {
        index,
        first: first_event,
        second: second_event,
    })
}

fn describe(event: &Option<EventRecord>) -> String {
    let Some(event) = event else {
        return "none (the run had ended)".into();
    };
    let what = match event.kind {
        EventKind::Start => "start".to_string(),
        EventKind::Deliver {
            from,
            message,
            size,
            ..
        } => format!("deliver {message} ({size} bytes) from actor {from}"),
        EventKind::Timer { id } => format!("timer {id}"),
        EventKind::Down { for_good } => format!("down (for good: {for_good})"),
        EventKind::Up { wiped } => format!("up (wiped: {wiped})"),
    };
    format!(
        "seq {} at {}, actor {}: {what}",
        event.seq, event.time, event.actor
    )
}

impl fmt::Display for FirstDifference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the runs part at event {}: first run {}; second run {}",
            self.index,
            describe(&self.first),
            describe(&self.second)
        )
    }
}

impl FirstDifference {
    /// The virtual time, in seconds, of the earlier of the two differing events.
    pub fn seconds(&self) -> f64 {
        let times = [self.first, self.second].into_iter().flatten();
        let time = times.map(|e| e.time).min().unwrap_or_default();
        time.as_secs_f64()
    }
}
