//! The canonical byte encoding that hashes and signatures are computed over.
//!
//! Fixed-width little-endian integers and length-prefixed byte strings: one encoding per
//! value, so two parties that hash "the same header" hash the same bytes. The reader is
//! strict (no trailing bytes, no short reads) because it parses data rebuilt from
//! untrusted chunks.

use super::hash::Hash;
use thiserror::Error;

/// Why a byte string is not a canonical encoding.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    #[error("input ends {needed} bytes early")]
    Truncated { needed: usize },
    #[error("{0} bytes left over after the value")]
    TrailingBytes(usize),
    #[error("unknown tag {0}")]
    UnknownTag(u8),
    #[error("length {0} is larger than the input")]
    BadLength(u64),
}

/// Appends canonical encodings to a byte vector.
#[derive(Default)]
pub struct Writer {
    pub bytes: Vec<u8>,
}

impl Writer {
    pub fn u8(&mut self, value: u8) -> &mut Self {
        self.bytes.push(value);
        self
    }
    pub fn u16(&mut self, value: u16) -> &mut Self {
        self.bytes.extend_from_slice(&value.to_le_bytes());
        self
    }
    pub fn u32(&mut self, value: u32) -> &mut Self {
        self.bytes.extend_from_slice(&value.to_le_bytes());
        self
    }
    pub fn u64(&mut self, value: u64) -> &mut Self {
        self.bytes.extend_from_slice(&value.to_le_bytes());
        self
    }
    /// A fixed-size field (hash, key, signature): no length prefix.
    pub fn fixed(&mut self, value: &[u8]) -> &mut Self {
        self.bytes.extend_from_slice(value);
        self
    }
    pub fn hash(&mut self, value: &Hash) -> &mut Self {
        self.fixed(&value.0)
    }
    /// A variable-length byte string, prefixed with its length as u64.
    pub fn bytes(&mut self, value: &[u8]) -> &mut Self {
        self.u64(value.len() as u64).fixed(value)
    }
}

/// Reads canonical encodings back, failing on any malformed input.
pub struct Reader<'a> {
    input: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(input: &'a [u8]) -> Reader<'a> {
        Reader { input }
    }

    fn take(&mut self, count: usize) -> Result<&'a [u8], DecodeError> {
        if self.input.len() < count {
            return Err(DecodeError::Truncated {
                needed: count - self.input.len(),
            });
        }
        let (head, rest) = self.input.split_at(count);
        self.input = rest;
        Ok(head)
    }

    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        Ok(self.take(N)?.try_into().expect("take returns N bytes"))
    }
    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }
    pub fn u16(&mut self) -> Result<u16, DecodeError> {
        self.array().map(u16::from_le_bytes)
    }
    pub fn u32(&mut self) -> Result<u32, DecodeError> {
        self.array().map(u32::from_le_bytes)
    }
    pub fn u64(&mut self) -> Result<u64, DecodeError> {
        self.array().map(u64::from_le_bytes)
    }
    pub fn hash(&mut self) -> Result<Hash, DecodeError> {
        self.array().map(Hash)
    }
    pub fn bytes(&mut self) -> Result<&'a [u8], DecodeError> {
        let len = self.u64()?;
        if len > self.input.len() as u64 {
            return Err(DecodeError::BadLength(len));
        }
        self.take(len as usize)
    }
    /// A count of items that each take at least `min_item` bytes, checked against the input
    /// so a forged count cannot make the caller allocate without bound.
    pub fn count(&mut self, min_item: usize) -> Result<usize, DecodeError> {
        let count = self.u32()? as u64;
        if count * min_item.max(1) as u64 > self.input.len() as u64 {
            return Err(DecodeError::BadLength(count));
        }
        Ok(count as usize)
    }
    pub fn finish(self) -> Result<(), DecodeError> {
        match self.input.len() {
            0 => Ok(()),
            left => Err(DecodeError::TrailingBytes(left)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_each_field_kind() {
        let mut writer = Writer::default();
        writer.u8(7).u16(300).u32(70_000).u64(1 << 40).bytes(b"abc");
        writer.hash(&Hash::of(b"h"));
        let mut reader = Reader::new(&writer.bytes);
        assert_eq!(reader.u8().unwrap(), 7);
        assert_eq!(reader.u16().unwrap(), 300);
        assert_eq!(reader.u32().unwrap(), 70_000);
        assert_eq!(reader.u64().unwrap(), 1 << 40);
        assert_eq!(reader.bytes().unwrap(), b"abc");
        assert_eq!(reader.hash().unwrap(), Hash::of(b"h"));
        reader.finish().unwrap();
    }

    #[test]
    fn rejects_short_long_and_lying_input() {
        assert!(Reader::new(&[1, 2]).u32().is_err());
        let mut reader = Reader::new(&[1, 2]);
        reader.u8().unwrap();
        assert_eq!(reader.finish(), Err(DecodeError::TrailingBytes(1)));
        let mut writer = Writer::default();
        writer.u64(1_000_000);
        assert_eq!(
            Reader::new(&writer.bytes).bytes(),
            Err(DecodeError::BadLength(1_000_000))
        );
    }
}
