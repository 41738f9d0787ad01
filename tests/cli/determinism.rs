//! A run follows from its scenario and seed alone (DESIGN section 3): the same pair gives the
//! same digest in-process and through the binary, and another seed gives another digest.

use crate::support::{load, medilanac, run_quiet, shipped, simulate, ScenarioText, SMALL};
use medilanac::scenario::{Scenario, DEFAULT};
use medilanac::sim::Level;
use medilanac::simulation;
use tempfile::TempDir;

#[test]
fn in_process_runs_repeat_bit_for_bit() {
    let scenario = ScenarioText::small().scenario();
    let first = simulate(&scenario, 7);
    let second = simulate(&scenario, 7);
    assert_eq!(first.digest, second.digest);
    assert_eq!(first.summary, second.summary);
    let headers = |outcome: &simulation::Outcome| -> Vec<String> {
        let blocks = outcome.miners.iter().flat_map(|m| m.blocks.iter());
        blocks.map(|b| b.header.hash().to_string()).collect()
    };
    assert_eq!(headers(&first), headers(&second));
    assert_ne!(simulate(&scenario, 8).digest, first.digest);
}

#[test]
fn cli_runs_repeat_and_match_in_process() {
    let root = TempDir::new().unwrap();
    let text = ScenarioText::small();
    let file = text.write(root.path(), "small.toml");
    let scenario = text.scenario();

    let first = run_quiet(&file, &[]).digest();
    let second = run_quiet(&file, &[]).digest();
    assert_eq!(
        first, second,
        "two CLI runs of one scenario and seed differ"
    );
    // Without --seed the run uses the file's `seed` (1).
    assert_eq!(first, simulate(&scenario, scenario.seed).digest.to_string());
    assert_eq!(first, run_quiet(&file, &["--seed", "1"]).digest());

    let seeded = run_quiet(&file, &["--seed", "9"]).digest();
    assert_eq!(seeded, simulate(&scenario, 9).digest.to_string());
}

#[test]
fn another_seed_gives_another_digest() {
    let root = TempDir::new().unwrap();
    let file = ScenarioText::small().write(root.path(), "small.toml");
    let one = run_quiet(&file, &["--seed", "1"]).digest();
    let two = run_quiet(&file, &["--seed", "2"]).digest();
    assert_ne!(one, two, "--seed does not reach the run");

    // The file's own `seed` is the default of --seed.
    let seed_two = ScenarioText::small()
        .set("seed", "2")
        .write(root.path(), "seed2.toml");
    assert_eq!(run_quiet(&seed_two, &[]).digest(), two);

    let scenario = ScenarioText::small().scenario();
    assert_ne!(simulate(&scenario, 1).digest, simulate(&scenario, 2).digest);
}

#[test]
fn log_level_and_export_do_not_change_the_digest() {
    let root = TempDir::new().unwrap();
    let file = ScenarioText::small().write(root.path(), "small.toml");
    let quiet = run_quiet(&file, &[]).digest();
    for args in [vec![], vec!["-v"]] {
        let mut all = vec!["run", file.to_str().unwrap()];
        all.extend(args);
        let run = medilanac(&all);
        run.expect(0);
        assert_eq!(run.digest(), quiet, "{}", run.describe());
    }
    let dir = root.path().join("export");
    let exported = run_quiet(&file, &["--export", dir.to_str().unwrap()]);
    assert_eq!(exported.digest(), quiet);

    let scenario = ScenarioText::small().scenario();
    let logged = simulation::run(&scenario, 1, Some(Level::Debug));
    assert!(!logged.log.is_empty());
    assert_eq!(logged.digest.to_string(), quiet);
}

#[test]
fn exports_of_one_run_are_identical_byte_for_byte() {
    let root = TempDir::new().unwrap();
    let file = ScenarioText::small().write(root.path(), "small.toml");
    let read = |name: &str| {
        let dir = root.path().join(name);
        run_quiet(&file, &["--export", dir.to_str().unwrap()]);
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .map(|p| {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read(&p).unwrap())
            })
            .collect();
        files.sort();
        files
    };
    let first = read("a");
    assert_eq!(first.len(), 6);
    assert!(first == read("b"), "two exports of one run differ");
}

#[test]
fn shipped_scenarios_run_and_match_in_process() {
    for name in [
        "default.toml",
        "dissertation.toml",
        "prototype-defaults.toml",
    ] {
        let path = shipped(name);
        let run = run_quiet(&path, &[]);
        let scenario = load(&path);
        let expected = simulate(&scenario, scenario.seed).digest.to_string();
        assert_eq!(run.digest(), expected, "{name}: CLI and library disagree");
        let check = medilanac(["check".as_ref(), path.as_os_str()]);
        check.expect(0);
    }
}

#[test]
fn run_without_a_file_runs_the_embedded_default() {
    let embedded = medilanac(["run", "-q"]);
    embedded.expect(0);
    assert!(
        embedded.stdout.contains("Summary of scenario \"default\""),
        "{}",
        embedded.describe()
    );
    let file = run_quiet(&shipped("default.toml"), &[]);
    assert_eq!(embedded.digest(), file.digest());
    let parsed = Scenario::parse(DEFAULT).expect("embedded default parses");
    assert_eq!(
        embedded.digest(),
        simulate(&parsed, parsed.seed).digest.to_string()
    );
}

#[test]
fn changing_a_parameter_changes_the_digest() {
    // The digest covers the run, not only the seed: a different network gives another one.
    let base = ScenarioText::from_text(SMALL).scenario();
    let wider = ScenarioText::small().set("protocol.m", "5").scenario();
    assert_ne!(simulate(&base, 1).digest, simulate(&wider, 1).digest);
}
