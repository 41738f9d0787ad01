//! What happened to patients' entries in a run with FHIR records: how many miners refused,
//! under which rule, what became of a thief's forgeries, and whether a patient who lost its
//! keys got them back.
//!
//! The block summary counts chunks and rebuilds; this counts the rules patients meet at the
//! miner's door (16: schema and sealing, 17: termination), so a key-theft run can show that
//! every honest miner refused the thief once the termination reached it.

use crate::actors::key_recovery::RecoveryReport;
use crate::actors::thief::ThiefStats;
use crate::actors::{Node, Roster};

/// The key-theft half of the report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TheftReport {
    pub thief: ThiefStats,
    /// Honest miners that know of the termination at the end.
    pub miners_told: usize,
    /// Honest miners in all.
    pub honest_miners: usize,
    /// Honest miners that refused at least one forgery.
    pub honest_refusers: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordsReport {
    /// Patients' own entries refused under rule 16 and rule 17.
    pub refused_rule_16: u64,
    pub refused_rule_17: u64,
    pub theft: Option<TheftReport>,
    pub recovery: Option<RecoveryReport>,
}

impl RecordsReport {
    /// The report of a finished run's actors.
    pub fn of(actors: &[Node], roster: &Roster) -> RecordsReport {
        let mut report = RecordsReport::default();
        let mut stolen = None;
        for node in actors {
            match node {
                Node::Patient(patient) => {
                    for &(_, rule) in &patient.refused {
                        match rule {
                            17 => report.refused_rule_17 += 1,
                            _ => report.refused_rule_16 += 1,
                        }
                    }
                    if let Some(chart) = patient.chart() {
                        stolen = stolen.or(chart.retired.first().copied());
                    }
                    report.recovery = report.recovery.take().or(patient.recovery_report());
                }
                Node::Thief(thief) => {
                    report.theft = Some(TheftReport {
                        thief: thief.stats.clone(),
                        ..TheftReport::default()
                    })
                }
                _ => {}
            }
        }
        if let Some(theft) = &mut report.theft {
            for number in 0..roster.miners {
                let actor = roster.miner(number);
                let Some(miner) = actors[actor].as_honest_miner() else {
                    continue;
                };
                theft.honest_miners += 1;
                let told = stolen.is_some_and(|key| miner.knows_termination_of(&key));
                theft.miners_told += usize::from(told);
                theft.honest_refusers += usize::from(theft.thief.refusers.contains(&actor));
            }
        }
        report
    }
}
