//! Resuming an interrupted sweep (DESIGN section 4): whatever byte the file was cut at, the
//! resumed file is the complete one, byte for byte; a file of another sweep is refused and
//! left alone; without `--resume` the file starts again from scratch.

use crate::support::{cli_sweep, sweep_to, Csv, ScenarioText};
use std::collections::BTreeSet;
use std::path::Path;
use tempfile::TempDir;

/// 6 small runs of one summary row each: k over 3 values, 2 seeds.
fn one_row_runs() -> ScenarioText {
    ScenarioText::from_text(
        r#"
name = "resume"
seed = 5
miners = 6
blocks = 2

[protocol]
k = 2
m = 4
"#,
    )
    .sweep(2, &[("protocol.k", "[1, 2, 3]")])
}

/// 3 small runs of 3 fault-tolerance rows each.
fn three_row_runs() -> ScenarioText {
    ScenarioText::from_text(
        r#"
name = "resume-rows"
seed = 2
miners = 8
blocks = 2

[protocol]
k = 2
m = 4

[experiment]
kind = "fault_tolerance"
subjects = 3
prefix = 2
"#,
    )
    .sweep(1, &[("protocol.k", "[1, 2, 4]")])
}

/// Byte offsets just after each newline of `bytes`.
fn line_ends(bytes: &[u8]) -> Vec<usize> {
    (0..bytes.len())
        .filter(|&i| bytes[i] == b'\n')
        .map(|i| i + 1)
        .collect()
}

/// Cut positions worth trying: at, just before and just after every line end (the torn
/// newline, the first byte of the next row), inside the digest and in the middle of a row.
fn cut_points(bytes: &[u8]) -> Vec<usize> {
    let ends = line_ends(bytes);
    let mut cuts = BTreeSet::new();
    for pair in ends.windows(2) {
        let (start, end) = (pair[0], pair[1]);
        cuts.extend([
            start,
            start + 1,
            (start + end) / 2,
            end - 10,
            end - 2,
            end - 1,
        ]);
    }
    cuts.insert(bytes.len());
    cuts.into_iter().filter(|&c| c <= bytes.len()).collect()
}

/// How many whole runs the first `cut` bytes hold: a row counts once its digest is whole
/// (its newline may be missing), a run once all its rows are.
fn complete_runs(bytes: &[u8], cut: usize, rows_per_run: usize) -> usize {
    let rows = line_ends(bytes)
        .iter()
        .skip(1)
        .filter(|&&end| end - 1 <= cut)
        .count();
    rows / rows_per_run
}

/// Cuts the complete file at every interesting byte and resumes it in-process.
fn resumes_at_every_cut(text: &ScenarioText, rows_per_run: usize) {
    let root = TempDir::new().unwrap();
    let out = root.path().join("sweep.csv");
    let report = sweep_to(text, &out, false, None);
    assert_eq!(report.kept, 0);
    let complete = std::fs::read(&out).unwrap();
    let runs = report.runs;
    assert_eq!(line_ends(&complete).len(), 1 + runs * rows_per_run);
    for cut in cut_points(&complete) {
        std::fs::write(&out, &complete[..cut]).unwrap();
        let report = sweep_to(text, &out, true, Some(2));
        let resumed = std::fs::read(&out).unwrap();
        assert!(
            resumed == complete,
            "resuming a file cut at byte {cut} of {} gave another file:\n--- cut ---\n{}\n--- \
             resumed ---\n{}\n--- complete ---\n{}",
            complete.len(),
            String::from_utf8_lossy(&complete[..cut]),
            String::from_utf8_lossy(&resumed),
            String::from_utf8_lossy(&complete)
        );
        assert_eq!(
            report.kept,
            complete_runs(&complete, cut, rows_per_run),
            "runs kept from a file cut at byte {cut}"
        );
        assert_eq!(report.runs, runs);
        no_row_twice(&out, rows_per_run);
    }
}

/// Every run appears with exactly its number of rows, in order.
fn no_row_twice(out: &Path, rows_per_run: usize) {
    let csv = Csv::read(out);
    let runs: Vec<&str> = csv.text("run");
    let mut seen = Vec::new();
    for run in &runs {
        if seen.last() != Some(run) {
            assert!(!seen.contains(run), "run {run} appears twice: {runs:?}");
            seen.push(*run);
        }
    }
    for run in &seen {
        let count = runs.iter().filter(|r| *r == run).count();
        assert_eq!(count, rows_per_run, "rows of run {run}: {runs:?}");
    }
}

#[test]
fn a_sweep_cut_anywhere_resumes_to_the_complete_file() {
    resumes_at_every_cut(&one_row_runs(), 1);
}

#[test]
fn a_run_of_several_rows_cut_between_them_is_run_again() {
    resumes_at_every_cut(&three_row_runs(), 3);
}

#[test]
fn the_command_line_resumes_and_says_what_it_kept() {
    let root = TempDir::new().unwrap();
    let text = one_row_runs();
    let file = text.write(root.path(), "resume.toml");
    let out = root.path().join("sweep.csv");
    cli_sweep(&file, &out, &[]).expect(0);
    let complete = std::fs::read(&out).unwrap();
    let ends = line_ends(&complete);

    // Just after the header: nothing kept.
    std::fs::write(&out, &complete[..ends[0]]).unwrap();
    let run = cli_sweep(&file, &out, &["--resume", "--threads", "2"]);
    run.expect(0);
    assert_eq!(std::fs::read(&out).unwrap(), complete, "{}", run.describe());

    // In the middle of the fourth row: three runs kept.
    std::fs::write(&out, &complete[..(ends[3] + ends[4]) / 2]).unwrap();
    let run = cli_sweep(&file, &out, &["--resume"]);
    run.expect(0);
    assert!(
        run.stdout.contains("3 runs") && run.stdout.contains("3 were already there"),
        "the resumed sweep does not say it added 3 runs to 3\n{}",
        run.describe()
    );
    assert_eq!(std::fs::read(&out).unwrap(), complete, "{}", run.describe());

    // A complete file: nothing to do, nothing changed.
    let run = cli_sweep(&file, &out, &["--resume"]);
    run.expect(0);
    assert!(
        run.stdout.contains("6 were already there"),
        "{}",
        run.describe()
    );
    assert_eq!(std::fs::read(&out).unwrap(), complete);

    // --resume without a file starts one.
    let fresh = root.path().join("fresh.csv");
    cli_sweep(&file, &fresh, &["--resume"]).expect(0);
    assert_eq!(std::fs::read(&fresh).unwrap(), complete);
}

#[test]
fn a_file_of_another_sweep_is_refused_and_left_alone() {
    let root = TempDir::new().unwrap();
    let out = root.path().join("sweep.csv");
    sweep_to(&one_row_runs(), &out, false, None);
    let before = std::fs::read(&out).unwrap();

    // Other columns: another experiment.
    let other = three_row_runs().write(root.path(), "other.toml");
    let run = cli_sweep(&other, &out, &["--resume"]);
    run.expect(2).stderr_names(&["resume", "columns"]);
    assert!(
        run.stderr.contains(out.to_str().unwrap()),
        "the message does not name the file\n{}",
        run.describe()
    );
    assert_eq!(
        std::fs::read(&out).unwrap(),
        before,
        "a refused resume changed the file"
    );

    // Other columns: another grid.
    let other = one_row_runs()
        .sweep(2, &[("protocol.k", "[1, 2, 3]"), ("miners", "[6, 7]")])
        .write(root.path(), "grid.toml");
    cli_sweep(&other, &out, &["--resume"])
        .expect(2)
        .stderr_names(&["resume", "columns"]);
    assert_eq!(std::fs::read(&out).unwrap(), before);

    // The same columns but other runs: another base seed.
    let other = one_row_runs()
        .set("seed", "6")
        .write(root.path(), "seed.toml");
    let cut = line_ends(&before)[2];
    std::fs::write(&out, &before[..cut]).unwrap();
    cli_sweep(&other, &out, &["--resume"])
        .expect(2)
        .stderr_names(&["resume", "run 0"]);
    assert_eq!(std::fs::read(&out).unwrap(), &before[..cut]);
}

#[test]
fn without_resume_an_existing_file_is_written_from_scratch() {
    let root = TempDir::new().unwrap();
    let text = one_row_runs();
    let file = text.write(root.path(), "resume.toml");
    let out = root.path().join("sweep.csv");
    cli_sweep(&file, &out, &[]).expect(0);
    let complete = std::fs::read(&out).unwrap();

    // A longer file of the same sweep with junk after it, and a file of another sweep.
    let mut longer = complete.clone();
    longer.extend_from_slice(&complete[line_ends(&complete)[0]..]);
    longer.extend_from_slice(b"junk,junk\n");
    for old in [longer, b"a,b,c\n1,2,3\n".to_vec()] {
        std::fs::write(&out, &old).unwrap();
        let run = cli_sweep(&file, &out, &[]);
        run.expect(0);
        assert_eq!(
            std::fs::read(&out).unwrap(),
            complete,
            "the file was not written from scratch\n{}",
            run.describe()
        );
    }
}

/// Guards the check in `sweep::complete_runs` that only the last row may be torn: a row
/// damaged in the middle (bytes that are no text) with whole rows after it is refused and
/// the file left alone, where cutting it there would have lost every row after it.
#[test]
fn a_row_damaged_in_the_middle_is_refused_rather_than_cut_with_what_follows() {
    let root = TempDir::new().unwrap();
    let text = one_row_runs();
    let file = text.write(root.path(), "resume.toml");
    let out = root.path().join("sweep.csv");
    cli_sweep(&file, &out, &[]).expect(0);
    let mut damaged = std::fs::read(&out).unwrap();
    let second_row = line_ends(&damaged)[1] + 1;
    damaged[second_row] = 0xff;
    std::fs::write(&out, &damaged).unwrap();
    cli_sweep(&file, &out, &["--resume"])
        .expect(2)
        .stderr_names(&["row 2", "damaged"]);
    assert_eq!(
        std::fs::read(&out).unwrap(),
        damaged,
        "the file was changed"
    );
}
