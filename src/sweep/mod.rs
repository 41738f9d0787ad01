//! Sweeps: one scenario run over a grid of parameter values and seeds, in parallel, to CSV.
//!
//! Runs execute on a rayon pool in any order, but their rows are written strictly in run
//! order, so the file is byte-identical whatever the number of threads. Each run's rows are
//! written and flushed together as soon as every earlier run is written; an interrupted
//! sweep keeps them, and `resume` drops any torn tail and carries on from the first missing
//! run. Every row names its scenario, run, grid values, seed and the run's digest, so any
//! row can be run again alone.

pub mod grid;

use crate::experiments;
use crate::scenario::{Scenario, ScenarioError};
use grid::Job;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::mpsc;
use thiserror::Error;

/// How to run a sweep.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Keep the runs already in the output file and do only the rest.
    pub resume: bool,
    /// Worker threads (default: one per core).
    pub threads: Option<usize>,
    /// Draw a progress bar on a terminal.
    pub progress: bool,
}

/// What a sweep did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub runs: usize,
    /// Runs found complete in the file when resuming.
    pub kept: usize,
    /// Runs that broke an invariant, in run order.
    pub violations: Vec<Broken>,
}

/// A run that broke an invariant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broken {
    pub run: usize,
    /// Its first row in the CSV (0-based, header excluded), for `medilanac replay --row`.
    pub row: usize,
    pub seed: u64,
    pub what: String,
}

#[derive(Debug, Error)]
pub enum SweepError {
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    #[error("{path}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot resume {path}: {reason}")]
    Resume { path: String, reason: String },
    #[error("cannot start worker threads: {0}")]
    Threads(String),
}

/// Columns every sweep writes, besides the grid's and the experiment's.
const FIRST: [&str; 3] = ["scenario", "run", "rows_in_run"];
const LAST: [&str; 3] = ["status", "message", "digest"];

/// The CSV header of a sweep of `base`: its name, the grid values, the seed, the
/// experiment's columns and the run's status. A grid column is named by its path, unless
/// another column has that name (a grid over `miners` beside the summary's `miners`): then
/// it is `grid.PATH`, so that every column can be found by its name.
pub fn header(base: &Scenario) -> Vec<String> {
    let results = experiments::columns(&base.experiment);
    let taken = |name: &str| {
        let fixed = FIRST.iter().chain(&LAST).chain(&["seed"]);
        fixed.chain(results).any(|column| *column == name)
    };
    let grid = grid::paths(base)
        .into_iter()
        .map(|path| match taken(&path) {
            true => format!("grid.{path}"),
            false => path,
        });
    let mut columns: Vec<String> = FIRST.map(String::from).to_vec();
    columns.extend(grid);
    columns.push("seed".into());
    columns.extend(results.iter().map(|c| c.to_string()));
    columns.extend(LAST.map(String::from));
    columns
}

/// Runs one job and lays out its rows in the sweep's columns.
pub fn run_job(job: &Job) -> Vec<Vec<String>> {
    let (outcome, mut rows) = experiments::run(&job.scenario, job.seed);
    if rows.is_empty() {
        // A run with nothing to report still gets a row, so its status and digest show.
        rows.push(vec![
            String::new();
            experiments::columns(&job.scenario.experiment).len()
        ]);
    }
    let count = rows.len();
    rows.into_iter()
        .map(|row| {
            let mut full = vec![
                job.scenario.name.clone(),
                job.index.to_string(),
                count.to_string(),
            ];
            full.extend(job.values.iter().cloned());
            full.push(job.seed.to_string());
            full.extend(row);
            match &outcome.violation {
                None => full.extend([String::from("ok"), String::new()]),
                Some(broken) => {
                    let faults = match outcome.chaos.0.is_empty() {
                        true => String::new(),
                        false => format!("; faults drawn: {}", outcome.chaos),
                    };
                    let version = env!("CARGO_PKG_VERSION");
                    full.extend([
                        String::from("violation"),
                        format!("{broken}{faults}; medilanac {version}"),
                    ])
                }
            }
            full.push(outcome.digest.to_string());
            full
        })
        .collect()
}

/// Runs the sweep `base` describes, writing rows to `out`.
pub fn sweep(base: &Scenario, out: &Path, options: &Options) -> Result<Report, SweepError> {
    let jobs = grid::jobs(base)?;
    let header = header(base);
    let io = |source| SweepError::Io {
        path: out.display().to_string(),
        source,
    };
    let header_line = csv_line(&header);
    let torn_header = |file: Vec<u8>| header_line.as_bytes().starts_with(&file);
    let resumable = options.resume && std::fs::read(out).is_ok_and(|file| !torn_header(file));
    let kept = if resumable {
        resume_point(out, &header, &jobs)?
    } else {
        let mut file = File::create(out).map_err(io)?;
        file.write_all(header_line.as_bytes()).map_err(io)?;
        0
    };
    let mut file = OpenOptions::new().append(true).open(out).map_err(io)?;
    let template = "{bar:40} {pos}/{len} runs, {elapsed} elapsed, about {eta} left";
    let bar = crate::progress::bar(jobs.len() as u64, template, options.progress);
    bar.set_position(kept as u64);
    let mut violations = Vec::new();
    let mut written = match kept {
        0 => 0,
        _ => {
            std::fs::read(out)
                .map_err(io)?
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                - 1
        }
    };
    let seed_column = FIRST.len() + grid::paths(base).len();
    run_in_order(&jobs[kept..], options.threads, |rows| {
        let text: String = rows.iter().map(|row| csv_line(row)).collect();
        file.write_all(text.as_bytes())
            .and_then(|_| file.flush())
            .map_err(io)?;
        let broken = rows.first().filter(|row| row[row.len() - 3] == "violation");
        if let Some(first) = broken {
            violations.push(Broken {
                run: first[1].parse().unwrap_or(0),
                row: written,
                seed: first[seed_column].parse().unwrap_or(0),
                what: first[first.len() - 2].clone(),
            });
        }
        written += rows.len();
        bar.inc(1);
        Ok(())
    })?;
    bar.finish_and_clear();
    Ok(Report {
        runs: jobs.len(),
        kept,
        violations,
    })
}

/// One CSV record, quoted where needed.
fn csv_line(fields: &[String]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(fields).expect("writing to memory");
    String::from_utf8(writer.into_inner().expect("writing to memory")).expect("fields are UTF-8")
}

/// Runs `jobs` in parallel and hands each one's rows to `sink` in job order.
fn run_in_order(
    jobs: &[Job],
    threads: Option<usize>,
    mut sink: impl FnMut(Vec<Vec<String>>) -> Result<(), SweepError>,
) -> Result<(), SweepError> {
    let Some(first) = jobs.first().map(|job| job.index) else {
        return Ok(());
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()
        .map_err(|e| SweepError::Threads(e.to_string()))?;
    let (sender, receiver) = mpsc::channel();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            pool.install(|| {
                jobs.par_iter().for_each_with(sender, |sender, job| {
                    let _ = sender.send((job.index, run_job(job)));
                })
            })
        });
        let mut waiting = BTreeMap::new();
        let mut next = first;
        for (index, rows) in receiver {
            waiting.insert(index, rows);
            while let Some(rows) = waiting.remove(&next) {
                sink(rows)?;
                next += 1;
            }
        }
        Ok(())
    })
}

/// Checks an existing output file against the sweep, cuts off any incomplete tail, and
/// returns how many runs it already holds.
fn resume_point(out: &Path, header: &[String], jobs: &[Job]) -> Result<usize, SweepError> {
    let io = |source| SweepError::Io {
        path: out.display().to_string(),
        source,
    };
    let file = File::open(out).map_err(io)?;
    let (complete, keep) =
        complete_runs(file, header, jobs).map_err(|reason| SweepError::Resume {
            path: out.display().to_string(),
            reason,
        })?;
    cut_after(out, keep).map_err(io)?;
    Ok(complete)
}

/// How many whole runs of `jobs` the sweep CSV text `input` (under `header`) starts with,
/// and how many bytes they take with the header: what `--resume` keeps. Reading stops at a
/// row torn by an interruption, which can only be the last one: a damaged row with rows
/// after it (bytes that are no text, a digest that is no hex) means the file was changed,
/// and cutting there would lose what follows, so it is an error, as is a row of another
/// sweep.
pub fn complete_runs(
    input: impl std::io::Read,
    header: &[String],
    jobs: &[Job],
) -> Result<(usize, u64), String> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let found: Vec<String> = reader
        .headers()
        .map_err(|e| e.to_string())?
        .iter()
        .map(String::from)
        .collect();
    if found != header {
        return Err("its columns differ from this sweep's; start a new file".into());
    }
    let mut complete = 0;
    let mut in_run = 0;
    let mut keep = reader.position().byte();
    let mut bytes = csv::ByteRecord::new();
    for row in 1.. {
        let whole = match reader.read_byte_record(&mut bytes) {
            Ok(false) => break,
            Ok(true) => whole_row(&bytes, header.len()),
            Err(_) => None,
        };
        let Some(record) = whole else {
            let mut rest = csv::ByteRecord::new();
            if !matches!(reader.read_byte_record(&mut rest), Ok(false)) {
                return Err(format!(
                    "row {row} is damaged and rows follow it, so it was not cut short by an interruption; repair the file or start a new one"
                ));
            }
            break; // the last row, torn by the interruption
        };
        let Some(job) = jobs.get(complete) else {
            return Err("it holds more runs than this sweep has".into());
        };
        if !matches_job(&record, job) {
            return Err(format!(
                "run {complete} in the file is not run {complete} of this sweep"
            ));
        }
        in_run += 1;
        if record.get(2).and_then(|n| n.parse::<usize>().ok()) == Some(in_run) {
            complete += 1;
            in_run = 0;
            keep = reader.position().byte();
        }
    }
    Ok((complete, keep))
}

/// A row as text if it is whole: every column, and a digest of 64 hex digits last.
fn whole_row(bytes: &csv::ByteRecord, columns: usize) -> Option<csv::StringRecord> {
    let record = csv::StringRecord::from_byte_record(bytes.clone()).ok()?;
    let digest = record.get(columns - 1)?;
    let hex = digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit());
    (record.len() == columns && hex).then_some(record)
}

/// Truncates the file to `len` bytes, ending it with a newline.
fn cut_after(path: &Path, len: u64) -> std::io::Result<()> {
    let mut file = OpenOptions::new().read(true).write(true).open(path)?;
    file.set_len(len)?;
    let mut last = [0u8];
    use std::io::{Read, Seek, SeekFrom};
    if len > 0 {
        file.seek(SeekFrom::Start(len - 1))?;
        file.read_exact(&mut last)?;
        if last[0] != b'\n' {
            file.seek(SeekFrom::End(0))?;
            file.write_all(b"\n")?;
        }
    }
    Ok(())
}

fn matches_job(record: &csv::StringRecord, job: &Job) -> bool {
    let values = job.values.len();
    record.get(1) == Some(job.index.to_string().as_str())
        && (0..values).all(|i| record.get(3 + i) == Some(job.values[i].as_str()))
        && record.get(3 + values) == Some(job.seed.to_string().as_str())
}
