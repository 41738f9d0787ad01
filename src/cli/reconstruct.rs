//! `medilanac reconstruct`: rebuild one branch from the other branch files in a directory.

use super::{Failure, Outcome};
use anyhow::anyhow;
use medilanac::export::{rebuild, resolve, BranchFile, RebuildError};
use medilanac::protocol::{HeightStatus, Reconstruction};
use serde_json::json;
use std::path::Path;
use std::process::ExitCode;

pub fn run(dir: &Path, branch: &str, as_json: bool, out: Option<&Path>) -> Outcome {
    let files = read_dir(dir)?;
    let bad = |e: RebuildError| Failure::BadInput(anyhow!("{}: {e}", dir.display()));
    let target = resolve(&files, branch).map_err(bad)?;
    let (result, params) = rebuild(&files, target).map_err(bad)?;
    if as_json {
        print_json(&result);
    } else {
        print_text(&result, params.k as usize);
    }
    if let Some(out) = out {
        let file = BranchFile::rebuilt(&params, &result);
        file.write(out).map_err(|e| Failure::Failed(e.into()))?;
    }
    let incomplete = result.rebuilt().len() < result.heights.len();
    Ok(if incomplete {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

pub fn read_dir(dir: &Path) -> Result<Vec<BranchFile>, Failure> {
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
