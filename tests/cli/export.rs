//! `run --export DIR`: one JSON file per branch, holding what anyone needs to rebuild the
//! others, and agreeing with the run that wrote it.

use crate::support::{
    blocks, chunk_id, chunks, is_hex, medilanac, simulate, Exported, ScenarioText,
};
use std::collections::{BTreeMap, BTreeSet};

#[test]
fn one_file_per_miner_with_the_documented_keys() {
    let text = ScenarioText::small();
    let export = Exported::new(&text);
    assert!(
        export.run.stdout.contains("exported 6 branches to "),
        "{}",
        export.run.describe()
    );
    let outcome = simulate(&text.scenario(), 1);
    let mut expected: Vec<String> = outcome
        .miners
        .iter()
        .map(|m| m.blocks[0].header.branch.to_string())
        .collect();
    expected.sort();
    let branches = export.branches();
    assert_eq!(branches, expected, "one file per miner, named by branch id");
    // No temporary files are left behind.
    let all = std::fs::read_dir(&export.dir).unwrap().count();
    assert_eq!(
        all, 6,
        "the export directory holds more than the branch files"
    );

    let lengths: BTreeMap<String, usize> = branches
        .iter()
        .map(|b| (b.clone(), blocks(&export.file(b)).len()))
        .collect();

    for miner in &outcome.miners {
        let branch = miner.blocks[0].header.branch.to_string();
        let file = export.file(&branch);
        assert_eq!(file["branch"], branch.as_str());
        assert_eq!(file["k"], 2);
        assert_eq!(file["m"], 4);
        let exported = blocks(&file);
        assert_eq!(exported.len(), miner.blocks.len(), "branch {branch}");
        for (height, (block, original)) in exported.iter().zip(&miner.blocks).enumerate() {
            assert_eq!(block["height"], height as u64);
            assert_eq!(block["hash"], original.header.hash().to_string().as_str());
            let foreign = chunks(block);
            assert_eq!(foreign.len(), original.foreign.len());
            for chunk in foreign {
                let (source, at, index) = chunk_id(chunk);
                assert_ne!(source, branch, "a branch embeds its own chunk");
                let source_len = *lengths
                    .get(&source)
                    .unwrap_or_else(|| panic!("chunk of unknown branch {source}"));
                assert!((at as usize) < source_len, "chunk of a block never made");
                assert!(index < 4, "chunk index {index} with m = 4");
                let data = chunk["data"].as_str().expect("data is a string");
                assert!(is_hex(data) && data.len() % 2 == 0, "data is not hex");
            }
        }
    }
}

#[test]
fn export_agrees_with_the_summary_and_the_placement_rule() {
    let text = ScenarioText::small();
    let export = Exported::new(&text);
    let outcome = simulate(&text.scenario(), 1);
    let mut placed = BTreeSet::new();
    for branch in export.branches() {
        let file = export.file(&branch);
        let mut held = BTreeSet::new();
        for chunk in blocks(&file).iter().flat_map(chunks) {
            let (source, height, index) = chunk_id(chunk);
            // Placement "distinct" (DESIGN rule 9): one chunk of any foreign block per branch.
            assert!(
                held.insert((source.clone(), height)),
                "{branch} holds two chunks of block {height} of {source}"
            );
            placed.insert((source, height, index));
        }
    }
    assert_eq!(placed.len() as u64, outcome.summary.chunks_placed);
}

#[test]
fn export_into_a_file_is_bad_input() {
    let root = tempfile::TempDir::new().unwrap();
    let file = ScenarioText::small().write(root.path(), "small.toml");
    let blocker = root.path().join("not-a-dir");
    std::fs::write(&blocker, "x").unwrap();
    let run = medilanac([
        "run".as_ref(),
        "-q".as_ref(),
        file.as_os_str(),
        "--export".as_ref(),
        blocker.as_os_str(),
    ]);
    run.expect(2).stderr_names(&["not-a-dir"]);
}
