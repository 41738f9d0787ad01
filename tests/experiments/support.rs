//! Shared helpers: scenario files built from TOML with keys set, running the binary, reading
//! a sweep's CSV by column name, and small statistics.

use medilanac::sweep::{self, Options, Report};
use std::ffi::OsStr;
use std::path::Path;

/// The binary under test.
#[path = "../common/run.rs"]
mod run;
pub use run::{medilanac, Run};

#[path = "../common/csv_table.rs"]
mod csv_table;
pub use csv_table::Csv;

#[path = "../common/scenario_text.rs"]
mod scenario_text;
pub use scenario_text::ScenarioText;

/// A grid value as a sweep's CSV writes it: strings bare, other values as TOML.
pub fn cell(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Runs the sweep `text` describes in-process, writing `out`.
pub fn sweep_to(text: &ScenarioText, out: &Path, resume: bool, threads: Option<usize>) -> Report {
    let options = Options {
        resume,
        threads,
        progress: false,
    };
    sweep::sweep(&text.scenario(), out, &options)
        .unwrap_or_else(|e| panic!("sweep failed: {e}\n{}", text.text()))
}

pub fn is_digest(text: &str) -> bool {
    text.len() == 64 && text.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f'))
}

/// `medilanac sweep FILE --out OUT [extra...]`.
pub fn cli_sweep(file: &Path, out: &Path, extra: &[&str]) -> Run {
    let mut args: Vec<&OsStr> = vec![
        "sweep".as_ref(),
        file.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ];
    args.extend(extra.iter().map(OsStr::new));
    medilanac(args)
}

/// The digest `medilanac run FILE --seed SEED -q` prints.
pub fn cli_digest(file: &Path, seed: u64) -> String {
    let seed = seed.to_string();
    let run = medilanac([
        "run".as_ref(),
        file.as_os_str(),
        "--seed".as_ref(),
        seed.as_ref(),
        "-q".as_ref(),
    ] as [&OsStr; 5]);
    run.expect(0);
    run.digest()
}

pub fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

/// Sample standard deviation (0 for fewer than two values).
pub fn std_dev(values: &[f64]) -> f64 {
    if values.len() < 2 {
        return 0.0;
    }
    let m = mean(values);
    let square: f64 = values.iter().map(|v| (v - m) * (v - m)).sum();
    (square / (values.len() - 1) as f64).sqrt()
}

/// Names of the files in `dir`, sorted.
pub fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// Who holds the chunks of the subject's first `heights` blocks, read from the branches:
/// per height, each holding miner's chunk indexes.
pub fn holders(
    outcome: &medilanac::simulation::Outcome,
    subject: usize,
    heights: usize,
) -> Vec<std::collections::BTreeMap<usize, std::collections::BTreeSet<u16>>> {
    let branch = outcome.miners[subject].blocks[0].header.branch;
    let mut by_height = vec![std::collections::BTreeMap::new(); heights];
    for (holder, miner) in outcome.miners.iter().enumerate() {
        if holder == subject {
            continue;
        }
        for chunk in miner.blocks.iter().flat_map(|b| b.foreign.iter()) {
            let height = chunk.header.height as usize;
            if chunk.header.source == branch && height < heights {
                by_height[height]
                    .entry(holder)
                    .or_insert_with(std::collections::BTreeSet::new)
                    .insert(chunk.header.index);
            }
        }
    }
    by_height
}

/// The order the experiments remove the other branches in, mirrored: a shuffle of the
/// other `miners` by the run's `removal-order` stream of the subject
/// (src/experiments/removal.rs), so counts can be checked against the real placement.
pub fn removal_order(seed: u64, subject: usize, miners: usize) -> Vec<usize> {
    use rand::seq::SliceRandom;
    let mut order: Vec<usize> = (0..miners).filter(|&o| o != subject).collect();
    order.shuffle(&mut medilanac::sim::stream(
        seed,
        "removal-order",
        subject as u64,
    ));
    order
}
