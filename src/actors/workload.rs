//! The synthetic clinical workload: which FHIR resources patients produce, how often and
//! how large, and whom they let read them.
//!
//! The dissertation stores "encrypted files" of one size; a hospital's records are a mix
//! of small structured resources and large binary ones, and what that mix costs in storage,
//! coding and encryption is what a researcher sweeping `k` and `m` needs to see. Each
//! patient's record opens with its Patient resource; every later entry is an Encounter,
//! Observation, DiagnosticReport or DocumentReference drawn by weight, with a target size
//! drawn log-uniformly between the kind's bounds (sizes of clinical data span orders of
//! magnitude: a pulse reading is a few hundred bytes, an imaging study megabytes). The
//! target is met with content of the kind's own shape: note text for observations and
//! encounters, a base64 attachment for reports and documents. Everything is drawn from the
//! patient's seeded stream, so a run reproduces.
//!
//! The `[records]` table of a scenario; it applies when `protocol.records = "fhir"`.

use crate::protocol::fhir::{
    base64, Annotation, Attachment, CodeableConcept, Coding, Content, DiagnosticReport,
    DocumentReference, Encounter, HumanName, Identifier, Observation, Patient, Period, Quantity,
    Reference, Resource,
};
use rand::{Rng, RngCore};
use serde::{Deserialize, Serialize};

/// How often one kind of resource occurs and how large it is.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindMix {
    /// Relative frequency among the four kinds after the Patient resource.
    pub weight: u32,
    /// Smallest and largest JSON size, in bytes.
    pub bytes: [usize; 2],
}

/// A party a patient may let read its sealed entries, besides itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// The miner the patient hands its records to (its hospital).
    OwnMiner,
    /// A second hospital: the next miner in number.
    SecondHospital,
    /// A research institute outside the network.
    Researcher,
}

/// The `[records]` table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RecordsModel {
    /// Share of entries published in the clear (donated for research); the rest are sealed.
    pub clear: f64,
    /// Who each sealed entry is wrapped for, besides the patient.
    pub readers: Vec<Party>,
    pub encounter: KindMix,
    pub observation: KindMix,
    pub diagnostic_report: KindMix,
    pub document_reference: KindMix,
}

impl Default for RecordsModel {
    fn default() -> RecordsModel {
        RecordsModel {
            clear: 0.1,
            readers: vec![Party::OwnMiner],
            encounter: KindMix {
                weight: 15,
                bytes: [400, 1_000],
            },
            observation: KindMix {
                weight: 60,
                bytes: [300, 1_500],
            },
            diagnostic_report: KindMix {
                weight: 15,
                bytes: [2_000, 20_000],
            },
            document_reference: KindMix {
                weight: 10,
                bytes: [50_000, 1_000_000],
            },
        }
    }
}

/// The four kinds after the Patient resource, in the order the mix draws them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Encounter,
    Observation,
    DiagnosticReport,
    DocumentReference,
}

impl RecordsModel {
    /// Each kind with its share of the mix, by field name (for checks and docs).
    pub fn kinds(&self) -> [(&'static str, Kind, KindMix); 4] {
        [
            ("records.encounter", Kind::Encounter, self.encounter),
            ("records.observation", Kind::Observation, self.observation),
            (
                "records.diagnostic_report",
                Kind::DiagnosticReport,
                self.diagnostic_report,
            ),
            (
                "records.document_reference",
                Kind::DocumentReference,
                self.document_reference,
            ),
        ]
    }

    /// Entry `sequence` of patient `patient`: its Patient resource first, then a draw.
    pub fn resource(&self, patient: usize, sequence: u64, rng: &mut impl RngCore) -> Resource {
        if sequence == 0 {
            return patient_resource(patient);
        }
        let kinds = self.kinds();
        let total: u32 = kinds.iter().map(|(_, _, mix)| mix.weight).sum();
        let mut pick = rng.gen_range(0..total);
        let (_, kind, mix) = kinds
            .into_iter()
            .find(|(_, _, mix)| {
                let hit = pick < mix.weight;
                pick = pick.saturating_sub(mix.weight);
                hit
            })
            .expect("the draw is below the total weight");
        let [low, high] = mix.bytes;
        let target = (rng.gen_range((low as f64).ln()..=(high as f64).ln())).exp() as usize;
        grown(skeleton(kind, patient, sequence), target, rng)
    }

    /// Whether entry drawn next is published in the clear.
    pub fn in_clear(&self, rng: &mut impl RngCore) -> bool {
        rng.gen_bool(self.clear)
    }
}

fn subject(patient: usize) -> Option<Reference> {
    Some(Reference {
        reference: Some(format!("Patient/p{patient}")),
    })
}

fn concept(system: &str, code: &str, display: &str) -> Option<CodeableConcept> {
    Some(CodeableConcept {
        coding: vec![Coding {
            system: Some(system.into()),
            code: Some(code.into()),
            display: Some(display.into()),
        }],
        text: None,
    })
}

const LOINC: &str = "http://loinc.org";

fn patient_resource(patient: usize) -> Resource {
    Resource::Patient(Patient {
        id: Some(format!("p{patient}")),
        identifier: vec![Identifier {
            system: Some("urn:medilanac:patient".into()),
            value: Some(format!("p{patient}")),
        }],
        name: vec![HumanName {
            family: Some(format!("Patient{patient}")),
            given: vec!["Synthetic".into()],
        }],
        gender: Some(["female", "male", "other"][patient % 3].into()),
        birth_date: Some(format!("19{:02}-01-01", 30 + patient % 70)),
    })
}

/// The resource of `kind` with its required and usual fields, before it is grown.
fn skeleton(kind: Kind, patient: usize, sequence: u64) -> Resource {
    let id = Some(format!("p{patient}-{sequence}"));
    match kind {
        Kind::Encounter => Resource::Encounter(Encounter {
            id,
            status: Some("finished".into()),
            class: Some(Coding {
                system: Some("http://terminology.hl7.org/CodeSystem/v3-ActCode".into()),
                code: Some("AMB".into()),
                display: Some("ambulatory".into()),
            }),
            subject: subject(patient),
            period: Some(Period {
                start: Some("2026-01-01T09:00:00Z".into()),
                end: Some("2026-01-01T09:30:00Z".into()),
            }),
            reason_code: Vec::new(),
        }),
        Kind::Observation => Resource::Observation(Observation {
            id,
            status: Some("final".into()),
            code: concept(LOINC, "8867-4", "Heart rate"),
            subject: subject(patient),
            effective_date_time: Some("2026-01-01T09:10:00Z".into()),
            value_quantity: Some(Quantity {
                value: Some(60.0 + (sequence % 40) as f64),
                unit: Some("beats/minute".into()),
                system: Some("http://unitsofmeasure.org".into()),
                code: Some("/min".into()),
            }),
            note: Vec::new(),
        }),
        Kind::DiagnosticReport => Resource::DiagnosticReport(DiagnosticReport {
            id,
            status: Some("final".into()),
            code: concept(LOINC, "58410-2", "Complete blood count panel"),
            subject: subject(patient),
            conclusion: Some("Within normal limits.".into()),
            presented_form: Vec::new(),
        }),
        Kind::DocumentReference => Resource::DocumentReference(DocumentReference {
            id,
            status: Some("current".into()),
            subject: subject(patient),
            description: Some("Imaging study".into()),
            content: Vec::new(),
        }),
    }
}

/// Words notes are written in: the size of the text, not its sense, is what is simulated.
const WORDS: [&str; 12] = [
    "patient",
    "reports",
    "no",
    "pain",
    "stable",
    "follow-up",
    "in",
    "two",
    "weeks",
    "vitals",
    "normal",
    "advised",
];

/// `resource` filled to about `target` bytes of JSON with content of its own shape.
fn grown(mut resource: Resource, target: usize, rng: &mut impl RngCore) -> Resource {
    let room = target.saturating_sub(resource.to_json().len());
    let text = |rng: &mut dyn RngCore| {
        let mut text = String::with_capacity(room + 12);
        while text.len() < room {
            text.push_str(WORDS[rng.gen_range(0..WORDS.len())]);
            text.push(' ');
        }
        text
    };
    let attachment = |content_type: &str, rng: &mut dyn RngCore| {
        // Base64 takes 4 bytes for 3; the attachment's other fields take some 60.
        let mut data = vec![0u8; room.saturating_sub(60) * 3 / 4];
        rng.fill_bytes(&mut data);
        Attachment {
            content_type: Some(content_type.into()),
            size: Some(data.len() as u64),
            data: Some(base64(&data)),
            title: None,
        }
    };
    match &mut resource {
        Resource::Patient(_) => {}
        Resource::Encounter(encounter) => encounter.reason_code.push(CodeableConcept {
            coding: Vec::new(),
            text: Some(text(rng)),
        }),
        Resource::Observation(observation) => {
            observation.note.push(Annotation {
                text: Some(text(rng)),
            });
        }
        Resource::DiagnosticReport(report) => report
            .presented_form
            .push(attachment("application/pdf", rng)),
        Resource::DocumentReference(document) => document.content.push(Content {
            attachment: Some(attachment("application/dicom", rng)),
        }),
    }
    resource
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::stream;

    /// Every drawn resource passes the schema a miner checks, and its size sits near the
    /// target range of its kind.
    #[test]
    fn drawn_resources_follow_the_schema_within_their_kinds_size_range() {
        let model = RecordsModel::default();
        let mut rng = stream(1, "workload", 0);
        let mut seen = std::collections::BTreeSet::new();
        for sequence in 0..400 {
            let resource = model.resource(7, sequence, &mut rng);
            let json = resource.to_json();
            assert_eq!(Resource::parse(&json).unwrap(), resource);
            seen.insert(resource.type_name());
            let mix = match resource {
                Resource::Patient(_) => continue,
                Resource::Encounter(_) => model.encounter,
                Resource::Observation(_) => model.observation,
                Resource::DiagnosticReport(_) => model.diagnostic_report,
                Resource::DocumentReference(_) => model.document_reference,
            };
            let [low, high] = mix.bytes;
            assert!(
                json.len() + 100 >= low && json.len() <= high + 100,
                "{} of {} bytes outside {low}..{high}",
                resource_name(&json),
                json.len()
            );
        }
        assert_eq!(seen.len(), 5, "{seen:?}");
    }

    fn resource_name(json: &[u8]) -> String {
        String::from_utf8_lossy(&json[..30.min(json.len())]).into_owned()
    }

    #[test]
    fn a_kind_of_weight_zero_never_occurs() {
        let model = RecordsModel {
            document_reference: KindMix {
                weight: 0,
                bytes: [1, 2],
            },
            ..RecordsModel::default()
        };
        let mut rng = stream(2, "workload", 0);
        for sequence in 1..500 {
            let resource = model.resource(0, sequence, &mut rng);
            assert_ne!(resource.type_name(), "DocumentReference");
        }
    }
}
