//! Commands and their arguments. Errors are sorted into bad input (exit 2) and failures
//! (exit 1) here, at the edge; the library returns typed errors.

/// Prints a line to standard output. When the reader has gone (`medilanac run | head`), the
/// program ends quietly instead of panicking on the closed pipe.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if writeln!(std::io::stdout(), $($arg)*).is_err() {
            std::process::exit(0);
        }
    }};
}

mod audit;
mod read;
mod reconstruct;
mod replay;
mod run;
mod sweep;

use clap::{Parser, Subcommand};
use medilanac::scenario::{Scenario, DEFAULT};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Why a command failed.
pub enum Failure {
    /// The user gave something unusable: exit code 2.
    BadInput(anyhow::Error),
    /// The command ran and something went wrong: exit code 1.
    Failed(anyhow::Error),
}

pub type Outcome = Result<ExitCode, Failure>;

/// Deterministic simulator of the Medilanac medical-records blockchain network.
///
/// Every run follows from its scenario file and seed alone and ends with a digest; the same
/// scenario and seed give the same digest on any machine.
#[derive(Parser)]
#[command(name = "medilanac", version, about, long_about)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario and print its log and summary.
    Run {
        /// Scenario file (TOML); without one, the embedded default scenario runs.
        scenario: Option<PathBuf>,
        /// Seed of the run (default: the scenario's `seed`).
        #[arg(long)]
        seed: Option<u64>,
        /// Print only the summary.
        #[arg(short, long, conflicts_with = "verbose")]
        quiet: bool,
        /// Also print protocol steps (validations, blacklisting, waits).
        #[arg(short, long)]
        verbose: bool,
        /// Write each branch to DIR/<branch>.json.
        #[arg(long, value_name = "DIR")]
        export: Option<PathBuf>,
        /// First run the seed twice and fail (exit 1) if the digests differ.
        #[arg(long)]
        check_determinism: bool,
    },
    /// Run a scenario's [sweep] grid over its seeds, in parallel, to CSV.
    Sweep {
        scenario: PathBuf,
        /// CSV file to write (rows appear as runs finish, in run order).
        #[arg(long, value_name = "FILE.csv")]
        out: PathBuf,
        /// Keep the complete runs already in FILE and run only the rest.
        #[arg(long)]
        resume: bool,
        /// Worker threads (default: one per core); the CSV is the same for any number.
        #[arg(long)]
        threads: Option<usize>,
        /// Then run every run again and fail (exit 1) if a digest differs from the CSV's.
        #[arg(long)]
        check_determinism: bool,
    },
    /// Run one run again (a scenario and seed, or a row of a sweep's CSV), check its digest,
    /// and optionally trace every event to JSON lines.
    Replay(replay::ReplayArgs),
    /// Draw the plot a sweep's CSV calls for (fault tolerance, storage ratio, durability,
    /// multi-link or adversaries).
    Plot {
        /// CSV written by `medilanac sweep`.
        csv: PathBuf,
        /// Image to write: .png or .svg.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Check a scenario file without running it.
    Check { scenario: PathBuf },
    /// Rebuild a branch from the other branch files in a directory.
    Reconstruct {
        /// Directory of branch files written by `run --export`.
        dir: PathBuf,
        /// Branch id to rebuild (hex, or a unique prefix of it).
        branch: String,
        /// Print a JSON object instead of text.
        #[arg(long)]
        json: bool,
        /// Write the rebuilt branch to FILE in the same format.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Who accessed a patient's records, when and why, from the audit index, proven.
    ///
    /// Builds or brings up to date the index (DIR/audit.sqlite) from the branch files,
    /// checking every block it adds and every block it holds, answers from the index, and
    /// checks the answer against each branch's latest signed header before printing it.
    /// Exit 0 when all is sound, 1 when a branch file was altered or an answer does not
    /// verify, 2 on bad input.
    Audit(audit::AuditArgs),
    /// Read a patient's record from branch files with a key, as its holder would.
    ///
    /// Verifies every block's file root, every signature and the termination history, and
    /// decrypts what the key may read. Exit 0 when all is sound, 1 when something was
    /// altered or breaks rule 16 or 17, 2 on bad input.
    Read {
        /// Directory of branch files written by `run --export` (or rebuilt ones).
        dir: PathBuf,
        /// The patient's first signing key (hex, or a unique prefix of it); without it,
        /// the first signing key in a patient's own key file.
        #[arg(long)]
        patient: Option<String>,
        /// Key file of the reader (`DIR/keys/patient-N.json`, `miner-N.json`,
        /// `researcher.json`).
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// One JSON object per entry (and per problem) instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// Parses the arguments and runs the command.
pub fn run() -> Outcome {
    let args = Args::parse();
    match args.command {
        Command::Run {
            scenario,
            seed,
            quiet,
            verbose,
            export,
            check_determinism,
        } => {
            let path = scenario;
            let scenario = load(path.as_deref())?;
            if check_determinism {
                replay::check_run(&scenario, path.as_deref(), seed.unwrap_or(scenario.seed))?;
            }
            let options = run::Options {
                seed: seed.unwrap_or(scenario.seed),
                quiet,
                verbose,
                export,
            };
            run::run(&scenario, &options)
        }
        Command::Sweep {
            scenario,
            out,
            resume,
            threads,
            check_determinism,
        } => {
            let loaded = load(Some(&scenario))?;
            let code = sweep::run(&loaded, &out, resume, threads)?;
            if check_determinism {
                replay::check_sweep(&loaded, &scenario, &out, threads)?;
            }
            Ok(code)
        }
        Command::Replay(args) => replay::run(&args),
        Command::Plot { csv, out } => {
            medilanac::plot::plot(&csv, &out).map_err(|e| match e {
                medilanac::plot::PlotError::Draw(_) | medilanac::plot::PlotError::Io { .. } => {
                    Failure::Failed(e.into())
                }
                _ => Failure::BadInput(e.into()),
            })?;
            say!("plot written to {}", out.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { scenario } => {
            let loaded = load(Some(&scenario))?;
            say!(
                "{}: ok ({} miners, {} blocks each, k = {}, m = {})",
                scenario.display(),
                loaded.miners,
                loaded.blocks,
                loaded.protocol.k,
                loaded.protocol.m
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Reconstruct {
            dir,
            branch,
            json,
            out,
        } => reconstruct::run(&dir, &branch, json, out.as_deref()),
        Command::Read {
            dir,
            patient,
            key,
            json,
        } => read::run(&dir, patient.as_deref(), &key, json),
        Command::Audit(args) => audit::run(&args),
    }
}

fn load(path: Option<&Path>) -> Result<Scenario, Failure> {
    let loaded = match path {
        Some(path) => Scenario::load(path),
        None => Scenario::parse(DEFAULT),
    };
    loaded.map_err(|e| Failure::BadInput(e.into()))
}
