//! Key recovery: a patient's secret keys split k-of-N among parties it trusts.
//!
//! The lecture's answer to a patient who loses a key is "splitting secret keys among
//! multiple repositories": Shamir's scheme over GF(2^8), from the `blahaj` crate (the
//! maintained fork of `sharks`, which fixes the biased coefficients of RUSTSEC-2024-0398).
//! Any k shares give the secret back and k − 1 reveal nothing about it. Interpolation
//! cannot tell a wrong share from a right one, so [`recover`] checks both keys it rebuilt
//! against the patient's public ones, which the patient can look up without its secrets:
//! a holder that returns junk is caught rather than silently corrupting a key.

use super::envelope::{ReaderKey, ReaderKeys};
use super::keys::{KeyPair, PublicKey};
use blahaj::{Share, Sharks};
use rand::{CryptoRng, RngCore};
use thiserror::Error;

/// What a patient holds: the key it signs its entries with and the key it reads with.
#[derive(Clone)]
pub struct PatientSecrets {
    pub signing: KeyPair,
    pub reading: ReaderKeys,
}

/// One holder's share of a patient's secrets, as bytes (the x coordinate first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyShare(pub Vec<u8>);

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RecoveryError {
    #[error("{have} distinct shares, {needed} needed")]
    TooFewShares { have: usize, needed: usize },
    #[error("a share is malformed or of another split")]
    BadShare,
    #[error("the rebuilt key is not the patient's: some share is wrong")]
    WrongKey,
}

impl PatientSecrets {
    fn to_bytes(&self) -> [u8; 64] {
        let mut bytes = [0u8; 64];
        bytes[..32].copy_from_slice(&self.signing.secret_bytes());
        bytes[32..].copy_from_slice(&self.reading.secret_bytes());
        bytes
    }

    fn from_bytes(bytes: &[u8]) -> Option<PatientSecrets> {
        let (signing, reading) = bytes.split_at_checked(32)?;
        Some(PatientSecrets {
            signing: KeyPair::from_secret(signing.try_into().ok()?),
            reading: ReaderKeys::from_secret(reading.try_into().ok()?)?,
        })
    }
}

/// `holders` shares of `secrets`, any `threshold` of which recover them.
pub fn split(
    secrets: &PatientSecrets,
    threshold: u8,
    holders: u8,
    rng: &mut (impl RngCore + CryptoRng),
) -> Vec<KeyShare> {
    assert!(
        (1..=holders).contains(&threshold),
        "a threshold between 1 and the holders"
    );
    Sharks(threshold)
        .dealer_rng(&secrets.to_bytes(), rng)
        .take(holders as usize)
        .map(|share| KeyShare(Vec::from(&share)))
        .collect()
}

/// The secrets of the patient whose public keys are `patient` (signing) and `reading`,
/// from `shares` of a split with `threshold`.
pub fn recover(
    patient: &PublicKey,
    reading: &ReaderKey,
    threshold: u8,
    shares: &[KeyShare],
) -> Result<PatientSecrets, RecoveryError> {
    let parsed = shares
        .iter()
        .map(|share| Share::try_from(share.0.as_slice()).map_err(|_| RecoveryError::BadShare))
        .collect::<Result<Vec<Share>, _>>()?;
    let distinct: std::collections::BTreeSet<u8> = parsed.iter().map(|share| share.x.0).collect();
    if distinct.len() < threshold as usize {
        return Err(RecoveryError::TooFewShares {
            have: distinct.len(),
            needed: threshold as usize,
        });
    }
    let bytes = Sharks(threshold)
        .recover(&parsed)
        .map_err(|_| RecoveryError::BadShare)?;
    let secrets = PatientSecrets::from_bytes(&bytes).ok_or(RecoveryError::BadShare)?;
    match secrets.signing.public() == *patient && secrets.reading.public() == *reading {
        true => Ok(secrets),
        false => Err(RecoveryError::WrongKey),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::stream;
    use proptest::prelude::*;

    fn secrets(index: u64) -> PatientSecrets {
        PatientSecrets {
            signing: KeyPair::derive(1, "patient", index),
            reading: ReaderKeys::derive(1, "patient", index),
        }
    }

    proptest! {
        /// Any k of the N shares rebuild both keys; any k − 1 do not, even interpolated as
        /// if the threshold were k − 1.
        #[test]
        fn any_k_shares_recover_and_k_minus_one_do_not(
            holders in 2u8..9,
            threshold_pick in any::<u8>(),
            choice in any::<u64>(),
            seed in any::<u64>(),
        ) {
            let threshold = 2 + threshold_pick % (holders - 1);
            let patient = secrets(seed % 5);
            let shares = split(&patient, threshold, holders, &mut stream(seed, "t", 0));
            prop_assert_eq!(shares.len(), holders as usize);
            let mut order: Vec<usize> = (0..holders as usize).collect();
            use rand::seq::SliceRandom;
            order.shuffle(&mut stream(choice, "pick", 0));
            let chosen: Vec<KeyShare> =
                order[..threshold as usize].iter().map(|&i| shares[i].clone()).collect();
            let public = patient.signing.public();
            let reading = patient.reading.public();
            let rebuilt = recover(&public, &reading, threshold, &chosen).unwrap();
            prop_assert_eq!(rebuilt.signing.secret_bytes(), patient.signing.secret_bytes());
            prop_assert_eq!(rebuilt.reading.public(), patient.reading.public());
            let fewer = &chosen[..threshold as usize - 1];
            prop_assert_eq!(
                recover(&public, &reading, threshold, fewer).err(),
                Some(RecoveryError::TooFewShares { have: threshold as usize - 1, needed: threshold as usize })
            );
            prop_assert_eq!(recover(&public, &reading, threshold - 1, fewer).err(), Some(RecoveryError::WrongKey));
        }
    }

    /// A share changed in its signing half or its reading half is caught by the public
    /// keys; the other shares still recover.
    #[test]
    fn a_wrong_share_is_caught_by_the_public_keys() {
        let patient = secrets(0);
        let (public, reading) = (patient.signing.public(), patient.reading.public());
        for byte in [7, 40] {
            let mut shares = split(&patient, 3, 5, &mut stream(1, "t", 0));
            shares[1].0[byte] ^= 0x40;
            let result = recover(&public, &reading, 3, &shares[..3]);
            assert_eq!(result.err(), Some(RecoveryError::WrongKey), "byte {byte}");
            assert!(recover(&public, &reading, 3, &shares[2..]).is_ok());
        }
        let shares = split(&patient, 3, 5, &mut stream(1, "t", 0));
        let duplicated = [shares[2].clone(), shares[2].clone(), shares[3].clone()];
        assert!(matches!(
            recover(&public, &reading, 3, &duplicated),
            Err(RecoveryError::TooFewShares { have: 2, .. })
        ));
    }
}
