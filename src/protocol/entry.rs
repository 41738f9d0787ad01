//! What a signed record says when records follow the schema: data, a termination, or the
//! start of a successor record.
//!
//! A patient's record is the chain of entries signed with one patient key, each naming the
//! leaf of the one before (`prev`), so the history has one order that no miner can change.
//! Rule 17: the owner can append a [`Body::Terminate`]; after it no entry under that key is
//! accepted, and since nothing can follow it, it can be neither removed nor overridden. The
//! termination names the last entry that is the patient's own (`through`) and the key of
//! the successor record, whose first entry ([`Body::Succeed`]) names the old key and the same
//! point: a reader follows the old chain back from `through`, leaves out whatever else was
//! signed with the old key (a thief's appends), and goes on in the successor. Both halves of
//! the link must agree, so neither a thief holding only the old key nor one holding only
//! the new can splice a history.
//!
//! [`admit`] is the one home of the checks a miner makes before it stores an entry.

use super::codec::{DecodeError, Reader, Writer};
use super::envelope::{Envelope, OpenError, ReaderKeys};
use super::fhir::{Resource, SchemaError};
use super::hash::Hash;
use super::keys::PublicKey;
use super::record::Record;
use thiserror::Error;

/// One entry of a patient's record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The leaf of the record's previous entry; `None` for its first.
    pub prev: Option<Hash>,
    pub body: Body,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    /// A FHIR resource, sealed or in the clear.
    Data(Envelope),
    /// No more entries under this key; the record's own history ends at `through`.
    Terminate {
        through: Option<Hash>,
        successor: PublicKey,
    },
    /// The first entry of a successor record: it continues `predecessor`'s history up to
    /// and including `through`.
    Succeed {
        predecessor: PublicKey,
        through: Option<Hash>,
    },
}

/// Why a miner refuses an entry (DESIGN rules 16 and 17).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EntryError {
    #[error("record is not an entry: {0}")]
    Malformed(DecodeError),
    #[error("record content breaks the schema: {0}")]
    Schema(SchemaError),
    #[error("sealed record has no readers: nobody could ever read it")]
    NoReaders,
    #[error("sealed record names this miner as a reader but does not open: {0}")]
    Unreadable(OpenError),
    #[error("the patient terminated this record; it takes no more entries")]
    Terminated,
}

impl EntryError {
    /// The rule of DESIGN §2 an entry refused with this error breaks.
    pub fn rule(&self) -> u8 {
        match self {
            EntryError::Terminated => 17,
            _ => 16,
        }
    }
}

impl Entry {
    /// The entry a record's payload holds.
    pub fn of(record: &Record) -> Result<Entry, DecodeError> {
        let mut reader = Reader::new(&record.payload);
        let entry = Entry::decode(&mut reader)?;
        reader.finish()?;
        Ok(entry)
    }

    /// The payload of a record holding this entry.
    pub fn to_payload(&self) -> Vec<u8> {
        let mut writer = Writer::default();
        self.encode(&mut writer);
        writer.bytes
    }

    pub fn encode(&self, writer: &mut Writer) {
        write_point(writer, &self.prev);
        match &self.body {
            Body::Data(envelope) => {
                writer.u8(0);
                envelope.encode(writer);
            }
            Body::Terminate { through, successor } => {
                writer.u8(1);
                write_point(writer, through);
                writer.fixed(&successor.0);
            }
            Body::Succeed {
                predecessor,
                through,
            } => {
                writer.u8(2).fixed(&predecessor.0);
                write_point(writer, through);
            }
        }
    }

    pub fn decode(reader: &mut Reader) -> Result<Entry, DecodeError> {
        let prev = read_point(reader)?;
        let body = match reader.u8()? {
            0 => Body::Data(Envelope::decode(reader)?),
            1 => Body::Terminate {
                through: read_point(reader)?,
                successor: PublicKey(reader.array()?),
            },
            2 => Body::Succeed {
                predecessor: PublicKey(reader.array()?),
                through: read_point(reader)?,
            },
            tag => return Err(DecodeError::UnknownTag(tag)),
        };
        Ok(Entry { prev, body })
    }
}

fn write_point(writer: &mut Writer, point: &Option<Hash>) {
    match point {
        None => writer.u8(0),
        Some(hash) => writer.u8(1).hash(hash),
    };
}

fn read_point(reader: &mut Reader) -> Result<Option<Hash>, DecodeError> {
    match reader.u8()? {
        0 => Ok(None),
        1 => Ok(Some(reader.hash()?)),
        tag => Err(DecodeError::UnknownTag(tag)),
    }
}

/// What binds a sealed entry to its place: the AEAD's associated data and nonce input.
pub fn context(patient: &PublicKey, sequence: u64) -> [u8; 40] {
    let mut context = [0u8; 40];
    context[..32].copy_from_slice(&patient.0);
    context[32..].copy_from_slice(&sequence.to_le_bytes());
    context
}

/// The checks a miner makes before it stores a record whose signature it verified:
/// the patient's key was not terminated, the payload is an entry, data in the clear
/// follows the schema, sealed data has a reader, and when this miner is one of them
/// (`reader`) it opens and follows the schema too (a miner cannot see into data it may not
/// read; it can only refuse what it can).
pub fn admit(
    record: &Record,
    reader: Option<&ReaderKeys>,
    terminated: bool,
) -> Result<Entry, EntryError> {
    if terminated {
        return Err(EntryError::Terminated);
    }
    let entry = Entry::of(record).map_err(EntryError::Malformed)?;
    if let Body::Data(envelope) = &entry.body {
        let plaintext = match envelope {
            Envelope::Clear(json) => Some(json.clone()),
            Envelope::Sealed { readers, .. } if readers.is_empty() => {
                return Err(EntryError::NoReaders)
            }
            sealed => match reader.filter(|keys| sealed.is_sealed_for(&keys.public())) {
                None => None,
                Some(keys) => Some(
                    sealed
                        .open(keys, &context(&record.patient, record.sequence))
                        .map_err(EntryError::Unreadable)?,
                ),
            },
        };
        if let Some(json) = plaintext {
            Resource::parse(&json).map_err(EntryError::Schema)?;
        }
    }
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::keys::KeyPair;
    use crate::protocol::Bytes;
    use crate::sim::stream;

    const OBSERVATION: &[u8] = br#"{"resourceType":"Observation","status":"final","code":{"text":"pulse"},"subject":{"reference":"Patient/1"}}"#;

    fn record(entry: &Entry) -> Record {
        Record::new(
            &KeyPair::derive(1, "patient", 0),
            4,
            Bytes::from(entry.to_payload()),
        )
    }

    fn data(envelope: Envelope) -> Entry {
        Entry {
            prev: Some(Hash::of(b"earlier")),
            body: Body::Data(envelope),
        }
    }

    fn sealed_for(keys: &ReaderKeys, json: &[u8]) -> Envelope {
        let patient = KeyPair::derive(1, "patient", 0).public();
        Envelope::seal(
            json,
            &[keys.public()],
            &context(&patient, 4),
            &mut stream(1, "t", 0),
        )
    }

    #[test]
    fn every_body_round_trips_through_a_record() {
        let successor = KeyPair::derive(1, "patient", 9).public();
        let entries = [
            data(Envelope::Clear(OBSERVATION.to_vec())),
            Entry {
                prev: None,
                body: Body::Terminate {
                    through: None,
                    successor,
                },
            },
            Entry {
                prev: None,
                body: Body::Succeed {
                    predecessor: successor,
                    through: Some(Hash::of(b"p")),
                },
            },
        ];
        for entry in entries {
            assert_eq!(Entry::of(&record(&entry)).unwrap(), entry);
        }
    }

    #[test]
    fn admit_refuses_junk_schema_breaks_and_terminated_keys_with_their_rule() {
        let junk = Record::new(
            &KeyPair::derive(1, "patient", 0),
            0,
            Bytes::from(vec![9; 40]),
        );
        let error = admit(&junk, None, false).unwrap_err();
        assert!(matches!(error, EntryError::Malformed(_)));
        assert_eq!(error.rule(), 16);
        let broken = data(Envelope::Clear(
            br#"{"resourceType":"Observation"}"#.to_vec(),
        ));
        assert!(matches!(
            admit(&record(&broken), None, false),
            Err(EntryError::Schema(SchemaError::Missing {
                field: "status",
                ..
            }))
        ));
        let fine = record(&data(Envelope::Clear(OBSERVATION.to_vec())));
        assert!(admit(&fine, None, false).is_ok());
        let error = admit(&fine, None, true).unwrap_err();
        assert_eq!((error.clone(), error.rule()), (EntryError::Terminated, 17));
        let nobody = data(Envelope::Sealed {
            readers: vec![],
            ciphertext: vec![0; 32],
        });
        assert_eq!(
            admit(&record(&nobody), None, false),
            Err(EntryError::NoReaders)
        );
    }

    /// A miner that may read a sealed entry checks its schema; one that may not, cannot.
    #[test]
    fn a_reading_miner_checks_sealed_content_and_an_outsider_takes_it_on_trust() {
        let miner = ReaderKeys::derive(1, "miner", 0);
        let outsider = ReaderKeys::derive(1, "miner", 1);
        let bad = record(&data(sealed_for(
            &miner,
            br#"{"resourceType":"Encounter"}"#,
        )));
        assert!(matches!(
            admit(&bad, Some(&miner), false),
            Err(EntryError::Schema(SchemaError::Missing { .. }))
        ));
        assert!(admit(&bad, Some(&outsider), false).is_ok());
        let good = record(&data(sealed_for(&miner, OBSERVATION)));
        assert!(admit(&good, Some(&miner), false).is_ok());
        let Body::Data(Envelope::Sealed {
            readers,
            mut ciphertext,
        }) = Entry::of(&good).unwrap().body
        else {
            unreachable!()
        };
        ciphertext[0] ^= 1;
        let altered = record(&data(Envelope::Sealed {
            readers,
            ciphertext,
        }));
        assert_eq!(
            admit(&altered, Some(&miner), false),
            Err(EntryError::Unreadable(OpenError::Ciphertext))
        );
    }
}
