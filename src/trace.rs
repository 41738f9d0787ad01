//! Event traces: every event a run dispatches as one JSON object per line (JSONL).
//!
//! A line names the virtual time (µs and seconds), the event's sequence number, the actor
//! (index, kind and name, as "miner 3", "patient 12", "exchange"), the event kind, and for a
//! delivery its sender, message kind, size and key fields ([`Msg::key_fields`]). A
//! [`Filter`] keeps only the events of some actors (as receiver or sender) or of a time
//! window. The observer only reads, so a traced run has the digest of an untraced one; the
//! file is written beside its final name and renamed into place, whole or not at all.

use crate::actors::{Msg, Node};
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
        let chosen = |id: ActorId| self.actors.as_ref().is_none_or(|set| set.contains(&id));
        let sender_chosen = match event.kind {
            EventKind::Deliver { from, .. } => chosen(from),
            _ => false,
        };
        in_window && (chosen(event.actor) || sender_chosen)
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
    roster: Vec<ActorName>,
    filter: Filter,
    seen: u64,
    written: u64,
    error: Option<std::io::Error>,
    /// Set once the file is in place; until then dropping removes the temporary file.
    renamed: bool,
}

/// What a finished trace holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceReport {
    /// Events the run dispatched.
    pub events: u64,
    /// Lines written (events the filter kept).
    pub written: u64,
}

impl TraceWriter {
    pub fn create(
        path: &Path,
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
        Ok(TraceWriter {
            path: path.to_path_buf(),
            temporary,
            out: Some(BufWriter::new(file)),
            roster,
            filter,
            seen: 0,
            written: 0,
            error: None,
            renamed: false,
        })
    }

    /// Writes `event` (with the message it delivers) if the filter keeps it. The first
    /// write error is kept for [`TraceWriter::finish`]; later events are skipped.
    pub fn event(&mut self, event: &EventRecord, message: Option<&Msg>) {
        self.seen += 1;
        if self.error.is_some() || !self.filter.keeps(event) {
            return;
        }
        let unnamed;
        let name = |id: ActorId| self.roster.get(id);
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
        let out = self.out.as_mut().expect("open until finished");
        let written = serde_json::to_writer(&mut *out, &line)
            .map_err(std::io::Error::from)
            .and_then(|_| out.write_all(b"\n"));
        match written {
            Ok(()) => self.written += 1,
            Err(error) => self.error = Some(error),
        }
    }

    /// Flushes the file and renames it to its final name.
    pub fn finish(mut self) -> Result<TraceReport, TraceError> {
        let io = |path: &Path| {
            let path = path.display().to_string();
            move |source| TraceError::Io { path, source }
        };
        if let Some(error) = self.error.take() {
            return Err(io(&self.path)(error));
        }
        let out = self.out.take().expect("open until finished");
        let file = out
            .into_inner()
            .map_err(|e| io(&self.path)(e.into_error()))?;
        file.sync_all().map_err(io(&self.path))?;
        drop(file);
        std::fs::rename(&self.temporary, &self.path).map_err(io(&self.path))?;
        self.renamed = true;
        Ok(TraceReport {
            events: self.seen,
            written: self.written,
        })
    }
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
        let writer = TraceWriter::create(path, roster, filter)?;
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
        let hooks = simulation::Hooks {
            observer: Some(observer),
            ..simulation::Hooks::default()
        };
        let outcome = simulation::run_with(self.scenario, self.seed, hooks);
        let writer = Rc::try_unwrap(writer)
            .ok()
            .expect("the engine and its observer are gone")
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
