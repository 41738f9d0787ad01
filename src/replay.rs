//! Running one run again: the run a sweep's CSV row names, and the determinism self-check.
//!
//! A sweep row names its scenario, run index, grid values, seed and digest. With the
//! scenario file, [`job_for_row`] rebuilds that run from [`grid::jobs`] and checks that the
//! row's grid values and seed are the run's; running it must give the row's digest.
//! [`run_twice`] and [`recheck_sweep`] run seeds a second time and report any digest that
//! differs, with everything a replay needs ([`Divergence`]) and the first event at which two
//! fresh runs of the seed part ([`crate::divergence`]).

use crate::divergence::{self, Located};
use crate::protocol::Hash;
use crate::scenario::{Scenario, ScenarioError};
use crate::simulation;
use crate::sweep::{self, grid, grid::Job};
use rayon::prelude::*;
use std::fmt;
use std::io::Read;
use std::path::Path;
use thiserror::Error;

/// The version of this program, part of every failure report.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Why a row cannot be replayed (all of them are bad input).
#[derive(Debug, Error)]
pub enum ReplayError {
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    #[error("cannot read {path}: {reason}")]
    Csv { path: String, reason: String },
    #[error("{path} has no data row {row} (it has {rows}; rows count from 0 after the header)")]
    NoRow {
        path: String,
        row: usize,
        rows: usize,
    },
    /// The row and the scenario file do not describe the same run.
    #[error("row {row} of {path} does not match scenario \"{scenario}\": {reason}")]
    Mismatch {
        path: String,
        row: usize,
        scenario: String,
        reason: String,
    },
}

/// One data row of a sweep's CSV, with the header it sits under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SweepRow {
    /// 0-based index among the data rows.
    pub row: usize,
    pub columns: Vec<String>,
    pub fields: Vec<String>,
}

impl SweepRow {
    /// The `scenario` column: the scenario's `name`.
    pub fn scenario(&self) -> &str {
        self.field("scenario").unwrap_or_default()
    }

    /// The value of the column named `column`.
    pub fn field(&self, column: &str) -> Option<&str> {
        let index = self.columns.iter().position(|c| c == column)?;
        self.fields.get(index).map(String::as_str)
    }
}

/// Opens a sweep's CSV and reads its header.
fn open_csv(path: &Path) -> Result<(csv::Reader<std::fs::File>, Vec<String>), ReplayError> {
    crate::csv_input::open(path).map_err(|e| ReplayError::Csv {
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}

/// Reads data row `row` (0-based, after the header) of the sweep CSV at `path`.
pub fn read_row(path: &Path, row: usize) -> Result<SweepRow, ReplayError> {
    let file = std::fs::File::open(path).map_err(|e| ReplayError::Csv {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    parse_row(file, path, row)
}

/// Like [`read_row`], from the CSV text `input`; `path` names it in errors.
pub fn parse_row(input: impl Read, path: &Path, row: usize) -> Result<SweepRow, ReplayError> {
    let fail = |reason: String| ReplayError::Csv {
        path: path.display().to_string(),
        reason,
    };
    let (mut reader, columns) = crate::csv_input::read(input).map_err(|e| fail(e.to_string()))?;
    for required in ["scenario", "run", "seed", "digest"] {
        if !columns.iter().any(|c| c == required) {
            return Err(fail(format!(
                "it has no {required:?} column; is it a sweep's CSV?"
            )));
        }
    }
    let mut rows = 0;
    for record in reader.records() {
        let record = record.map_err(|e| fail(e.to_string()))?;
        if rows == row {
            return Ok(SweepRow {
                row,
                columns,
                fields: record.iter().map(String::from).collect(),
            });
        }
        rows += 1;
    }
    Err(ReplayError::NoRow {
        path: path.display().to_string(),
        row,
        rows,
    })
}

/// The run of `base`'s sweep that `row` (of the CSV at `path`) names, and the row's digest.
/// The row's columns, scenario name, grid values and seed must be the run's.
pub fn job_for_row(
    base: &Scenario,
    path: &Path,
    row: &SweepRow,
) -> Result<(Job, Hash), ReplayError> {
    let mismatch = |reason: String| ReplayError::Mismatch {
        path: path.display().to_string(),
        row: row.row,
        scenario: base.name.clone(),
        reason,
    };
    let header = sweep::header(base);
    if row.columns != header {
        return Err(mismatch(format!(
            "the CSV's columns ({}) are not those of this scenario's sweep ({})",
            row.columns.join(","),
            header.join(",")
        )));
    }
    if row.fields.len() != header.len() {
        return Err(mismatch(format!(
            "it has {} fields, the header {}",
            row.fields.len(),
            header.len()
        )));
    }
    if row.scenario() != base.name {
        return Err(mismatch(format!(
            "the row is of scenario \"{}\"",
            row.scenario()
        )));
    }
    let run_text = row.field("run").unwrap_or_default();
    let run: usize = run_text
        .parse()
        .map_err(|_| mismatch(format!("run {run_text:?} is not a run index")))?;
    let jobs = grid::jobs(base)?;
    let runs = jobs.len();
    let job = jobs
        .into_iter()
        .nth(run)
        .ok_or_else(|| mismatch(format!("it names run {run}, the sweep has {runs} runs")))?;
    let paths = grid::paths(base);
    for (i, (path, value)) in paths.iter().zip(&job.values).enumerate() {
        let found = &row.fields[3 + i];
        if found != value {
            return Err(mismatch(format!(
                "{path} = {found} in the row, {value} in run {run} of the sweep"
            )));
        }
    }
    let seed = &row.fields[3 + paths.len()];
    if *seed != job.seed.to_string() {
        return Err(mismatch(format!(
            "seed {seed} in the row, {} in run {run} of the sweep",
            job.seed
        )));
    }
    let digest_text = row.fields.last().map(String::as_str).unwrap_or_default();
    let digest = Hash::from_hex(digest_text)
        .ok_or_else(|| mismatch(format!("digest {digest_text:?} is not 64 hex digits")))?;
    Ok((job, digest))
}

/// Two runs of one seed that ended with different digests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence {
    pub scenario: String,
    pub seed: u64,
    /// The sweep run and its first CSV row, when the seed was part of a sweep.
    pub run: Option<(usize, usize)>,
    /// The grid values of that run, as `path = value`.
    pub grid: Vec<String>,
    pub first: Hash,
    pub second: Hash,
    /// Where two fresh runs of the seed part.
    pub located: Located,
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "scenario \"{}\"", self.scenario)?;
        if let Some((run, row)) = self.run {
            write!(f, ", run {run} (CSV row {row})")?;
        }
        for value in &self.grid {
            write!(f, ", {value}")?;
        }
        write!(
            f,
            ", seed {}: first run {}, second run {}",
            self.seed, self.first, self.second
        )?;
        match &self.located {
            Located::Events(difference) => write!(f, "\n  {difference}"),
            Located::SameEvents { events } => write!(
                f,
                "\n  two fresh runs dispatched the same {events} events{}",
                if self.run.is_some() {
                    " (the CSV's digest may come from another build)"
                } else {
                    "; the branches they ended with differ"
                }
            ),
        }
    }
}

/// Runs `scenario` with `seed` twice; its digest if both runs agree.
pub fn run_twice(scenario: &Scenario, seed: u64) -> Result<Hash, Box<Divergence>> {
    let first = simulation::run(scenario, seed, None).digest;
    let second = simulation::run(scenario, seed, None).digest;
    if first == second {
        return Ok(first);
    }
    Err(Box::new(Divergence {
        scenario: scenario.name.clone(),
        seed,
        run: None,
        grid: Vec::new(),
        first,
        second,
        located: divergence::locate(scenario, seed),
    }))
}

/// What a second pass over a sweep found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SweepCheck {
    /// Runs run again.
    pub runs: usize,
    /// Runs whose second digest differs from the CSV's (the first).
    pub divergences: Vec<Divergence>,
}

/// Runs every run recorded in the sweep CSV at `path` again, in parallel on `threads`
/// workers (default: one per core), and compares each digest with the CSV's.
pub fn recheck_sweep(
    base: &Scenario,
    path: &Path,
    threads: Option<usize>,
) -> Result<SweepCheck, ReplayError> {
    let fail = |reason: String| ReplayError::Csv {
        path: path.display().to_string(),
        reason,
    };
    let (mut reader, columns) = open_csv(path)?;
    // The first row of each run stands for it.
    let mut firsts: Vec<(Job, Hash, usize)> = Vec::new();
    let mut last_run = None;
    for (index, record) in reader.records().enumerate() {
        let record = record.map_err(|e| fail(e.to_string()))?;
        let row = SweepRow {
            row: index,
            columns: columns.clone(),
            fields: record.iter().map(String::from).collect(),
        };
        let run = row.field("run").map(str::to_string);
        if run.is_some() && run == last_run {
            continue;
        }
        last_run = run;
        let (job, digest) = job_for_row(base, path, &row)?;
        firsts.push((job, digest, index));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()
        .map_err(|e| fail(format!("cannot start worker threads: {e}")))?;
    let paths = grid::paths(base);
    let divergences = pool.install(|| {
        firsts
            .par_iter()
            .filter_map(|(job, first, row)| {
                let second = simulation::run(&job.scenario, job.seed, None).digest;
                (second != *first).then(|| Divergence {
                    scenario: base.name.clone(),
                    seed: job.seed,
                    run: Some((job.index, *row)),
                    grid: paths
                        .iter()
                        .zip(&job.values)
                        .map(|(p, v)| format!("{p} = {v}"))
                        .collect(),
                    first: *first,
                    second,
                    located: divergence::locate(&job.scenario, job.seed),
                })
            })
            .collect()
    });
    Ok(SweepCheck {
        runs: firsts.len(),
        divergences,
    })
}

/// `text` as one shell word.
pub fn shell_word(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if plain {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(
            shell_word("scenarios/default.toml"),
            "scenarios/default.toml"
        );
        assert_eq!(shell_word("my file.toml"), "'my file.toml'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word(""), "''");
    }
}
