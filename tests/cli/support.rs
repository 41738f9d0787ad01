//! Shared helpers: scenario files with overrides, running the binary, reading its output
//! and its branch files.

use medilanac::scenario::Scenario;
use medilanac::simulation::{self, Outcome};
use serde_json::Value;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// The binary under test.
#[path = "../common/run.rs"]
mod run;
pub use run::{medilanac, Run};

#[path = "../common/scenario_text.rs"]
mod scenario_text;
pub use scenario_text::{ScenarioText, SMALL};

impl ScenarioText {
    /// The [`SMALL`] scenario.
    pub fn small() -> ScenarioText {
        ScenarioText::from_text(SMALL)
    }
}

/// A shipped scenario file.
pub fn shipped(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name)
}

/// Loads a scenario file with the library.
pub fn load(path: &Path) -> Scenario {
    Scenario::load(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs the simulation in-process without keeping log lines.
pub fn simulate(scenario: &Scenario, seed: u64) -> Outcome {
    simulation::run(scenario, seed, None)
}

/// `medilanac run -q FILE [extra...]`, expected to succeed; returns the run.
pub fn run_quiet(file: &Path, extra: &[&str]) -> Run {
    let mut args: Vec<&OsStr> = vec!["run".as_ref(), "-q".as_ref(), file.as_os_str()];
    args.extend(extra.iter().map(OsStr::new));
    let run = medilanac(args);
    run.expect(0);
    run
}

/// A scenario file and the directory its run exported its branches to.
pub struct Exported {
    /// Holds everything; removed when dropped.
    pub root: TempDir,
    pub dir: PathBuf,
    /// The `run` that exported.
    pub run: Run,
}

impl Exported {
    /// Writes `text` to a temporary directory, runs it with `--export`, and checks it ran.
    pub fn new(text: &ScenarioText) -> Exported {
        let root = TempDir::new().expect("temp dir");
        let scenario = text.write(root.path(), "scenario.toml");
        let dir = root.path().join("branches");
        let dir_arg = dir.to_str().expect("UTF-8 temp path");
        let run = run_quiet(&scenario, &["--export", dir_arg]);
        Exported { root, dir, run }
    }

    /// Branch ids of the exported files, sorted.
    pub fn branches(&self) -> Vec<String> {
        branch_files(&self.dir)
    }

    pub fn path(&self, branch: &str) -> PathBuf {
        self.dir.join(format!("{branch}.json"))
    }

    pub fn file(&self, branch: &str) -> Value {
        read_json(&self.path(branch))
    }

    /// A fresh directory beside the export (for `--out` files and copies).
    pub fn scratch(&self, name: &str) -> PathBuf {
        let path = self.root.path().join(name);
        std::fs::create_dir_all(&path).expect("create scratch dir");
        path
    }

    /// `medilanac reconstruct DIR BRANCH [extra...]`.
    pub fn reconstruct(&self, branch: &str, extra: &[&str]) -> Run {
        reconstruct(&self.dir, branch, extra)
    }
}

/// `medilanac reconstruct DIR BRANCH [extra...]`.
pub fn reconstruct(dir: &Path, branch: &str, extra: &[&str]) -> Run {
    let mut args: Vec<&OsStr> = vec!["reconstruct".as_ref(), dir.as_os_str(), branch.as_ref()];
    args.extend(extra.iter().map(OsStr::new));
    medilanac(args)
}

/// `reconstruct --json`, its exit code checked to be 0 or 1, and its output parsed.
pub fn reconstruct_json(dir: &Path, branch: &str) -> (Run, Value) {
    let run = reconstruct(dir, branch, &["--json"]);
    assert!(
        run.code == 0 || run.code == 1,
        "reconstruct failed\n{}",
        run.describe()
    );
    let value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("--json output is not JSON: {e}\n{}", run.describe()));
    (run, value)
}

/// The `rebuilt` heights of a `reconstruct --json` object.
pub fn rebuilt_heights(json: &Value) -> Vec<u64> {
    json["rebuilt"]
        .as_array()
        .expect("`rebuilt` is a list")
        .iter()
        .map(|h| h.as_u64().expect("heights are integers"))
        .collect()
}

/// `(rebuilt, heights)` from the last line of text output: `X of Y heights rebuilt`.
pub fn rebuilt_count(run: &Run) -> (usize, usize) {
    let last = run.stdout.lines().last().unwrap_or_default();
    let parsed = last
        .strip_suffix(" heights rebuilt")
        .and_then(|rest| rest.split_once(" of "))
        .and_then(|(x, y)| Some((x.parse().ok()?, y.parse().ok()?)));
    parsed.unwrap_or_else(|| panic!("no `X of Y heights rebuilt` line\n{}", run.describe()))
}

/// Branch ids of the `*.json` files in `dir`, sorted.
pub fn branch_files(dir: &Path) -> Vec<String> {
    let mut branches: Vec<String> = std::fs::read_dir(dir)
        .expect("read export dir")
        .map(|entry| entry.expect("dir entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    branches.sort();
    branches
}

pub fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn write_json(path: &Path, value: &Value) {
    let text = serde_json::to_string_pretty(value).expect("serialise JSON");
    std::fs::write(path, text).expect("write JSON");
}

/// The blocks of a branch file.
pub fn blocks(file: &Value) -> &Vec<Value> {
    file["blocks"].as_array().expect("`blocks` is a list")
}

/// The foreign chunks of one block of a branch file.
pub fn chunks(block: &Value) -> &Vec<Value> {
    block["foreign_chunks"]
        .as_array()
        .expect("`foreign_chunks` is a list")
}

/// `(source, height, index)` of a chunk in a branch file.
pub fn chunk_id(chunk: &Value) -> (String, u64, u64) {
    (
        chunk["source"].as_str().expect("source").to_string(),
        chunk["height"].as_u64().expect("height"),
        chunk["index"].as_u64().expect("index"),
    )
}

/// The ids of the chunks of `source` that a branch file embeds.
pub fn chunks_of(file: &Value, source: &str) -> Vec<(String, u64, u64)> {
    blocks(file)
        .iter()
        .flat_map(chunks)
        .map(chunk_id)
        .filter(|(s, _, _)| s == source)
        .collect()
}

pub fn is_hex(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_hexdigit())
}

/// Copies the files of `from` into `to` (created), not recursively.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create copy dir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let path = entry.expect("dir entry").path();
        std::fs::copy(&path, to.join(path.file_name().unwrap())).expect("copy file");
    }
}
