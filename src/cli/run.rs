//! `medilanac run`: the log, in the spirit of the dissertation's results, then a summary.

use super::{Failure, Outcome};
use anyhow::anyhow;
use medilanac::actors::identities;
use medilanac::export::BranchFile;
use medilanac::key_file::KeyFile;
use medilanac::progress;
use medilanac::scenario::Scenario;
use medilanac::sim::{Level, RunEnd, Time};
use medilanac::simulation::{self, Hooks, Outcome as RunOutcome, Sample};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub struct Options {
    pub seed: u64,
    pub quiet: bool,
    pub verbose: bool,
    pub export: Option<PathBuf>,
}

pub fn run(scenario: &Scenario, options: &Options) -> Outcome {
    let level = match (options.quiet, options.verbose) {
        (true, _) => None,
        (_, true) => Some(Level::Debug),
        _ => Some(Level::Info),
    };
    let outcome = run_with_progress(scenario, options.seed, level);
    for line in &outcome.log {
        say!("[{:>12}] {}", line.time.to_string(), line.text);
    }
    print_summary(&outcome);
    if let Some(dir) = &options.export {
        export(scenario, &outcome, dir)?;
    }
    say!("digest: {}", outcome.digest);
    match &outcome.violation {
        None => Ok(ExitCode::SUCCESS),
        Some(violation) => Err(Failure::Failed(anyhow!(
            "invariant broken in scenario \"{}\", seed {}, {violation}{}\nmedilanac {}; replay it with: medilanac replay SCENARIO --seed {} --trace trace.jsonl",
            outcome.scenario,
            outcome.seed,
            drawn(&outcome),
            env!("CARGO_PKG_VERSION"),
            outcome.seed
        ))),
    }
}

/// Steps of a run's progress bar: thousandths of its virtual time.
const STEPS: u64 = 1000;

/// Runs the scenario with a bar of its virtual time on a terminal: a year of a large
/// network takes a while, and the log is printed only at the end. The bar watches the run
/// through the sampler hook, which cannot change it.
fn run_with_progress(scenario: &Scenario, seed: u64, level: Option<Level>) -> RunOutcome {
    let until = Time::from_secs_f64(scenario.duration);
    let template = "{bar:40} {msg} of virtual time, {elapsed} elapsed, about {eta} left";
    let bar = progress::bar(STEPS, template, true);
    let mut tick = |at: Time, _: &Sample| {
        bar.set_position(at.0 * STEPS / until.0.max(1));
        bar.set_message(virtual_time(at, until));
    };
    let hooks = Hooks {
        log_level: level,
        sampler: Some((Time(until.0 / STEPS), &mut tick)),
        ..Hooks::default()
    };
    let outcome = simulation::run_with(scenario, seed, hooks);
    bar.finish_and_clear();
    outcome
}

/// `at` of `until`, in days for runs of days, else in seconds.
fn virtual_time(at: Time, until: Time) -> String {
    const DAY: f64 = 86_400.0;
    let (at, until) = (at.as_secs_f64(), until.as_secs_f64());
    match until >= 2.0 * DAY {
        true => format!("{:.1} of {:.1} days", at / DAY, until / DAY),
        false => format!("{at:.0} of {until:.0} s"),
    }
}

/// The chaos settings the seed drew, as a clause for reports.
fn drawn(outcome: &RunOutcome) -> String {
    match outcome.chaos.0.is_empty() {
        true => String::new(),
        false => format!("; faults drawn: {}", outcome.chaos),
    }
}

fn print_summary(outcome: &RunOutcome) {
    let s = &outcome.summary;
    let end = match outcome.end {
        RunEnd::Quiet => "network went quiet",
        RunEnd::Deadline => "stopped at the scenario's duration",
        RunEnd::Stopped => "stopped by a broken invariant",
    };
    let stalled: Vec<String> = outcome
        .miners
        .iter()
        .filter_map(|m| {
            m.stalled_with
                .map(|have| format!("miner {} ({have} chunks gathered)", m.number))
        })
        .collect();
    say!();
    say!(
        "Summary of scenario \"{}\", seed {}",
        outcome.scenario,
        outcome.seed
    );
    say!("  virtual time      {} ({end})", outcome.end_time);
    if !outcome.chaos.0.is_empty() {
        say!("  faults drawn      {}", outcome.chaos);
    }
    if let (Some(plan), Some(verdict)) = (outcome.heal, &outcome.liveness) {
        let converged = match outcome.converged_after {
            Some(after) => format!("converged {after} after it"),
            None => format!("not converged by {}", plan.deadline),
        };
        say!(
            "  heal              faults stopped at {}, {converged}; blocks short of k chunks on running branches: {} newest, {} older",
            plan.at,
            verdict.stranded_newest,
            verdict.stranded_older
        );
        for line in &verdict.starved {
            say!(
                "  starved at the network's termination (no running branch can supply it): {line}"
            );
        }
    }
    say!(
        "  miners            {} ({} finished their blocks)",
        s.miners,
        s.finished
    );
    if !stalled.is_empty() {
        say!("  waiting for chunks {}", stalled.join(", "));
    }
    say!(
        "  blocks            {} after genesis ({} with genesis)",
        s.blocks,
        s.blocks + s.miners as u64
    );
    say!(
        "  chunks            {} made, {} placed on other branches, {} not placed",
        s.chunks_made,
        s.chunks_placed,
        s.chunks_made - s.chunks_placed
    );
    say!(
        "  primary data      {} bytes (headers and records)",
        s.primary_bytes
    );
    say!(
        "  foreign data      {} bytes of chunk data; all blocks {} bytes ({:.0}% of primary)",
        s.foreign_bytes,
        s.total_bytes,
        100.0 * s.total_bytes as f64 / s.primary_bytes.max(1) as f64
    );
    say!(
        "  validations       {} passed, {} failed",
        s.validations_passed,
        s.validations_failed
    );
    say!(
        "  signatures        {} made; miners checked {} ({} computed, the rest from the cache)",
        outcome.signatures,
        outcome.verify.computed + outcome.verify.reused,
        outcome.verify.computed,
    );
    say!(
        "  run's own checks  {} signature checks by invariants and summary ({} computed)",
        outcome.checks_verify.computed + outcome.checks_verify.reused,
        outcome.checks_verify.computed,
    );
    say!(
        "  messages          {} sent, {} lost, {} bytes; {} events",
        outcome.engine.messages_sent,
        outcome.engine.messages_lost,
        outcome.engine.bytes_sent,
        outcome.engine.events
    );
    let verdict = if s.failed() == 0 { "yes" } else { "NO" };
    say!(
        "  rebuild           {verdict}: {} of {} blocks with >= k chunks placed rebuilt from the other branches",
        s.rebuilt, s.placeable
    );
    say!("  never placed      {} blocks had fewer than k chunks placed (cannot be rebuilt by anyone)", s.never_placed);
    if s.lost > 0 {
        say!("  lost to churn     {} blocks had k chunks placed, but fewer on branches that still exist", s.lost);
    }
    if s.unavailable > 0 {
        say!(
            "  unavailable       {} blocks have k chunks only if holders that are down come back",
            s.unavailable
        );
    }
    if s.cut_off > 0 {
        say!("  cut off           {} blocks decoded, but their links pass through a block that was never placed", s.cut_off);
    }
    if let Some(records) = &outcome.records {
        say!(
            "  entries refused   {} of the patients' own (rule 16: schema or sealing), {} (rule 17: terminated)",
            records.refused_rule_16,
            records.refused_rule_17
        );
        if let Some(theft) = &records.theft {
            say!(
                "  key theft         {} forged entries, each sent to every miner: stored {} times before the termination reached the miner, refused {} times after",
                theft.thief.forged,
                theft.thief.stored,
                theft.thief.refused
            );
            say!(
                "  termination       known to {} of {} honest miners at the end; {} of them refused the thief",
                theft.miners_told,
                theft.honest_miners,
                theft.honest_refusers
            );
        }
        if let Some(recovery) = &records.recovery {
            let outcome = match recovery.recovered_at {
                Some(at) => format!(
                    "recovered at {at}, {} after the loss",
                    at - recovery.lost_at
                ),
                None => "NOT recovered".into(),
            };
            say!(
                "  key recovery      {} of {} shares needed; {} kept, keys lost at {}, {} shares back: {outcome}",
                recovery.threshold,
                recovery.holders,
                recovery.kept,
                recovery.lost_at,
                recovery.returned
            );
        }
    }
}

fn export(scenario: &Scenario, outcome: &RunOutcome, dir: &PathBuf) -> Result<(), Failure> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Failure::BadInput(anyhow!("cannot create {}: {e}", dir.display())))?;
    for miner in &outcome.miners {
        let Some(genesis) = miner.blocks.first() else {
            continue;
        };
        let branch = genesis.header.branch;
        let file = BranchFile::new(&scenario.protocol, branch, &miner.blocks);
        let path = dir.join(format!("{branch}.json"));
        file.write(&path).map_err(|e| Failure::Failed(e.into()))?;
    }
    say!(
        "exported {} branches to {}",
        outcome.miners.len(),
        dir.display()
    );
    if scenario.records_model().is_some() {
        export_keys(scenario, outcome.seed, &dir.join("keys"))?;
    }
    Ok(())
}

/// Writes what each holder of keys keeps: `patient-N.json` (reading key and signing keys),
/// `miner-N.json` and `researcher.json` (reading keys), so `medilanac read` can read as
/// any of them.
fn export_keys(scenario: &Scenario, seed: u64, dir: &Path) -> Result<(), Failure> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Failure::BadInput(anyhow!("cannot create {}: {e}", dir.display())))?;
    let roster = scenario.roster();
    let mut files = Vec::new();
    for number in 0..roster.patients() {
        let stolen = scenario
            .key_theft
            .as_ref()
            .is_some_and(|t| t.patient == number);
        let (reading, signing) = identities::patient_keys(seed, number, stolen);
        let name = format!("patient {number}");
        files.push((
            format!("patient-{number}.json"),
            KeyFile::new(name, &reading, &signing),
        ));
    }
    for number in 0..roster.miners {
        let reading = identities::miner_reading_keys(seed, number);
        let file = KeyFile::new(format!("miner {number}"), &reading, &[]);
        files.push((format!("miner-{number}.json"), file));
    }
    let researcher = identities::researcher_keys(seed);
    files.push((
        "researcher.json".into(),
        KeyFile::new("researcher".into(), &researcher, &[]),
    ));
    for (name, file) in &files {
        file.write(&dir.join(name))
            .map_err(|e| Failure::Failed(e.into()))?;
    }
    say!("exported {} key files to {}", files.len(), dir.display());
    Ok(())
}
