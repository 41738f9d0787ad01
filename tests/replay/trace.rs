//! `replay --trace FILE.jsonl`: one JSON object per dispatched event, in time order, with
//! actors named and deliveries described; filters keep exactly the matching lines; the file
//! is whole or absent; and tracing never changes the digest. `--trace-format chrome`: a
//! Chrome trace with a named track per miner, slices that nest, and flows that end.

use crate::support::{arg, files_like, medilanac, parse, read_trace, simulate, write, Run, SMALL};
use medilanac::trace::{self, TraceOptions};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// Traces SMALL with `seed` and `extra` arguments into `dir/name`; the run and the file.
fn trace_to(dir: &Path, name: &str, seed: u64, extra: &[&str]) -> (Run, PathBuf) {
    let file = write(dir, "small.toml", SMALL);
    let out = dir.join(name);
    let mut args = vec!["replay", arg(&file), "--trace", arg(&out)];
    let seed = seed.to_string();
    args.extend(["--seed", seed.as_str()]);
    args.extend(extra);
    let run = medilanac(&args);
    run.expect(0);
    (run, out)
}

/// Traces SMALL with `seed` and `extra` arguments; the run and the trace's lines.
fn traced(dir: &Path, name: &str, seed: u64, extra: &[&str]) -> (Run, Vec<Value>) {
    let (run, out) = trace_to(dir, name, seed, extra);
    (run, read_trace(&out))
}

fn num(line: &Value, key: &str) -> u64 {
    line[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} is not a number in {line}"))
}

#[test]
fn the_trace_has_one_line_per_event_in_time_order() {
    let dir = TempDir::new().unwrap();
    let (run, lines) = traced(dir.path(), "all.jsonl", 3, &[]);
    let outcome = simulate(&parse(SMALL), 3);
    assert_eq!(lines.len() as u64, outcome.engine.events);
    assert!(run
        .stdout
        .contains(&format!("{0} of {0} events", outcome.engine.events)));

    let times: Vec<u64> = lines.iter().map(|l| num(l, "time_us")).collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "time goes backwards"
    );
    let mut seqs: Vec<u64> = lines.iter().map(|l| num(l, "seq")).collect();
    seqs.sort_unstable();
    seqs.dedup();
    assert_eq!(seqs.len(), lines.len(), "sequence numbers repeat");

    let mut kinds = std::collections::BTreeSet::new();
    for line in &lines {
        let us = num(line, "time_us");
        let seconds = line["time_s"].as_f64().expect("time_s");
        assert!((seconds - us as f64 / 1e6).abs() < 1e-9, "{line}");
        let actor = num(line, "actor");
        let name = line["actor_name"].as_str().expect("actor_name");
        let kind = line["actor_kind"].as_str().expect("actor_kind");
        assert!(name.starts_with(kind), "{line}");
        // Actor 0 is the exchange, 1..=6 the miners (miner i is actor i + 1), then patients.
        match actor {
            0 => assert_eq!(name, "exchange"),
            1..=6 => assert_eq!(name, format!("miner {}", actor - 1)),
            _ => assert_eq!(name, format!("patient {}", actor - 7)),
        }
        let event = line["event"].as_str().expect("event");
        kinds.insert(event.to_string());
        match event {
            "deliver" => {
                num(line, "from");
                num(line, "size");
                assert!(line["from_name"].is_string(), "{line}");
                assert!(line["message"].is_string(), "{line}");
                assert!(line["fields"].is_object(), "{line}");
            }
            "timer" => {
                num(line, "timer");
            }
            "start" | "down" | "up" => {}
            other => panic!("unknown event kind {other}"),
        }
    }
    for kind in ["start", "deliver", "timer"] {
        assert!(kinds.contains(kind), "no {kind} event in the trace");
    }
    // Key fields reach the trace: requests carry their id, placements their chunk.
    let has = |message: &str, field: &str| {
        lines
            .iter()
            .filter(|l| l["message"] == message)
            .all(|l| !l["fields"][field].is_null())
    };
    assert!(has("get_file", "request") && has("get_file", "height") && has("get_file", "index"));
    assert!(has("announce", "branch"));
    assert!(has("placed", "chunk") && has("placed", "height"));
    assert!(lines.iter().any(|l| l["message"] == "placed"));
}

#[test]
fn tracing_leaves_the_digest_unchanged_and_repeats_byte_for_byte() {
    let dir = TempDir::new().unwrap();
    let file = write(dir.path(), "small.toml", SMALL);
    let plain = medilanac(["replay", arg(&file), "--seed", "2"]);
    plain.expect(0);
    let (traced_run, _) = traced(dir.path(), "a.jsonl", 2, &[]);
    let (filtered_run, _) = traced(
        dir.path(),
        "b.jsonl",
        2,
        &["--actor", "miner 0", "--from", "5"],
    );
    assert_eq!(traced_run.digest(), plain.digest());
    assert_eq!(filtered_run.digest(), plain.digest());
    assert_eq!(
        plain.digest(),
        simulate(&parse(SMALL), 2).digest.to_string()
    );
    traced(dir.path(), "c.jsonl", 2, &[]);
    let a = std::fs::read(dir.path().join("a.jsonl")).unwrap();
    let c = std::fs::read(dir.path().join("c.jsonl")).unwrap();
    assert!(a == c, "two traces of one run differ");
}

/// The lines of the full trace that `keep` selects, as text.
fn subset(all: &[Value], keep: impl Fn(&Value) -> bool) -> Vec<String> {
    all.iter()
        .filter(|l| keep(l))
        .map(Value::to_string)
        .collect()
}

fn texts(lines: &[Value]) -> Vec<String> {
    lines.iter().map(Value::to_string).collect()
}

#[test]
fn filters_keep_exactly_the_matching_events() {
    let dir = TempDir::new().unwrap();
    let (_, all) = traced(dir.path(), "all.jsonl", 1, &[]);
    let touches = |line: &Value, actor: u64| {
        line["actor"].as_u64() == Some(actor) || line["from"].as_u64() == Some(actor)
    };

    // One actor, by name and by index: its own events and what it sent.
    let (_, miner) = traced(dir.path(), "m.jsonl", 1, &["--actor", "miner 2"]);
    let expected = subset(&all, |l| touches(l, 3));
    assert!(!expected.is_empty());
    assert!(expected.len() < all.len());
    assert_eq!(texts(&miner), expected);
    let (_, by_index) = traced(dir.path(), "i.jsonl", 1, &["--actor", "3"]);
    assert_eq!(texts(&by_index), expected);

    // Repeated: either actor.
    let (_, two) = traced(
        dir.path(),
        "two.jsonl",
        1,
        &["--actor", "exchange", "--actor", "miner:4"],
    );
    assert_eq!(
        texts(&two),
        subset(&all, |l| touches(l, 0) || touches(l, 5))
    );

    // A kind: every patient.
    let (_, patients) = traced(dir.path(), "p.jsonl", 1, &["--actor", "patient"]);
    let is_patient = |l: &Value, key: &str| l[key].as_u64().is_some_and(|a| a >= 7);
    assert_eq!(
        texts(&patients),
        subset(&all, |l| is_patient(l, "actor") || is_patient(l, "from"))
    );

    // A time window, alone and with an actor.
    let within = |l: &Value| (5_000_000..=12_000_000).contains(&num(l, "time_us"));
    let (_, window) = traced(dir.path(), "w.jsonl", 1, &["--from", "5", "--to", "12"]);
    assert!(!window.is_empty());
    assert_eq!(texts(&window), subset(&all, within));
    let (_, both) = traced(
        dir.path(),
        "wm.jsonl",
        1,
        &["--actor", "miner 2", "--from", "5", "--to", "12"],
    );
    assert_eq!(texts(&both), subset(&all, |l| within(l) && touches(l, 3)));
}

#[test]
fn bad_filters_are_bad_input_and_leave_no_file() {
    let dir = TempDir::new().unwrap();
    let file = write(dir.path(), "small.toml", SMALL);
    let out = dir.path().join("t.jsonl");
    let bad: [&[&str]; 6] = [
        &["--actor", "miner 6"],
        &["--actor", "99"],
        &["--actor", "nobody"],
        &["--from", "-1"],
        &["--from", "10", "--to", "5"],
        &["--from", "soon"],
    ];
    for extra in bad {
        let mut args = vec!["replay", arg(&file), "--trace", arg(&out)];
        args.extend(extra);
        medilanac(&args).expect(2);
        assert!(
            files_like(dir.path(), "t.jsonl").is_empty(),
            "{extra:?} left a file"
        );
    }
    // Filters without a trace make no sense.
    medilanac(["replay", arg(&file), "--actor", "miner 1"]).expect(2);
    // A trace where no file can be made.
    let nowhere: PathBuf = dir.path().join("missing").join("t.jsonl");
    medilanac(["replay", arg(&file), "--trace", arg(&nowhere)]).expect(2);
}

#[test]
fn a_trace_is_written_whole_under_its_name_only() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("t.jsonl");
    // An old file of that name is replaced, never appended to.
    std::fs::write(&out, "old\n").unwrap();
    traced(dir.path(), "t.jsonl", 1, &[]);
    assert_eq!(
        files_like(dir.path(), "t.jsonl"),
        vec!["t.jsonl".to_string()]
    );
    let lines = read_trace(&out);
    assert_eq!(lines.len() as u64, simulate(&parse(SMALL), 1).engine.events);
}

#[test]
fn an_in_process_trace_matches_the_outcome() {
    let dir = TempDir::new().unwrap();
    let scenario = parse(SMALL);
    let path = dir.path().join("lib.jsonl");
    let (outcome, report) =
        trace::run_traced(&scenario, 6, &path, &TraceOptions::default()).expect("trace");
    assert_eq!(outcome.digest, simulate(&scenario, 6).digest);
    assert_eq!(report.events, outcome.engine.events);
    assert_eq!(report.written, outcome.engine.events);
    assert_eq!(read_trace(&path).len() as u64, outcome.engine.events);

    let options = TraceOptions {
        actors: vec!["exchange".into()],
        to: Some(1.0),
        ..TraceOptions::default()
    };
    let (filtered, report) = trace::run_traced(&scenario, 6, &path, &options).expect("trace");
    assert_eq!(filtered.digest, outcome.digest);
    assert!(report.written < report.events);
    assert_eq!(read_trace(&path).len() as u64, report.written);
}

/// Traces SMALL with `seed` in the Chrome format; the run and the trace's events.
fn chrome(dir: &Path, name: &str, seed: u64, extra: &[&str]) -> (Run, Vec<Value>) {
    let mut args = vec!["--trace-format", "chrome"];
    args.extend(extra);
    let (run, out) = trace_to(dir, name, seed, &args);
    let text = std::fs::read_to_string(&out).expect("read trace");
    let trace: Value = serde_json::from_str(&text).expect("a Chrome trace is one JSON object");
    assert_eq!(trace["displayTimeUnit"], "ms");
    let events = trace["traceEvents"]
        .as_array()
        .expect("a traceEvents array");
    (run, events.clone())
}

fn phase<'a>(events: &'a [Value], ph: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    events.iter().filter(move |e| e["ph"] == ph)
}

/// Each track's name, by `tid`.
fn track_names(events: &[Value]) -> std::collections::BTreeMap<u64, String> {
    phase(events, "M")
        .filter(|e| e["name"] == "thread_name")
        .map(|e| {
            (
                num(e, "tid"),
                e["args"]["name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// (start, end) of every slice, by `tid`.
fn slices_by_track(events: &[Value]) -> std::collections::BTreeMap<u64, Vec<(u64, u64)>> {
    let mut tracks = std::collections::BTreeMap::<u64, Vec<(u64, u64)>>::new();
    for slice in phase(events, "X") {
        let start = num(slice, "ts");
        let end = start + num(slice, "dur");
        tracks
            .entry(num(slice, "tid"))
            .or_default()
            .push((start, end));
    }
    tracks
}

#[test]
fn a_chrome_trace_names_every_miner_and_slices_validations_and_gathering() {
    let dir = TempDir::new().unwrap();
    let (_, events) = chrome(dir.path(), "t.json", 3, &[]);
    let names = track_names(&events);
    for miner in 0..6u64 {
        let name = format!("miner {miner}");
        assert!(names.values().any(|n| *n == name), "no track {name}");
    }
    // A track whose thread id is the process id is shown as "main thread" by viewers.
    let pids: BTreeSet<u64> = events.iter().map(|e| num(e, "pid")).collect();
    assert!(names.keys().all(|tid| !pids.contains(tid)), "{names:?}");
    let on_a_miner = |prefix: &str| {
        phase(&events, "X").any(|slice| {
            let name = slice["name"].as_str().unwrap();
            let track = &names[&num(slice, "tid")];
            name.starts_with(prefix) && track.starts_with("miner ")
        })
    };
    assert!(on_a_miner("validate miner "), "no validation slice");
    assert!(on_a_miner("gather block "), "no block gathering slice");
    let validated = phase(&events, "X").filter(|s| s["args"]["ended"] == "validated");
    assert!(
        validated.count() > 0,
        "no validation ended in PeerValidated"
    );
}

#[test]
fn every_chunk_flow_that_starts_ends_with_the_same_id() {
    let dir = TempDir::new().unwrap();
    let (_, events) = chrome(dir.path(), "t.json", 3, &[]);
    let ids = |ph| {
        let mut ids: Vec<u64> = phase(&events, ph).map(|e| num(e, "id")).collect();
        ids.sort_unstable();
        ids
    };
    let (starts, ends) = (ids("s"), ids("f"));
    assert!(!starts.is_empty(), "no chunk transfer in the trace");
    assert_eq!(starts, ends);
    let mut unique = starts.clone();
    unique.dedup();
    assert_eq!(unique, starts, "flow ids repeat");
    assert!(phase(&events, "f").all(|e| e["bp"] == "e"));
    let offers = read_trace(&trace_to(dir.path(), "t.jsonl", 3, &[]).1)
        .into_iter()
        .filter(|l| l["message"] == "offer" && !l["fields"]["chunk"].is_null())
        .count();
    assert_eq!(starts.len(), offers, "one flow per offer carrying a chunk");
}

#[test]
fn chrome_slices_start_at_or_after_zero_and_nest_on_their_track() {
    let dir = TempDir::new().unwrap();
    let (_, events) = chrome(dir.path(), "t.json", 2, &[]);
    for event in &events {
        num(event, "ts");
        if event["ph"] == "X" {
            num(event, "dur");
        }
    }
    for (tid, slices) in slices_by_track(&events) {
        for (i, &(start, end)) in slices.iter().enumerate() {
            assert!(start <= end, "a slice on track {tid} ends before it starts");
            for &(other_start, other_end) in &slices[i + 1..] {
                let apart = end <= other_start || other_end <= start;
                let nested = (start <= other_start && other_end <= end)
                    || (other_start <= start && end <= other_end);
                assert!(
                    apart || nested,
                    "slices {start}..{end} and {other_start}..{other_end} overlap on track {tid}"
                );
            }
        }
    }
}

#[test]
fn chrome_tracing_leaves_the_digest_and_the_default_jsonl_unchanged() {
    let dir = TempDir::new().unwrap();
    let file = write(dir.path(), "small.toml", SMALL);
    let plain = medilanac(["replay", arg(&file), "--seed", "4"]);
    plain.expect(0);
    let (run, _) = chrome(dir.path(), "t.json", 4, &[]);
    assert_eq!(run.digest(), plain.digest());
    let (filtered, _) = chrome(dir.path(), "f.json", 4, &["--actor", "miner 1"]);
    assert_eq!(filtered.digest(), plain.digest());
    let (_, default) = trace_to(dir.path(), "a.jsonl", 4, &[]);
    let (_, named) = trace_to(dir.path(), "b.jsonl", 4, &["--trace-format", "jsonl"]);
    assert!(
        std::fs::read(default).unwrap() == std::fs::read(named).unwrap(),
        "--trace-format jsonl differs from the default"
    );
}

#[test]
fn chrome_filters_keep_the_chosen_miner_inside_the_window() {
    let dir = TempDir::new().unwrap();
    let (_, all) = chrome(dir.path(), "all.json", 1, &[]);
    let (_, some) = chrome(
        dir.path(),
        "some.json",
        1,
        &["--actor", "miner 2", "--from", "5", "--to", "12"],
    );
    assert!(phase(&some, "X").count() > 0);
    assert!(phase(&some, "X").count() < phase(&all, "X").count());
    let names = track_names(&some);
    for slice in phase(&some, "X").filter(|s| s["cat"] != "chunk") {
        let (start, end) = (num(slice, "ts"), num(slice, "ts") + num(slice, "dur"));
        assert!(
            start >= 5_000_000 && end <= 12_000_000,
            "{slice} is outside the window"
        );
        let track = &names[&num(slice, "tid")];
        let about = slice["name"].as_str().unwrap();
        assert!(
            track.starts_with("miner 2") || about.ends_with("miner 2"),
            "{slice} on {track} is not about miner 2"
        );
    }
}

#[test]
fn a_bad_trace_format_is_a_usage_error_and_leaves_no_file() {
    let dir = TempDir::new().unwrap();
    let file = write(dir.path(), "small.toml", SMALL);
    let out = dir.path().join("t.json");
    let args = ["replay", arg(&file), "--trace", arg(&out)];
    medilanac(args.iter().chain(&["--trace-format", "perfetto"])).expect(2);
    assert!(files_like(dir.path(), "t.json").is_empty());
    medilanac(["replay", arg(&file), "--trace-format", "chrome"]).expect(2);
}

#[test]
fn replay_help_documents_the_trace_format_and_its_default() {
    let help = medilanac(["replay", "--help"]);
    help.expect(0);
    assert!(
        help.stdout.contains("--trace-format <FORMAT>"),
        "{}",
        help.stdout
    );
    assert!(help.stdout.contains("[default: jsonl]"), "{}", help.stdout);
    assert!(help.stdout.contains("chrome"), "{}", help.stdout);
}
