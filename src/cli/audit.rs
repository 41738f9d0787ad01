//! `medilanac audit`: who accessed a patient's records, when and why, from the index, with
//! every answer checked against the branches' signed headers before it is shown.

use super::{Failure, Outcome};
use anyhow::anyhow;
use clap::Args;
use medilanac::audit_index::answer::{answer, verify, Row};
use medilanac::audit_index::scan::scan;
use medilanac::audit_index::{ingest, AuditIndex, Query};
use medilanac::export::BranchFile;
use medilanac::protocol::audit_event::instant;
use medilanac::protocol::{BranchId, Hash, PublicKey, Verifier};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args)]
pub struct AuditArgs {
    /// Directory of branch files written by `run --export`.
    dir: PathBuf,
    /// The patient: their key in hex, or a unique prefix of it among audited patients.
    #[arg(long)]
    patient: Option<String>,
    /// Only entries where this party acted: a clinician (`Practitioner/2-7`) or either end
    /// of a transfer (`Organization/1`).
    #[arg(long)]
    agent: Option<String>,
    /// Only this purpose of use (TREAT, ETREAT, HPAYMT, HOPERAT, HRESCH, PUBHLTH).
    #[arg(long)]
    purpose: Option<String>,
    /// Only transfers sent by this organisation (`Organization/0`).
    #[arg(long)]
    source: Option<String>,
    /// Only transfers received by this organisation.
    #[arg(long)]
    destination: Option<String>,
    /// Only entries recorded at or after this virtual second.
    #[arg(long, value_name = "S")]
    from: Option<f64>,
    /// Only entries recorded at or before this virtual second.
    #[arg(long, value_name = "S")]
    to: Option<f64>,
    /// One JSON object per entry instead of text.
    #[arg(long)]
    json: bool,
    /// Answer by reading every record of every branch instead of the index (no proofs).
    #[arg(long, conflicts_with = "sql")]
    scan: bool,
    /// Run a read-only SQL query over the index (table `entries`, and `headers`,
    /// `branches`) and print the rows, tab-separated.
    #[arg(long, value_name = "QUERY")]
    sql: Option<String>,
    /// The index database (default: DIR/audit.sqlite), created or brought up to date first.
    #[arg(long, value_name = "FILE")]
    index: Option<PathBuf>,
}

fn seconds(field: &str, value: Option<f64>) -> Result<Option<u64>, Failure> {
    match value {
        Some(s) if !(s.is_finite() && s >= 0.0) => Err(Failure::BadInput(anyhow!(
            "--{field} {s}: expected a virtual second, 0 or more"
        ))),
        Some(s) => Ok(Some((s * 1e6).round() as u64)),
        None => Ok(None),
    }
}

pub fn run(args: &AuditArgs) -> Outcome {
    let files = super::reconstruct::read_dir(&args.dir)?;
    let query = Query {
        agent: args.agent.clone(),
        purpose: args.purpose.clone(),
        source: args.source.clone(),
        destination: args.destination.clone(),
        from: seconds("from", args.from)?,
        to: seconds("to", args.to)?,
    };
    if args.scan {
        let wanted = args.patient.as_deref().ok_or_else(need_patient)?;
        let patient = resolve_in_scan(&files, wanted)?;
        let rows = scan(&files, &patient, &query);
        print(
            &rows,
            &patient,
            args.json,
            "read by scanning every record (no proofs)",
        );
        return Ok(ExitCode::SUCCESS);
    }
    let path = args
        .index
        .clone()
        .unwrap_or_else(|| args.dir.join("audit.sqlite"));
    let mut index = open(&path)?;
    let done = ingest(&mut index, &files).map_err(|e| Failure::Failed(e.into()))?;
    for (branch, height, what) in &done.problems {
        say!("PROBLEM branch {}, height {height}: {what}", &branch[..8]);
    }
    if let Some(sql) = &args.sql {
        let (columns, rows) = index.sql(sql).map_err(|e| Failure::BadInput(e.into()))?;
        say!("{}", columns.join("\t"));
        for row in rows {
            say!("{}", row.join("\t"));
        }
        return Ok(exit(&done.problems));
    }
    let wanted = args.patient.as_deref().ok_or_else(need_patient)?;
    let patient = resolve_in_index(&index, wanted)?;
    let latest = latest_headers(&index, &files)?;
    let answered = answer(&index, &patient, query.from).map_err(|e| Failure::Failed(e.into()))?;
    match verify(&answered, &latest, &query, &mut Verifier::default()) {
        Ok(rows) => {
            let how = format!(
                "proven complete under the latest header of each of {} branches",
                latest.len()
            );
            print(&rows, &patient, args.json, &how);
            Ok(exit(&done.problems))
        }
        Err(unproven) => {
            say!("PROBLEM the index's answer does not verify: {unproven}");
            Ok(ExitCode::from(1))
        }
    }
}

fn need_patient() -> Failure {
    Failure::BadInput(anyhow!(
        "name the patient with --patient KEY (or ask with --sql)"
    ))
}

fn exit(problems: &[(String, u64, String)]) -> ExitCode {
    match problems.is_empty() {
        true => ExitCode::SUCCESS,
        false => ExitCode::from(1),
    }
}

fn open(path: &Path) -> Result<AuditIndex, Failure> {
    AuditIndex::open(path).map_err(|e| {
        Failure::BadInput(anyhow!(
            "{}: cannot open the audit index: {e}",
            path.display()
        ))
    })
}

/// The header hash the client trusts for each branch: the export's block at the height the
/// index reached on it (a branch the index stopped short on was reported as a problem).
fn latest_headers(
    index: &AuditIndex,
    files: &[BranchFile],
) -> Result<BTreeMap<BranchId, Hash>, Failure> {
    let (_, rows) = index
        .sql("SELECT branch, height FROM branches")
        .map_err(|e| Failure::Failed(e.into()))?;
    let reached: BTreeMap<String, u64> = rows
        .into_iter()
        .filter_map(|row| Some((row[0].clone(), row[1].parse().ok()?)))
        .collect();
    Ok(files
        .iter()
        .filter_map(|file| {
            let height = reached.get(&file.branch.to_string())?;
            let block = file.blocks.iter().find(|b| b.height == *height)?;
            Some((file.branch, block.header.hash()))
        })
        .collect())
}

fn parse_key(text: &str) -> Option<PublicKey> {
    let bytes = hex::decode(text).ok()?;
    Some(PublicKey(bytes.try_into().ok()?))
}

fn resolve_in_index(index: &AuditIndex, wanted: &str) -> Result<PublicKey, Failure> {
    if let Some(key) = parse_key(wanted) {
        return Ok(key);
    }
    if wanted.is_empty() || !wanted.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(Failure::BadInput(anyhow!(
            "--patient {wanted:?}: expected a patient key in hex, or a prefix of one"
        )));
    }
    let sql = format!(
        "SELECT DISTINCT patient FROM entries WHERE patient >= '{0}' AND patient < '{0}g' LIMIT 2",
        wanted.to_ascii_lowercase()
    );
    let (_, rows) = index.sql(&sql).map_err(|e| Failure::Failed(e.into()))?;
    one_of(
        wanted,
        rows.into_iter()
            .filter_map(|row| parse_key(&row[0]))
            .collect(),
    )
}

fn resolve_in_scan(files: &[BranchFile], wanted: &str) -> Result<PublicKey, Failure> {
    if let Some(key) = parse_key(wanted) {
        return Ok(key);
    }
    let everyone = medilanac::audit_index::scan::patients(files);
    let wanted_lower = wanted.to_ascii_lowercase();
    let matching = everyone
        .into_iter()
        .filter(|key| hex::encode(key.0).starts_with(&wanted_lower))
        .take(2)
        .collect();
    one_of(wanted, matching)
}

fn one_of(wanted: &str, matching: Vec<PublicKey>) -> Result<PublicKey, Failure> {
    match matching.as_slice() {
        [one] => Ok(*one),
        [] => Err(Failure::BadInput(anyhow!(
            "--patient {wanted}: no audited patient's key starts so"
        ))),
        _ => Err(Failure::BadInput(anyhow!(
            "--patient {wanted}: names more than one patient; give more digits"
        ))),
    }
}

fn print(rows: &[Row], patient: &PublicKey, as_json: bool, how: &str) {
    let mut rows: Vec<&Row> = rows.iter().collect();
    rows.sort_by_key(|row| (row.fields.recorded, row.branch));
    if as_json {
        for row in rows {
            let f = &row.fields;
            let line = json!({
                "recorded": instant(f.recorded),
                "recorded_s": f.recorded as f64 / 1e6,
                "activity": f.activity.name(),
                "agent": f.agent,
                "purpose": f.purpose,
                "observer": f.observer,
                "source": f.source,
                "destination": f.destination,
                "branch": row.branch.to_string(),
                "height": row.height,
                "leaf": row.leaf.to_string(),
            });
            say!("{line}");
        }
        return;
    }
    say!(
        "patient {}: {} entries, {how}",
        &hex::encode(patient.0)[..16],
        rows.len()
    );
    for row in rows {
        let f = &row.fields;
        let transfer = match (&f.source, &f.destination) {
            (Some(from), Some(to)) => format!(" {from} -> {to}"),
            _ => String::new(),
        };
        say!(
            "  {} {:<6} {} {}{transfer} at {} [branch {}, height {}]",
            &instant(f.recorded)[..19],
            f.activity.name(),
            f.agent,
            f.purpose,
            f.observer,
            row.branch.short(),
            row.height
        );
    }
}
