//! Key files: the secret keys a patient or a chosen party holds, as `run --export` writes
//! them to `DIR/keys/` and `medilanac read` takes them.
//!
//! A patient's file holds its reading key and every signing key its record was signed
//! under, the original first (a successor after a theft follows); `read` takes the first as
//! the record to read when no `--patient` is named. A party's file (a miner's, the researcher's) holds only its
//! reading key. The simulator derives every key from the seed; the file is what a real
//! holder would keep, and `read` uses nothing else.

use crate::protocol::envelope::ReaderKeys;
use crate::protocol::{KeyPair, PublicKey};
use serde::{Deserialize, Serialize};
use std::path::Path;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum KeyFileError {
    #[error("cannot read key file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: not a key file: {message}")]
    Format { path: String, message: String },
}

/// One signing key, public half beside the secret so a reader sees whose it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigningEntry {
    pub public: PublicKey,
    /// The 32 secret bytes, hex.
    pub secret: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyFile {
    /// Who holds these keys ("patient 3", "miner 0", "researcher").
    pub holder: String,
    /// The X25519 reading key's 32 secret bytes, hex.
    pub reading_secret: String,
    /// Signing keys, oldest first (patients only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signing: Vec<SigningEntry>,
}

impl KeyFile {
    pub fn new(holder: String, reading: &ReaderKeys, signing: &[KeyPair]) -> KeyFile {
        KeyFile {
            holder,
            reading_secret: hex::encode(reading.secret_bytes()),
            signing: signing
                .iter()
                .map(|keys| SigningEntry {
                    public: keys.public(),
                    secret: hex::encode(keys.secret_bytes()),
                })
                .collect(),
        }
    }

    /// Reads and checks a key file: every key must parse and every public half match its
    /// secret.
    pub fn read(path: &Path) -> Result<(KeyFile, ReaderKeys), KeyFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| KeyFileError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let format = |message: String| KeyFileError::Format {
            path: path.display().to_string(),
            message,
        };
        let file: KeyFile = serde_json::from_str(&text).map_err(|e| format(e.to_string()))?;
        let reading = secret32(&file.reading_secret)
            .and_then(|bytes| ReaderKeys::from_secret(&bytes))
            .ok_or_else(|| {
                format("reading_secret: expected 64 hex digits of an X25519 key".into())
            })?;
        for (index, entry) in file.signing.iter().enumerate() {
            let keys = secret32(&entry.secret).map(|bytes| KeyPair::from_secret(&bytes));
            if keys.map(|keys| keys.public()) != Some(entry.public) {
                return Err(format(format!(
                    "signing[{index}]: secret is not 64 hex digits of the key named in public"
                )));
            }
        }
        Ok((file, reading))
    }

    /// Writes the file whole or not at all.
    pub fn write(&self, path: &Path) -> Result<(), crate::export::ExportError> {
        let text = serde_json::to_string_pretty(self).expect("key files serialise");
        crate::export::write_atomically(path, text.as_bytes())
    }
}

fn secret32(text: &str) -> Option<[u8; 32]> {
    hex::decode(text).ok()?.try_into().ok()
}
