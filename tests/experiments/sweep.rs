//! Sweeps (DESIGN section 4): the CSV is the same for any number of threads, rows come in
//! run order with seeds innermost, every row can be run again alone, and a bad grid is
//! refused with a message that names it.

use crate::support::{cell, cli_digest, cli_sweep, is_digest, medilanac, Csv, ScenarioText};
use medilanac::sweep::{grid, header, run_job};
use std::collections::BTreeSet;
use tempfile::TempDir;

/// 12 miners, 3 blocks after genesis, a 2-of-4 code; the grid sweeps k and the number of
/// miners over two seeds: 12 runs of a summary row each.
pub fn small_sweep() -> ScenarioText {
    ScenarioText::from_text(
        r#"
name = "small-sweep"
seed = 3
miners = 12
blocks = 3

[protocol]
k = 2
m = 4
"#,
    )
    .sweep(2, &[("protocol.k", "[1, 2, 3]"), ("miners", "[8, 12]")])
}

/// The runs a grid names, in the order the design promises: grid points with the last path
/// (in the header's order) varying fastest, then seeds innermost. Each run is its grid values
/// by path and its seed.
fn expected_runs(
    text: &ScenarioText,
    paths: &[String],
    seeds: u64,
    base_seed: u64,
) -> Vec<(Vec<(String, toml::Value)>, u64)> {
    let grid = text.grid();
    let axes: Vec<Vec<toml::Value>> = paths
        .iter()
        .map(|path| {
            let (_, values) = grid
                .iter()
                .find(|(p, _)| p == path)
                .unwrap_or_else(|| panic!("header column {path:?} is not a grid path"));
            values.clone()
        })
        .collect();
    let mut points: Vec<Vec<toml::Value>> = vec![vec![]];
    for values in &axes {
        points = points
            .into_iter()
            .flat_map(|point| {
                values.iter().map(move |value| {
                    let mut longer = point.clone();
                    longer.push(value.clone());
                    longer
                })
            })
            .collect();
    }
    points
        .into_iter()
        .flat_map(|point| {
            let named: Vec<(String, toml::Value)> = paths.iter().cloned().zip(point).collect();
            (0..seeds).map(move |offset| (named.clone(), base_seed + offset))
        })
        .collect()
}

#[test]
fn the_csv_is_byte_identical_for_any_number_of_threads() {
    let root = TempDir::new().unwrap();
    let text = small_sweep();
    let file = text.write(root.path(), "sweep.toml");
    let mut outputs = Vec::new();
    for threads in ["1", "2", "3"] {
        let out = root.path().join(format!("threads-{threads}.csv"));
        let run = cli_sweep(&file, &out, &["--threads", threads]);
        run.expect(0);
        assert!(
            run.stdout.contains("12 runs"),
            "the sweep does not report its 12 runs\n{}",
            run.describe()
        );
        outputs.push((threads, std::fs::read(&out).unwrap()));
    }
    let (_, first) = &outputs[0];
    assert!(
        first.ends_with(b"\n"),
        "the CSV does not end with a newline"
    );
    assert_eq!(first.iter().filter(|&&b| b == b'\n').count(), 13);
    for (threads, bytes) in &outputs[1..] {
        assert!(
            bytes == first,
            "--threads {threads} wrote another CSV than --threads 1:\n{}\n---\n{}",
            String::from_utf8_lossy(first),
            String::from_utf8_lossy(bytes)
        );
    }
}

/// The grid paths a sweep's CSV columns name, in the header's order.
fn grid_paths(csv: &Csv) -> Vec<String> {
    let names = &csv.header[3..csv.column("seed")];
    let path = |name: &String| name.strip_prefix("grid.").unwrap_or(name).to_string();
    names.iter().map(path).collect()
}

#[test]
fn rows_come_in_run_order_with_seeds_innermost() {
    let root = TempDir::new().unwrap();
    let text = small_sweep();
    let scenario = text.scenario();
    let out = root.path().join("sweep.csv");
    cli_sweep(
        &text.write(root.path(), "sweep.toml"),
        &out,
        &["--threads", "2"],
    )
    .expect(0);
    let csv = Csv::read(&out);

    assert_eq!(csv.header, header(&scenario), "the CSV's header");
    let (run_col, seed_col) = (csv.column("run"), csv.column("seed"));
    assert_eq!(&csv.header[..3], ["scenario", "run", "rows_in_run"]);
    assert_eq!(csv.header.last().map(String::as_str), Some("digest"));
    let mut grid_columns = csv.header[3..seed_col].to_vec();
    grid_columns.sort();
    // `miners` is also the summary's column, so the grid's is told apart.
    assert_eq!(grid_columns, ["grid.miners", "protocol.k"], "grid columns");
    let paths = grid_paths(&csv);

    let expected = expected_runs(&text, &paths, 2, 3);
    assert_eq!(csv.rows.len(), expected.len(), "one row per run");
    let miners_measured = csv.column("miners");
    for (i, (row, (point, seed))) in csv.rows.iter().zip(&expected).enumerate() {
        assert_eq!(row[0], "small-sweep");
        assert_eq!(row[run_col], i.to_string(), "run column of row {i}");
        assert_eq!(row[2], "1", "a summary run has one row");
        assert_eq!(row[seed_col], seed.to_string(), "seed of run {i}");
        for (offset, (path, value)) in point.iter().enumerate() {
            assert_eq!(row[3 + offset], cell(value), "{path} of run {i}");
        }
        // The grid value reached the run: the summary counts that many miners.
        let miners = point.iter().find(|(p, _)| p == "miners").unwrap();
        assert_eq!(
            row[miners_measured],
            cell(&miners.1),
            "miners run in run {i}"
        );
        assert!(is_digest(row.last().unwrap()), "digest of run {i}: {row:?}");
    }
    let digests: BTreeSet<&String> = csv.rows.iter().map(|row| row.last().unwrap()).collect();
    assert_eq!(
        digests.len(),
        csv.rows.len(),
        "two runs of different grid points or seeds gave one digest"
    );
}

#[test]
fn any_row_runs_again_alone_with_its_digest() {
    let root = TempDir::new().unwrap();
    let text = small_sweep();
    let out = root.path().join("sweep.csv");
    cli_sweep(&text.write(root.path(), "sweep.toml"), &out, &[]).expect(0);
    let csv = Csv::read(&out);
    let seed_col = csv.column("seed");
    let paths = grid_paths(&csv);
    // Two rows that differ in every grid value and in the seed.
    for index in [3, 8] {
        let row = &csv.rows[index];
        let grid = text.grid();
        let point: Vec<(String, toml::Value)> = paths
            .iter()
            .enumerate()
            .map(|(offset, path)| {
                let (_, values) = grid.iter().find(|(p, _)| p == path).unwrap();
                let value = values
                    .iter()
                    .find(|v| cell(v) == row[3 + offset])
                    .unwrap_or_else(|| panic!("{path} = {} is not in the grid", row[3 + offset]));
                (path.clone(), value.clone())
            })
            .collect();
        let file = text
            .point(&point)
            .write(root.path(), &format!("row-{index}.toml"));
        let seed: u64 = row[seed_col].parse().unwrap();
        assert_eq!(
            &cli_digest(&file, seed),
            row.last().unwrap(),
            "row {index} ({point:?}, seed {seed}) does not run again to its digest"
        );
    }
}

#[test]
fn library_jobs_match_the_written_rows() {
    let root = TempDir::new().unwrap();
    let text = small_sweep();
    let scenario = text.scenario();
    let out = root.path().join("sweep.csv");
    cli_sweep(&text.write(root.path(), "sweep.toml"), &out, &[]).expect(0);
    let csv = Csv::read(&out);
    let jobs = grid::jobs(&scenario).expect("the grid is valid");
    assert_eq!(jobs.len(), csv.rows.len());
    for (i, job) in jobs.iter().enumerate() {
        assert_eq!(job.index, i);
    }
    for index in [0, 7, 11] {
        let rows = run_job(&jobs[index]);
        assert_eq!(rows, vec![csv.rows[index].clone()], "run {index} again");
    }
}

/// Runs `sweep` on `text` and expects exit 2 with every needle in the message, no panic
/// and no output file.
fn refused(text: &ScenarioText, needles: &[&str]) {
    let root = TempDir::new().unwrap();
    let file = text.write(root.path(), "bad.toml");
    let out = root.path().join("bad.csv");
    let run = cli_sweep(&file, &out, &[]);
    run.expect(2).stderr_names(needles);
    assert!(
        !out.exists(),
        "a refused sweep created its output file\n{}",
        run.describe()
    );
    // An existing file is left alone too.
    std::fs::write(&out, "precious\n").unwrap();
    cli_sweep(&file, &out, &[]).expect(2);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "precious\n");
}

#[test]
fn a_grid_path_that_names_no_field_is_refused() {
    let text = small_sweep().sweep(1, &[("protocol.kk", "[1, 2]")]);
    refused(&text, &["protocol.kk", "kk", "1"]);
    let text = small_sweep().sweep(1, &[("miners", "[8]"), ("nonsense", "[7]")]);
    refused(&text, &["nonsense", "7"]);
}

#[test]
fn a_grid_value_of_the_wrong_type_is_refused() {
    let text = small_sweep().sweep(1, &[("protocol.k", r#"[2, "two"]"#)]);
    refused(&text, &["protocol.k", "two"]);
    let text = small_sweep().sweep(1, &[("miners", "[8]"), ("protocol.k", "[1, 2.5]")]);
    refused(&text, &["protocol.k", "2.5"]);
}

#[test]
fn an_invalid_grid_point_is_refused() {
    // m = 4: k = 5 breaks k <= m at one point only.
    let text = small_sweep().sweep(1, &[("protocol.k", "[1, 2, 5]")]);
    refused(&text, &["protocol.k", "5"]);
    // Distinct placement needs more than m = 4 miners.
    let text = small_sweep().sweep(1, &[("miners", "[8, 4]")]);
    refused(&text, &["miners", "4"]);
}

/// A grid over the scenario's `seed` must either be refused or actually change the runs,
/// never label identical runs with different seeds (it once ran the base seed for every
/// grid value).
#[test]
fn a_seed_axis_is_refused_or_changes_the_runs() {
    let root = TempDir::new().unwrap();
    let text = small_sweep().sweep(1, &[("seed", "[1, 2]")]);
    let out = root.path().join("seed.csv");
    let run = cli_sweep(&text.write(root.path(), "seed.toml"), &out, &[]);
    if run.code == 2 {
        run.stderr_names(&["seed"]);
        return;
    }
    run.expect(0);
    let csv = Csv::read(&out);
    let digests: BTreeSet<&String> = csv.rows.iter().map(|row| row.last().unwrap()).collect();
    assert_eq!(
        digests.len(),
        csv.rows.len(),
        "grid values seed = 1 and seed = 2 ran the same simulation:\n{}",
        std::fs::read_to_string(&out).unwrap()
    );
}

/// A grid over fields that other columns are named after (`miners` and `blocks`, which
/// the summary reports too, and `seed`, each run's own) still gives every column its own
/// name, so what is looked up by name is what was meant (the plots look up `seed` and
/// `miners` by name, and took the first of two), and a row of such a sweep replays.
#[test]
fn grid_columns_never_share_a_name_with_other_columns() {
    let root = TempDir::new().unwrap();
    let grid = [("miners", "[8, 12]"), ("blocks", "[2]"), ("seed", "[3]")];
    let text = small_sweep().sweep(2, &grid);
    let file = text.write(root.path(), "clash.toml");
    let out = root.path().join("clash.csv");
    cli_sweep(&file, &out, &[]).expect(0);
    let csv = Csv::read(&out);
    let names: BTreeSet<&String> = csv.header.iter().collect();
    assert_eq!(names.len(), csv.header.len(), "{:?}", csv.header);
    for (i, row) in csv.rows.iter().enumerate() {
        let at = |name: &str| row[csv.column(name)].clone();
        assert_eq!(at("grid.miners"), at("miners"), "miners of row {i}");
        assert_eq!(at("grid.seed"), "3", "the grid's seed in row {i}");
        assert_eq!(
            at("seed"),
            (3 + i % 2).to_string(),
            "the run's seed in row {i}"
        );
    }
    let replay = medilanac([
        "replay".as_ref(),
        out.as_os_str(),
        "--row".as_ref(),
        "1".as_ref(),
        "--scenario".as_ref(),
        file.as_os_str(),
    ]);
    replay.expect(0);
}

/// Every row of a sweep has the header's columns. The header names the base experiment's
/// columns, so a grid over `experiment.kind` must be refused (it once wrote each run's own
/// experiment's columns under the base's header: a ragged file).
#[test]
fn a_grid_over_the_experiment_keeps_every_row_in_the_headers_columns() {
    let root = TempDir::new().unwrap();
    let text = small_sweep().sweep(1, &[("experiment.kind", r#"["summary", "storage_ratio"]"#)]);
    let out = root.path().join("kind.csv");
    let run = cli_sweep(&text.write(root.path(), "kind.toml"), &out, &[]);
    if run.code == 2 {
        run.stderr_names(&["experiment"]);
        return;
    }
    run.expect(0);
    let bytes = std::fs::read_to_string(&out).unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(bytes.as_bytes());
    let columns = reader.headers().unwrap().len();
    for (i, record) in reader.records().enumerate() {
        assert_eq!(
            record.unwrap().len(),
            columns,
            "row {i} does not have the header's {columns} columns:\n{bytes}"
        );
    }
}
