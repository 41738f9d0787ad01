//! `medilanac replay`: one run again, from a scenario and seed or from a row of a sweep's
//! CSV, its digest checked and, on request, every event traced; and the reports of
//! `run --check-determinism` and `sweep --check-determinism`.

use super::{Failure, Outcome};
use anyhow::anyhow;
use clap::Args;
use medilanac::divergence::Located;
use medilanac::protocol::Hash;
use medilanac::replay::{self, shell_word, Divergence, VERSION};
use medilanac::scenario::Scenario;
use medilanac::simulation;
use medilanac::trace::{TraceError, TraceFormat, TraceOptions, TracedRun};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args)]
pub struct ReplayArgs {
    /// Scenario file (TOML; the embedded default without one), or a sweep's CSV with --row.
    source: Option<PathBuf>,
    /// Seed of the run (default: the scenario's `seed`).
    #[arg(long, conflicts_with = "row")]
    seed: Option<u64>,
    /// Fail (exit 1) unless the run ends with this digest (64 hex digits).
    #[arg(long, value_name = "DIGEST", conflicts_with = "row")]
    expect: Option<String>,
    /// Replay data row R (0-based, after the header) of the sweep CSV given as SOURCE and
    /// check the run's digest against the row's.
    #[arg(long, value_name = "R", requires = "source")]
    row: Option<usize>,
    /// The sweep's scenario file (default: scenarios/<name>.toml, <name> from the CSV's
    /// `scenario` column, looked for here and beside the CSV's directory).
    #[arg(long, value_name = "PATH", requires = "row")]
    scenario: Option<PathBuf>,
    /// Write a trace of the run to FILE: every dispatched event, one JSON object per line,
    /// or with --trace-format chrome a Chrome trace (the digest is the same with or without
    /// a trace).
    #[arg(long, value_name = "FILE.jsonl")]
    trace: Option<PathBuf>,
    /// How to write the trace: "jsonl", or "chrome" for the Chrome Trace Event Format (one
    /// track per actor with slices for validations, block gathering and repair rounds and
    /// arrows for chunk transfers; open it in ui.perfetto.dev or chrome://tracing).
    #[arg(
        long,
        value_enum,
        value_name = "FORMAT",
        default_value_t = TraceFormat::Jsonl,
        requires = "trace"
    )]
    trace_format: TraceFormat,
    /// Trace only events this actor receives or sends: its index, "miner N", "patient N",
    /// "exchange", or a kind ("miner"). Repeatable.
    #[arg(long = "actor", value_name = "ID", requires = "trace")]
    actors: Vec<String>,
    /// Trace only events at or after SECONDS of virtual time.
    #[arg(long, value_name = "SECONDS", requires = "trace")]
    from: Option<f64>,
    /// Trace only events at or before SECONDS of virtual time.
    #[arg(long, value_name = "SECONDS", requires = "trace")]
    to: Option<f64>,
}

pub fn run(args: &ReplayArgs) -> Outcome {
    match (args.row, args.source.as_deref()) {
        (Some(row), Some(csv)) => replay_row(args, csv, row),
        _ => replay_seed(args),
    }
}

fn replay_seed(args: &ReplayArgs) -> Outcome {
    let source = args.source.as_deref();
    if let Some(csv) = source.filter(|path| is_csv(path)) {
        return Err(Failure::BadInput(anyhow!(
            "{} is a sweep's CSV: give --row R to replay one of its rows",
            csv.display()
        )));
    }
    let scenario = super::load(source)?;
    let seed = args.seed.unwrap_or(scenario.seed);
    let expected = match &args.expect {
        Some(text) => Some(Hash::from_hex(text.trim()).ok_or_else(|| {
            Failure::BadInput(anyhow!("--expect {text:?} is not a digest (64 hex digits)"))
        })?),
        None => None,
    };
    let tracer = prepare_trace(&scenario, seed, args)?;
    say!(
        "replaying scenario \"{}\" ({}), seed {seed}, medilanac {VERSION}",
        scenario.name,
        describe(source)
    );
    let digest = execute(&scenario, seed, tracer)?;
    say!("digest: {digest}");
    match expected {
        Some(expected) if expected != digest => Err(Failure::Failed(anyhow!(
            "the run's digest differs from the expected one\n  expected {expected}\n  got      {digest}\n{}",
            report(
                source,
                seed,
                &replay_seed_command(source, seed, Some(expected), "run.jsonl")
            )
        ))),
        _ => Ok(ExitCode::SUCCESS),
    }
}

fn replay_row(args: &ReplayArgs, csv: &Path, row: usize) -> Outcome {
    let bad = |e: replay::ReplayError| Failure::BadInput(e.into());
    let found = replay::read_row(csv, row).map_err(bad)?;
    let path = match &args.scenario {
        Some(path) => path.clone(),
        None => find_scenario(csv, found.scenario())?,
    };
    let base = super::load(Some(&path))?;
    let (job, expected) = replay::job_for_row(&base, csv, &found).map_err(bad)?;
    let grid: Vec<String> = medilanac::sweep::grid::paths(&base)
        .iter()
        .zip(&job.values)
        .map(|(p, v)| format!("{p} = {v}, "))
        .collect();
    let tracer = prepare_trace(&job.scenario, job.seed, args)?;
    say!(
        "replaying row {row} of {}: run {} of sweep \"{}\" ({}), {}seed {}, medilanac {VERSION}",
        csv.display(),
        job.index,
        base.name,
        path.display(),
        grid.concat(),
        job.seed
    );
    let digest = execute(&job.scenario, job.seed, tracer)?;
    say!("digest: {digest}");
    if digest != expected {
        return Err(Failure::Failed(anyhow!(
            "the run's digest differs from row {row}'s\n  row {row}  {expected}\n  run      {digest}\n{}",
            report(
                Some(&path),
                job.seed,
                &replay_row_command(csv, row, &path)
            )
        )));
    }
    Ok(ExitCode::SUCCESS)
}

/// The trace `args` ask for, checked and its file created.
fn prepare_trace<'a>(
    scenario: &'a Scenario,
    seed: u64,
    args: &ReplayArgs,
) -> Result<Option<(TracedRun<'a>, PathBuf)>, Failure> {
    let Some(path) = &args.trace else {
        return Ok(None);
    };
    let options = TraceOptions {
        actors: args.actors.clone(),
        from: args.from,
        to: args.to,
        format: args.trace_format,
    };
    let tracer = TracedRun::prepare(scenario, seed, path, &options)
        .map_err(|e| Failure::BadInput(e.into()))?;
    Ok(Some((tracer, path.clone())))
}

/// Runs once, traced if asked, and says which invariant the run broke, if one; the
/// digest.
fn execute(
    scenario: &Scenario,
    seed: u64,
    tracer: Option<(TracedRun, PathBuf)>,
) -> Result<Hash, Failure> {
    let outcome = run_traced(scenario, seed, tracer)?;
    if let Some(violation) = &outcome.violation {
        say!("invariant broken {violation}");
    }
    Ok(outcome.digest)
}

/// Runs once, traced if asked.
fn run_traced(
    scenario: &Scenario,
    seed: u64,
    tracer: Option<(TracedRun, PathBuf)>,
) -> Result<simulation::Outcome, Failure> {
    let Some((tracer, path)) = tracer else {
        return Ok(simulation::run(scenario, seed, None));
    };
    let (outcome, written) = tracer.run().map_err(|e| match e {
        TraceError::Io { .. } => Failure::Failed(e.into()),
        _ => Failure::BadInput(e.into()),
    })?;
    match written.format {
        TraceFormat::Jsonl => say!(
            "trace: {} of {} events written to {}",
            written.written,
            written.events,
            path.display()
        ),
        TraceFormat::Chrome => say!(
            "trace: {} of {} events kept, {} trace events written to {}",
            written.written,
            written.events,
            written.records,
            path.display()
        ),
    }
    Ok(outcome)
}

fn is_csv(path: &Path) -> bool {
    path.extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("csv"))
}

/// `scenarios/<name>.toml` here, or beside the CSV's directory, or in it.
fn find_scenario(csv: &Path, name: &str) -> Result<PathBuf, Failure> {
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || "-_. ".contains(c))
        && !name.starts_with('.');
    if !plain {
        return Err(Failure::BadInput(anyhow!(
            "the CSV's scenario name {name:?} is not a file name: give --scenario PATH"
        )));
    }
    let file = format!("{name}.toml");
    let dir = csv.parent().unwrap_or(Path::new(""));
    let candidates = [
        Path::new("scenarios").join(&file),
        dir.join("..").join("scenarios").join(&file),
        dir.join(&file),
    ];
    candidates
        .iter()
        .find(|path| path.is_file())
        .cloned()
        .ok_or_else(|| {
            let looked: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
            Failure::BadInput(anyhow!(
                "no scenario file for sweep \"{name}\" (looked for {}): give --scenario PATH",
                looked.join(", ")
            ))
        })
}

fn describe(path: Option<&Path>) -> String {
    match path {
        Some(path) => path.display().to_string(),
        None => "the embedded default scenario".into(),
    }
}

/// What a replay needs, for failure reports.
fn report(path: Option<&Path>, seed: u64, command: &str) -> String {
    format!(
        "  scenario  {}\n  seed      {seed}\n  program   medilanac {VERSION}\n  replay    {command}",
        describe(path)
    )
}

fn replay_seed_command(
    path: Option<&Path>,
    seed: u64,
    expect: Option<Hash>,
    trace: &str,
) -> String {
    let mut words = vec!["medilanac".to_string(), "replay".into()];
    if let Some(path) = path {
        words.push(shell_word(&path.display().to_string()));
    }
    words.extend(["--seed".into(), seed.to_string()]);
    if let Some(expect) = expect {
        words.extend(["--expect".into(), expect.to_string()]);
    }
    words.extend(["--trace".into(), trace.to_string()]);
    words.join(" ")
}

fn replay_row_command(csv: &Path, row: usize, scenario: &Path) -> String {
    [
        "medilanac".to_string(),
        "replay".into(),
        shell_word(&csv.display().to_string()),
        "--row".into(),
        row.to_string(),
        "--scenario".into(),
        shell_word(&scenario.display().to_string()),
    ]
    .join(" ")
}

/// `run --check-determinism`: runs `seed` twice and compares the digests.
pub fn check_run(scenario: &Scenario, path: Option<&Path>, seed: u64) -> Result<(), Failure> {
    match replay::run_twice(scenario, seed) {
        Ok(digest) => {
            say!("determinism: seed {seed} ran twice, digest {digest} both times");
            Ok(())
        }
        Err(divergence) => Err(Failure::Failed(anyhow!(
            "determinism check failed: {divergence}\n{}\n  compare   {}",
            report(
                path,
                seed,
                &replay_seed_command(path, seed, Some(divergence.first), "run.jsonl")
            ),
            trace_hint(path, seed, &divergence.located)
        ))),
    }
}

/// Two traces of one seed to diff, over a second of virtual time each side of the first
/// difference when one was found: the first line that differs is where the runs part.
fn trace_hint(path: Option<&Path>, seed: u64, located: &Located) -> String {
    let window = match located {
        Located::Events(difference) => {
            let at = difference.seconds();
            format!(" --from {:.6} --to {:.6}", (at - 1.0).max(0.0), at + 1.0)
        }
        Located::SameEvents { .. } => String::new(),
    };
    let run = |trace: &str| replay_seed_command(path, seed, None, trace) + &window;
    format!(
        "{} && {} && diff a.jsonl b.jsonl",
        run("a.jsonl"),
        run("b.jsonl")
    )
}

/// `sweep --check-determinism`: runs every run of the CSV again and compares digests.
pub fn check_sweep(
    base: &Scenario,
    path: &Path,
    csv: &Path,
    threads: Option<usize>,
) -> Result<(), Failure> {
    let check = replay::recheck_sweep(base, csv, threads).map_err(|e| Failure::Failed(e.into()))?;
    if check.divergences.is_empty() {
        say!(
            "determinism: {} runs ran twice, every digest the same",
            check.runs
        );
        return Ok(());
    }
    let lines: Vec<String> = check
        .divergences
        .iter()
        .map(|d: &Divergence| {
            let row = d.run.map_or(0, |(_, row)| row);
            format!(
                "  {d}\n    replay    {}",
                replay_row_command(csv, row, path)
            )
        })
        .collect();
    Err(Failure::Failed(anyhow!(
        "determinism check failed for {} of {} runs (first run in {}, second run now)\n{}\n  scenario  {}\n  program   medilanac {VERSION}",
        check.divergences.len(),
        check.runs,
        csv.display(),
        lines.join("\n"),
        path.display()
    )))
}
