//! The multi-linked chain (DESIGN rule 4, section 4 "past the dissertation"), on a small
//! network: 12 miners, 12 blocks after genesis, k = 2 of m = 4, 6 subjects, headers with 1,
//! 2 or 3 links. The rows are checked against the network they were measured on: with one
//! link nothing after a lost block verifies, with more a lone lost block is stepped over,
//! the reconstruction agrees with the gap rule on the heights that decoded, and both agree
//! with a count made here from the placement and the removal order alone.

use crate::support::{holders, removal_order, ScenarioText};
use medilanac::experiments;
use medilanac::scenario::{Scenario, ScenarioError};
use medilanac::simulation::Outcome;
use medilanac::sweep::grid;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

const MINERS: usize = 12;
const K: usize = 2;
const SUBJECTS: usize = 6;
const SEEDS: u64 = 2;
const LINKS: [u16; 3] = [1, 2, 3];

fn scenario_text() -> ScenarioText {
    ScenarioText::from_text(
        r#"
name = "multi-link-small"
seed = 1
miners = 12
blocks = 12

[protocol]
k = 2
m = 4
links = 1
foreign = { rule = "size", threshold = 0 }
chunk_auth = "commitment"
placement = "distinct"

[patients]
per_miner = 4
record_size = 64

[experiment]
kind = "multi_link"
subjects = 6
"#,
    )
    .sweep(SEEDS, &[("protocol.links", "[1, 2, 3]")])
}

/// One row of the experiment, by column, with the run it came from.
#[derive(Debug)]
struct Row {
    links: u16,
    seed: u64,
    subject: usize,
    window: usize,
    removed: usize,
    decoded: usize,
    verified: usize,
    first_lost: Option<usize>,
    after: usize,
    after_decoded: usize,
    after_verified: usize,
    after_exact: usize,
    lost_pairs: usize,
    q_ideal: f64,
    after_ideal: f64,
    after_decoded_ideal: f64,
    after_verified_ideal: f64,
}

/// Per subject of a run, per height: the other miners holding chunks of it, with their
/// chunk indices (read from the branches).
type Placement = BTreeMap<usize, Vec<BTreeMap<usize, BTreeSet<u16>>>>;

struct Run {
    rows: Vec<Row>,
    placement: Placement,
}

/// Every run of the sweep, each simulated once for all the tests of this file.
fn runs() -> &'static [Run] {
    static RUNS: OnceLock<Vec<Run>> = OnceLock::new();
    RUNS.get_or_init(|| {
        let scenario = scenario_text().scenario();
        let jobs = grid::jobs(&scenario).expect("the grid is valid");
        assert_eq!(jobs.len(), LINKS.len() * SEEDS as usize);
        std::thread::scope(|scope| {
            let handles: Vec<_> = jobs
                .iter()
                .map(|job| {
                    scope.spawn(move || {
                        let (outcome, table) = experiments::run(&job.scenario, job.seed);
                        assert!(outcome.violation.is_none(), "{:?}", outcome.violation);
                        let rows = rows_of(&job.scenario, &outcome, &table);
                        let subjects: BTreeSet<usize> = rows.iter().map(|r| r.subject).collect();
                        let placement = subjects
                            .into_iter()
                            .map(|s| (s, holders(&outcome, s, outcome.miners[s].blocks.len())))
                            .collect();
                        Run { rows, placement }
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a worker panicked"))
                .collect()
        })
    })
}

fn rows() -> impl Iterator<Item = &'static Row> {
    runs().iter().flat_map(|run| run.rows.iter())
}

fn rows_of(scenario: &Scenario, outcome: &Outcome, table: &[Vec<String>]) -> Vec<Row> {
    let columns = experiments::columns(&scenario.experiment);
    let at = |name: &str| {
        columns
            .iter()
            .position(|c| *c == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    };
    table
        .iter()
        .map(|row| {
            let text = |name: &str| row[at(name)].as_str();
            let int = |name: &str| -> usize {
                text(name)
                    .parse()
                    .unwrap_or_else(|_| panic!("{name} = {:?}", text(name)))
            };
            let float = |name: &str| -> f64 { text(name).parse().unwrap() };
            Row {
                links: int("links") as u16,
                seed: outcome.seed,
                subject: int("subject"),
                window: int("window"),
                removed: int("removed"),
                decoded: int("decoded"),
                verified: int("verified"),
                first_lost: (!text("first_lost").is_empty()).then(|| int("first_lost")),
                after: int("after"),
                after_decoded: int("after_decoded"),
                after_verified: int("after_verified"),
                after_exact: int("after_exact"),
                lost_pairs: int("lost_pairs"),
                q_ideal: float("q_ideal"),
                after_ideal: float("after_ideal"),
                after_decoded_ideal: float("after_decoded_ideal"),
                after_verified_ideal: float("after_verified_ideal"),
            }
        })
        .collect()
}

/// Heights that verify, computed here: walk up from genesis, remembering the last verified
/// height; a decoded height verifies when it is genesis or within `links` of that one.
fn verified_by_walking(decoded: &[bool], links: usize) -> Vec<bool> {
    let mut last: Option<usize> = None;
    decoded
        .iter()
        .enumerate()
        .map(|(height, &ok)| {
            let reached = match last {
                None => height == 0,
                Some(last) => height - last <= links,
            };
            let verifies = ok && reached;
            if verifies {
                last = Some(height);
            }
            verifies
        })
        .collect()
}

#[test]
fn every_subject_has_a_row_per_number_of_branches_removed() {
    for run in runs() {
        let mut by_subject: BTreeMap<usize, Vec<&Row>> = BTreeMap::new();
        for row in &run.rows {
            by_subject.entry(row.subject).or_default().push(row);
        }
        assert_eq!(by_subject.len(), SUBJECTS);
        for (subject, rows) in by_subject {
            let removed: Vec<usize> = rows.iter().map(|r| r.removed).collect();
            assert_eq!(
                removed,
                (0..MINERS).collect::<Vec<_>>(),
                "subject {subject}"
            );
            let first = rows[0];
            assert!(first.window >= 2 && first.window <= 13, "{first:?}");
            // The window ends at the last height that decodes with every branch present.
            assert!(first.decoded >= 1 && first.first_lost != Some(first.window - 1));
            // With every other branch gone nothing is left to decode.
            let last = rows[rows.len() - 1];
            assert_eq!((last.decoded, last.verified), (0, 0), "{last:?}");
            assert_eq!(last.first_lost, Some(0));
            for row in rows {
                assert!(row.verified <= row.decoded && row.decoded <= row.window);
                assert!(row.after_verified <= row.after_decoded);
                assert!(row.after_decoded <= row.after);
                let after = row.first_lost.map_or(0, |f| row.window - f - 1);
                assert_eq!(row.after, after, "{row:?}");
            }
        }
    }
}

#[test]
fn with_one_link_no_block_after_a_lost_one_verifies() {
    let one: Vec<&Row> = rows().filter(|r| r.links == 1).collect();
    for row in &one {
        assert_eq!(row.after_verified, 0, "{row:?}");
        // Exactly the heights before the first loss verify.
        assert_eq!(
            row.verified,
            row.first_lost.unwrap_or(row.window),
            "{row:?}"
        );
        assert_eq!(row.after_verified_ideal, 0.0, "{row:?}");
    }
    // Blocks after the loss did decode: the links, not the chunks, cut them off.
    let stranded: usize = one.iter().map(|r| r.after_decoded).sum();
    assert!(stranded > 50, "only {stranded} blocks decoded after a loss");
}

#[test]
fn with_more_links_a_lone_lost_block_does_not_cut_off_the_next() {
    let mut lone = 0;
    for row in rows().filter(|r| r.links >= 2) {
        match row.first_lost {
            // Genesis lost: nothing is anchored, whatever decodes.
            Some(0) => assert_eq!(row.verified, 0, "{row:?}"),
            // One height lost, not genesis: everything else verifies.
            Some(_) if row.decoded + 1 == row.window => {
                lone += 1;
                assert_eq!(row.verified, row.decoded, "{row:?}");
                assert_eq!(row.after_verified, row.after, "{row:?}");
            }
            _ => {}
        }
    }
    assert!(lone >= 10, "only {lone} rows with a lone lost block");
}

#[test]
fn the_reconstruction_agrees_with_the_gap_rule_on_what_decoded() {
    let mut cut_off = 0;
    for row in rows() {
        assert_eq!(
            row.after_verified, row.after_exact,
            "rebuilding for real and the gap rule disagree: {row:?}"
        );
        cut_off += row.after_decoded - row.after_verified;
    }
    assert!(cut_off > 0, "no decoded block was ever cut off");
}

/// Recounts every row from the placement alone: remove the branches in the mirrored order,
/// call a height decoded when `k` distinct chunk indices remain, and walk the links.
#[test]
fn rows_follow_from_the_placement_and_the_removal_order() {
    for run in runs() {
        for row in &run.rows {
            let heights = &run.placement[&row.subject][..row.window];
            let order = removal_order(row.seed, row.subject, MINERS);
            let gone: BTreeSet<usize> = order[..row.removed].iter().copied().collect();
            let decoded: Vec<bool> = heights
                .iter()
                .map(|held| {
                    let left = held.iter().filter(|(h, _)| !gone.contains(h));
                    left.flat_map(|(_, i)| i).collect::<BTreeSet<_>>().len() >= K
                })
                .collect();
            let verified = verified_by_walking(&decoded, row.links as usize);
            let first = decoded.iter().position(|&d| !d);
            let later = first.map_or(row.window, |f| f + 1);
            let count = |flags: &[bool]| flags.iter().filter(|&&f| f).count();
            let pairs = decoded.windows(2).filter(|w| !w[0] && !w[1]).count();
            let expected = (
                count(&decoded),
                count(&verified),
                first,
                count(&decoded[later..]),
                count(&verified[later..]),
                pairs,
            );
            let measured = (
                row.decoded,
                row.verified,
                row.first_lost,
                row.after_decoded,
                row.after_verified,
                row.lost_pairs,
            );
            assert_eq!(measured, expected, "{row:?}");
        }
    }
}

/// Sums over the rows of one number of links: blocks after a loss, and those that verify.
fn verified_share(links: u16) -> f64 {
    let (after, verified) = rows()
        .filter(|r| r.links == links)
        .fold((0, 0), |(a, v), r| (a + r.after, v + r.after_verified));
    verified as f64 / after as f64
}

#[test]
fn more_links_keep_more_later_blocks_verifiable() {
    let shares: Vec<f64> = LINKS.iter().map(|&l| verified_share(l)).collect();
    assert_eq!(shares[0], 0.0);
    assert!(
        shares[1] > 0.05 && shares[2] > shares[1],
        "share of blocks after a loss that verify, by links {LINKS:?}: {shares:?}"
    );
}

#[test]
fn the_ideal_rises_with_links_and_stays_within_what_decodes() {
    let mut by_point: BTreeMap<(u64, usize, usize, usize), BTreeMap<u16, f64>> = BTreeMap::new();
    for row in rows() {
        assert!((0.0..=1.0).contains(&row.q_ideal), "{row:?}");
        assert!(row.after_verified_ideal <= row.after_decoded_ideal + 1e-4);
        assert!(row.after_decoded_ideal <= row.after_ideal + 1e-4);
        if row.q_ideal == 1.0 {
            assert_eq!(row.after_ideal, 0.0, "nothing is lost for sure: {row:?}");
        }
        let point = (row.seed, row.subject, row.window, row.removed);
        by_point
            .entry(point)
            .or_default()
            .insert(row.links, row.after_verified_ideal);
    }
    // Points measured with the same window and removals under each number of links.
    let mut compared = 0;
    for by_links in by_point.values().filter(|b| b.len() == LINKS.len()) {
        let values: Vec<f64> = by_links.values().copied().collect();
        assert!(values.windows(2).all(|w| w[0] <= w[1] + 1e-9), "{values:?}");
        compared += 1;
    }
    assert!(compared > 0);
}

#[test]
fn subjects_out_of_range_are_refused() {
    for subjects in ["0", "13"] {
        let text = scenario_text().set("experiment.subjects", subjects);
        match Scenario::parse(&text.text()) {
            Err(ScenarioError::Invalid { field, value, .. }) => {
                assert_eq!(
                    (field.as_str(), value.as_str()),
                    ("experiment.subjects", subjects)
                );
            }
            other => panic!("subjects = {subjects} accepted or refused wrongly: {other:?}"),
        }
    }
    let typo = scenario_text().set("experiment.subject", "3");
    match Scenario::parse(&typo.text()) {
        Err(ScenarioError::Parse(message)) => assert!(message.contains("subject"), "{message}"),
        other => panic!("a misspelt field was not refused: {other:?}"),
    }
}
