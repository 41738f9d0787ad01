//! A healthy network runs to the end: every miner finishes, chunks are placed, and every
//! block with `k` chunks placed rebuilds; the log and summary say so at each verbosity.

use crate::support::{load, medilanac, run_quiet, shipped, simulate, ScenarioText};
use medilanac::sim::Level;
use medilanac::simulation;
use tempfile::TempDir;

#[test]
fn default_scenario_rebuilds_every_placeable_block() {
    let scenario = load(&shipped("default.toml"));
    let outcome = simulate(&scenario, scenario.seed);
    let s = &outcome.summary;

    assert_eq!(s.miners, scenario.miners);
    assert_eq!(outcome.miners.len(), scenario.miners);
    for miner in &outcome.miners {
        assert!(miner.finished, "miner {} did not finish", miner.number);
        assert_eq!(miner.stalled_with, None, "miner {} stalled", miner.number);
        assert_eq!(
            miner.blocks.len() as u64,
            scenario.blocks + 1,
            "miner {} has the wrong number of blocks",
            miner.number
        );
    }
    assert_eq!(s.finished, s.miners);
    assert_eq!(s.blocks, scenario.blocks * scenario.miners as u64);

    assert_eq!(s.failed(), 0, "{s:?}");
    // Every placeable block is either rebuilt or cut off by an earlier block never placed.
    assert_eq!(s.rebuilt + s.cut_off, s.placeable, "{s:?}");
    // Every block, genesis included, is counted once: placeable or never placed.
    assert_eq!(
        s.placeable + s.never_placed,
        s.blocks + s.miners as u64,
        "{s:?}"
    );
    assert!(s.chunks_placed > 0, "{s:?}");
    assert!(s.chunks_placed <= s.chunks_made, "{s:?}");
    assert_eq!(
        s.chunks_made,
        (s.blocks + s.miners as u64) * scenario.protocol.m as u64
    );
    assert!(s.rebuilt > 0, "{s:?}");
    assert!(s.validations_passed > 0, "{s:?}");
    assert_eq!(s.validations_failed, 0, "{s:?}");
    assert!(
        s.foreign_bytes > 0 && s.total_bytes > s.primary_bytes,
        "{s:?}"
    );
}

#[test]
fn small_scenario_summary_matches_the_library() {
    let root = TempDir::new().unwrap();
    let text = ScenarioText::small();
    let file = text.write(root.path(), "small.toml");
    let run = run_quiet(&file, &[]);
    let outcome = simulate(&text.scenario(), 1);
    let s = &outcome.summary;
    assert_eq!(s.failed(), 0, "{s:?}");
    assert_eq!(s.finished, 6);

    let expected = [
        "Summary of scenario \"small\", seed 1".to_string(),
        format!(
            "  miners            6 ({} finished their blocks)",
            s.finished
        ),
        format!(
            "  blocks            {} after genesis ({} with genesis)",
            s.blocks,
            s.blocks + 6
        ),
        format!(
            "  chunks            {} made, {} placed on other branches, {} not placed",
            s.chunks_made,
            s.chunks_placed,
            s.chunks_made - s.chunks_placed
        ),
        format!(
            "  rebuild           yes: {} of {} blocks with >= k chunks placed",
            s.rebuilt, s.placeable
        ),
        format!("  never placed      {} blocks", s.never_placed),
    ];
    for line in expected {
        assert!(
            run.stdout.lines().any(|l| l.starts_with(&line)),
            "summary lacks {line:?}\n{}",
            run.describe()
        );
    }
}

#[test]
fn quiet_prints_no_log_lines() {
    let root = TempDir::new().unwrap();
    let file = ScenarioText::small().write(root.path(), "small.toml");
    let run = run_quiet(&file, &[]);
    assert!(run.log_lines().is_empty(), "{}", run.describe());
    assert!(!run.stdout.contains("Added block"), "{}", run.describe());
    assert!(run.stdout.contains("Summary of scenario"));
    let long = medilanac(["run".as_ref(), "--quiet".as_ref(), file.as_os_str()]);
    long.expect(0);
    assert_eq!(long.stdout, run.stdout);
}

#[test]
fn default_log_shows_every_block_added() {
    let root = TempDir::new().unwrap();
    let file = ScenarioText::small().write(root.path(), "small.toml");
    let run = medilanac(["run".as_ref(), file.as_os_str()]);
    run.expect(0);
    let lines = run.log_lines();
    for miner in 0..6 {
        for height in 1..=2 {
            let wanted = format!("Miner {miner}: Added block {height} to chain");
            assert!(
                lines.contains(&wanted.as_str()),
                "no line {wanted:?}\n{}",
                run.describe()
            );
        }
    }
    // Time stamps are virtual seconds with milliseconds, in order.
    let times: Vec<f64> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with('['))
        .map(|l| {
            let stamp = l[1..].split(']').next().unwrap().trim();
            stamp.strip_suffix('s').unwrap().parse().unwrap()
        })
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "log out of order");
    assert_eq!(run.digest().len(), 64);
}

#[test]
fn cli_log_is_the_library_log() {
    let root = TempDir::new().unwrap();
    let text = ScenarioText::small();
    let file = text.write(root.path(), "small.toml");
    let run = medilanac(["run".as_ref(), file.as_os_str()]);
    run.expect(0);
    let outcome = simulation::run(&text.scenario(), 1, Some(Level::Info));
    let library: Vec<&str> = outcome.log.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(run.log_lines(), library);
}

#[test]
fn verbose_prints_more_than_default() {
    let root = TempDir::new().unwrap();
    let file = ScenarioText::small().write(root.path(), "small.toml");
    let default = medilanac(["run".as_ref(), file.as_os_str()]);
    default.expect(0);
    let verbose = medilanac(["run".as_ref(), "-v".as_ref(), file.as_os_str()]);
    verbose.expect(0);
    let (few, many) = (default.log_lines(), verbose.log_lines());
    assert!(!few.is_empty());
    assert!(
        many.len() > few.len(),
        "-v printed {} log lines, default {}",
        many.len(),
        few.len()
    );
    // The default lines are a subsequence of the verbose ones.
    let mut rest = many.iter();
    for line in &few {
        assert!(
            rest.any(|l| l == line),
            "-v lost or reordered {line:?}\n{}",
            verbose.describe()
        );
    }
    let long = medilanac(["run".as_ref(), "--verbose".as_ref(), file.as_os_str()]);
    assert_eq!(long.stdout, verbose.stdout);
}

#[test]
fn quiet_and_verbose_conflict() {
    let root = TempDir::new().unwrap();
    let file = ScenarioText::small().write(root.path(), "small.toml");
    let run = medilanac([
        "run".as_ref(),
        "-q".as_ref(),
        "-v".as_ref(),
        file.as_os_str(),
    ]);
    run.expect(2);
    assert!(run.stdout.is_empty(), "{}", run.describe());
}

#[test]
fn shipped_scenarios_report_what_happened() {
    // prototype-defaults asks for more foreign chunks than blocks yield: some miners wait,
    // and the summary must say so rather than hide it (DESIGN section 6).
    let path = shipped("prototype-defaults.toml");
    let scenario = load(&path);
    let outcome = simulate(&scenario, scenario.seed);
    let waiting: Vec<_> = outcome
        .miners
        .iter()
        .filter(|m| m.stalled_with.is_some())
        .collect();
    let run = run_quiet(&path, &[]);
    let finished = format!(
        "  miners            {} ({} finished their blocks)",
        scenario.miners, outcome.summary.finished
    );
    assert!(run.stdout.contains(&finished), "{}", run.describe());
    assert_eq!(
        run.stdout.contains("waiting for chunks"),
        !waiting.is_empty(),
        "{}",
        run.describe()
    );
    for miner in waiting {
        assert!(!miner.finished);
        assert!(run.stdout.contains(&format!("miner {} (", miner.number)));
    }
}

#[test]
fn a_reader_that_goes_away_ends_the_run_quietly() {
    use std::io::Read;
    use std::process::{Command, Stdio};
    // 50 miners log far more than a pipe buffers, so the writer meets the closed pipe.
    let scenario = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/fault-tolerance.toml"
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_medilanac"))
        .args(["run", "-v", scenario])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    let mut stdout = child.stdout.take().unwrap();
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.code(), Some(0));
}
