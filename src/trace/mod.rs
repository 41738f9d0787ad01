//! Event traces: every event a run dispatches as one JSON object per line (JSONL), or what
//! each miner was busy with in the Chrome Trace Event Format (`chrome.rs`), to open in
//! Perfetto UI or chrome://tracing.
//!
//! A JSONL line names the virtual time (µs and seconds), the event's sequence number, the actor
//! (index, kind and name, as "miner 3", "patient 12", "exchange"), the event kind, and for a
//! delivery its sender, message kind, size and key fields ([`Msg::key_fields`]). A
//! [`Filter`] keeps only the events of some actors (as receiver or sender) or of a time
//! window. The hooks only read, so a traced run has the digest of an untraced one; the
//! file, in either format, is written beside its final name and renamed into place, whole
//! or not at all.

mod chrome;

use crate::actors::{Msg, Node, Observation};
use crate::scenario::Scenario;
use crate::sim::{ActorId, EventKind, EventRecord, Message, Time};
use crate::simulation::{self, Outcome};
use serde::Serialize;
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use thiserror::Error;

/// What went wrong with a trace.
#[derive(Debug, Error)]
pub enum TraceError {
    /// An `--actor` argument that names no actor of the run.
    #[error("--actor {given:?} names no actor of this run ({known})")]
    UnknownActor { given: String, known: String },
    /// A time window that is negative, not a number or ends before it starts.
    #[error("bad time window: {0}")]
    Window(String),
    #[error("cannot create trace {path}")]
    Create {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write trace {path}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// How a trace file is written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum TraceFormat {
    /// One JSON object per dispatched event, one a line.
    #[default]
    Jsonl,
    /// Chrome Trace Event Format: a track per actor with slices for validations, block
    /// gathering and repair rounds, flow arrows for chunks (Perfetto UI, chrome://tracing).
    Chrome,
}

/// What one actor of a run is: its kind ("miner") and its name ("miner 3").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActorName {
    pub kind: &'static str,
    pub name: String,
}

/// The kind and name of every actor, by engine index: miners by their number, patients by
/// their order among patients.
pub fn roster(nodes: &[Node]) -> Vec<ActorName> {
    let mut patients = 0;
    nodes
        .iter()
        .map(|node| match node {
            Node::Exchange(_) => ActorName {
                kind: "exchange",
                name: "exchange".into(),
            },
            Node::Miner(miner) => ActorName {
                kind: "miner",
                name: format!("miner {}", miner.number),
            },
            Node::Hostile(hostile) => ActorName {
                kind: "miner",
                name: format!("miner {} ({})", hostile.miner.number, hostile.kind.name()),
            },
            Node::Thief(_) => ActorName {
                kind: "thief",
                name: "thief".into(),
            },
            Node::Patient(_) => {
                patients += 1;
                ActorName {
                    kind: "patient",
                    name: format!("patient {}", patients - 1),
                }
            }
        })
        .collect()
}

/// Which events a trace keeps.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// Keep an event if its actor or its sender is one of these (all actors when `None`).
    pub actors: Option<BTreeSet<ActorId>>,
    /// Keep events at or after this time.
    pub from: Option<Time>,
    /// Keep events at or before this time.
    pub to: Option<Time>,
}

impl Filter {
    /// A filter from `--actor` arguments and a window in seconds.
    ///
    /// An actor is named by its engine index (`4`, as in a trace's `actor` field), by its
    /// name (`"miner 3"`, also `miner:3` or `miner3`), or by its kind (`miner`: all miners).
    pub fn new(
        selectors: &[String],
        from: Option<f64>,
        to: Option<f64>,
        roster: &[ActorName],
    ) -> Result<Filter, TraceError> {
        let seconds = |name: &str, value: Option<f64>| match value {
            Some(s) if !s.is_finite() || s < 0.0 => Err(TraceError::Window(format!(
                "--{name} {s}: seconds must be a number >= 0"
            ))),
            other => Ok(other.map(Time::from_secs_f64)),
        };
        let (from, to) = (seconds("from", from)?, seconds("to", to)?);
        if let (Some(start), Some(end)) = (from, to) {
            if end < start {
                return Err(TraceError::Window(format!(
                    "--to {end} is before --from {start}"
                )));
            }
        }
        let actors = match selectors {
            [] => None,
            _ => {
                let mut chosen = BTreeSet::new();
                for selector in selectors {
                    chosen.extend(resolve(selector, roster)?);
                }
                Some(chosen)
            }
        };
        Ok(Filter { actors, from, to })
    }

    /// Whether the trace keeps `event`.
    pub fn keeps(&self, event: &EventRecord) -> bool {
        let in_window = self.from.is_none_or(|from| event.time >= from)
            && self.to.is_none_or(|to| event.time <= to);
        let sender_chosen = match event.kind {
            EventKind::Deliver { from, .. } => self.chooses(from),
            _ => false,
        };
        in_window && (self.chooses(event.actor) || sender_chosen)
    }

    /// Whether the trace keeps what `actor` does (every actor without `--actor`).
    pub fn chooses(&self, actor: ActorId) -> bool {
        self.actors.as_ref().is_none_or(|set| set.contains(&actor))
    }

    /// The part of the span from `start` to `end` inside the window, if any.
    pub fn clip(&self, start: Time, end: Time) -> Option<(Time, Time)> {
        let start = self.from.map_or(start, |from| start.max(from));
        let end = self.to.map_or(end, |to| end.min(to));
        (start <= end).then_some((start, end))
    }
}

/// The actors one `--actor` argument names.
fn resolve(selector: &str, roster: &[ActorName]) -> Result<Vec<ActorId>, TraceError> {
    let unknown = || TraceError::UnknownActor {
        given: selector.to_string(),
        known: format!(
            "actors 0 to {}: exchange, miner N, patient N",
            roster.len().saturating_sub(1)
        ),
    };
    if let Ok(index) = selector.trim().parse::<ActorId>() {
        return if index < roster.len() {
            Ok(vec![index])
        } else {
            Err(unknown())
        };
    }
    let wanted = normalise(selector);
    let found: Vec<ActorId> = roster
        .iter()
        .enumerate()
        .filter(|(_, actor)| actor.name == wanted || actor.kind == wanted)
        .map(|(id, _)| id)
        .collect();
    if found.is_empty() {
        return Err(unknown());
    }
    Ok(found)
}

/// `Miner:3`, `miner3`, ` miner  3 ` → `miner 3`.
fn normalise(text: &str) -> String {
    let mut out = String::new();
    let mut previous: Option<char> = None;
    for c in text.trim().chars().map(|c| c.to_ascii_lowercase()) {
        let c = if matches!(c, ':' | '_' | '-' | '#') || c.is_whitespace() {
            ' '
        } else {
            c
        };
        let boundary = previous.is_some_and(|p| p.is_ascii_alphabetic()) && c.is_ascii_digit();
        if boundary || (c == ' ' && previous != Some(' ')) {
            out.push(' ');
        }
        if c != ' ' {
            out.push(c);
        }
        previous = Some(c);
    }
    out
}

/// One line of a trace.
#[derive(Serialize)]
struct Line<'a> {
    time_us: u64,
    time_s: f64,
    seq: u64,
    actor: ActorId,
    actor_kind: &'a str,
    actor_name: &'a str,
    event: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<ActorId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    from_kind: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    from_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<usize>,
    /// When a delivered message was sent, in microseconds of virtual time.
    #[serde(skip_serializing_if = "Option::is_none")]
    sent_us: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timer: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    wiped: Option<bool>,
}

/// Writes kept events to a temporary file beside `path`; [`TraceWriter::finish`] renames it
/// into place. Dropped unfinished, it removes the temporary file.
pub struct TraceWriter {
    path: PathBuf,
    temporary: PathBuf,
    out: Option<BufWriter<File>>,
    format: Format,
    roster: Vec<ActorName>,
    filter: Filter,
    seen: u64,
    kept: u64,
    error: Option<std::io::Error>,
    /// Set once the file is in place; until then dropping removes the temporary file.
    renamed: bool,
}

/// A [`TraceFormat`] with what it keeps between events.
enum Format {
    Jsonl,
    Chrome(Box<chrome::Chrome>),
}

/// What a finished trace holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceReport {
    /// Events the run dispatched.
    pub events: u64,
    /// Events the filter kept (for JSONL, the lines written).
    pub written: u64,
    /// Records written: lines for JSONL, trace events for the Chrome format.
    pub records: u64,
    pub format: TraceFormat,
}

impl TraceWriter {
    pub fn create(
        path: &Path,
        format: TraceFormat,
        roster: Vec<ActorName>,
        filter: Filter,
    ) -> Result<TraceWriter, TraceError> {
        let mut temporary = path.as_os_str().to_owned();
        temporary.push(".partial");
        let temporary = PathBuf::from(temporary);
        let file = File::create(&temporary).map_err(|source| TraceError::Create {
            path: temporary.display().to_string(),
            source,
        })?;
        let format = match format {
            TraceFormat::Jsonl => Format::Jsonl,
            TraceFormat::Chrome => Format::Chrome(Box::default()),
        };
        Ok(TraceWriter {
            path: path.to_path_buf(),
            temporary,
            out: Some(BufWriter::new(file)),
            format,
            roster,
            filter,
            seen: 0,
            kept: 0,
            error: None,
            renamed: false,
        })
    }

    /// Traces `event` (with the message it delivers), seen before dispatch. The first
    /// write error is kept for [`TraceWriter::finish`]; later events are skipped.
    pub fn event(&mut self, event: &EventRecord, message: Option<&Msg>) {
        self.seen += 1;
        let kept = self.filter.keeps(event);
        self.kept += u64::from(kept);
        if self.error.is_some() {
            return;
        }
        let out = self.out.as_mut().expect("open until finished");
        let written = match &mut self.format {
            Format::Jsonl if kept => jsonl_line(out, &self.roster, event, message),
            Format::Jsonl => Ok(()),
            Format::Chrome(chrome) => {
                let mut sink = chrome::Sink {
                    out,
                    roster: &self.roster,
                    filter: &self.filter,
                };
                chrome.event(&mut sink, event, message)
            }
        };
        self.error = written.err();
    }

    /// What the handler of `event` observed, seen after dispatch (the Chrome format's
    /// slices end on observations; a JSONL trace has no use for them).
    pub fn observed(&mut self, event: &EventRecord, observations: &[Observation]) {
        let Format::Chrome(chrome) = &mut self.format else {
            return;
        };
        if self.error.is_some() {
            return;
        }
        let mut sink = chrome::Sink {
            out: self.out.as_mut().expect("open until finished"),
            roster: &self.roster,
            filter: &self.filter,
        };
        self.error = chrome.observed(&mut sink, event, observations).err();
    }

    /// Ends the trace (the Chrome format closes what is still open), flushes the file and
    /// renames it to its final name.
    pub fn finish(mut self) -> Result<TraceReport, TraceError> {
        let io = |path: &Path| {
            let path = path.display().to_string();
            move |source| TraceError::Io { path, source }
        };
        if let Some(error) = self.error.take() {
            return Err(io(&self.path)(error));
        }
        let mut out = self.out.take().expect("open until finished");
        let (records, format) = match &mut self.format {
            Format::Jsonl => (self.kept, TraceFormat::Jsonl),
            Format::Chrome(chrome) => {
                let mut sink = chrome::Sink {
                    out: &mut out,
                    roster: &self.roster,
                    filter: &self.filter,
                };
                chrome.finish(&mut sink).map_err(io(&self.path))?;
                (chrome.written(), TraceFormat::Chrome)
            }
        };
        let file = out
            .into_inner()
            .map_err(|e| io(&self.path)(e.into_error()))?;
        file.sync_all().map_err(io(&self.path))?;
        drop(file);
        std::fs::rename(&self.temporary, &self.path).map_err(io(&self.path))?;
        self.renamed = true;
        Ok(TraceReport {
            events: self.seen,
            written: self.kept,
            records,
            format,
        })
    }
}

/// Writes `event` as one JSONL line.
fn jsonl_line(
    out: &mut impl Write,
    roster: &[ActorName],
    event: &EventRecord,
    message: Option<&Msg>,
) -> std::io::Result<()> {
    let unnamed;
    let name = |id: ActorId| roster.get(id);
    let actor = match name(event.actor) {
        Some(actor) => actor,
        None => {
            unnamed = ActorName {
                kind: "actor",
                name: format!("actor {}", event.actor),
            };
            &unnamed
        }
    };
    let mut line = Line {
        time_us: event.time.0,
        time_s: event.time.as_secs_f64(),
        seq: event.seq,
        actor: event.actor,
        actor_kind: actor.kind,
        actor_name: &actor.name,
        event: "",
        from: None,
        from_kind: None,
        from_name: None,
        message: None,
        size: None,
        sent_us: None,
        fields: None,
        timer: None,
        wiped: None,
    };
    match event.kind {
        EventKind::Start => line.event = "start",
        EventKind::Deliver {
            from,
            message: kind,
            size,
            sent,
        } => {
            line.sent_us = Some(sent.0);
            line.event = "deliver";
            line.from = Some(from);
            line.from_kind = Some(name(from).map_or("actor", |a| a.kind));
            line.from_name = name(from).map(|a| a.name.as_str());
            line.message = Some(message.map_or(kind, Message::kind));
            line.size = Some(size);
            line.fields = message.map(Msg::key_fields);
        }
        EventKind::Timer { id } => {
            line.event = "timer";
            line.timer = Some(id);
        }
        EventKind::Down { for_good: false } => line.event = "down",
        EventKind::Down { for_good: true } => line.event = "leave",
        EventKind::Up { wiped } => {
            line.event = "up";
            line.wiped = Some(wiped);
        }
    }
    serde_json::to_writer(&mut *out, &line)?;
    out.write_all(b"\n")
}

impl Drop for TraceWriter {
    fn drop(&mut self) {
        if !self.renamed {
            drop(self.out.take());
            let _ = std::fs::remove_file(&self.temporary);
        }
    }
}

/// Where and what to trace.
#[derive(Clone, Debug, Default)]
pub struct TraceOptions {
    /// `--actor` arguments (see [`Filter::new`]).
    pub actors: Vec<String>,
    /// Window start, seconds.
    pub from: Option<f64>,
    /// Window end, seconds.
    pub to: Option<f64>,
    /// How the file is written.
    pub format: TraceFormat,
}

/// A traced run, ready to go: its filter resolved and its file created.
pub struct TracedRun<'a> {
    scenario: &'a Scenario,
    seed: u64,
    writer: TraceWriter,
}

impl<'a> TracedRun<'a> {
    /// Resolves `options` against the run's actors and creates the temporary trace file, so
    /// bad options fail before anything runs.
    pub fn prepare(
        scenario: &'a Scenario,
        seed: u64,
        path: &Path,
        options: &TraceOptions,
    ) -> Result<TracedRun<'a>, TraceError> {
        let roster = roster(&simulation::actors(scenario, seed));
        let filter = Filter::new(&options.actors, options.from, options.to, &roster)?;
        let writer = TraceWriter::create(path, options.format, roster, filter)?;
        Ok(TracedRun {
            scenario,
            seed,
            writer,
        })
    }

    /// Runs as [`simulation::run`] does (no log kept) and puts the trace in place. The
    /// outcome, digest included, is that of an untraced run.
    pub fn run(self) -> Result<(Outcome, TraceReport), TraceError> {
        let writer = Rc::new(RefCell::new(self.writer));
        let sink = writer.clone();
        let observer = Box::new(move |event: &EventRecord, message: Option<&Msg>| {
            sink.borrow_mut().event(event, message)
        });
        let watched = writer.clone();
        let watcher = Box::new(move |event: &EventRecord, seen: &[Observation]| {
            watched.borrow_mut().observed(event, seen)
        });
        let hooks = simulation::Hooks {
            observer: Some(observer),
            watcher: Some(watcher),
            ..simulation::Hooks::default()
        };
        let outcome = simulation::run_with(self.scenario, self.seed, hooks);
        let writer = Rc::try_unwrap(writer)
            .ok()
            .expect("the engine and its hooks are gone")
            .into_inner();
        let report = writer.finish()?;
        Ok((outcome, report))
    }
}

/// [`TracedRun::prepare`] and [`TracedRun::run`] in one.
pub fn run_traced(
    scenario: &Scenario,
    seed: u64,
    path: &Path,
    options: &TraceOptions,
) -> Result<(Outcome, TraceReport), TraceError> {
    TracedRun::prepare(scenario, seed, path, options)?.run()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<ActorName> {
        let mut all = vec![ActorName {
            kind: "exchange",
            name: "exchange".into(),
        }];
        for i in 0..3 {
            all.push(ActorName {
                kind: "miner",
                name: format!("miner {i}"),
            });
        }
        all.push(ActorName {
            kind: "patient",
            name: "patient 0".into(),
        });
        all
    }

    #[test]
    fn selectors_name_actors_by_index_name_or_kind() {
        let roster = names();
        let pick = |s: &str| resolve(s, &roster).ok();
        assert_eq!(pick("2"), Some(vec![2]));
        assert_eq!(pick("miner 2"), Some(vec![3]));
        assert_eq!(pick("Miner:2"), Some(vec![3]));
        assert_eq!(pick("miner2"), Some(vec![3]));
        assert_eq!(pick("miner"), Some(vec![1, 2, 3]));
        assert_eq!(pick("exchange"), Some(vec![0]));
        assert_eq!(pick("patient 0"), Some(vec![4]));
        assert_eq!(pick("5"), None);
        assert_eq!(pick("miner 7"), None);
        assert_eq!(pick("nobody"), None);
    }

    #[test]
    fn windows_must_be_ordered_and_non_negative() {
        let roster = names();
        assert!(Filter::new(&[], Some(2.0), Some(1.0), &roster).is_err());
        assert!(Filter::new(&[], Some(-1.0), None, &roster).is_err());
        assert!(Filter::new(&[], Some(f64::NAN), None, &roster).is_err());
        assert!(Filter::new(&[], Some(1.0), Some(1.0), &roster).is_ok());
    }

    #[test]
    fn a_delivery_is_kept_for_its_sender_too() {
        let roster = names();
        let filter = Filter::new(&["miner 0".into()], None, None, &roster).unwrap();
        let deliver = |from, to| EventRecord {
            time: Time(5),
            seq: 0,
            actor: to,
            kind: EventKind::Deliver {
                from,
                message: "x",
                size: 1,
                sent: Time(4),
            },
        };
        assert!(filter.keeps(&deliver(1, 0)));
        assert!(filter.keeps(&deliver(0, 1)));
        assert!(!filter.keeps(&deliver(2, 3)));
        let window = Filter::new(&[], Some(0.000_01), None, &roster).unwrap();
        assert!(!window.keeps(&deliver(2, 3)));
    }
}
