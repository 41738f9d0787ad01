//! `medilanac read`: a patient's record from an export, read with a key file as its holder
//! would. Rule 17's history (the thief's appends set apart, the successor followed), what
//! each key may read, tampering reported by record with exit 1, bad key files exit 2.

use crate::support::{medilanac, read_json, shipped, Exported, Run, ScenarioText};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The shipped key-theft scenario as it is: its miners are slow to seal their later
/// blocks (see the README on mixed record sizes), and a cut run may end before the
/// termination is in a block.
fn exported() -> &'static Exported {
    static EXPORTED: OnceLock<Exported> = OnceLock::new();
    EXPORTED.get_or_init(|| {
        let text = std::fs::read_to_string(shipped("key-theft.toml")).unwrap();
        Exported::new(&ScenarioText::from_text(&text))
    })
}

fn key_file(name: &str) -> PathBuf {
    exported().dir.join("keys").join(name)
}

/// Patient `number`'s first signing key, from its key file.
fn patient_key(number: usize) -> String {
    let file = read_json(&key_file(&format!("patient-{number}.json")));
    file["signing"][0]["public"].as_str().unwrap().to_string()
}

fn read(dir: &Path, patient: &str, key: &Path, json: bool) -> Run {
    let mut args = vec![
        "read".to_string(),
        dir.display().to_string(),
        "--patient".into(),
        patient.into(),
        "--key".into(),
        key.display().to_string(),
    ];
    if json {
        args.push("--json".into());
    }
    medilanac(args)
}

/// A scratch directory holding the export's branch files, but for `except`'s.
fn copy_branches(export: &Exported, name: &str, except: Option<&str>) -> PathBuf {
    let copy = export.scratch(name);
    for branch in crate::support::branch_files(&export.dir) {
        if Some(branch.as_str()) != except {
            let file = format!("{branch}.json");
            std::fs::copy(export.dir.join(&file), copy.join(&file)).unwrap();
        }
    }
    copy
}

fn lines(run: &Run) -> Vec<Value> {
    run.stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

#[test]
fn the_patient_reads_its_own_history_with_the_thiefs_appends_set_apart() {
    let export = exported();
    assert!(
        export.run.stdout.contains("key theft         ")
            && export.run.stdout.contains("exported 51 key files"),
        "{}",
        export.run.describe()
    );
    let run = read(
        &export.dir,
        &patient_key(0)[..12],
        &key_file("patient-0.json"),
        true,
    );
    run.expect(0);
    let entries = lines(&run);
    let termination: Vec<&Value> = entries
        .iter()
        .filter(|e| e["kind"] == "termination")
        .collect();
    assert_eq!(termination.len(), 1, "{}", run.stdout);
    let successor = termination[0]["successor"]
        .as_str()
        .expect("names a successor");
    let forged: Vec<&Value> = entries
        .iter()
        .filter(|e| e["sequence"].as_u64().unwrap() >= 1 << 40)
        .collect();
    assert!(
        !forged.is_empty(),
        "the thief's stored forgeries are in the files"
    );
    assert!(forged
        .iter()
        .all(|e| e["own"] == false && e["terminated"] == true));
    let own_data: Vec<&Value> = entries
        .iter()
        .filter(|e| e["own"] == true && e["kind"] == "data")
        .collect();
    for entry in &own_data {
        assert_eq!(entry["readable"], true, "{entry}");
        assert!(entry["resourceType"].is_string(), "{entry}");
    }
    // Every entry the patient made under the old key before its termination is its own.
    let old_key = termination[0]["key"].as_str().unwrap();
    let before = termination[0]["sequence"].as_u64().unwrap();
    let earlier: Vec<&Value> = entries
        .iter()
        .filter(|e| e["key"] == old_key && e["sequence"].as_u64().unwrap() < before)
        .collect();
    assert_eq!(
        earlier.len() as u64,
        before,
        "one entry per sequence before the termination"
    );
    assert!(earlier.iter().all(|e| e["own"] == true), "{}", run.stdout);
    assert!(
        own_data.len() as u64 > before,
        "entries under the successor count too"
    );
    let after: Vec<&Value> = entries.iter().filter(|e| e["key"] == successor).collect();
    assert!(after.iter().any(|e| e["kind"] == "succession"));
    assert!(
        after.iter().any(|e| e["kind"] == "data"),
        "the record goes on under the successor"
    );
    assert_eq!(
        entries
            .iter()
            .filter(|e| e["resourceType"] == "Patient")
            .count(),
        1
    );
}

/// Default readers are the patient and its own miner: the researcher reads only what was
/// published in the clear; the patient's hospital reads everything.
#[test]
fn each_key_reads_what_the_patient_let_it_read_and_says_so_for_the_rest() {
    let export = exported();
    let patient = patient_key(1);
    let as_researcher = read(&export.dir, &patient, &key_file("researcher.json"), true);
    as_researcher.expect(0);
    let entries = lines(&as_researcher);
    let data: Vec<&Value> = entries.iter().filter(|e| e["kind"] == "data").collect();
    let readable = data.iter().filter(|e| e["readable"] == true).count();
    assert!(
        readable > 0 && readable < data.len(),
        "{readable} of {}",
        data.len()
    );
    assert!(data
        .iter()
        .filter(|e| e["readable"] == false)
        .all(|e| e["resourceType"].is_null()));
    // Patients 0..4 hand their records to miner 0.
    let as_hospital = read(&export.dir, &patient, &key_file("miner-0.json"), true);
    as_hospital.expect(0);
    assert!(lines(&as_hospital)
        .iter()
        .filter(|e| e["kind"] == "data")
        .all(|e| e["readable"] == true));
    let text = read(&export.dir, &patient, &key_file("researcher.json"), false);
    assert!(
        text.stdout.contains("sealed, not readable with this key"),
        "{}",
        text.stdout
    );
}

#[test]
fn a_flipped_byte_in_a_stored_entry_is_reported_by_record_and_exits_1() {
    let export = exported();
    let copy = copy_branches(export, "tampered", None);
    let patient = patient_key(1);
    let branches = crate::support::branch_files(&copy);
    let (path, sequence) = branches
        .iter()
        .find_map(|branch| {
            let path = copy.join(format!("{branch}.json"));
            let mut file = read_json(&path);
            for block in file["blocks"].as_array_mut().unwrap() {
                for record in block["records"].as_array_mut().unwrap() {
                    if record["patient"] == patient.as_str() {
                        let payload = record["payload"].as_str().unwrap();
                        let at = payload.len() - 10;
                        let flipped = if &payload[at..at + 1] == "0" {
                            "1"
                        } else {
                            "0"
                        };
                        let changed = format!("{}{flipped}{}", &payload[..at], &payload[at + 1..]);
                        record["payload"] = changed.into();
                        let sequence = record["sequence"].as_u64().unwrap();
                        std::fs::write(&path, serde_json::to_string(&file).unwrap()).unwrap();
                        return Some((path, sequence));
                    }
                }
            }
            None
        })
        .expect("patient 1 has a stored record");
    let run = read(&copy, &patient, &key_file("patient-1.json"), false);
    run.expect(1);
    let named = format!("{}/{sequence}", &patient[..8]);
    assert!(
        run.stdout.contains(&format!("PROBLEM {named}")) && run.stdout.contains("altered"),
        "{} ({})\n{}",
        named,
        path.display(),
        run.describe()
    );
}

#[test]
fn a_missing_or_malformed_key_file_exits_2_with_the_reason() {
    let export = exported();
    let patient = patient_key(1);
    let missing = export.dir.join("keys/nobody.json");
    read(&export.dir, &patient, &missing, false)
        .expect(2)
        .stderr_names(&["nobody.json"]);
    let bad = export.scratch("bad-keys").join("bad.json");
    let mut file = read_json(&key_file("patient-1.json"));
    file["reading_secret"] = "zz".into();
    std::fs::write(&bad, file.to_string()).unwrap();
    read(&export.dir, &patient, &bad, false)
        .expect(2)
        .stderr_names(&["reading_secret", "64 hex digits"]);
    read(
        &export.dir,
        "ffffffffffff",
        &key_file("patient-1.json"),
        false,
    )
    .expect(2)
    .stderr_names(&["no record", "ffffffffffff"]);
    let researcher = key_file("researcher.json");
    let args = [
        "read".as_ref(),
        export.dir.as_os_str(),
        "--key".as_ref(),
        researcher.as_os_str(),
    ];
    medilanac(args)
        .expect(2)
        .stderr_names(&["--patient", "no signing key"]);
}

/// Without `--patient`, a patient's own key file names the record to read.
#[test]
fn a_patients_key_file_names_its_record_without_patient() {
    let export = exported();
    let key = key_file("patient-1.json");
    let args = [
        "read".as_ref(),
        export.dir.as_os_str(),
        "--key".as_ref(),
        key.as_os_str(),
    ];
    let implicit = medilanac(args);
    implicit.expect(0);
    let explicit = read(&export.dir, &patient_key(1), &key, false);
    assert_eq!(implicit.stdout, explicit.stdout);
}

/// Metamorphic: the patient's miner's branch file removed and rebuilt from the other
/// branches' chunks (`reconstruct --out`), `read` finds entries it found in the original
/// files, each as readable, less those in blocks that could not be rebuilt (at most half).
#[test]
fn reading_a_rebuilt_branch_finds_only_entries_the_original_reading_has() {
    let export = exported();
    let patient = patient_key(1);
    let full = read(&export.dir, &patient, &key_file("patient-1.json"), true);
    full.expect(0);
    let full = lines(&full);
    let branch = full[0]["branch"].as_str().unwrap().to_string();
    let copy = copy_branches(export, "rebuilt", Some(&branch));
    let out = copy.join(format!("{branch}.json"));
    let rebuild = crate::support::reconstruct(&copy, &branch, &["--out", out.to_str().unwrap()]);
    assert!(
        rebuild.code == 0 || rebuild.code == 1,
        "{}",
        rebuild.describe()
    );
    let rebuilt = read(&copy, &patient, &key_file("patient-1.json"), true);
    rebuilt.expect(0);
    let rebuilt = lines(&rebuilt);
    assert!(
        rebuilt.len() >= full.len() / 2,
        "{} of {}",
        rebuilt.len(),
        full.len()
    );
    for entry in &rebuilt {
        assert!(
            full.contains(entry),
            "{entry} is not in the original's reading"
        );
    }
}
