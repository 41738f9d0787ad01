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

/// Two runs that really part at a known time (the second has a partition from 20 s on): the
/// locator finds the first differing event no earlier than that, with every earlier event
/// alike, and shows it from both runs.
#[test]
fn the_first_differing_event_is_found_where_the_second_run_starts_to_differ() {
    use medilanac::divergence::{locate_in, Located, Pass};
    use medilanac::scenario::{Scenario, DEFAULT};
    use medilanac::sim::network::Partition;
    use medilanac::sim::Time;
    let same = Scenario::parse(DEFAULT).unwrap();
    let mut cut = same.clone();
    cut.network.partitions.push(Partition {
        start: Time::from_secs_f64(20.0),
        end: Time::from_secs_f64(40.0),
        sites: [0, 1, 2].into(),
    });
    let located = locate_in(|pass, hooks| {
        let scenario = if pass == Pass::First { &same } else { &cut };
        medilanac::simulation::run_with(scenario, 1, hooks);
    });
    let Located::Events(difference) = located else {
        panic!("the runs differ: {located:?}");
    };
    let (first, second) = (difference.first.unwrap(), difference.second.unwrap());
    assert_ne!(first, second);
    assert!(first.time >= Time::from_secs_f64(20.0), "{difference}");
    assert!(difference.index > 100, "many equal events come first");
    assert!(difference
        .to_string()
        .contains(&format!("seq {}", first.seq)));
    // One run against itself: nothing to locate.
    let alike = locate_in(|_, hooks| {
        medilanac::simulation::run_with(&same, 1, hooks);
    });
    assert!(matches!(alike, Located::SameEvents { events } if events > 100));
}
