//! What a record's content looks like on a branch: in the clear, or sealed for chosen readers.
//!
//! Private data is encrypted (DESIGN rule 16) so that the miners that store, code and
//! rebuild it learn nothing from it. Each file is sealed under its own random 256-bit key
//! with ChaCha20-Poly1305; the file key is then wrapped for every party the patient lets
//! read it with HPKE (RFC 9180: X25519, HKDF-SHA256, ChaCha20-Poly1305, base mode), so one
//! ciphertext serves any number of readers at 112 bytes each (the reader's key, HPKE's
//! encapsulated key, the wrapped key and its tag). Both layers take the entry's
//! context (patient key and sequence) as associated data, so a sealed file or a wrapped key
//! cut from one entry and pasted into another fails to open. The nonce is derived from that
//! context: the key is fresh per file, so a derived nonce is never reused under one key,
//! and runs reproduce from their seed. HPKE draws its ephemeral keys from the caller's
//! seeded stream for the same reason.
//!
//! A patient can also publish an entry in the clear (donated for research); then the bytes
//! are the FHIR JSON itself.

use super::codec::{DecodeError, Reader, Writer};
use super::hash::Hash;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::ChaCha20Poly1305;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem, OpModeR, OpModeS, Serializable};
use rand::{CryptoRng, RngCore};
use thiserror::Error;

type Wrap = hpke::aead::ChaCha20Poly1305;
type Kdf = hpke::kdf::HkdfSha256;

/// HPKE's `info`: what the wrapped secret is for.
const WRAP_INFO: &[u8] = b"medilanac/file-key";
const NONCE_TAG: &[u8] = b"medilanac/nonce";

/// Bytes of a wrapped file key: the 32-byte key and its 16-byte tag.
const WRAPPED_LEN: usize = 48;
/// Bytes the AEAD adds to a file: its tag.
const TAG_LEN: usize = 16;

/// A reader's public X25519 key, which file keys are wrapped to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReaderKey(pub [u8; 32]);

/// A reader's key pair: who holds it can open what was sealed for its [`ReaderKey`].
#[derive(Clone)]
pub struct ReaderKeys {
    secret: <X25519HkdfSha256 as Kem>::PrivateKey,
    public: ReaderKey,
}

impl ReaderKeys {
    /// The reading key of participant `index` in `role` for run `seed`, derived as the
    /// signing keys are (HPKE's DeriveKeyPair from a seed-specific secret).
    pub fn derive(seed: u64, role: &str, index: u64) -> ReaderKeys {
        let ikm = Hash::of_parts(&[
            b"medilanac/reader-key",
            &seed.to_le_bytes(),
            role.as_bytes(),
            &index.to_le_bytes(),
        ]);
        let (secret, public) = X25519HkdfSha256::derive_keypair(&ikm.0);
        ReaderKeys {
            secret,
            public: ReaderKey(public.to_bytes().into()),
        }
    }

    /// The key pair from its 32 secret bytes, as a key file holds them.
    pub fn from_secret(bytes: &[u8; 32]) -> Option<ReaderKeys> {
        let secret = <X25519HkdfSha256 as Kem>::PrivateKey::from_bytes(bytes).ok()?;
        let public = X25519HkdfSha256::sk_to_pk(&secret);
        Some(ReaderKeys {
            secret,
            public: ReaderKey(public.to_bytes().into()),
        })
    }

    /// The 32 secret bytes, for a key file.
    pub fn secret_bytes(&self) -> [u8; 32] {
        self.secret.to_bytes().into()
    }

    pub fn public(&self) -> ReaderKey {
        self.public
    }
}

/// The file key, wrapped for one reader.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrappedKey {
    pub reader: ReaderKey,
    /// HPKE's encapsulated key (the sender's ephemeral X25519 public key).
    pub encapped: [u8; 32],
    /// The file key under HPKE's AEAD, with its tag.
    pub wrapped: [u8; WRAPPED_LEN],
}

/// A record's content as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Envelope {
    /// Published in the clear: the FHIR JSON.
    Clear(Vec<u8>),
    /// Encrypted for the listed readers.
    Sealed {
        readers: Vec<WrappedKey>,
        ciphertext: Vec<u8>,
    },
}

/// Why a sealed envelope does not open.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OpenError {
    #[error("the key is not among the record's readers")]
    NotAReader,
    #[error("the wrapped file key does not open (wrong key or altered bytes)")]
    Unwrap,
    #[error("the ciphertext does not authenticate (altered bytes)")]
    Ciphertext,
}

impl Envelope {
    /// Seals `plaintext` for `readers` (at least one), under a fresh file key drawn from
    /// `rng`; `context` binds it to its entry.
    pub fn seal(
        plaintext: &[u8],
        readers: &[ReaderKey],
        context: &[u8],
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Envelope {
        let mut file_key = [0u8; 32];
        rng.fill_bytes(&mut file_key);
        let cipher = ChaCha20Poly1305::new(&file_key.into());
        let payload = Payload {
            msg: plaintext,
            aad: context,
        };
        let ciphertext = cipher
            .encrypt(&nonce(context).into(), payload)
            .expect("ChaCha20-Poly1305 seals any length a record can have");
        let readers = readers
            .iter()
            .map(|reader| wrap(&file_key, reader, context, rng))
            .collect();
        Envelope::Sealed {
            readers,
            ciphertext,
        }
    }

    /// The plaintext, as `keys` may read it.
    pub fn open(&self, keys: &ReaderKeys, context: &[u8]) -> Result<Vec<u8>, OpenError> {
        let (readers, ciphertext) = match self {
            Envelope::Clear(plaintext) => return Ok(plaintext.clone()),
            Envelope::Sealed {
                readers,
                ciphertext,
            } => (readers, ciphertext),
        };
        let wrapped = readers
            .iter()
            .find(|wrapped| wrapped.reader == keys.public)
            .ok_or(OpenError::NotAReader)?;
        let encapped = <X25519HkdfSha256 as Kem>::EncappedKey::from_bytes(&wrapped.encapped)
            .map_err(|_| OpenError::Unwrap)?;
        let file_key = hpke::single_shot_open::<Wrap, Kdf, X25519HkdfSha256>(
            &OpModeR::Base,
            &keys.secret,
            &encapped,
            WRAP_INFO,
            &wrapped.wrapped,
            context,
        )
        .map_err(|_| OpenError::Unwrap)?;
        let file_key: [u8; 32] = file_key.try_into().map_err(|_| OpenError::Unwrap)?;
        let payload = Payload {
            msg: ciphertext,
            aad: context,
        };
        ChaCha20Poly1305::new(&file_key.into())
            .decrypt(&nonce(context).into(), payload)
            .map_err(|_| OpenError::Ciphertext)
    }

    /// Whether `reader` holds a wrapped key (a clear envelope has no readers to list).
    pub fn is_sealed_for(&self, reader: &ReaderKey) -> bool {
        match self {
            Envelope::Clear(_) => false,
            Envelope::Sealed { readers, .. } => readers.iter().any(|r| &r.reader == reader),
        }
    }

    /// Bytes the envelope adds beyond the plaintext: tag and wrapped keys (and, counted by
    /// [`Envelope::encoded_len`], the framing).
    pub fn overhead(&self) -> usize {
        match self {
            Envelope::Clear(_) => 0,
            Envelope::Sealed { readers, .. } => TAG_LEN + readers.len() * WRAPPED_KEY_LEN,
        }
    }

    /// Bytes of the encoding.
    pub fn encoded_len(&self) -> usize {
        match self {
            Envelope::Clear(plaintext) => 1 + 8 + plaintext.len(),
            Envelope::Sealed {
                readers,
                ciphertext,
            } => 1 + 4 + readers.len() * WRAPPED_KEY_LEN + 8 + ciphertext.len(),
        }
    }

    pub fn encode(&self, writer: &mut Writer) {
        match self {
            Envelope::Clear(plaintext) => {
                writer.u8(0).bytes(plaintext);
            }
            Envelope::Sealed {
                readers,
                ciphertext,
            } => {
                writer.u8(1).u32(readers.len() as u32);
                for wrapped in readers {
                    writer
                        .fixed(&wrapped.reader.0)
                        .fixed(&wrapped.encapped)
                        .fixed(&wrapped.wrapped);
                }
                writer.bytes(ciphertext);
            }
        }
    }

    pub fn decode(reader: &mut Reader) -> Result<Envelope, DecodeError> {
        match reader.u8()? {
            0 => Ok(Envelope::Clear(reader.bytes()?.to_vec())),
            1 => {
                let count = reader.count(WRAPPED_KEY_LEN)?;
                let readers = (0..count)
                    .map(|_| {
                        Ok(WrappedKey {
                            reader: ReaderKey(reader.array()?),
                            encapped: reader.array()?,
                            wrapped: reader.array()?,
                        })
                    })
                    .collect::<Result<_, DecodeError>>()?;
                let ciphertext = reader.bytes()?.to_vec();
                if ciphertext.len() < TAG_LEN {
                    return Err(DecodeError::BadLength(ciphertext.len() as u64));
                }
                Ok(Envelope::Sealed {
                    readers,
                    ciphertext,
                })
            }
            tag => Err(DecodeError::UnknownTag(tag)),
        }
    }
}

/// Bytes of one reader's entry in a sealed envelope.
pub const WRAPPED_KEY_LEN: usize = 32 + 32 + WRAPPED_LEN;

fn wrap(
    file_key: &[u8; 32],
    reader: &ReaderKey,
    context: &[u8],
    rng: &mut (impl RngCore + CryptoRng),
) -> WrappedKey {
    let public = <X25519HkdfSha256 as Kem>::PublicKey::from_bytes(&reader.0)
        .expect("every 32 bytes are an X25519 public key");
    let (encapped, wrapped) = hpke::single_shot_seal::<Wrap, Kdf, X25519HkdfSha256, _>(
        &OpModeS::Base,
        &public,
        WRAP_INFO,
        file_key,
        context,
        rng,
    )
    .expect("HPKE base mode seals to any valid public key");
    WrappedKey {
        reader: *reader,
        encapped: encapped.to_bytes().into(),
        wrapped: wrapped.try_into().expect("a 32-byte key wraps to 48 bytes"),
    }
}

/// The AEAD nonce of the entry with `context`.
fn nonce(context: &[u8]) -> [u8; 12] {
    let hash = Hash::of_parts(&[NONCE_TAG, context]);
    hash.0[..12].try_into().expect("12 of 32 bytes")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::stream;
    use proptest::prelude::*;

    fn keys(index: u64) -> ReaderKeys {
        ReaderKeys::derive(1, "reader", index)
    }

    fn round_trip(envelope: &Envelope) -> Envelope {
        let mut writer = Writer::default();
        envelope.encode(&mut writer);
        let mut reader = Reader::new(&writer.bytes);
        let decoded = Envelope::decode(&mut reader).unwrap();
        reader.finish().unwrap();
        decoded
    }

    proptest! {
        /// Each reader gets the plaintext back, through the encoding, and nobody else does.
        #[test]
        fn every_reader_opens_and_an_outsider_cannot(
            plaintext in proptest::collection::vec(any::<u8>(), 0..2000),
            readers in 1usize..5,
            seed in any::<u64>(),
        ) {
            let keys: Vec<ReaderKeys> = (0..readers as u64).map(keys).collect();
            let publics: Vec<ReaderKey> = keys.iter().map(ReaderKeys::public).collect();
            let sealed = Envelope::seal(&plaintext, &publics, b"ctx", &mut stream(seed, "t", 0));
            let sealed = round_trip(&sealed);
            for key in &keys {
                prop_assert_eq!(sealed.open(key, b"ctx").unwrap(), plaintext.clone());
            }
            prop_assert_eq!(sealed.open(&keys_outside(), b"ctx"), Err(OpenError::NotAReader));
            let Envelope::Sealed { ciphertext, .. } = &sealed else { unreachable!() };
            if plaintext.len() >= 16 {
                prop_assert!(ciphertext.windows(16).all(|w| !plaintext.windows(16).any(|p| p == w)));
            }
        }
    }

    fn keys_outside() -> ReaderKeys {
        keys(99)
    }

    #[test]
    fn a_flipped_byte_or_another_context_fails_to_open() {
        let reader = keys(0);
        let sealed = Envelope::seal(
            b"blood pressure",
            &[reader.public()],
            b"ctx",
            &mut stream(1, "t", 0),
        );
        let Envelope::Sealed {
            readers,
            ciphertext,
        } = &sealed
        else {
            unreachable!()
        };
        let mut flipped = ciphertext.clone();
        flipped[3] ^= 1;
        let altered = Envelope::Sealed {
            readers: readers.clone(),
            ciphertext: flipped,
        };
        assert_eq!(altered.open(&reader, b"ctx"), Err(OpenError::Ciphertext));
        let mut wrapped = readers.clone();
        wrapped[0].wrapped[0] ^= 1;
        let altered = Envelope::Sealed {
            readers: wrapped,
            ciphertext: ciphertext.clone(),
        };
        assert_eq!(altered.open(&reader, b"ctx"), Err(OpenError::Unwrap));
        assert_eq!(sealed.open(&reader, b"other entry"), Err(OpenError::Unwrap));
    }

    /// A key file holds the secret bytes; the pair rebuilt from them opens the same files.
    #[test]
    fn reader_keys_rebuild_from_their_secret_bytes() {
        let reader = keys(3);
        let rebuilt = ReaderKeys::from_secret(&reader.secret_bytes()).unwrap();
        assert_eq!(rebuilt.public(), reader.public());
        let sealed = Envelope::seal(b"x", &[reader.public()], b"c", &mut stream(1, "t", 0));
        assert_eq!(sealed.open(&rebuilt, b"c").unwrap(), b"x");
    }

    #[test]
    fn overhead_is_what_the_encoding_adds_beyond_framing() {
        let publics: Vec<ReaderKey> = (0..3).map(|i| keys(i).public()).collect();
        let plaintext = vec![5u8; 300];
        let sealed = Envelope::seal(&plaintext, &publics, b"c", &mut stream(1, "t", 0));
        let clear = Envelope::Clear(plaintext);
        let len = |envelope: &Envelope| {
            let mut writer = Writer::default();
            envelope.encode(&mut writer);
            writer.bytes.len()
        };
        // Framing: the clear form's tag and length; the sealed form's tag, count and length.
        assert_eq!(len(&sealed) - len(&clear), sealed.overhead() + 4);
        assert_eq!(
            (len(&sealed), len(&clear)),
            (sealed.encoded_len(), clear.encoded_len())
        );
        assert_eq!(sealed.overhead(), 16 + 3 * 112);
    }
}
