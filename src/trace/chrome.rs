//! Traces in the Chrome Trace Event Format, for Perfetto UI and chrome://tracing: what a
//! miner was busy with, as slices on its track, rather than every event as a line.
//!
//! The JSONL trace answers "what happened at event N"; this one answers "what was miner 3
//! doing, and for how long". Nothing in a run announces the start or end of an activity,
//! so both are derived from what the hooks see:
//!
//! - **validate PEER**: from the time the miner sent the first `GetHeaders` to that peer
//!   that arrived (the observer sees a message when it is delivered, with when it was sent)
//!   to the `PeerValidated` or `PeerBlacklisted` observation for the peer;
//! - **gather block H**: the draft itself is invisible (it starts on a timer), so from the
//!   sending of the first `WantChunk` the miner sent after its previous block to the
//!   `BlockAdded` observation; a block sealed without asking for a chunk has no slice;
//! - **repair round N**: from the `RepairStarted` observation to the arrival of the replies
//!   to the round's audits (the `GetForeignChunk` requests the miner sent at that very
//!   time), or to the next round if some never come.
//!
//! A miner going down closes its open slices there (it forgets them); the end of the trace
//! closes the rest. Each slice's `args.ended` says which end it met.
//!
//! Slices on one thread must nest, and a miner validates several peers at once, so a
//! miner's track has lanes: the first lane is a thread named as the actor ("miner 3"); a
//! slice that would overlap one already on it goes to the next lane ("miner 3 (2)"). Thread
//! ids count from 2, past the one process's id 1, which viewers would label "main thread".
//! Every `Offer` carrying a chunk is a flow arrow from a one-microsecond "send chunk" slice
//! on the source's first lane at sending to a "receive chunk" slice on the requester's first
//! lane at delivery (flow events bind to the slice around them; one so short nests in
//! whatever lasts longer). Observations
//! without a duration (a chunk placed, a holder lost, a peer blacklisted, with its
//! evidence) are instants on the actor's first lane.
//!
//! Slices are written as they close, so the file is not in time order (the format does not
//! ask for it); only open slices are held in memory.

use super::{ActorName, Filter};
use crate::actors::{Msg, Observation};
use crate::sim::{ActorId, EventKind, EventRecord, Time};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

/// The one process every track belongs to.
const PID: u32 = 1;

/// What the writer needs besides its own state: the file, the actors' names and the filter.
pub(super) struct Sink<'a> {
    pub out: &'a mut dyn Write,
    pub roster: &'a [ActorName],
    pub filter: &'a Filter,
}

impl Sink<'_> {
    fn name(&self, actor: ActorId) -> String {
        self.roster
            .get(actor)
            .map_or_else(|| format!("actor {actor}"), |a| a.name.clone())
    }
}

/// One trace event as the format spells it.
#[derive(Serialize)]
struct Record<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    cat: &'static str,
    ph: &'static str,
    ts: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    dur: Option<u64>,
    pid: u32,
    tid: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<u64>,
    /// Flow end binding point ("e": the enclosing slice).
    #[serde(skip_serializing_if = "Option::is_none")]
    bp: Option<&'static str>,
    /// Instant scope ("t": the thread).
    #[serde(skip_serializing_if = "Option::is_none")]
    s: Option<&'static str>,
    #[serde(skip_serializing_if = "Value::is_null")]
    args: Value,
}

impl<'a> Record<'a> {
    fn new(name: &'a str, cat: &'static str, ph: &'static str, at: Time, tid: usize) -> Self {
        Record {
            name,
            cat,
            ph,
            ts: at.0,
            dur: None,
            pid: PID,
            tid,
            id: None,
            bp: None,
            s: None,
            args: Value::Null,
        }
    }
}

/// A slice ready to be written: on `actor`'s track, about `other` too (the validated peer).
struct Slice {
    actor: ActorId,
    other: ActorId,
    name: String,
    cat: &'static str,
    start: Time,
    end: Time,
    args: Value,
}

/// An audit round under way.
struct Round {
    number: usize,
    start: Time,
    audits: usize,
    /// Audit requests seen sent and not answered yet.
    pending: BTreeSet<u64>,
    answered: usize,
}

/// The open slices of a run and what has been written.
#[derive(Default)]
pub(super) struct Chrome {
    written: u64,
    /// Open validations by (miner, peer): when they started.
    validations: BTreeMap<(ActorId, ActorId), Time>,
    /// Open block gathering by miner: when it started.
    gathering: BTreeMap<ActorId, Time>,
    /// When each miner last added a block.
    last_block: BTreeMap<ActorId, Time>,
    repairs: BTreeMap<ActorId, Round>,
    /// The latest end of a slice on each lane of each actor's track.
    lanes: BTreeMap<ActorId, Vec<Time>>,
    /// Tracks that carry an event, as (actor, lane).
    tracks: BTreeSet<(ActorId, usize)>,
    flows: u64,
    /// The time of the latest event: where slices still open end.
    last: Time,
}

impl Chrome {
    /// Trace events written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// An event before dispatch, with the message it delivers.
    pub fn event(
        &mut self,
        sink: &mut Sink,
        event: &EventRecord,
        message: Option<&Msg>,
    ) -> io::Result<()> {
        self.last = event.time;
        match (event.kind, message) {
            (EventKind::Deliver { from, sent, .. }, Some(msg)) => {
                self.delivered(sink, event, from, sent, msg)
            }
            (EventKind::Down { .. }, _) => self.close_all(sink, event.actor, event.time, "down"),
            _ => Ok(()),
        }
    }

    fn delivered(
        &mut self,
        sink: &mut Sink,
        event: &EventRecord,
        from: ActorId,
        sent: Time,
        msg: &Msg,
    ) -> io::Result<()> {
        match msg {
            Msg::GetHeaders { .. } => {
                self.validations.entry((from, event.actor)).or_insert(sent);
            }
            Msg::WantChunk { .. } if self.last_block.get(&from).is_none_or(|&b| sent >= b) => {
                self.gathering.entry(from).or_insert(sent);
            }
            Msg::GetForeignChunk { request, .. } => {
                if let Some(round) = self.repairs.get_mut(&from).filter(|r| r.start == sent) {
                    round.pending.insert(*request);
                }
            }
            Msg::ForeignChunk { request, .. } => {
                return self.audit_answered(sink, event.actor, *request, event.time)
            }
            Msg::Offer { chunk: Ok(_), .. } if sink.filter.keeps(event) => {
                let args = msg.key_fields();
                self.flow(sink, (from, sent), (event.actor, event.time), args)?;
            }
            _ => {}
        }
        Ok(())
    }

    /// An event after dispatch, with what its handler observed.
    pub fn observed(
        &mut self,
        sink: &mut Sink,
        event: &EventRecord,
        observations: &[Observation],
    ) -> io::Result<()> {
        observations
            .iter()
            .try_for_each(|seen| self.observation(sink, event, seen))
    }

    fn observation(
        &mut self,
        sink: &mut Sink,
        event: &EventRecord,
        seen: &Observation,
    ) -> io::Result<()> {
        let (miner, at) = (event.actor, event.time);
        match seen {
            Observation::PeerValidated { peer, branch } => {
                let args = json!({ "branch": branch.short(), "ended": "validated" });
                self.validation_ended(sink, miner, *peer, at, args)
            }
            Observation::PeerBlacklisted {
                peer,
                branch,
                breach,
            } => {
                let evidence = breach.to_string();
                let args = json!({ "branch": branch.short(), "rule": breach.rule(), "evidence": evidence });
                let name = format!("blacklisted {}", sink.name(*peer));
                self.instant(sink, event, &name, args.clone())?;
                let mut args = args;
                args["ended"] = "blacklisted".into();
                self.validation_ended(sink, miner, *peer, at, args)
            }
            Observation::BlockAdded {
                height, foreign, ..
            } => {
                self.last_block.insert(miner, at);
                let Some(start) = self.gathering.remove(&miner) else {
                    return Ok(());
                };
                let args = json!({ "height": height, "foreign": foreign, "ended": "added" });
                let name = format!("gather block {height}");
                self.slice(
                    sink,
                    Slice {
                        actor: miner,
                        other: miner,
                        name,
                        cat: "gathering",
                        start,
                        end: at,
                        args,
                    },
                )
            }
            Observation::RepairStarted { round, audits } => {
                self.repair_started(sink, miner, *round, *audits, at)
            }
            Observation::ChunkPlaced { chunk, holder } => {
                let args = json!({
                    "source": chunk.source.short(), "height": chunk.height,
                    "index": chunk.index, "holder": holder.short(),
                });
                self.instant(sink, event, "chunk placed", args)
            }
            Observation::HolderLost { holder, freed } => {
                let args = json!({ "holder": holder.short(), "freed": freed });
                self.instant(sink, event, "holder lost", args)
            }
            Observation::RecordRefused {
                patient,
                sequence,
                rule,
            } => {
                let args = json!({ "patient": hex::encode(&patient.0[..4]), "sequence": sequence, "rule": rule });
                self.instant(sink, event, "record refused", args)
            }
            Observation::RecordTerminated { patient } => {
                let args = json!({ "patient": hex::encode(&patient.0[..4]) });
                self.instant(sink, event, "record terminated", args)
            }
            // A validation slice starts at the headers request the trace sees go out.
            Observation::ChunkOffered { .. }
            | Observation::RecordStored { .. }
            | Observation::ValidationStarted { .. } => Ok(()),
        }
    }

    fn validation_ended(
        &mut self,
        sink: &mut Sink,
        miner: ActorId,
        peer: ActorId,
        at: Time,
        args: Value,
    ) -> io::Result<()> {
        let Some(start) = self.validations.remove(&(miner, peer)) else {
            return Ok(());
        };
        let name = format!("validate {}", sink.name(peer));
        self.slice(
            sink,
            Slice {
                actor: miner,
                other: peer,
                name,
                cat: "validation",
                start,
                end: at,
                args,
            },
        )
    }

    /// A new round closes the one before; a round without audits closes at once.
    fn repair_started(
        &mut self,
        sink: &mut Sink,
        miner: ActorId,
        number: usize,
        audits: usize,
        at: Time,
    ) -> io::Result<()> {
        if let Some(round) = self.repairs.remove(&miner) {
            self.round_ended(sink, miner, round, at, "next round")?;
        }
        let round = Round {
            number,
            start: at,
            audits,
            pending: BTreeSet::new(),
            answered: 0,
        };
        if audits == 0 {
            return self.round_ended(sink, miner, round, at, "no audits");
        }
        self.repairs.insert(miner, round);
        Ok(())
    }

    fn audit_answered(
        &mut self,
        sink: &mut Sink,
        miner: ActorId,
        request: u64,
        at: Time,
    ) -> io::Result<()> {
        let Some(round) = self.repairs.get_mut(&miner) else {
            return Ok(());
        };
        if round.pending.remove(&request) {
            round.answered += 1;
        }
        if round.answered < round.audits {
            return Ok(());
        }
        let round = self.repairs.remove(&miner).expect("just seen");
        self.round_ended(sink, miner, round, at, "replies in")
    }

    fn round_ended(
        &mut self,
        sink: &mut Sink,
        miner: ActorId,
        round: Round,
        at: Time,
        ended: &str,
    ) -> io::Result<()> {
        let args = json!({
            "audits": round.audits, "answered": round.answered, "ended": ended,
        });
        let name = format!("repair round {}", round.number);
        self.slice(
            sink,
            Slice {
                actor: miner,
                other: miner,
                name,
                cat: "repair",
                start: round.start,
                end: at,
                args,
            },
        )
    }

    /// Closes every slice open on `miner`'s track at `at`.
    fn close_all(
        &mut self,
        sink: &mut Sink,
        miner: ActorId,
        at: Time,
        ended: &str,
    ) -> io::Result<()> {
        let peers: Vec<ActorId> = self
            .validations
            .range((miner, 0)..=(miner, ActorId::MAX))
            .map(|(&(_, peer), _)| peer)
            .collect();
        for peer in peers {
            self.validation_ended(sink, miner, peer, at, json!({ "ended": ended }))?;
        }
        if let Some(start) = self.gathering.remove(&miner) {
            let args = json!({ "ended": ended });
            let name = "gather block".to_string();
            self.slice(
                sink,
                Slice {
                    actor: miner,
                    other: miner,
                    name,
                    cat: "gathering",
                    start,
                    end: at,
                    args,
                },
            )?;
        }
        match self.repairs.remove(&miner) {
            Some(round) => self.round_ended(sink, miner, round, at, ended),
            None => Ok(()),
        }
    }

    /// Writes `slice` on the first lane of its track it fits on, clipped to the window, if
    /// the filter chooses its actor or the one it is about.
    fn slice(&mut self, sink: &mut Sink, slice: Slice) -> io::Result<()> {
        let chosen = sink.filter.chooses(slice.actor) || sink.filter.chooses(slice.other);
        let Some((start, end)) = sink.filter.clip(slice.start, slice.end) else {
            return Ok(());
        };
        if !chosen {
            return Ok(());
        }
        let tid = self.lane(sink, slice.actor, start, end);
        let mut record = Record::new(&slice.name, slice.cat, "X", start, tid);
        record.dur = Some((end - start).0);
        record.args = slice.args;
        self.write(sink, &record)
    }

    /// The track (`tid`) of the first lane of `actor` free from `start` on, taken to `end`.
    fn lane(&mut self, sink: &Sink, actor: ActorId, start: Time, end: Time) -> usize {
        let lanes = self.lanes.entry(actor).or_default();
        let lane = match lanes.iter().position(|&busy| busy <= start) {
            Some(free) => free,
            None => {
                lanes.push(Time::ZERO);
                lanes.len() - 1
            }
        };
        lanes[lane] = lanes[lane].max(end);
        self.tracks.insert((actor, lane));
        tid(sink, actor, lane)
    }

    /// The track of `actor`'s first lane, for what lasts too little to overlap anything it
    /// does not nest in (an instant, a chunk's one-microsecond ends).
    fn first_lane(&mut self, sink: &Sink, actor: ActorId) -> usize {
        self.tracks.insert((actor, 0));
        tid(sink, actor, 0)
    }

    /// A chunk going from `source` (actor, time sent) to `requester` (actor, time
    /// delivered): a flow between two one-microsecond slices it binds to.
    fn flow(
        &mut self,
        sink: &mut Sink,
        source: (ActorId, Time),
        requester: (ActorId, Time),
        args: Value,
    ) -> io::Result<()> {
        self.flows += 1;
        let id = self.flows;
        let ends = [
            (source, "send chunk", "s", None),
            (requester, "receive chunk", "f", Some("e")),
        ];
        for ((actor, at), name, ph, bp) in ends {
            let tid = self.first_lane(sink, actor);
            let mut slice = Record::new(name, "chunk", "X", at, tid);
            slice.dur = Some(1);
            slice.args = args.clone();
            self.write(sink, &slice)?;
            let mut end = Record::new("chunk", "chunk", ph, at, tid);
            end.id = Some(id);
            end.bp = bp;
            self.write(sink, &end)?;
        }
        Ok(())
    }

    /// An instant on the first lane of `event`'s actor, if the filter keeps the event.
    fn instant(
        &mut self,
        sink: &mut Sink,
        event: &EventRecord,
        name: &str,
        args: Value,
    ) -> io::Result<()> {
        if !sink.filter.keeps(event) {
            return Ok(());
        }
        let tid = self.first_lane(sink, event.actor);
        let mut record = Record::new(name, "observation", "i", event.time, tid);
        record.s = Some("t");
        record.args = args;
        self.write(sink, &record)
    }

    /// Closes what is still open at the last event, names every track and ends the object.
    pub fn finish(&mut self, sink: &mut Sink) -> io::Result<()> {
        let open: BTreeSet<ActorId> = (self.validations.keys().map(|&(miner, _)| miner))
            .chain(self.gathering.keys().copied())
            .chain(self.repairs.keys().copied())
            .collect();
        for miner in open {
            self.close_all(sink, miner, self.last, "trace end")?;
        }
        let miners = (0..sink.roster.len())
            .filter(|&id| sink.roster[id].kind == "miner" && sink.filter.chooses(id));
        let tracks: BTreeSet<(ActorId, usize)> = miners
            .map(|id| (id, 0))
            .chain(self.tracks.clone())
            .collect();
        for (order, (actor, lane)) in tracks.into_iter().enumerate() {
            self.name_track(sink, actor, lane, order)?;
        }
        if self.written == 0 {
            sink.out.write_all(b"{\"traceEvents\":[")?;
        }
        sink.out.write_all(b"\n],\"displayTimeUnit\":\"ms\"}\n")
    }

    /// The name of lane `lane` of `actor`'s track, and its place `order` among the tracks.
    fn name_track(
        &mut self,
        sink: &mut Sink,
        actor: ActorId,
        lane: usize,
        order: usize,
    ) -> io::Result<()> {
        let name = match lane {
            0 => sink.name(actor),
            _ => format!("{} ({})", sink.name(actor), lane + 1),
        };
        let tid = tid(sink, actor, lane);
        let mut record = Record::new("thread_name", "", "M", Time::ZERO, tid);
        record.args = json!({ "name": name });
        self.write(sink, &record)?;
        let mut place = Record::new("thread_sort_index", "", "M", Time::ZERO, tid);
        place.args = json!({ "sort_index": order });
        self.write(sink, &place)
    }

    /// Writes one trace event, opening the array before the first.
    fn write(&mut self, sink: &mut Sink, record: &Record) -> io::Result<()> {
        let separator: &[u8] = match self.written {
            0 => b"{\"traceEvents\":[\n",
            _ => b",\n",
        };
        sink.out.write_all(separator)?;
        serde_json::to_writer(&mut *sink.out, record)?;
        self.written += 1;
        Ok(())
    }
}

/// The thread id of lane `lane` of `actor`'s track: the actor's index for the first.
/// The thread id of lane `lane` of `actor`'s track: lanes of one actor a whole roster
/// apart, and never the process id.
fn tid(sink: &Sink, actor: ActorId, lane: usize) -> usize {
    PID as usize + 1 + actor + lane * sink.roster.len().max(1)
}
