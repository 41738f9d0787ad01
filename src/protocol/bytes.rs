//! Shared immutable byte strings for payloads and chunk data.
//!
//! Chunks and records travel in many messages and sit in many branches; an `Arc<[u8]>`
//! makes each copy a pointer copy, so the simulator's bookkeeping stays cheap beside the
//! hashing and coding it models. Exports show the bytes as hex.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// An immutable, cheaply cloned byte string.
#[derive(Clone, Eq, PartialOrd, Ord, Default)]
pub struct Bytes(Arc<[u8]>);

impl PartialEq for Bytes {
    /// Copies of one string share their bytes, so most comparisons end at the pointer.
    fn eq(&self, other: &Bytes) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

impl Bytes {
    /// A copy of `data` with one byte flipped: the tamperer's tool, and the tests'.
    pub fn with_flipped_byte(&self, index: usize) -> Bytes {
        let mut data = self.0.to_vec();
        if let Some(byte) = data.get_mut(index) {
            *byte ^= 0x01;
        }
        Bytes::from(data)
    }
}

impl From<Vec<u8>> for Bytes {
    fn from(data: Vec<u8>) -> Bytes {
        Bytes(data.into())
    }
}

impl From<&[u8]> for Bytes {
    fn from(data: &[u8]) -> Bytes {
        Bytes(data.into())
    }
}

impl Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bytes({} bytes)", self.0.len())
    }
}

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Bytes, D::Error> {
        let text = String::deserialize(deserializer)?;
        hex::decode(text)
            .map(Bytes::from)
            .map_err(|_| serde::de::Error::custom("expected hex digits"))
    }
}
