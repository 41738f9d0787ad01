//! What one audit entry says, as a FHIR R4 AuditEvent (DESIGN rule 18).
//!
//! The consortium's lecture asks that every transfer of records between institutions and
//! every access by a clinician leave a trace no insider can quietly remove. FHIR's
//! AuditEvent is the shape hospitals already exchange (and IHE ATNA's ITI-81 searches), so
//! an entry is one: `recorded`, `action`, `purposeOfEvent`, the agents (the clinician who
//! asked, and for a transfer the source and destination organisations, with DICOM's role
//! codes), the observing institution, and the entities touched (the patient, with R4's
//! entity role "1"). [`Fields`] pulls out what the index searches by, and checking an event
//! is the same as deriving them: an event from which they cannot be read is refused.
//!
//! Times are virtual: `recorded` is the run's clock counted from [`EPOCH`], written as an
//! instant with microseconds, so the index can turn it back into the run's microsecond.

use super::fhir::{CodeableConcept, Coding, Reference, SchemaError};
use super::keys::PublicKey;
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

/// The calendar day virtual time 0 falls on: 2026-01-01, 00:00:00 UTC.
pub const EPOCH: (i64, u32, u32) = (2026, 1, 1);

const DCM: &str = "http://dicom.nema.org/resources/ontology/DCM";
const PURPOSE: &str = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
const ENTITY_ROLE: &str = "http://terminology.hl7.org/CodeSystem/object-role";
/// DICOM's codes for what happened.
const RECORD_ACCESS: &str = "110110";
const EXPORT: &str = "110106";
const IMPORT: &str = "110107";
/// DICOM's role codes of a transfer's two ends.
const SOURCE_ROLE: &str = "110153";
const DESTINATION_ROLE: &str = "110152";

/// The FHIR R4 AuditEvent fields Medilanac's profile uses.
#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AuditEvent {
    pub resource_type: String,
    #[serde(rename = "type")]
    pub kind: Option<Coding>,
    pub action: Option<String>,
    pub recorded: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub purpose_of_event: Vec<CodeableConcept>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub agent: Vec<Agent>,
    pub source: Option<Source>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub entity: Vec<Entity>,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Agent {
    #[serde(rename = "type")]
    pub role: Option<CodeableConcept>,
    pub who: Option<Reference>,
    pub requestor: Option<bool>,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Source {
    pub observer: Option<Reference>,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Entity {
    pub what: Option<Reference>,
    pub role: Option<Coding>,
}

/// What happened, as the consortium's workload makes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activity {
    /// A clinician of the observing institution read the patient's records.
    Access,
    /// The observing institution sent the patient's records to another.
    Export,
    /// The observing institution received the patient's records from another.
    Import,
}

impl Activity {
    pub fn name(self) -> &'static str {
        match self {
            Activity::Access => "access",
            Activity::Export => "export",
            Activity::Import => "import",
        }
    }

    fn code(self) -> &'static str {
        match self {
            Activity::Access => RECORD_ACCESS,
            Activity::Export => EXPORT,
            Activity::Import => IMPORT,
        }
    }

    fn from_code(code: &str) -> Option<Activity> {
        [Activity::Access, Activity::Export, Activity::Import]
            .into_iter()
            .find(|activity| activity.code() == code)
    }
}

/// What the index searches by; every entry has them all, or it is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fields {
    pub activity: Activity,
    /// Microseconds of virtual time.
    pub recorded: u64,
    pub patient: PublicKey,
    /// The clinician who asked (`Practitioner/...`).
    pub agent: String,
    /// The purpose of use (v3 ActReason code: TREAT, ETREAT, HPAYMT, HOPERAT, HRESCH).
    pub purpose: String,
    /// The institution that recorded the event (`Organization/...`).
    pub observer: String,
    /// A transfer's two ends; for an access, both are `None`.
    pub source: Option<String>,
    pub destination: Option<String>,
}

/// What an event is made from.
pub struct Occurrence<'a> {
    pub activity: Activity,
    pub recorded: u64,
    pub patient: &'a PublicKey,
    pub agent: &'a str,
    pub purpose: &'a str,
    pub observer: &'a str,
    /// For a transfer: (source, destination) organisations.
    pub transfer: Option<(&'a str, &'a str)>,
}

fn coding(system: &str, code: &str) -> Coding {
    Coding {
        system: Some(system.into()),
        code: Some(code.into()),
        display: None,
    }
}

fn reference(to: &str) -> Option<Reference> {
    Some(Reference {
        reference: Some(to.into()),
    })
}

/// The reference an event makes to a patient: their record's key.
pub fn patient_reference(patient: &PublicKey) -> String {
    format!("Patient/{}", hex::encode(patient.0))
}

impl AuditEvent {
    pub fn new(what: &Occurrence) -> AuditEvent {
        let mut agent = vec![Agent {
            role: None,
            who: reference(what.agent),
            requestor: Some(true),
        }];
        if let Some((source, destination)) = what.transfer {
            for (role, who) in [(SOURCE_ROLE, source), (DESTINATION_ROLE, destination)] {
                agent.push(Agent {
                    role: Some(CodeableConcept {
                        coding: vec![coding(DCM, role)],
                        text: None,
                    }),
                    who: reference(who),
                    requestor: Some(false),
                });
            }
        }
        AuditEvent {
            resource_type: "AuditEvent".into(),
            kind: Some(coding(DCM, what.activity.code())),
            action: Some(
                match what.activity {
                    Activity::Import => "C",
                    Activity::Access | Activity::Export => "R",
                }
                .into(),
            ),
            recorded: Some(instant(what.recorded)),
            purpose_of_event: vec![CodeableConcept {
                coding: vec![coding(PURPOSE, what.purpose)],
                text: None,
            }],
            agent,
            source: Some(Source {
                observer: reference(what.observer),
            }),
            entity: vec![Entity {
                what: reference(&patient_reference(what.patient)),
                role: Some(coding(ENTITY_ROLE, "1")),
            }],
        }
    }

    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("events always serialize")
    }

    /// Parses an entry's JSON and reads its [`Fields`]: the check a receiver makes.
    pub fn parse(json: &[u8]) -> Result<(AuditEvent, Fields), SchemaError> {
        let event: AuditEvent =
            serde_json::from_slice(json).map_err(|error| SchemaError::Parse(error.to_string()))?;
        let fields = event.fields()?;
        Ok((event, fields))
    }

    /// The fields the index searches by, or the first required one missing.
    pub fn fields(&self) -> Result<Fields, SchemaError> {
        let missing = |field| SchemaError::Missing {
            resource: "AuditEvent",
            field,
        };
        if self.resource_type != "AuditEvent" {
            return Err(SchemaError::Parse(format!(
                "resourceType is {:?}, not \"AuditEvent\"",
                self.resource_type
            )));
        }
        let code = self
            .kind
            .as_ref()
            .and_then(|kind| kind.code.as_deref())
            .ok_or(missing("type"))?;
        let activity = Activity::from_code(code).ok_or(missing("type"))?;
        self.action.as_ref().ok_or(missing("action"))?;
        let recorded = self
            .recorded
            .as_deref()
            .and_then(parse_instant)
            .ok_or(missing("recorded"))?;
        let purpose = self
            .purpose_of_event
            .first()
            .and_then(|purpose| purpose.coding.first())
            .and_then(|coding| coding.code.clone())
            .ok_or(missing("purposeOfEvent"))?;
        let who = |agent: &Agent| agent.who.as_ref().and_then(|who| who.reference.clone());
        let agent = self
            .agent
            .iter()
            .find(|agent| agent.requestor == Some(true))
            .and_then(who)
            .ok_or(missing("agent.requestor"))?;
        let in_role = |role: &str| {
            self.agent
                .iter()
                .find(|agent| {
                    agent.role.as_ref().is_some_and(|concept| {
                        concept
                            .coding
                            .iter()
                            .any(|c| c.code.as_deref() == Some(role))
                    })
                })
                .and_then(who)
        };
        let (source, destination) = (in_role(SOURCE_ROLE), in_role(DESTINATION_ROLE));
        if activity != Activity::Access && (source.is_none() || destination.is_none()) {
            return Err(missing("agent (source and destination of a transfer)"));
        }
        let observer = self
            .source
            .as_ref()
            .and_then(|source| source.observer.as_ref())
            .and_then(|observer| observer.reference.clone())
            .ok_or(missing("source.observer"))?;
        let patient = self
            .entity
            .iter()
            .filter(|entity| entity.role.as_ref().and_then(|r| r.code.as_deref()) == Some("1"))
            .filter_map(|entity| entity.what.as_ref()?.reference.as_deref())
            .find_map(|reference| {
                let key = hex::decode(reference.strip_prefix("Patient/")?).ok()?;
                Some(PublicKey(key.try_into().ok()?))
            })
            .ok_or(missing("entity (the patient)"))?;
        Ok(Fields {
            activity,
            recorded,
            patient,
            agent,
            purpose,
            observer,
            source,
            destination,
        })
    }
}

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The civil date `days` after 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Virtual time `micros` as a FHIR instant.
pub fn instant(micros: u64) -> String {
    let (year, month, day) = EPOCH;
    let seconds = micros / 1_000_000;
    let days = days_from_civil(year, month, day) + (seconds / 86_400) as i64;
    let (y, mo, d) = civil_from_days(days);
    let of_day = seconds % 86_400;
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{:06}Z",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60,
        micros % 1_000_000
    )
}

/// The virtual microsecond an instant written by [`instant`] stands for.
pub fn parse_instant(text: &str) -> Option<u64> {
    let bytes = text.as_bytes();
    if bytes.len() != 27 || &text[26..] != "Z" || &text[19..20] != "." {
        return None;
    }
    let number = |range: std::ops::Range<usize>| text.get(range)?.parse::<u64>().ok();
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    let micros = number(20..26)?;
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let (y0, m0, d0) = EPOCH;
    let days = days_from_civil(year as i64, month as u32, day as u32) - days_from_civil(y0, m0, d0);
    let seconds = u64::try_from(days).ok()? * 86_400 + hour * 3600 + minute * 60 + second;
    Some(seconds * 1_000_000 + micros)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_epoch_and_a_leap_day_are_written_as_calendars_say() {
        assert_eq!(instant(0), "2026-01-01T00:00:00.000000Z");
        // 2028 is a leap year: day 789 after the epoch is 29 February.
        let leap = (789 * 86_400 + 3_723) * 1_000_000 + 42;
        assert_eq!(instant(leap), "2028-02-29T01:02:03.000042Z");
    }

    proptest! {
        #[test]
        fn instants_read_back_to_the_microsecond(micros in 0u64..(400 * 366 * 86_400 * 1_000_000)) {
            prop_assert_eq!(parse_instant(&instant(micros)), Some(micros));
        }
    }

    fn transfer() -> AuditEvent {
        AuditEvent::new(&Occurrence {
            activity: Activity::Export,
            recorded: 5_000_000,
            patient: &PublicKey([7; 32]),
            agent: "Practitioner/1-3",
            purpose: "TREAT",
            observer: "Organization/1",
            transfer: Some(("Organization/1", "Organization/2")),
        })
    }

    #[test]
    fn an_event_reads_back_the_fields_it_was_made_from() {
        let (event, fields) = AuditEvent::parse(&transfer().to_json()).unwrap();
        assert_eq!(event, transfer());
        assert_eq!(fields.activity, Activity::Export);
        assert_eq!(fields.recorded, 5_000_000);
        assert_eq!(fields.patient, PublicKey([7; 32]));
        assert_eq!(fields.agent, "Practitioner/1-3");
        assert_eq!(fields.purpose, "TREAT");
        assert_eq!(fields.source.as_deref(), Some("Organization/1"));
        assert_eq!(fields.destination.as_deref(), Some("Organization/2"));
    }

    #[test]
    fn an_event_without_a_required_field_is_refused_and_the_field_named() {
        type Strip = fn(&mut AuditEvent);
        let strip: [(&str, Strip); 5] = [
            ("recorded", |e| e.recorded = None),
            ("purposeOfEvent", |e| e.purpose_of_event.clear()),
            ("agent.requestor", |e| {
                e.agent.retain(|a| a.requestor != Some(true))
            }),
            ("source.observer", |e| e.source = None),
            ("entity (the patient)", |e| e.entity.clear()),
        ];
        for (field, strip) in strip {
            let mut event = transfer();
            strip(&mut event);
            assert_eq!(
                AuditEvent::parse(&event.to_json()).unwrap_err(),
                SchemaError::Missing {
                    resource: "AuditEvent",
                    field
                }
            );
        }
        let mut event = transfer();
        event.agent.truncate(1);
        assert!(matches!(
            event.fields(),
            Err(SchemaError::Missing { field, .. }) if field.starts_with("agent (source")
        ));
    }
}
