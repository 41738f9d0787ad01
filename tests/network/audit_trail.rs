//! Rule 18 over a whole consortium run: the members' branches carry every access and
//! transfer, the index answers like a scan of every record, and each way of cheating an
//! answer or an export is caught by the check written for it.

use medilanac::audit_index::answer::{answer, verify, Answer, Unproven};
use medilanac::audit_index::scan::{patients, scan};
use medilanac::audit_index::{ingest, AuditIndex, Query};
use medilanac::export::BranchFile;
use medilanac::protocol::audit::AuditRecord;
use medilanac::protocol::audit_event::AuditEvent;
use medilanac::protocol::{BranchId, Hash, PublicKey, Record, Verifier};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The shipped consortium scenario cut to 40 blocks of its eight members, and to the
/// first 3,000 virtual seconds (a member's last block may wait for chunks no one is left to
/// give: see the README on the end of a run).
fn files() -> &'static Vec<BranchFile> {
    &consortium().0
}

/// The cut run's branch files, and the records its members still held unsealed at the end.
fn consortium() -> &'static (Vec<BranchFile>, Vec<Record>) {
    static RUN: OnceLock<(Vec<BranchFile>, Vec<Record>)> = OnceLock::new();
    RUN.get_or_init(|| {
        let scenario = crate::shipped("consortium.toml", |s| {
            s.blocks = 40;
            s.duration = 3000.0;
            s.consortium.as_mut().unwrap().patients = 60;
        });
        let outcome = medilanac::simulation::run(&scenario, scenario.seed, None);
        let blocks: usize = outcome.miners.iter().map(|m| m.blocks.len()).sum();
        assert!(blocks > 300, "{blocks} blocks");
        let files = outcome
            .miners
            .iter()
            .map(|miner| {
                let branch = miner.blocks[0].header.branch;
                BranchFile::new(&scenario.protocol, branch, &miner.blocks)
            })
            .collect();
        let waiting = outcome
            .miners
            .iter()
            .flat_map(|m| m.waiting.clone())
            .collect();
        (files, waiting)
    })
}

fn indexed(files: &[BranchFile]) -> AuditIndex {
    let mut index = AuditIndex::in_memory().unwrap();
    let done = ingest(&mut index, files).unwrap();
    assert_eq!(done.problems, Vec::new());
    index
}

fn latest(files: &[BranchFile]) -> BTreeMap<BranchId, Hash> {
    files
        .iter()
        .map(|file| (file.branch, file.blocks.last().unwrap().header.hash()))
        .collect()
}

/// The patient with the most entries, and their answer.
fn busiest(index: &AuditIndex) -> (PublicKey, Answer) {
    let (_, rows) = index
        .sql("SELECT patient, count(*) AS n FROM entries GROUP BY patient ORDER BY n DESC, patient LIMIT 1")
        .unwrap();
    let key = PublicKey(hex::decode(&rows[0][0]).unwrap().try_into().unwrap());
    (key, answer(index, &key, None).unwrap())
}

fn check(answer: &Answer) -> Result<usize, Unproven> {
    verify(
        answer,
        &latest(files()),
        &Query::default(),
        &mut Verifier::default(),
    )
    .map(|rows| rows.len())
}

#[test]
fn every_member_logs_accesses_and_both_ends_of_each_transfer() {
    let index = indexed(files());
    let (_, rows) = index
        .sql("SELECT activity, count(*) FROM entries GROUP BY activity ORDER BY activity")
        .unwrap();
    let count: BTreeMap<String, u64> = rows
        .iter()
        .map(|r| (r[0].clone(), r[1].parse().unwrap()))
        .collect();
    assert!(count["access"] > 100, "{count:?}");
    assert!(count["export"] > 5, "{count:?}");
    // Every export's notice reaches the other member, which logs the import: sealed, or
    // waiting in a block the run ended before.
    let unsealed = |activity: &str| {
        let waiting = &consortium().1;
        waiting
            .iter()
            .filter_map(|r| match AuditRecord::of(r) {
                Some(Ok(AuditRecord::Entry(entry))) => {
                    Some(AuditEvent::parse(&entry.event).unwrap().1)
                }
                _ => None,
            })
            .filter(|fields| fields.activity.name() == activity)
            .count() as u64
    };
    assert_eq!(
        count["export"] + unsealed("export"),
        count["import"] + unsealed("import"),
        "{count:?}"
    );
    let (_, observers) = index.sql("SELECT DISTINCT observer FROM entries").unwrap();
    assert_eq!(observers.len(), 8);
}

/// The metamorphic relation: for every patient and several filters, the proven answer
/// from the index lists exactly what reading every record lists.
#[test]
fn index_answers_verify_and_agree_with_a_scan_of_every_record() {
    let files = files();
    let index = indexed(files);
    let queries = [
        Query::default(),
        Query {
            purpose: Some("TREAT".into()),
            ..Query::default()
        },
        Query {
            from: Some(600_000_000),
            to: Some(1_800_000_000),
            ..Query::default()
        },
        Query {
            agent: Some("Organization/1".into()),
            ..Query::default()
        },
        Query {
            source: Some("Organization/0".into()),
            ..Query::default()
        },
    ];
    let everyone = patients(files);
    assert_eq!(everyone.len(), 60);
    let mut seen = 0;
    for patient in &everyone {
        for query in &queries {
            let answered = answer(&index, patient, query.from).unwrap();
            let proven =
                verify(&answered, &latest(files), query, &mut Verifier::default()).unwrap();
            assert_eq!(
                proven,
                scan(files, patient, query),
                "patient {patient:?}, {query:?}"
            );
            seen += proven.len();
        }
    }
    assert!(seen > 500);
}

#[test]
fn an_answer_that_leaves_out_an_entry_fails_verification() {
    let index = indexed(files());
    let (_, mut answered) = busiest(&index);
    assert!(check(&answered).unwrap() > 3);
    let part = answered
        .parts
        .iter_mut()
        .find(|p| p.entries.len() > 2)
        .unwrap();
    part.entries.remove(1);
    assert!(matches!(check(&answered), Err(Unproven::BadEntry { .. })));
    // Cutting the walk short instead leaves the chain open.
    let (_, mut answered) = busiest(&index);
    let part = answered
        .parts
        .iter_mut()
        .find(|p| p.entries.len() > 2)
        .unwrap();
    part.entries.truncate(1);
    assert!(matches!(check(&answered), Err(Unproven::Incomplete { .. })));
}

#[test]
fn an_answer_that_hides_a_branch_or_claims_no_entries_there_fails_verification() {
    let index = indexed(files());
    let (_, answered) = busiest(&index);
    let with_entries = answered
        .parts
        .iter()
        .position(|p| !p.entries.is_empty())
        .unwrap();
    let mut hidden = answered.clone();
    hidden.parts.remove(with_entries);
    assert!(matches!(check(&hidden), Err(Unproven::BranchMissing(_))));
    let mut denied = answered.clone();
    denied.parts[with_entries].head = None;
    denied.parts[with_entries].entries.clear();
    assert!(matches!(check(&denied), Err(Unproven::BadHead(_))));
}

#[test]
fn an_answer_with_a_forged_or_altered_entry_fails_verification() {
    let index = indexed(files());
    let (_, answered) = busiest(&index);
    let at = answered
        .parts
        .iter()
        .position(|p| !p.entries.is_empty())
        .unwrap();
    let mut altered = answered.clone();
    let record = &mut altered.parts[at].entries[0].record;
    record.payload = record.payload.with_flipped_byte(record.payload.len() - 30);
    assert!(matches!(check(&altered), Err(Unproven::BadEntry { .. })));
    // An entry signed by another member's key, put at the head's place.
    let other = (at + 1) % answered.parts.len();
    let mut forged = answered.clone();
    let foreign = files()
        .iter()
        .find(|f| f.branch == answered.parts[other].header.branch)
        .unwrap()
        .blocks
        .iter()
        .flat_map(|b| &b.records)
        .find(|r| matches!(AuditRecord::of(r), Some(Ok(AuditRecord::Entry(_)))))
        .unwrap()
        .clone();
    forged.parts[at].entries[0].record = foreign;
    assert!(matches!(check(&forged), Err(Unproven::BadEntry { .. })));
}

#[test]
fn an_answer_under_an_older_header_than_the_client_knows_fails_verification() {
    let index = indexed(files());
    let (_, answered) = busiest(&index);
    let mut latest = latest(files());
    let first = *latest.keys().next().unwrap();
    let older = files().iter().find(|f| f.branch == first).unwrap().blocks[10]
        .header
        .hash();
    latest.insert(first, older);
    let result = verify(
        &answered,
        &latest,
        &Query::default(),
        &mut Verifier::default(),
    );
    assert_eq!(result, Err(Unproven::StaleHeader(first)));
}

/// An entry changed in an export after the index took it: the index's own check of the
/// blocks it holds reports the branch and height.
#[test]
fn an_entry_altered_in_an_export_after_indexing_is_reported_with_its_block() {
    let mut files = files().clone();
    let mut index = indexed(&files);
    let (branch, height) = alter_an_access(&mut files);
    let done = ingest(&mut index, &files).unwrap();
    assert_eq!(done.problems.len(), 1, "{:?}", done.problems);
    assert_eq!(
        (done.problems[0].0.as_str(), done.problems[0].1),
        (branch.to_string().as_str(), height)
    );
    assert!(
        done.problems[0].2.contains("file root"),
        "{}",
        done.problems[0].2
    );
}

/// The same change made before anyone indexed the export: the block fails its check and
/// its branch is indexed only up to the block before it.
#[test]
fn an_entry_altered_before_indexing_stops_its_branch_at_the_block_before() {
    let mut files = files().clone();
    let (branch, height) = alter_an_access(&mut files);
    let mut index = AuditIndex::in_memory().unwrap();
    let done = ingest(&mut index, &files).unwrap();
    assert_eq!(done.problems.len(), 1);
    assert_eq!(done.problems[0].1, height);
    assert!(
        done.problems[0].2.starts_with("records:"),
        "{}",
        done.problems[0].2
    );
    let (_, rows) = index
        .sql(&format!(
            "SELECT height FROM branches WHERE branch = '{branch}'"
        ))
        .unwrap();
    assert_eq!(rows[0][0], (height - 1).to_string());
}

/// Flips one byte inside an access entry's event (its purpose) in the middle of a branch.
fn alter_an_access(files: &mut [BranchFile]) -> (BranchId, u64) {
    let file = &mut files[2];
    let block = &mut file.blocks[20];
    let record = block
        .records
        .iter_mut()
        .find(|r| matches!(AuditRecord::of(r), Some(Ok(AuditRecord::Entry(_)))))
        .expect("a block of a member holds an entry");
    let text = String::from_utf8_lossy(&record.payload).into_owned();
    let at = text.find("\"code\":\"").unwrap() + 8;
    record.payload = record.payload.with_flipped_byte(at);
    (file.branch, block.height)
}

#[test]
fn an_import_names_the_sender_and_follows_its_export() {
    let index = indexed(files());
    let (_, rows) = index
        .sql("SELECT e.source, e.destination, e.observer, e.recorded, i.observer, i.recorded
              FROM entries e JOIN entries i ON i.patient = e.patient AND i.activity = 'import'
               AND i.source = e.source AND i.destination = e.destination AND i.recorded >= e.recorded
              WHERE e.activity = 'export' ORDER BY e.recorded LIMIT 20")
        .unwrap();
    assert!(!rows.is_empty());
    for row in rows {
        assert_eq!(row[2], row[0], "an export is logged by its source");
        assert_eq!(row[4], row[1], "an import is logged by its destination");
    }
}
