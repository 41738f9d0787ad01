//! `medilanac audit` end to end: a consortium run exported, indexed, asked and checked;
//! the index's answers against `--scan`; SQL over the index; an altered export reported
//! with exit 1; bad arguments with exit 2.

use crate::support::{medilanac, shipped, Exported, Run, ScenarioText};
use serde_json::Value;
use std::path::Path;
use std::sync::OnceLock;

/// The shipped consortium scenario cut to 30 blocks and 40 patients.
fn exported() -> &'static Exported {
    static EXPORTED: OnceLock<Exported> = OnceLock::new();
    EXPORTED.get_or_init(|| {
        let text = std::fs::read_to_string(shipped("consortium.toml")).unwrap();
        let text = ScenarioText::from_text(&text)
            .set("blocks", "30")
            .set("duration", "2400.0")
            .set("consortium.patients", "40");
        Exported::new(&text)
    })
}

fn audit(dir: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["audit".to_string(), dir.display().to_string()];
    args.extend(extra.iter().map(|s| s.to_string()));
    medilanac(args)
}

fn json_lines(run: &Run) -> Vec<Value> {
    run.stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// The patient with the most entries, as a 12-digit prefix.
fn busiest(dir: &Path) -> String {
    let run = audit(
        dir,
        &[
            "--sql",
            "SELECT patient FROM entries GROUP BY patient ORDER BY count(*) DESC, patient LIMIT 1",
        ],
    );
    run.expect(0);
    run.stdout.lines().nth(1).unwrap()[..12].to_string()
}

/// A copy of the export's branch files alone (no index yet).
fn copy(name: &str) -> std::path::PathBuf {
    let export = exported();
    let to = export.scratch(name);
    for branch in crate::support::branch_files(&export.dir) {
        let file = format!("{branch}.json");
        std::fs::copy(export.dir.join(&file), to.join(&file)).unwrap();
    }
    to
}

#[test]
fn a_patient_query_is_proven_and_lists_what_a_scan_lists() {
    let dir = copy("query");
    let patient = busiest(&dir);
    let proven = audit(&dir, &["--patient", &patient, "--json"]);
    proven.expect(0);
    let scanned = audit(&dir, &["--patient", &patient, "--json", "--scan"]);
    scanned.expect(0);
    let rows = json_lines(&proven);
    assert!(rows.len() > 3, "{}", proven.stdout);
    assert_eq!(rows, json_lines(&scanned));
    let text = audit(&dir, &["--patient", &patient]);
    text.expect(0);
    assert!(text
        .stdout
        .contains("proven complete under the latest header of each of 8 branches"));
}

#[test]
fn filters_narrow_the_answer_to_matching_entries() {
    let dir = copy("filters");
    let patient = busiest(&dir);
    let all = json_lines(audit(&dir, &["--patient", &patient, "--json"]).expect(0));
    let treat = json_lines(
        audit(
            &dir,
            &["--patient", &patient, "--json", "--purpose", "TREAT"],
        )
        .expect(0),
    );
    assert_eq!(
        treat,
        all.iter()
            .filter(|r| r["purpose"] == "TREAT")
            .cloned()
            .collect::<Vec<_>>()
    );
    let late =
        json_lines(audit(&dir, &["--patient", &patient, "--json", "--from", "900"]).expect(0));
    assert_eq!(
        late,
        all.iter()
            .filter(|r| r["recorded_s"].as_f64().unwrap() >= 900.0)
            .cloned()
            .collect::<Vec<_>>()
    );
    assert!(
        late.len() < all.len(),
        "the cut must drop something for the test to mean anything"
    );
}

#[test]
fn sql_answers_ad_hoc_questions_and_refuses_to_write() {
    let dir = copy("sql");
    let run = audit(
        &dir,
        &["--sql", "SELECT observer, count(*) FROM entries WHERE activity = 'access' GROUP BY observer ORDER BY observer"],
    );
    run.expect(0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines[0], "observer\tcount(*)");
    assert_eq!(lines.len(), 1 + 8, "{}", run.stdout);
    let refused = audit(&dir, &["--sql", "DELETE FROM entries"]);
    refused.expect(2);
    assert!(refused.stderr.contains("read-only"), "{}", refused.stderr);
    let count = audit(&dir, &["--sql", "SELECT count(*) FROM entries"]);
    assert_ne!(count.stdout.lines().nth(1), Some("0"));
}

#[test]
fn an_entry_altered_in_an_export_is_reported_and_exits_1() {
    let dir = copy("tampered");
    let patient = busiest(&dir);
    audit(&dir, &["--patient", &patient]).expect(0);
    // Change one clinician's number in an access entry, in the file, after indexing.
    let branch = crate::support::branch_files(&dir)[3].clone();
    let path = dir.join(format!("{branch}.json"));
    let mut file: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let is_entry = |r: &Value| {
        let payload = r["payload"].as_str().unwrap_or_default();
        hex::decode(payload).is_ok_and(|p| p.starts_with(b"medilanac/audit-entry"))
    };
    let height = (10..)
        .find(|&h| {
            file["blocks"][h]["records"]
                .as_array()
                .unwrap()
                .iter()
                .any(is_entry)
        })
        .unwrap();
    let records = file["blocks"][height]["records"].as_array_mut().unwrap();
    let record = records.iter_mut().find(|r| is_entry(r)).unwrap();
    let mut payload = hex::decode(record["payload"].as_str().unwrap()).unwrap();
    let at = payload
        .windows(13)
        .position(|w| w == b"Practitioner/")
        .unwrap()
        + 13;
    payload[at] = if payload[at] == b'1' { b'2' } else { b'1' };
    record["payload"] = Value::String(hex::encode(payload));
    std::fs::write(&path, serde_json::to_string(&file).unwrap()).unwrap();
    let run = audit(&dir, &["--patient", &patient]);
    run.expect(1);
    assert!(
        run.stdout
            .contains(&format!("PROBLEM branch {}, height {height}", &branch[..8])),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("file root"), "{}", run.stdout);
}

#[test]
fn bad_arguments_are_named_and_exit_2() {
    let dir = copy("bad");
    let run = audit(&dir, &["--patient", "zz"]);
    run.expect(2);
    assert!(run.stderr.contains("--patient \"zz\""), "{}", run.stderr);
    let run = audit(&dir, &["--patient", "abc", "--from=-3"]);
    run.expect(2);
    assert!(run.stderr.contains("--from -3"), "{}", run.stderr);
    let run = audit(&dir, &[]);
    run.expect(2);
    assert!(run.stderr.contains("--patient"), "{}", run.stderr);
}
