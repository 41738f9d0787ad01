//! `medilanac reconstruct`: rebuild one branch from the other branch files in a directory.

use super::{Failure, Outcome};
use anyhow::anyhow;
use medilanac::export::{BlockFile, BranchFile};
use medilanac::protocol::{reconstruct, BranchId, Codec, HeightStatus, Reconstruction, Verifier};
use serde_json::json;
use std::path::Path;
use std::process::ExitCode;

pub fn run(dir: &Path, branch: &str, as_json: bool, out: Option<&Path>) -> Outcome {
    let files = read_dir(dir)?;
    let target = resolve(&files, branch)?;
    let params = files[0].params.clone();
    if files.iter().any(|f| f.params != params) {
        return Err(Failure::BadInput(anyhow!(
            "branch files in {} disagree on protocol parameters",
            dir.display()
        )));
    }
    let codec = Codec::new(params.k, params.m).map_err(|e| Failure::BadInput(e.into()))?;
    let chunks = files
        .iter()
        .filter(|file| file.branch != target)
        .flat_map(|file| file.blocks.iter().flat_map(|b| b.foreign_chunks.iter()));
    let result = reconstruct(&params, &codec, target, chunks, &mut Verifier::default());
    if as_json {
        print_json(&result);
    } else {
        print_text(&result, params.k as usize);
    }
    if let Some(out) = out {
        let blocks: Vec<BlockFile> = result
            .heights
            .iter()
            .filter(|h| h.status == HeightStatus::Rebuilt)
            .filter_map(|h| h.block.clone())
            .map(|(header, records)| BlockFile {
                height: header.height,
                hash: header.hash(),
                header,
                records,
                foreign_chunks: Vec::new(),
            })
            .collect();
        let file = BranchFile {
            branch: target,
            k: params.k,
            m: params.m,
            params,
            blocks,
        };
        file.write(out).map_err(|e| Failure::Failed(e.into()))?;
    }
    let incomplete = result.rebuilt().len() < result.heights.len();
    Ok(if incomplete {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn read_dir(dir: &Path) -> Result<Vec<BranchFile>, Failure> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Failure::BadInput(anyhow!("cannot read {}: {e}", dir.display())))?;
    let mut paths: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(Failure::BadInput(anyhow!(
            "{} holds no branch files (*.json)",
            dir.display()
        )));
    }
    paths
        .iter()
        .map(|path| BranchFile::read(path).map_err(|e| Failure::BadInput(e.into())))
        .collect()
}

/// The one branch named by `prefix` among the files and the chunks they hold.
fn resolve(files: &[BranchFile], prefix: &str) -> Result<BranchId, Failure> {
    let prefix = prefix.to_ascii_lowercase();
    let mut known: Vec<BranchId> = files.iter().map(|f| f.branch).collect();
    let sources = files
        .iter()
        .flat_map(|f| f.blocks.iter().flat_map(|b| b.foreign_chunks.iter()));
    known.extend(sources.map(|c| c.header.source));
    known.sort();
    known.dedup();
    let matching: Vec<BranchId> = known
        .into_iter()
        .filter(|b| b.to_string().starts_with(&prefix))
        .collect();
    match matching.as_slice() {
        [one] => Ok(*one),
        [] => Err(Failure::BadInput(anyhow!(
            "no branch in the files starts with {prefix:?}"
        ))),
        _ => Err(Failure::BadInput(anyhow!(
            "{prefix:?} names {} branches; give more digits",
            matching.len()
        ))),
    }
}

fn describe(status: &HeightStatus, k: usize) -> String {
    match status {
        HeightStatus::Rebuilt => "rebuilt".into(),
        HeightStatus::Unlinked => "decoded, but its links do not reach genesis".into(),
        HeightStatus::TooFewChunks { have } => format!("not rebuildable: {have} of {k} chunks"),
        HeightStatus::Invalid(reason) => format!("not rebuildable: {reason}"),
    }
}

fn print_text(result: &Reconstruction, k: usize) {
    say!("branch {}", result.branch);
    for height in &result.heights {
        let text = describe(&height.status, k);
        say!(
            "  height {}: {text} ({} valid chunks)",
            height.height,
            height.chunks
        );
    }
    for rejected in &result.rejected {
        say!(
            "  rejected chunk {} of height {}: {}",
            rejected.chunk.index,
            rejected.chunk.height,
            rejected.error
        );
    }
    say!(
        "{} of {} heights rebuilt",
        result.rebuilt().len(),
        result.heights.len()
    );
}

fn print_json(result: &Reconstruction) {
    let heights: Vec<_> = result
        .heights
        .iter()
        .map(|h| json!({"height": h.height, "status": format!("{:?}", h.status), "chunks": h.chunks}))
        .collect();
    let rejected: Vec<_> = result
        .rejected
        .iter()
        .map(|r| json!({"height": r.chunk.height, "index": r.chunk.index, "error": r.error.to_string()}))
        .collect();
    let value = json!({
        "branch": result.branch.to_string(),
        "rebuilt": result.rebuilt(),
        "heights": heights,
        "rejected": rejected,
    });
    say!("{}", serde_json::to_string_pretty(&value).expect("json"));
}
