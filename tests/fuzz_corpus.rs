//! The fuzz corpus, replayed on stable: every file under `fuzz/corpus/<target>/` goes
//! through the same `medilanac::fuzzing` function its fuzz target calls, so an input that
//! once crashed a decoder (`crash-*`) or broke the property its target checks stays fixed,
//! the valid seeds (`valid-*`, made from real simulator output by `remake_valid_seeds`)
//! must still decode, and inputs named `refused-*` must be refused; the fuzzer's own finds
//! (`found-*`) need only not panic. Run with `cargo test --release --test fuzz_corpus`; remake the seeds with
//! `cargo test --release --test fuzz_corpus -- --ignored remake_valid_seeds`.

use medilanac::export::BranchFile;
use medilanac::fuzzing::{Verdict, FILE_SEPARATOR, TARGETS};
use medilanac::protocol::codec::Writer;
use medilanac::protocol::{Block, ChunkAuth};
use medilanac::scenario::Scenario;
use medilanac::simulation::run;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

fn corpus(target: &str) -> PathBuf {
    fuzz_dir().join("corpus").join(target)
}

/// Replays every corpus file of `target`; a panic names the file. Valid seeds must be
/// accepted and `refused-*` inputs refused. Returns how many files were replayed.
fn replay(target: &str) -> usize {
    let body = TARGETS
        .iter()
        .find(|t| t.name == target)
        .unwrap_or_else(|| panic!("no fuzzing target {target:?}"))
        .run;
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus(target))
        .unwrap_or_else(|e| panic!("fuzz/corpus/{target}: {e}"))
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    files.sort();
    for path in &files {
        let bytes = std::fs::read(path).expect("a corpus file");
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let verdict = std::panic::catch_unwind(|| body(&bytes))
            .unwrap_or_else(|_| panic!("fuzz/corpus/{target}/{name} panics (see above)"));
        if name.starts_with("valid-") {
            assert_eq!(
                verdict,
                Verdict::Accepted,
                "fuzz/corpus/{target}/{name} is a valid seed and must decode"
            );
        }
        if name.starts_with("refused-") {
            assert!(
                matches!(verdict, Verdict::Rejected(_)),
                "fuzz/corpus/{target}/{name} must be refused"
            );
        }
    }
    assert!(
        files.iter().any(|p| p
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("valid-")),
        "fuzz/corpus/{target} has no valid seed"
    );
    files.len()
}

#[test]
fn header_decoding_is_canonical_and_never_panics() {
    replay("header");
}

#[test]
fn record_decoding_is_canonical_and_never_panics() {
    replay("record");
}

#[test]
fn block_primary_decoding_is_canonical_and_never_panics() {
    replay("block_primary");
}

#[test]
fn branch_files_read_back_as_written_and_never_panic() {
    replay("branch_file");
}

#[test]
fn chunks_of_a_branch_file_decode_only_to_the_block_they_name() {
    replay("chunks");
}

#[test]
fn reconstruction_from_forged_files_stays_in_bounds_and_never_panics() {
    replay("reconstruct");
}

#[test]
fn scenarios_read_back_as_written_and_never_panic() {
    replay("scenario");
}

#[test]
fn sweep_rows_match_their_runs_and_never_panic() {
    replay("sweep_row");
}

#[test]
fn resuming_a_sweep_keeps_what_it_read_and_never_panics() {
    replay("sweep_resume");
}

/// A target added to the library but not to the fuzz crate (or the reverse), or left
/// without a corpus, would go unfuzzed or unreplayed.
#[test]
fn every_target_has_a_fuzz_target_file_and_a_corpus() {
    let names: BTreeSet<String> = TARGETS.iter().map(|t| t.name.to_string()).collect();
    let stems = |dir: &str, ext: Option<&str>| -> BTreeSet<String> {
        std::fs::read_dir(fuzz_dir().join(dir))
            .unwrap_or_else(|e| panic!("fuzz/{dir}: {e}"))
            .map(|entry| entry.unwrap().path())
            .filter(|path| ext.is_none_or(|ext| path.extension().is_some_and(|e| e == ext)))
            .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
            .collect()
    };
    assert_eq!(stems("fuzz_targets", Some("rs")), names);
    assert_eq!(stems("corpus", None), names);
    let manifest = std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).unwrap();
    for name in &names {
        let source = fuzz_dir().join("fuzz_targets").join(format!("{name}.rs"));
        let source = std::fs::read_to_string(source).unwrap();
        assert!(
            source.contains(&format!("medilanac::fuzzing::{name}(data)")),
            "fuzz_targets/{name}.rs does not call medilanac::fuzzing::{name}"
        );
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "fuzz/Cargo.toml has no [[bin]] {name}"
        );
    }
}

/// The corpus stays small enough to commit and to replay in a moment.
#[test]
fn corpus_stays_under_a_megabyte() {
    let total: u64 = TARGETS
        .iter()
        .flat_map(|t| std::fs::read_dir(corpus(t.name)).unwrap())
        .map(|entry| entry.unwrap().metadata().unwrap().len())
        .sum();
    assert!(total < 1 << 20, "fuzz/corpus holds {total} bytes");
}

/// Writes `bytes` as the valid seed `name` of `target`.
fn seed(target: &str, name: &str, bytes: &[u8]) {
    let dir = corpus(target);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("valid-{name}")), bytes).unwrap();
}

/// The branches a run of `scenario` ends with, as exported.
fn branch_files(scenario: &Scenario) -> Vec<BranchFile> {
    let outcome = run(scenario, scenario.seed, None);
    assert_eq!(outcome.violation, None);
    outcome
        .miners
        .iter()
        .map(|miner| {
            let branch = miner.blocks[0].header.branch;
            BranchFile::new(&scenario.protocol, branch, &miner.blocks)
        })
        .collect()
}

fn json(file: &BranchFile) -> Vec<u8> {
    serde_json::to_string_pretty(file).unwrap().into_bytes()
}

/// Remakes every `valid-*` seed from real output: the blocks and branch files of two small
/// runs (the dissertation's network, and one with chunk commitments, three header links and
/// placement notes), the shipped scenarios and the shipped storage-ratio sweep's CSV.
#[test]
#[ignore = "writes into fuzz/corpus; run by hand to remake the seeds"]
fn remake_valid_seeds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dissertation = Scenario::load(&root.join("scenarios/dissertation.toml")).unwrap();
    let mut committed = dissertation.clone();
    committed.name = "fuzz seeds".into();
    committed.miners = 3;
    committed.blocks = 2;
    committed.protocol.chunk_auth = ChunkAuth::Commitment;
    committed.protocol.links = 3;
    committed.protocol.placement_notes = true;
    committed.check().unwrap();
    for (tag, scenario) in [("dissertation", &dissertation), ("committed", &committed)] {
        let files = branch_files(scenario);
        let blocks: Vec<Block> = files[0]
            .blocks
            .iter()
            .map(|b| Block {
                header: b.header.clone(),
                records: b.records.clone(),
                foreign: b.foreign_chunks.clone(),
            })
            .collect();
        for block in [&blocks[0], blocks.last().unwrap()] {
            let height = block.header.height;
            let mut writer = Writer::default();
            block.header.encode(&mut writer);
            seed("header", &format!("{tag}-{height}"), &writer.bytes);
            seed(
                "block_primary",
                &format!("{tag}-{height}"),
                &block.primary_bytes(),
            );
        }
        for (i, record) in blocks.last().unwrap().records.iter().enumerate() {
            let mut writer = Writer::default();
            record.encode(&mut writer);
            seed("record", &format!("{tag}-{i}"), &writer.bytes);
        }
        seed("branch_file", tag, &json(&files[0]));
        seed("chunks", tag, &json(&files[0]));
        let all: Vec<Vec<u8>> = files.iter().map(json).collect();
        seed("reconstruct", tag, &all.join(&FILE_SEPARATOR));
    }
    for entry in std::fs::read_dir(root.join("scenarios")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        seed("scenario", &name, &std::fs::read(&path).unwrap());
    }
    let csv = std::fs::read(root.join("results/storage-ratio.csv")).unwrap();
    let lines: Vec<&[u8]> = csv.split_inclusive(|&b| b == b'\n').collect();
    seed("sweep_row", "storage-ratio", &csv);
    seed("sweep_resume", "storage-ratio", &csv);
    // Interrupted in the middle of the sixth run's row.
    let torn = [lines[..6].concat(), lines[6][..40].to_vec()].concat();
    seed("sweep_resume", "storage-ratio-torn", &torn);
    seed("sweep_row", "storage-ratio-head", &lines[..4].concat());
}
