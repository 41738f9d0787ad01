//! Shared helpers: scenario files in a temporary directory, running the binary, reading a
//! sweep's CSV and a trace.

use medilanac::scenario::Scenario;
use medilanac::simulation::{self, Outcome};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The binary under test.
#[path = "../common/run.rs"]
mod run;
pub use run::{medilanac, medilanac_in, Run};

#[path = "../common/csv_table.rs"]
mod csv_table;
pub use csv_table::Csv;

#[path = "../common/scenario_text.rs"]
mod scenario_text;
pub use scenario_text::SMALL;

/// A tiny sweep: two grid points, two seeds each, one row per run.
pub const TINY_SWEEP: &str = r#"
name = "tiny"
seed = 3
miners = 6
blocks = 2

[protocol]
k = 2
m = 4

[sweep]
seeds = 2
grid = { "protocol.k" = [1, 2] }
"#;

/// A tiny fault-tolerance sweep: three rows per run.
pub const TINY_FAULTS: &str = r#"
name = "tiny-faults"
seed = 5
miners = 6
blocks = 3

[protocol]
k = 1
m = 4

[experiment]
kind = "fault_tolerance"
subjects = 3
prefix = 2

[sweep]
seeds = 1
grid = { "protocol.k" = [1, 2] }
"#;

/// Writes `text` as `dir/name` and returns its path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create dir");
    }
    std::fs::write(&path, text).expect("write file");
    path
}

pub fn parse(text: &str) -> Scenario {
    Scenario::parse(text).unwrap_or_else(|e| panic!("scenario rejected: {e}"))
}

/// Runs the simulation in-process without keeping log lines.
pub fn simulate(scenario: &Scenario, seed: u64) -> Outcome {
    simulation::run(scenario, seed, None)
}

/// A shipped scenario file.
pub fn shipped(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name)
}

/// `path` as a `&str` argument.
pub fn arg(path: &Path) -> &str {
    path.to_str().expect("UTF-8 temp path")
}

/// Runs `medilanac sweep SCENARIO --out CSV [extra...]`, expected to succeed.
pub fn sweep(scenario: &Path, csv: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["sweep", arg(scenario), "--out", arg(csv)];
    args.extend(extra);
    let run = medilanac(&args);
    run.expect(0);
    run
}

/// `digest` with its last hex digit changed.
pub fn corrupt(digest: &str) -> String {
    let (head, last) = digest.split_at(digest.len() - 1);
    let other = if last == "0" { "1" } else { "0" };
    format!("{head}{other}")
}

/// The lines of a trace, each parsed (panics on a line that is not a JSON object).
pub fn read_trace(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "the trace does not end with a newline"
    );
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            let value: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("line {} is not JSON: {e}\n{line}", i + 1));
            assert!(value.is_object(), "line {} is not an object: {line}", i + 1);
            value
        })
        .collect()
}

/// Files in `dir` whose names start with `prefix`, sorted.
pub fn files_like(dir: &Path, prefix: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(prefix))
        .collect();
    names.sort();
    names
}
