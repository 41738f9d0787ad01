//! A scenario file under construction for tests: a base text with keys set or removed, and
//! its `[sweep]` table rewritten. Shared by the test binaries that write scenario files;
//! each uses a part of it.
#![allow(dead_code)]

use medilanac::scenario::Scenario;
use std::path::{Path, PathBuf};

/// A small, fast, healthy network: 6 miners, 2 blocks after genesis, a 2-of-4 code (distinct
/// placement needs more than m = 4 miners).
pub const SMALL: &str = r#"
name = "small"
seed = 1
miners = 6
blocks = 2

[protocol]
k = 2
m = 4
"#;

#[derive(Clone)]
pub struct ScenarioText {
    table: toml::Table,
}

/// `literal` (a TOML value as written in a file: `5`, `"ten"`, an inline table) parsed.
fn value(literal: &str) -> toml::Value {
    let parsed: toml::Table = format!("value = {literal}")
        .parse()
        .unwrap_or_else(|e| panic!("{literal:?} is not a TOML value: {e}"));
    parsed["value"].clone()
}

impl ScenarioText {
    pub fn from_text(text: &str) -> ScenarioText {
        ScenarioText {
            table: text.parse().expect("base scenario is TOML"),
        }
    }

    /// Sets dotted `key` (`"protocol.k"`, `"network.latency.ms"`) to `literal`, a TOML
    /// value as written in a file.
    pub fn set(self, key: &str, literal: &str) -> ScenarioText {
        self.set_value(key, value(literal))
    }

    /// Sets dotted `key` to `value`, creating missing tables on the way.
    pub fn set_value(mut self, key: &str, value: toml::Value) -> ScenarioText {
        let (table, last) = self.table_for(key);
        table.insert(last.to_string(), value);
        self
    }

    /// Removes dotted `key` from the file.
    pub fn remove(mut self, key: &str) -> ScenarioText {
        let (table, last) = self.table_for(key);
        table.remove(last);
        self
    }

    fn table_for<'a, 'k>(&'a mut self, key: &'k str) -> (&'a mut toml::Table, &'k str) {
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
        (table, last)
    }

    /// Replaces the `[sweep]` table: `seeds` seeds and a grid of `(path, literal list)`,
    /// paths taken whole (a dotted path is one key of the grid).
    pub fn sweep(mut self, seeds: u64, grid: &[(&str, &str)]) -> ScenarioText {
        let axes: toml::Table = grid
            .iter()
            .map(|(path, literal)| (path.to_string(), value(literal)))
            .collect();
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
