//! The FHIR R4 resources a patient's record may carry, and the fields a miner requires.
//!
//! Records follow a schema (DESIGN rule 16) so that a miner can refuse junk it would
//! otherwise store and code for ever. The simulator needs five resource types (Patient,
//! Encounter, Observation, DiagnosticReport, DocumentReference) and, of each, the fields a
//! reader needs and a realistic size; a full FHIR model (`fhir-sdk`, `fhirbolt`) brings
//! thousands of generated types, minutes of compile time and no check this module lacks, so
//! these are serde types for that subset, in FHIR's JSON shape (`resourceType` tag,
//! camelCase names, base64 attachments; absent fields are left out, since FHIR's JSON has
//! no nulls). Fields FHIR R4 marks 1..1 or 1..* are `Option`s
//! and `Vec`s here and [`Resource::check`] demands them, so a missing one is named rather
//! than reported as a parse error; fields the types do not know are ignored, as a FHIR
//! server ignores extensions it does not understand.
//!
//! Medilanac's profile adds two demands to base R4: a Patient carries at least one
//! identifier, and every other resource names its `subject`, so every entry of a record says
//! whose it is. An attachment's `size`, when given, must be the length of its decoded data.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;
use thiserror::Error;

/// Why a record's content does not follow the schema.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SchemaError {
    #[error("not a FHIR resource of a known type: {0}")]
    Parse(String),
    #[error("{resource} lacks required field {field}")]
    Missing {
        resource: &'static str,
        field: &'static str,
    },
    #[error("{resource}.{field}: {why}")]
    BadAttachment {
        resource: &'static str,
        field: &'static str,
        why: String,
    },
}

/// One resource, tagged by `resourceType` as FHIR's JSON is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "resourceType")]
pub enum Resource {
    Patient(Patient),
    Encounter(Encounter),
    Observation(Observation),
    DiagnosticReport(DiagnosticReport),
    DocumentReference(DocumentReference),
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Patient {
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub name: Vec<HumanName>,
    pub gender: Option<String>,
    pub birth_date: Option<String>,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Encounter {
    pub id: Option<String>,
    pub status: Option<String>,
    pub class: Option<Coding>,
    pub subject: Option<Reference>,
    pub period: Option<Period>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reason_code: Vec<CodeableConcept>,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Observation {
    pub id: Option<String>,
    pub status: Option<String>,
    pub code: Option<CodeableConcept>,
    pub subject: Option<Reference>,
    pub effective_date_time: Option<String>,
    pub value_quantity: Option<Quantity>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub note: Vec<Annotation>,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DiagnosticReport {
    pub id: Option<String>,
    pub status: Option<String>,
    pub code: Option<CodeableConcept>,
    pub subject: Option<Reference>,
    pub conclusion: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub presented_form: Vec<Attachment>,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DocumentReference {
    pub id: Option<String>,
    pub status: Option<String>,
    pub subject: Option<Reference>,
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub content: Vec<Content>,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Content {
    pub attachment: Option<Attachment>,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Attachment {
    pub content_type: Option<String>,
    /// Base64 of the attached bytes.
    pub data: Option<String>,
    pub size: Option<u64>,
    pub title: Option<String>,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Identifier {
    pub system: Option<String>,
    pub value: Option<String>,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HumanName {
    pub family: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub given: Vec<String>,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Coding {
    pub system: Option<String>,
    pub code: Option<String>,
    pub display: Option<String>,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CodeableConcept {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub coding: Vec<Coding>,
    pub text: Option<String>,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Reference {
    pub reference: Option<String>,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Period {
    pub start: Option<String>,
    pub end: Option<String>,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Quantity {
    pub value: Option<f64>,
    pub unit: Option<String>,
    pub system: Option<String>,
    pub code: Option<String>,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Annotation {
    pub text: Option<String>,
}

impl Resource {
    /// Parses FHIR JSON and checks the required fields: what a miner does before it
    /// stores a record it can read.
    pub fn parse(json: &[u8]) -> Result<Resource, SchemaError> {
        let resource: Resource =
            serde_json::from_slice(json).map_err(|error| SchemaError::Parse(error.to_string()))?;
        resource.check()?;
        Ok(resource)
    }

    /// FHIR's name of the resource's type.
    pub fn type_name(&self) -> &'static str {
        match self {
            Resource::Patient(_) => "Patient",
            Resource::Encounter(_) => "Encounter",
            Resource::Observation(_) => "Observation",
            Resource::DiagnosticReport(_) => "DiagnosticReport",
            Resource::DocumentReference(_) => "DocumentReference",
        }
    }

    /// The JSON a patient stores.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("resources always serialize")
    }

    /// Every field R4 or Medilanac's profile requires is present, and attachments are
    /// what they say.
    pub fn check(&self) -> Result<(), SchemaError> {
        let name = self.type_name();
        let need = |present: bool, field: &'static str| match present {
            true => Ok(()),
            false => Err(SchemaError::Missing {
                resource: name,
                field,
            }),
        };
        let subject = |subject: &Option<Reference>| {
            need(
                subject.as_ref().is_some_and(|s| s.reference.is_some()),
                "subject",
            )
        };
        match self {
            Resource::Patient(patient) => need(!patient.identifier.is_empty(), "identifier"),
            Resource::Encounter(encounter) => {
                need(encounter.status.is_some(), "status")?;
                need(encounter.class.is_some(), "class")?;
                subject(&encounter.subject)
            }
            Resource::Observation(observation) => {
                need(observation.status.is_some(), "status")?;
                need(observation.code.is_some(), "code")?;
                subject(&observation.subject)
            }
            Resource::DiagnosticReport(report) => {
                need(report.status.is_some(), "status")?;
                need(report.code.is_some(), "code")?;
                subject(&report.subject)?;
                report
                    .presented_form
                    .iter()
                    .try_for_each(|form| check_attachment(name, "presentedForm", form))
            }
            Resource::DocumentReference(document) => {
                need(document.status.is_some(), "status")?;
                need(!document.content.is_empty(), "content")?;
                subject(&document.subject)?;
                document.content.iter().try_for_each(|content| {
                    let attachment = content.attachment.as_ref().ok_or(SchemaError::Missing {
                        resource: name,
                        field: "content.attachment",
                    })?;
                    check_attachment(name, "content.attachment", attachment)
                })
            }
        }
    }
}

fn check_attachment(
    resource: &'static str,
    field: &'static str,
    attachment: &Attachment,
) -> Result<(), SchemaError> {
    let bad = |why: String| SchemaError::BadAttachment {
        resource,
        field,
        why,
    };
    let Some(data) = &attachment.data else {
        return Ok(());
    };
    let bytes = BASE64
        .decode(data)
        .map_err(|error| bad(format!("data is not base64 ({error})")))?;
    match attachment.size {
        Some(size) if size != bytes.len() as u64 => Err(bad(format!(
            "size says {size} bytes, data holds {}",
            bytes.len()
        ))),
        _ => Ok(()),
    }
}

/// Base64 as FHIR attachments carry it.
pub fn base64(bytes: &[u8]) -> String {
    BASE64.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// One valid resource of each type, as JSON.
    fn valid() -> Vec<Value> {
        let subject = json!({ "reference": "Patient/p1" });
        let code = json!({ "coding": [{ "system": "http://loinc.org", "code": "8867-4" }] });
        vec![
            json!({ "resourceType": "Patient", "identifier": [{ "value": "p1" }] }),
            json!({ "resourceType": "Encounter", "status": "finished",
                    "class": { "code": "AMB" }, "subject": subject }),
            json!({ "resourceType": "Observation", "status": "final", "code": code,
                    "subject": subject }),
            json!({ "resourceType": "DiagnosticReport", "status": "final", "code": code,
                    "subject": subject,
                    "presentedForm": [{ "data": base64(b"report"), "size": 6 }] }),
            json!({ "resourceType": "DocumentReference", "status": "current",
                    "subject": subject,
                    "content": [{ "attachment": { "contentType": "application/dicom",
                                                  "data": base64(&[1, 2, 3]) } }] }),
        ]
    }

    fn parse(value: &Value) -> Result<Resource, SchemaError> {
        Resource::parse(&serde_json::to_vec(value).unwrap())
    }

    #[test]
    fn each_valid_resource_parses_and_round_trips() {
        for value in valid() {
            let resource = parse(&value).unwrap();
            assert_eq!(value["resourceType"], resource.type_name());
            assert_eq!(Resource::parse(&resource.to_json()).unwrap(), resource);
        }
    }

    /// Every required field, removed in turn, is named in the error.
    #[test]
    fn each_missing_required_field_is_named() {
        let required: [(usize, &[&str]); 5] = [
            (0, &["identifier"]),
            (1, &["status", "class", "subject"]),
            (2, &["status", "code", "subject"]),
            (3, &["status", "code", "subject"]),
            (4, &["status", "content", "subject"]),
        ];
        let resources = valid();
        for (index, fields) in required {
            for &field in fields {
                let mut value = resources[index].clone();
                value.as_object_mut().unwrap().remove(field);
                match parse(&value) {
                    Err(SchemaError::Missing {
                        resource,
                        field: named,
                    }) => {
                        assert_eq!(
                            (resource, named),
                            (value["resourceType"].as_str().unwrap(), field)
                        )
                    }
                    other => panic!("{value}: {other:?}"),
                }
            }
        }
        let mut document = resources[4].clone();
        document["content"][0]
            .as_object_mut()
            .unwrap()
            .remove("attachment");
        assert!(matches!(
            parse(&document),
            Err(SchemaError::Missing {
                field: "content.attachment",
                ..
            })
        ));
    }

    #[test]
    fn junk_unknown_types_and_lying_attachments_are_refused() {
        assert!(matches!(
            Resource::parse(b"\x00\x01 not json"),
            Err(SchemaError::Parse(_))
        ));
        let unknown = json!({ "resourceType": "Medication", "status": "active" });
        assert!(matches!(parse(&unknown), Err(SchemaError::Parse(_))));
        let untagged = json!({ "status": "final" });
        assert!(matches!(parse(&untagged), Err(SchemaError::Parse(_))));
        let mut report = valid()[3].clone();
        report["presentedForm"][0]["size"] = json!(7);
        assert!(matches!(
            parse(&report),
            Err(SchemaError::BadAttachment { .. })
        ));
        report["presentedForm"][0]["data"] = json!("not base64 !");
        assert!(matches!(
            parse(&report),
            Err(SchemaError::BadAttachment { .. })
        ));
    }
}
