//! `replay SCENARIO --seed N [--expect DIGEST]`: one run again, its digest that of the
//! in-process run, and a wrong expectation a failure that says how to replay.

use crate::support::{arg, corrupt, medilanac, parse, simulate, write, SMALL};
use tempfile::TempDir;

#[test]
fn replay_prints_the_digest_of_the_run() {
    let dir = TempDir::new().unwrap();
    let file = write(dir.path(), "small.toml", SMALL);
    let scenario = parse(SMALL);
    let seeded = medilanac(["replay", arg(&file), "--seed", "7"]);
    seeded.expect(0);
    assert_eq!(seeded.digest(), simulate(&scenario, 7).digest.to_string());
    // Without --seed: the scenario's own seed (1).
    let plain = medilanac(["replay", arg(&file)]);
    plain.expect(0);
    assert_eq!(plain.digest(), simulate(&scenario, 1).digest.to_string());
}

#[test]
fn the_right_digest_passes_and_a_wrong_one_fails_with_exit_1() {
    let dir = TempDir::new().unwrap();
    let file = write(dir.path(), "small.toml", SMALL);
    let right = simulate(&parse(SMALL), 4).digest.to_string();
    medilanac(["replay", arg(&file), "--seed", "4", "--expect", &right]).expect(0);
    // Upper case hex is the same digest.
    medilanac([
        "replay",
        arg(&file),
        "--seed",
        "4",
        "--expect",
        &right.to_uppercase(),
    ])
    .expect(0);

    let wrong = corrupt(&right);
    let run = medilanac(["replay", arg(&file), "--seed", "4", "--expect", &wrong]);
    run.expect(1);
    run.stderr_names(&[
        &right,
        &wrong,
        "seed      4",
        arg(&file),
        env!("CARGO_PKG_VERSION"),
        "medilanac replay",
    ]);
}

#[test]
fn a_malformed_expectation_is_bad_input() {
    for bad in ["abc", "", &"g".repeat(64)] {
        medilanac(["replay", "--expect", bad])
            .expect(2)
            .stderr_names(&["--expect"]);
    }
}

#[test]
fn replay_without_a_file_replays_the_embedded_default() {
    let run = medilanac(["replay", "--seed", "2"]);
    run.expect(0);
    let scenario = parse(medilanac::scenario::DEFAULT);
    assert_eq!(run.digest(), simulate(&scenario, 2).digest.to_string());
}

#[test]
fn help_lists_the_replay_and_check_options() {
    let replay = medilanac(["replay", "--help"]);
    replay.expect(0);
    for option in [
        "[SOURCE]",
        "--seed",
        "--expect <DIGEST>",
        "--row <R>",
        "--scenario <PATH>",
        "--trace <FILE.jsonl>",
        "--actor <ID>",
        "--from <SECONDS>",
        "--to <SECONDS>",
    ] {
        assert!(replay.stdout.contains(option), "{}", replay.describe());
    }
    for command in ["run", "sweep"] {
        let help = medilanac([command, "--help"]);
        help.expect(0);
        assert!(
            help.stdout.contains("--check-determinism"),
            "{}",
            help.describe()
        );
    }
}
