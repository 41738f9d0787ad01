//! The plain experiment: a run's summary as one row.

use crate::sim::Time;
use crate::simulation::Outcome;

pub const COLUMNS: &[&str] = &[
    "miners",
    "finished",
    "blocks",
    "chunks_made",
    "chunks_placed",
    "placeable",
    "rebuilt",
    "cut_off",
    "never_placed",
    "lost",
    "unavailable",
    "failed",
    "primary_bytes",
    "foreign_bytes",
    "total_bytes",
    "validations_passed",
    "validations_failed",
    "messages",
    "events",
    "end_time_s",
    "heal_s",
    "converged_after_s",
    "stranded_newest",
    "stranded_older",
    "starved",
];

pub fn row(outcome: &Outcome) -> Vec<String> {
    let s = &outcome.summary;
    let numbers = [
        s.miners as u64,
        s.finished as u64,
        s.blocks,
        s.chunks_made,
        s.chunks_placed,
        s.placeable,
        s.rebuilt,
        s.cut_off,
        s.never_placed,
        s.lost,
        s.unavailable,
        s.failed(),
        s.primary_bytes,
        s.foreign_bytes,
        s.total_bytes,
        s.validations_passed,
        s.validations_failed,
        outcome.engine.messages_sent,
        outcome.engine.events,
    ];
    let mut row: Vec<String> = numbers.iter().map(u64::to_string).collect();
    row.push(format!("{:.3}", outcome.end_time.as_secs_f64()));
    // Empty where the run did not heal, or did not converge.
    let seconds =
        |time: Option<Time>| time.map_or(String::new(), |t| format!("{:.3}", t.as_secs_f64()));
    row.push(seconds(outcome.heal.map(|plan| plan.at)));
    row.push(seconds(outcome.converged_after));
    let verdict = outcome.liveness.as_ref();
    row.push(verdict.map_or(String::new(), |v| v.stranded_newest.to_string()));
    row.push(verdict.map_or(String::new(), |v| v.stranded_older.to_string()));
    row.push(verdict.map_or(String::new(), |v| v.starved.len().to_string()));
    row
}
