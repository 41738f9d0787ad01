//! `medilanac read`: a patient's record from branch files, as the holder of a key reads it.

use super::{Failure, Outcome};
use anyhow::anyhow;
use medilanac::key_file::KeyFile;
use medilanac::reading::{read, record_name, resolve_patient, History, ReadEntry, Reading};
use serde_json::json;
use std::path::Path;
use std::process::ExitCode;

pub fn run(dir: &Path, patient: Option<&str>, key: &Path, as_json: bool) -> Outcome {
    let (file, keys) = KeyFile::read(key).map_err(|e| Failure::BadInput(e.into()))?;
    let own = file
        .signing
        .first()
        .map(|entry| hex::encode(entry.public.0));
    let patient = patient.map(str::to_string).or(own).ok_or_else(|| {
        Failure::BadInput(anyhow!(
            "{} is not a patient's key file (it holds no signing key): name the patient with --patient",
            key.display()
        ))
    })?;
    let files = super::reconstruct::read_dir(dir)?;
    let patient = resolve_patient(&files, &patient)
        .map_err(|e| Failure::BadInput(anyhow!("{}: {e}", dir.display())))?;
    let history = read(&files, patient, &keys);
    match as_json {
        true => print_json(&history),
        false => print_text(&history, &file.holder),
    }
    Ok(match history.problems.is_empty() {
        true => ExitCode::SUCCESS,
        false => ExitCode::from(1),
    })
}

fn resource_type(entry: &ReadEntry) -> Option<&str> {
    match &entry.reading {
        Reading::Read { resource_type } => Some(resource_type),
        _ => None,
    }
}

fn print_json(history: &History) {
    for entry in &history.entries {
        let line = json!({
            "record": record_name(&entry.key, entry.sequence),
            "kind": entry.kind,
            "resourceType": resource_type(entry),
            "readable": matches!(entry.reading, Reading::Read { .. }),
            "own": entry.own,
            "terminated": entry.terminated,
            "successor": entry.successor.map(|key| hex::encode(key.0)),
            "key": hex::encode(entry.key.0),
            "sequence": entry.sequence,
            "branch": entry.branch.to_string(),
            "height": entry.height,
        });
        say!("{line}");
    }
    for problem in &history.problems {
        let line = json!({
            "problem": problem.what,
            "record": problem.record,
            "branch": problem.branch.to_string(),
            "height": problem.height,
        });
        say!("{line}");
    }
}

fn print_text(history: &History, holder: &str) {
    say!("read as {holder}: {} entries", history.entries.len());
    for entry in &history.entries {
        let what = match &entry.reading {
            Reading::NoContent => entry.kind.to_string(),
            Reading::Read { resource_type } => resource_type.clone(),
            Reading::NotForThisKey => "sealed, not readable with this key".into(),
            Reading::NotAResource(why) => format!("opened, but not a resource: {why}"),
        };
        let mut notes = Vec::new();
        if !entry.own {
            notes.push("NOT the patient's: signed with the terminated key, off the history its termination names".to_string());
        }
        if let (true, Some(successor)) = (entry.kind == "termination", entry.successor) {
            notes.push(format!("successor {}", &hex::encode(successor.0)[..8]));
        }
        let notes = match notes.is_empty() {
            true => String::new(),
            false => format!(" ({})", notes.join("; ")),
        };
        say!(
            "  {} {what}{notes} [branch {}, height {}]",
            record_name(&entry.key, entry.sequence),
            entry.branch.short(),
            entry.height
        );
    }
    for problem in &history.problems {
        let record = problem.record.as_deref().unwrap_or("-");
        say!(
            "  PROBLEM {record} [branch {}, height {}]: {}",
            problem.branch.short(),
            problem.height,
            problem.what
        );
    }
}
