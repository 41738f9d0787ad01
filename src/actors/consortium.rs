//! The hospital consortium's workload: which institutions treat which patients, and how
//! often their clinicians read records and their offices send records to one another.
//!
//! The lecture's Mrs. Smith is treated at three centres, and every access and transfer of
//! her records must leave an audit entry (DESIGN rule 18). In a run the first
//! `institutions` miners are the consortium's members, each an institution running its own
//! node; each of `patients` patients is treated at `centres` of them (its home, patient
//! number modulo the members, and others drawn from the seed). Accesses and transfers
//! arrive at each member as Poisson processes with the table's mean intervals, and each
//! access has a purpose of use drawn by weight. Patient `i` of the consortium is the same
//! person as patient actor `i` of the run, under the same key, when the run has one.
//!
//! The `[consortium]` table of a scenario.

use super::identities::patient_signing_key;
use crate::protocol::PublicKey;
use crate::sim::{ActorId, Time};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha12Rng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The `[consortium]` table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Consortium {
    /// Members: miners `0..institutions`.
    pub institutions: usize,
    pub patients: usize,
    /// Institutions each patient is treated at, its home among them.
    pub centres: usize,
    /// Clinicians per institution.
    pub clinicians: usize,
    /// Mean seconds between two accesses at one institution.
    pub access_interval: f64,
    /// Mean seconds between two transfers sent by one institution (0: none).
    pub transfer_interval: f64,
    /// Purposes of use (v3 ActReason codes) and their relative weights.
    pub purposes: BTreeMap<String, u32>,
    /// Records a member's block takes on top of its patients' (`patients.per_miner`).
    pub entries_per_block: usize,
}

impl Default for Consortium {
    fn default() -> Consortium {
        let purposes = [
            ("TREAT", 80),
            ("ETREAT", 5),
            ("HPAYMT", 5),
            ("HOPERAT", 5),
            ("HRESCH", 5),
        ];
        Consortium {
            institutions: 5,
            patients: 200,
            centres: 3,
            clinicians: 20,
            access_interval: 60.0,
            transfer_interval: 600.0,
            purposes: purposes.iter().map(|(p, w)| (p.to_string(), *w)).collect(),
            entries_per_block: 50,
        }
    }
}

/// The purposes of use the index knows (HL7 v3 ActReason).
pub const PURPOSES: [&str; 6] = ["TREAT", "ETREAT", "HPAYMT", "HOPERAT", "HRESCH", "PUBHLTH"];

/// What one member needs to produce its share of the workload.
#[derive(Clone, Debug, PartialEq)]
pub struct Membership {
    /// The member's number among institutions, which is its miner's number.
    pub number: usize,
    pub clinicians: usize,
    /// Mean gap between accesses and between transfers (`None`: no transfers).
    pub access_interval: Time,
    pub transfer_interval: Option<Time>,
    /// Patients treated here, and for each the other centres treating them.
    pub patients: Vec<(PublicKey, Vec<usize>)>,
    /// The actor of each member's miner, by institution number: where a transfer's notice
    /// goes, and how a notice's sender is known.
    pub members: Vec<ActorId>,
    /// Cumulative purpose weights, for drawing.
    purposes: Vec<(String, u32)>,
}

impl Consortium {
    /// A reason the table cannot be run: (field, value, what is expected).
    pub fn check(&self, miners: usize) -> Result<(), (&'static str, String, String)> {
        if self.institutions == 0 || self.institutions > miners {
            return Err((
                "consortium.institutions",
                self.institutions.to_string(),
                format!("between 1 and the number of miners ({miners})"),
            ));
        }
        if self.centres == 0 || self.centres > self.institutions {
            return Err((
                "consortium.centres",
                self.centres.to_string(),
                format!(
                    "between 1 and consortium.institutions ({})",
                    self.institutions
                ),
            ));
        }
        if self.patients == 0 || self.clinicians == 0 {
            let value = format!(
                "patients = {}, clinicians = {}",
                self.patients, self.clinicians
            );
            return Err((
                "consortium",
                value,
                "at least one patient and one clinician".into(),
            ));
        }
        if !(self.access_interval.is_finite() && self.access_interval > 0.0) {
            return Err((
                "consortium.access_interval",
                self.access_interval.to_string(),
                "a positive number of seconds".into(),
            ));
        }
        if !(self.transfer_interval.is_finite() && self.transfer_interval >= 0.0) {
            return Err((
                "consortium.transfer_interval",
                self.transfer_interval.to_string(),
                "a number of seconds, 0 for no transfers".into(),
            ));
        }
        if let Some(purpose) = self
            .purposes
            .keys()
            .find(|p| !PURPOSES.contains(&p.as_str()))
        {
            return Err((
                "consortium.purposes",
                purpose.clone(),
                format!("one of {}", PURPOSES.join(", ")),
            ));
        }
        if self.purposes.values().all(|weight| *weight == 0) {
            return Err((
                "consortium.purposes",
                format!("{:?}", self.purposes),
                "at least one purpose with a positive weight".into(),
            ));
        }
        Ok(())
    }

    /// The centres treating patient `patient`, its home first.
    pub fn centres_of(&self, seed: u64, patient: usize) -> Vec<usize> {
        let home = patient % self.institutions;
        let mut rng = ChaCha12Rng::seed_from_u64(seed ^ 0xC0_450_271 ^ (patient as u64) << 20);
        let mut centres = vec![home];
        while centres.len() < self.centres {
            let centre = rng.gen_range(0..self.institutions);
            if !centres.contains(&centre) {
                centres.push(centre);
            }
        }
        centres
    }

    /// Member `number`'s share of the workload in a run with `seed`, whose member miners
    /// are the actors `members`.
    pub fn membership(&self, seed: u64, number: usize, members: Vec<ActorId>) -> Membership {
        let patients = (0..self.patients)
            .filter_map(|patient| {
                let centres = self.centres_of(seed, patient);
                centres.contains(&number).then(|| {
                    let others = centres.into_iter().filter(|c| *c != number).collect();
                    (patient_signing_key(seed, patient).public(), others)
                })
            })
            .collect();
        let mut total = 0;
        let purposes = self
            .purposes
            .iter()
            .filter(|(_, weight)| **weight > 0)
            .map(|(purpose, weight)| {
                total += weight;
                (purpose.clone(), total)
            })
            .collect();
        Membership {
            number,
            clinicians: self.clinicians,
            access_interval: Time::from_secs_f64(self.access_interval),
            transfer_interval: (self.transfer_interval > 0.0)
                .then(|| Time::from_secs_f64(self.transfer_interval)),
            patients,
            members,
            purposes,
        }
    }
}

impl Membership {
    /// The organisation's reference, as audit events name it.
    pub fn organisation(number: usize) -> String {
        format!("Organization/{number}")
    }

    /// A clinician's reference.
    pub fn clinician(institution: usize, clinician: usize) -> String {
        format!("Practitioner/{institution}-{clinician}")
    }

    /// A purpose of use drawn by weight.
    pub fn draw_purpose(&self, rng: &mut impl Rng) -> &str {
        let total = self.purposes.last().map_or(1, |(_, total)| *total);
        let pick = rng.gen_range(0..total);
        let (purpose, _) = self
            .purposes
            .iter()
            .find(|(_, upto)| pick < *upto)
            .expect("a pick below the total falls in some purpose");
        purpose
    }

    /// An exponential wait with mean `mean`.
    pub fn wait(mean: Time, rng: &mut impl Rng) -> Time {
        let draw: f64 = rng.gen_range(f64::EPSILON..1.0);
        Time::from_secs_f64(-draw.ln() * mean.as_secs_f64()).max(Time(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_patient_is_treated_at_distinct_centres_its_home_first() {
        let consortium = Consortium::default();
        for patient in 0..consortium.patients {
            let centres = consortium.centres_of(9, patient);
            assert_eq!(centres.len(), consortium.centres);
            assert_eq!(centres[0], patient % consortium.institutions);
            let mut distinct = centres.clone();
            distinct.sort();
            distinct.dedup();
            assert_eq!(distinct.len(), centres.len(), "{centres:?}");
        }
    }

    #[test]
    fn memberships_list_each_patient_once_per_centre() {
        let consortium = Consortium::default();
        let listed: usize = (0..consortium.institutions)
            .map(|number| consortium.membership(9, number, Vec::new()).patients.len())
            .sum();
        assert_eq!(listed, consortium.patients * consortium.centres);
    }

    #[test]
    fn a_bad_table_names_its_field() {
        let mut consortium = Consortium {
            centres: 9,
            ..Consortium::default()
        };
        assert_eq!(consortium.check(10).unwrap_err().0, "consortium.centres");
        consortium.centres = 3;
        consortium.purposes.insert("SHOPPING".into(), 1);
        assert_eq!(consortium.check(10).unwrap_err().0, "consortium.purposes");
        assert_eq!(
            Consortium::default().check(3).unwrap_err().0,
            "consortium.institutions"
        );
    }
}
