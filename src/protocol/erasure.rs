//! Reed-Solomon coding of a block's primary data into `m` chunks, any `k` of which decode.
//!
//! Data is zero-padded to `k` equal shards; the true length travels in each chunk's header.
//! When `k == m` there is no parity and the code is a plain split, which the
//! `reed-solomon-erasure` crate does not accept, so that case is handled here.

use reed_solomon_erasure::galois_8::ReedSolomon;
use thiserror::Error;

/// Why a code cannot be built or a set of chunks cannot be decoded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CodeError {
    #[error("need 1 <= k <= m <= 256, got k = {k}, m = {m}")]
    BadParameters { k: u16, m: u16 },
    #[error("{have} distinct chunks, need {k}")]
    TooFewChunks { have: usize, k: u16 },
    #[error("chunk {index} is {len} bytes, expected {expected}")]
    BadShard {
        index: usize,
        len: usize,
        expected: usize,
    },
}

/// A `k`-of-`m` Reed-Solomon code.
pub struct Codec {
    k: u16,
    m: u16,
    rs: Option<ReedSolomon>,
}

/// Length of each shard for `len` bytes of data under a code with `k` data shards.
pub fn shard_len(len: u64, k: u16) -> usize {
    len.div_ceil(k as u64).max(1) as usize
}

impl Codec {
    pub fn new(k: u16, m: u16) -> Result<Codec, CodeError> {
        if k == 0 || k > m || m > super::params::MAX_CHUNKS {
            return Err(CodeError::BadParameters { k, m });
        }
        let rs = match m - k {
            0 => None,
            parity => Some(
                ReedSolomon::new(k as usize, parity as usize)
                    .map_err(|_| CodeError::BadParameters { k, m })?,
            ),
        };
        Ok(Codec { k, m, rs })
    }

    pub fn k(&self) -> u16 {
        self.k
    }

    pub fn m(&self) -> u16 {
        self.m
    }

    /// The `m` shards of `data`.
    pub fn encode(&self, data: &[u8]) -> Vec<Vec<u8>> {
        let size = shard_len(data.len() as u64, self.k);
        let mut shards: Vec<Vec<u8>> = (0..self.m as usize)
            .map(|i| {
                let start = (i * size).min(data.len());
                let end = ((i + 1) * size).min(data.len());
                let mut shard = vec![0u8; size];
                if i < self.k as usize {
                    shard[..end - start].copy_from_slice(&data[start..end]);
                }
                shard
            })
            .collect();
        if let Some(rs) = &self.rs {
            rs.encode(&mut shards)
                .expect("shards have equal, non-zero size");
        }
        shards
    }

    /// Rebuilds `len` bytes of data from shards given as `(index, bytes)`; duplicates of an
    /// index are ignored, and any `k` distinct indices suffice.
    pub fn decode(&self, shards: &[(usize, &[u8])], len: u64) -> Result<Vec<u8>, CodeError> {
        let size = shard_len(len, self.k);
        let mut slots: Vec<Option<Vec<u8>>> = vec![None; self.m as usize];
        let mut have = 0;
        for &(index, bytes) in shards {
            if bytes.len() != size || index >= self.m as usize {
                let expected = size;
                return Err(CodeError::BadShard {
                    index,
                    len: bytes.len(),
                    expected,
                });
            }
            if slots[index].is_none() && have < self.k as usize {
                slots[index] = Some(bytes.to_vec());
                have += 1;
            }
        }
        if have < self.k as usize {
            return Err(CodeError::TooFewChunks { have, k: self.k });
        }
        if let Some(rs) = &self.rs {
            rs.reconstruct_data(&mut slots)
                .expect("k distinct shards of equal size decode");
        }
        let mut data = Vec::with_capacity(size * self.k as usize);
        for slot in slots.into_iter().take(self.k as usize) {
            data.extend_from_slice(&slot.expect("data shards are present after decoding"));
        }
        data.truncate(len as usize);
        Ok(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_impossible_codes() {
        assert!(Codec::new(0, 3).is_err());
        assert!(Codec::new(4, 3).is_err());
        assert!(Codec::new(2, 257).is_err());
        assert!(Codec::new(10, 10).is_ok());
        assert!(Codec::new(1, 256).is_ok());
    }

    #[test]
    fn parity_shards_alone_rebuild_the_data() {
        let codec = Codec::new(2, 5).unwrap();
        let data: Vec<u8> = (0..101).map(|i| i as u8).collect();
        let shards = codec.encode(&data);
        let picked: Vec<(usize, &[u8])> = vec![(4, &shards[4]), (3, &shards[3])];
        assert_eq!(codec.decode(&picked, data.len() as u64).unwrap(), data);
    }

    #[test]
    fn too_few_or_misshapen_shards_fail() {
        let codec = Codec::new(3, 5).unwrap();
        let shards = codec.encode(b"hello world");
        let two: Vec<(usize, &[u8])> = vec![(0, &shards[0]), (0, &shards[0]), (1, &shards[1])];
        assert_eq!(
            codec.decode(&two, 11),
            Err(CodeError::TooFewChunks { have: 2, k: 3 })
        );
        let bad: Vec<(usize, &[u8])> = vec![(0, &shards[0][..1])];
        assert!(matches!(
            codec.decode(&bad, 11),
            Err(CodeError::BadShard { .. })
        ));
    }

    #[test]
    fn k_equal_m_is_a_plain_split() {
        let codec = Codec::new(4, 4).unwrap();
        let shards = codec.encode(b"abcdefghij");
        assert_eq!(shards[0], b"abc");
        let all: Vec<(usize, &[u8])> = shards
            .iter()
            .enumerate()
            .map(|(i, s)| (i, &s[..]))
            .collect();
        assert_eq!(codec.decode(&all, 10).unwrap(), b"abcdefghij");
    }
}
