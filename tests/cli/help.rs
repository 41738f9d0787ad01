//! `--help` of the binary and of each command exits 0 and documents every command and option.

use crate::support::medilanac;

fn help(args: &[&str], needles: &[&str]) {
    let run = medilanac(args);
    run.expect(0);
    for needle in needles {
        assert!(
            run.stdout.contains(needle),
            "help does not mention {needle:?}\n{}",
            run.describe()
        );
    }
}

#[test]
fn top_level_help_lists_the_commands() {
    let commands = ["run", "check", "reconstruct", "Usage:"];
    help(&["--help"], &commands);
    help(&["-h"], &commands);
    help(&["help"], &commands);
}

#[test]
fn run_help_lists_its_options() {
    let options = [
        "[SCENARIO]",
        "--seed",
        "-q, --quiet",
        "-v, --verbose",
        "--export <DIR>",
    ];
    help(&["run", "--help"], &options);
    help(&["help", "run"], &options);
}

#[test]
fn check_help_names_its_argument() {
    help(
        &["check", "--help"],
        &["<SCENARIO>", "Check a scenario file"],
    );
}

#[test]
fn reconstruct_help_lists_its_options() {
    help(
        &["reconstruct", "--help"],
        &["<DIR>", "<BRANCH>", "--json", "--out <FILE>", "prefix"],
    );
}

#[test]
fn version_and_usage_errors() {
    help(&["--version"], &[env!("CARGO_PKG_VERSION")]);
    // No command, or an unknown one, is a usage error (exit 2) with help on stderr.
    for args in [&[][..], &["frobnicate"][..], &["run", "--seeed", "1"][..]] {
        let run = medilanac(args);
        run.expect(2).stderr_names(&["Usage:"]);
    }
}
