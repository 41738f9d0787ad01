//! Shared helpers: scenario files built from TOML with keys set, running the binary, reading
//! a sweep's CSV by column name, and small statistics.

use medilanac::scenario::Scenario;
use medilanac::sweep::{self, Options, Report};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// The binary under test.
#[path = "../common/run.rs"]
mod run;
pub use run::{medilanac, Run};

/// A scenario file under construction: a base text with keys set.
#[derive(Clone)]
pub struct ScenarioText {
    table: toml::Table,
}

impl ScenarioText {
    pub fn from_text(text: &str) -> ScenarioText {
        ScenarioText {
            table: text.parse().expect("base scenario is TOML"),
        }
    }

    /// Sets dotted `key` (`"protocol.k"`) to `literal`, a TOML value as written in a file.
    pub fn set(self, key: &str, literal: &str) -> ScenarioText {
        let parsed: toml::Table = format!("value = {literal}")
            .parse()
            .unwrap_or_else(|e| panic!("{literal:?} is not a TOML value: {e}"));
        self.set_value(key, parsed["value"].clone())
    }

    /// Sets dotted `key` to `value`, creating missing tables on the way.
    pub fn set_value(mut self, key: &str, value: toml::Value) -> ScenarioText {
        let mut parts: Vec<&str> = key.split('.').collect();
        let last = parts.pop().expect("key is not empty");
        let mut table = &mut self.table;
        for part in parts {
            let entry = table
                .entry(part.to_string())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            table = entry
                .as_table_mut()
                .unwrap_or_else(|| panic!("{part} in {key} is not a table"));
        }
        table.insert(last.to_string(), value);
        self
    }

    /// Replaces the `[sweep]` table: `seeds` seeds and a grid of `(path, literal list)`,
    /// paths taken whole (a dotted path is one key of the grid).
    pub fn sweep(mut self, seeds: u64, grid: &[(&str, &str)]) -> ScenarioText {
        let mut axes = toml::Table::new();
        for (path, literal) in grid {
            let parsed: toml::Table = format!("value = {literal}")
                .parse()
                .unwrap_or_else(|e| panic!("{literal:?} is not a TOML value: {e}"));
            axes.insert(path.to_string(), parsed["value"].clone());
        }
        let mut table = toml::Table::new();
        table.insert("seeds".into(), toml::Value::Integer(seeds as i64));
        table.insert("grid".into(), toml::Value::Table(axes));
        self.table.insert("sweep".into(), toml::Value::Table(table));
        self
    }

    /// The file without its `[sweep]` table.
    pub fn without_sweep(mut self) -> ScenarioText {
        self.table.remove("sweep");
        self
    }

    /// The grid of the `[sweep]` table: each path with its values, in file order.
    pub fn grid(&self) -> Vec<(String, Vec<toml::Value>)> {
        let grid = self.table["sweep"]["grid"]
            .as_table()
            .expect("the scenario has a grid");
        grid.iter()
            .map(|(path, values)| {
                let values = values.as_array().expect("grid values are a list").clone();
                (path.clone(), values)
            })
            .collect()
    }

    /// The single-run scenario of one grid point: no `[sweep]`, each path set to its value.
    pub fn point(&self, values: &[(String, toml::Value)]) -> ScenarioText {
        values
            .iter()
            .fold(self.clone().without_sweep(), |text, (path, value)| {
                text.set_value(path, value.clone())
            })
    }

    pub fn text(&self) -> String {
        toml::to_string(&self.table).expect("scenario serialises")
    }

    /// Writes the file as `dir/name` and returns its path.
    pub fn write(&self, dir: &Path, name: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, self.text()).expect("write scenario");
        path
    }

    /// The scenario as the library parses it (panics if it is rejected).
    pub fn scenario(&self) -> Scenario {
        Scenario::parse(&self.text())
            .unwrap_or_else(|e| panic!("scenario rejected: {e}\n{}", self.text()))
    }
}

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

/// A CSV file read back: its header and its rows as text.
pub struct Csv {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Csv {
    pub fn read(path: &Path) -> Csv {
        let mut reader = csv::Reader::from_path(path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let header = reader
            .headers()
            .expect("a header")
            .iter()
            .map(String::from)
            .collect();
        let rows = reader
            .records()
            .map(|r| r.expect("a CSV record").iter().map(String::from).collect())
            .collect();
        Csv { header, rows }
    }

    /// Index of the first column called `name`.
    pub fn column(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|c| c == name)
            .unwrap_or_else(|| panic!("no column {name:?} in {:?}", self.header))
    }

    /// Index of the last column called `name` (an experiment's column may share its name
    /// with a grid path such as `miners`, which comes first).
    pub fn last_column(&self, name: &str) -> usize {
        self.header
            .iter()
            .rposition(|c| c == name)
            .unwrap_or_else(|| panic!("no column {name:?} in {:?}", self.header))
    }

    /// The values of the first column called `name`.
    pub fn text(&self, name: &str) -> Vec<&str> {
        let index = self.column(name);
        self.rows.iter().map(|row| row[index].as_str()).collect()
    }

    /// The values of the last column called `name`, as numbers.
    pub fn numbers(&self, name: &str) -> Vec<f64> {
        let index = self.last_column(name);
        self.rows
            .iter()
            .enumerate()
            .map(|(i, row)| {
                row[index]
                    .parse()
                    .unwrap_or_else(|_| panic!("row {i}, {name}: {:?} is no number", row[index]))
            })
            .collect()
    }
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
