//! Running the `medilanac` binary from a test: one invocation, its exit code and output.
//! Shared by the test binaries that drive the CLI; each uses a part of it.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

pub const BIN: &str = env!("CARGO_BIN_EXE_medilanac");

/// What one invocation of the binary did.
pub struct Run {
    pub args: Vec<String>,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts the exit code, showing the whole invocation when it differs.
    pub fn expect(&self, code: i32) -> &Run {
        assert_eq!(self.code, code, "unexpected exit code\n{}", self.describe());
        self
    }

    pub fn describe(&self) -> String {
        format!(
            "medilanac {}\nexit code {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.args.join(" "),
            self.code,
            self.stdout,
            self.stderr
        )
    }

    /// The 64 hex digits after `digest: ` on the last non-empty line of stdout.
    pub fn digest(&self) -> String {
        let last = self.stdout.lines().rev().find(|l| !l.trim().is_empty());
        let hex = last.and_then(|l| l.strip_prefix("digest: "));
        match hex {
            Some(hex)
                if hex.len() == 64 && hex.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')) =>
            {
                hex.to_string()
            }
            _ => panic!("no digest on the last line\n{}", self.describe()),
        }
    }

    /// Lines of the event log (`[   12.345s] text`), without the time stamp.
    pub fn log_lines(&self) -> Vec<&str> {
        self.stdout
            .lines()
            .filter(|line| line.starts_with('['))
            .map(|line| match line.split_once("] ") {
                Some((_, text)) => text,
                None => panic!("log line without a time stamp: {line:?}"),
            })
            .collect()
    }

    /// Asserts stderr contains each of `needles`.
    pub fn stderr_names(&self, needles: &[&str]) -> &Run {
        for needle in needles {
            assert!(
                self.stderr.contains(needle),
                "stderr does not mention {needle:?}\n{}",
                self.describe()
            );
        }
        self
    }
}

/// Runs the binary with `args`; fails the test if it was killed or panicked.
pub fn medilanac<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    medilanac_in(None, args)
}

/// Runs the binary in directory `dir` (the test's own when `None`).
pub fn medilanac_in<I, S>(dir: Option<&Path>, args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    let mut command = Command::new(BIN);
    command.args(&args);
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    let output = command.output().expect("start medilanac");
    let run = Run {
        args: args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    };
    assert!(
        output.status.code().is_some(),
        "killed by a signal\n{}",
        run.describe()
    );
    assert!(
        !run.stderr.contains("panicked"),
        "the binary panicked\n{}",
        run.describe()
    );
    run
}
