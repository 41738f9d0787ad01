//! The adversary experiment on a small network: the CSV says what the runs showed (a
//! tamperer found out by every honest miner and nobody else blacklisted, a duplicator found
//! by nobody while its copies waste honest storage), the rows without adversaries leave
//! the detection columns empty, and the scenario's experiment table is checked.

use crate::support::{Csv, ScenarioText};
use medilanac::scenario::ScenarioError;
use tempfile::TempDir;

pub fn small() -> ScenarioText {
    ScenarioText::from_text(
        r#"
name = "adversaries-small"
seed = 1
miners = 8
blocks = 3
duration = 3600.0

[protocol]
k = 2
m = 4

[miner]
trust_period = 5.0

[experiment]
kind = "adversaries"
adversary = "tamperer"
count = 0
"#,
    )
    .sweep(
        1,
        &[
            ("experiment.adversary", r#"["tamperer", "duplicator"]"#),
            ("experiment.count", "[0, 2]"),
        ],
    )
}

/// The CSV of the small sweep, written in `dir`.
pub fn csv(dir: &std::path::Path) -> std::path::PathBuf {
    let out = dir.join("adversaries.csv");
    crate::support::sweep_to(&small(), &out, false, None);
    out
}

fn row(table: &Csv, adversary: &str, count: &str) -> usize {
    (0..table.rows.len())
        .find(|&i| table.get(i, "adversary") == adversary && table.get(i, "count") == count)
        .unwrap_or_else(|| panic!("no row for {count} {adversary}"))
}

#[test]
fn the_rows_say_who_was_found_out_and_what_it_cost() {
    let root = TempDir::new().unwrap();
    let table = Csv::read(&csv(root.path()));
    assert_eq!(table.rows.len(), 4);
    for i in 0..table.rows.len() {
        assert_eq!(table.get(i, "false_blacklists"), "0", "row {i}");
        assert_eq!(table.get(i, "quiet"), "true", "row {i}");
    }
    // Without adversaries there is nothing to detect, and nothing wasted.
    for adversary in ["tamperer", "duplicator"] {
        let none = row(&table, adversary, "0");
        assert_eq!(table.get(none, "honest"), "8");
        for column in [
            "detected",
            "predicted_detected",
            "first_detection_s",
            "full_detection_s",
        ] {
            assert_eq!(table.get(none, column), "", "{adversary}: {column}");
        }
        assert_eq!(table.get(none, "honest_bytes_wasted"), "0");
    }
    let tamperers = row(&table, "tamperer", "2");
    assert_eq!(table.get(tamperers, "honest"), "6");
    assert_eq!(table.get(tamperers, "detected"), "1.0000");
    let first: f64 = table.get(tamperers, "first_detection_s").parse().unwrap();
    let full: f64 = table.get(tamperers, "full_detection_s").parse().unwrap();
    assert!(0.0 < first && first <= full, "{first} then {full}");
    let predicted: f64 = table.get(tamperers, "predicted_detected").parse().unwrap();
    assert!(predicted > 0.9, "predicted {predicted}");

    let duplicators = row(&table, "duplicator", "2");
    assert_eq!(table.get(duplicators, "detected"), "0.0000");
    assert_eq!(table.get(duplicators, "predicted_detected"), "0.0000");
    assert_eq!(table.get(duplicators, "full_detection_s"), "");
    let copies: f64 = table.get(duplicators, "adversary_copies").parse().unwrap();
    assert!(copies > 1.0, "{copies} holders per chunk");
    let wasted: u64 = table
        .get(duplicators, "honest_bytes_wasted")
        .parse()
        .unwrap();
    assert!(wasted > 0);
    // An honest miner's chunks have one holder each: the tamperers, found out before they
    // placed much, did not spread copies.
    let tamperer_copies: f64 = table.get(tamperers, "adversary_copies").parse().unwrap();
    assert!(tamperer_copies <= 1.0);
}

#[test]
fn the_experiment_table_names_an_adversary_and_a_count_the_network_can_hold() {
    let error = |text: ScenarioText| match medilanac::scenario::Scenario::parse(&text.text()) {
        Err(ScenarioError::Invalid { field, value, .. }) => (field, value),
        other => panic!("accepted or wrong error: {:?}", other.map(|s| s.name)),
    };
    let base = small().without_sweep();
    let honest = base.clone().set("experiment.adversary", r#""honest""#);
    assert_eq!(
        error(honest),
        ("experiment.adversary".into(), "honest".into())
    );
    let too_many = base.set("experiment.count", "9");
    assert_eq!(error(too_many), ("experiment.count".into(), "9".into()));
}
