//! `replay FILE.csv --row R`: any row of a sweep runs again alone and gives its digest; a row
//! whose digest was changed fails (exit 1), a row that does not belong to the scenario is bad
//! input (exit 2).

use crate::support::{
    arg, corrupt, medilanac, medilanac_in, sweep, write, Csv, TINY_FAULTS, TINY_SWEEP,
};
use tempfile::TempDir;

/// A tiny sweep run through the CLI: (dir, scenario, csv).
fn swept(text: &str) -> (TempDir, std::path::PathBuf, std::path::PathBuf) {
    let dir = TempDir::new().unwrap();
    let scenario = write(dir.path(), "sweep.toml", text);
    let csv = dir.path().join("out.csv");
    sweep(&scenario, &csv, &[]);
    (dir, scenario, csv)
}

fn replay_row(
    csv: &std::path::Path,
    row: usize,
    scenario: &std::path::Path,
) -> crate::support::Run {
    medilanac([
        "replay",
        arg(csv),
        "--row",
        &row.to_string(),
        "--scenario",
        arg(scenario),
    ])
}

#[test]
fn every_row_of_a_sweep_replays_to_its_digest() {
    let (_dir, scenario, csv) = swept(TINY_SWEEP);
    let table = Csv::read(&csv);
    assert_eq!(table.rows.len(), 4);
    for row in 0..table.rows.len() {
        let run = replay_row(&csv, row, &scenario);
        run.expect(0);
        assert_eq!(run.digest(), table.get(row, "digest"), "{}", run.describe());
    }
}

#[test]
fn a_row_inside_a_run_of_several_rows_replays_that_run() {
    let (_dir, scenario, csv) = swept(TINY_FAULTS);
    let table = Csv::read(&csv);
    assert_eq!(table.rows.len(), 6, "3 subjects per run, 2 runs");
    for row in [1, 2, 4] {
        let run = replay_row(&csv, row, &scenario);
        run.expect(0);
        assert_eq!(run.digest(), table.get(row, "digest"));
        assert!(
            run.stdout
                .contains(&format!("run {} of sweep", table.get(row, "run"))),
            "{}",
            run.describe()
        );
    }
}

#[test]
fn a_corrupted_digest_fails_with_exit_1_and_a_replay_report() {
    let (dir, scenario, csv) = swept(TINY_SWEEP);
    let mut table = Csv::read(&csv);
    let right = table.get(2, "digest").to_string();
    let wrong = corrupt(&right);
    table.set(2, "digest", &wrong);
    let bad = dir.path().join("corrupted.csv");
    table.write(&bad);

    let run = replay_row(&bad, 2, &scenario);
    run.expect(1);
    assert_eq!(
        run.digest(),
        right,
        "the run itself still gives the right digest"
    );
    run.stderr_names(&[
        &right,
        &wrong,
        "seed",
        table.get(2, "seed"),
        arg(&scenario),
        env!("CARGO_PKG_VERSION"),
        "medilanac replay",
        "--row 2",
    ]);
    // The other rows are untouched.
    replay_row(&bad, 1, &scenario).expect(0);
}

#[test]
fn rows_that_do_not_belong_to_the_scenario_are_bad_input() {
    let (dir, scenario, csv) = swept(TINY_SWEEP);
    let table = Csv::read(&csv);

    // Seed or grid value edited: the row is no run of this sweep.
    for (column, value) in [
        ("seed", "99"),
        ("protocol.k", "3"),
        ("run", "17"),
        ("run", "x"),
    ] {
        let mut edited = Csv::read(&csv);
        edited.set(1, column, value);
        let path = dir.path().join("edited.csv");
        edited.write(&path);
        replay_row(&path, 1, &scenario).expect(2);
    }
    // A scenario file of another sweep (other name, other grid).
    let other = write(dir.path(), "other.toml", crate::support::TINY_FAULTS);
    replay_row(&csv, 0, &other).expect(2);
    // No such row; not a CSV of a sweep; a CSV without --row.
    replay_row(&csv, table.rows.len(), &scenario)
        .expect(2)
        .stderr_names(&["no data row"]);
    let junk = write(dir.path(), "junk.csv", "a,b\n1,2\n");
    replay_row(&junk, 0, &scenario).expect(2);
    medilanac(["replay", arg(&csv)])
        .expect(2)
        .stderr_names(&["--row"]);
    // --seed and --expect belong to a scenario replay, not a row's.
    medilanac([
        "replay",
        arg(&csv),
        "--row",
        "0",
        "--scenario",
        arg(&scenario),
        "--seed",
        "3",
    ])
    .expect(2);
}

#[test]
fn the_scenario_file_is_found_by_the_csv_scenario_name() {
    let dir = TempDir::new().unwrap();
    let scenario = write(dir.path(), "scenarios/tiny.toml", TINY_SWEEP);
    std::fs::create_dir_all(dir.path().join("results")).unwrap();
    let csv = dir.path().join("results/tiny.csv");
    sweep(&scenario, &csv, &[]);
    let digest = Csv::read(&csv).get(3, "digest").to_string();

    // From the project directory: scenarios/<name>.toml.
    let here = medilanac_in(
        Some(dir.path()),
        ["replay", "results/tiny.csv", "--row", "3"],
    );
    here.expect(0);
    assert_eq!(here.digest(), digest);
    // From elsewhere: beside the CSV's directory.
    let away = medilanac(["replay", arg(&csv), "--row", "3"]);
    away.expect(0);
    assert_eq!(away.digest(), digest);
    // Nowhere to be found.
    let lonely = TempDir::new().unwrap();
    let copy = lonely.path().join("tiny.csv");
    std::fs::copy(&csv, &copy).unwrap();
    medilanac_in(Some(lonely.path()), ["replay", "tiny.csv", "--row", "3"])
        .expect(2)
        .stderr_names(&["--scenario"]);
}

/// No fault, healed from the start, but a smallest block larger than the patients ever
/// submit: no miner starts a block, and every run fails the liveness invariant.
const STUCK: &str = r#"
name = "stuck"
seed = 1
miners = 7
blocks = 5
duration = 3000.0

[protocol]
min_primary = 1048576

[heal]
at = 0.0

[sweep]
seeds = 2
"#;

#[test]
fn a_row_that_failed_liveness_replays_to_the_event_it_failed_at_and_says_why() {
    let dir = TempDir::new().unwrap();
    let scenario = write(dir.path(), "stuck.toml", STUCK);
    let csv = dir.path().join("out.csv");
    let swept = medilanac(["sweep", arg(&scenario), "--out", arg(&csv)]);
    swept.expect(1);
    let table = Csv::read(&csv);
    assert_eq!(table.get(0, "status"), "violation");
    let trace = dir.path().join("row0.jsonl");
    let run = medilanac([
        "replay",
        arg(&csv),
        "--row",
        "0",
        "--scenario",
        arg(&scenario),
        "--trace",
        arg(&trace),
    ]);
    run.expect(0);
    assert_eq!(run.digest(), table.get(0, "digest"));
    let told = run
        .stdout
        .lines()
        .find(|line| line.starts_with("invariant broken"))
        .unwrap_or_else(|| panic!("no violation told\n{}", run.describe()));
    assert!(
        told.contains("converges within the bound after the heal"),
        "{told}"
    );
    assert!(told.contains("records not in a block yet"), "{told}");
    let event: u64 = told
        .split("event ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|seq| seq.parse().ok())
        .unwrap_or_else(|| panic!("no event in {told}"));
    let events = crate::support::read_trace(&trace);
    let last = events.last().expect("a trace");
    assert_eq!(
        last["seq"].as_u64(),
        Some(event),
        "the trace ends at the violation"
    );
}
