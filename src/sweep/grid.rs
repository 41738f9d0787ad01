//! Expanding a scenario's `[sweep]` table into the runs it names.
//!
//! A grid value is written into the scenario's own TOML tree at its dotted path and the
//! result is parsed and checked like a scenario file, so any field can be swept and every
//! point gets the same validation a hand-written file would.

use crate::scenario::{Scenario, ScenarioError};

/// One run of a sweep: a grid point and a seed.
#[derive(Clone, Debug)]
pub struct Job {
    pub index: usize,
    /// The grid values, in the order of [`paths`].
    pub values: Vec<String>,
    pub seed: u64,
    pub scenario: Scenario,
}

/// The swept paths, in the order their values vary (the last fastest).
pub fn paths(base: &Scenario) -> Vec<String> {
    base.sweep
        .iter()
        .flat_map(|sweep| sweep.grid.keys().cloned())
        .collect()
}

/// Every run of the sweep, grid points in order and seeds innermost.
pub fn jobs(base: &Scenario) -> Result<Vec<Job>, ScenarioError> {
    let mut plain = base.clone();
    let sweep = plain
        .sweep
        .take()
        .unwrap_or_else(|| crate::scenario::Sweep {
            seeds: 1,
            grid: Default::default(),
        });
    let tree = toml::Value::try_from(&plain).expect("a scenario serialises to TOML");
    let axes: Vec<(&String, &Vec<toml::Value>)> = sweep.grid.iter().collect();
    let points: usize = axes.iter().map(|(_, values)| values.len()).product();
    let mut jobs = Vec::new();
    for point in 0..points {
        let mut tree = tree.clone();
        let mut values = Vec::new();
        let mut rest = point;
        for (path, options) in axes.iter().rev() {
            let value = &options[rest % options.len()];
            rest /= options.len();
            set(&mut tree, path, value.clone())?;
            values.push(text(value));
        }
        values.reverse();
        let scenario = parse_point(tree, &axes, &values)?;
        if std::mem::discriminant(&scenario.experiment) != std::mem::discriminant(&plain.experiment)
        {
            let rule =
                "the experiment's kind fixes the CSV columns, so it cannot vary within a sweep";
            return Err(grid_error(
                "experiment.kind",
                format!("{:?}", scenario.experiment),
                rule,
            ));
        }
        for offset in 0..sweep.seeds {
            jobs.push(Job {
                index: jobs.len(),
                values: values.clone(),
                seed: scenario.seed + offset,
                scenario: scenario.clone(),
            });
        }
    }
    Ok(jobs)
}

fn text(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn grid_error(path: &str, value: impl ToString, rule: impl ToString) -> ScenarioError {
    ScenarioError::Invalid {
        field: format!("sweep.grid.\"{path}\""),
        value: value.to_string(),
        rule: rule.to_string(),
    }
}

/// Writes `value` at dotted `path`, which must name an existing field.
fn set(tree: &mut toml::Value, path: &str, value: toml::Value) -> Result<(), ScenarioError> {
    let mut node = tree;
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        let table = node
            .as_table_mut()
            .ok_or_else(|| grid_error(path, &value, "does not name a scenario field"))?;
        let child = table.get_mut(part).ok_or_else(|| {
            grid_error(path, &value, format!("the scenario has no field {part:?}"))
        })?;
        if parts.peek().is_none() {
            *child = value;
            return Ok(());
        }
        node = child;
    }
    Err(grid_error(path, &value, "is empty"))
}

fn parse_point(
    tree: toml::Value,
    axes: &[(&String, &Vec<toml::Value>)],
    values: &[String],
) -> Result<Scenario, ScenarioError> {
    let describe = || {
        let pairs: Vec<String> = axes
            .iter()
            .zip(values)
            .map(|((p, _), v)| format!("{p} = {v}"))
            .collect();
        pairs.join(", ")
    };
    let scenario: Scenario = tree
        .try_into()
        .map_err(|e: toml::de::Error| grid_error(&describe(), "", e.message()))?;
    scenario.check().map_err(|error| match error {
        ScenarioError::Invalid { field, value, rule } => ScenarioError::Invalid {
            field,
            value,
            rule: format!("{rule} (at grid point {})", describe()),
        },
        other => other,
    })?;
    Ok(scenario)
}
