//! `--check-determinism`: `run` runs its seed twice and `sweep` runs every run again; equal
//! digests pass, and a difference fails (exit 1) with the scenario, seed, both digests, the
//! program version and the command that replays it.

use crate::support::{
    arg, corrupt, medilanac, parse, shipped, simulate, sweep, write, Csv, TINY_SWEEP,
};
use medilanac::replay;
use tempfile::TempDir;

#[test]
fn run_check_passes_on_the_shipped_default_scenario() {
    let path = shipped("default.toml");
    let run = medilanac(["run", "-q", arg(&path), "--check-determinism"]);
    run.expect(0);
    let scenario = medilanac::scenario::Scenario::load(&path).unwrap();
    let digest = simulate(&scenario, scenario.seed).digest.to_string();
    assert_eq!(run.digest(), digest);
    assert!(
        run.stdout.contains(&format!(
            "seed {} ran twice, digest {digest}",
            scenario.seed
        )),
        "{}",
        run.describe()
    );
    // The embedded default, and another seed.
    medilanac(["run", "-q", "--check-determinism"]).expect(0);
    let seeded = medilanac([
        "run",
        "-q",
        arg(&path),
        "--seed",
        "5",
        "--check-determinism",
    ]);
    seeded.expect(0);
    assert_eq!(seeded.digest(), simulate(&scenario, 5).digest.to_string());
}

#[test]
fn sweep_check_passes_on_a_deterministic_sweep() {
    let dir = TempDir::new().unwrap();
    let scenario = write(dir.path(), "tiny.toml", TINY_SWEEP);
    let csv = dir.path().join("tiny.csv");
    let run = sweep(&scenario, &csv, &["--check-determinism", "--threads", "2"]);
    assert!(
        run.stdout
            .contains("4 runs ran twice, every digest the same"),
        "{}",
        run.describe()
    );
}

#[test]
fn a_sweep_digest_that_differs_on_the_second_run_fails_with_a_report() {
    let dir = TempDir::new().unwrap();
    let scenario = write(dir.path(), "tiny.toml", TINY_SWEEP);
    let csv = dir.path().join("tiny.csv");
    sweep(&scenario, &csv, &[]);
    // Stand in for a first run that went differently: resume keeps the complete (but
    // altered) file, and the check runs every run again.
    let mut table = Csv::read(&csv);
    let right = table.get(3, "digest").to_string();
    let wrong = corrupt(&right);
    table.set(3, "digest", &wrong);
    table.write(&csv);

    let run = medilanac([
        "sweep",
        arg(&scenario),
        "--out",
        arg(&csv),
        "--resume",
        "--check-determinism",
    ]);
    run.expect(1);
    run.stderr_names(&[
        "determinism check failed for 1 of 4 runs",
        "scenario \"tiny\"",
        "run 3",
        &format!("seed {}", table.get(3, "seed")),
        &wrong,
        &right,
        env!("CARGO_PKG_VERSION"),
        &format!(
            "medilanac replay {} --row 3 --scenario {}",
            arg(&csv),
            arg(&scenario)
        ),
    ]);
}

#[test]
fn the_library_check_runs_a_seed_twice() {
    let scenario = parse(TINY_SWEEP);
    let digest = replay::run_twice(&scenario, 9).expect("deterministic");
    assert_eq!(digest, simulate(&scenario, 9).digest);
}
