//! Key recovery in a running network: a patient splits its secret keys among miners it
//! chose, later loses them, and gets them back from any `threshold` of the holders.
//!
//! The lecture's "splitting secret keys among multiple repositories" is only as good as the
//! repositories: a holder that crashed keeps its share on disk, one that came back wiped has
//! lost it, and one that is down cannot answer. So the split is staged here, with the
//! network's faults, and the summary says whether the patient got its keys back and when.
//! At the start the patient deals `holders` shares ([`crate::protocol::key_shares`]), each
//! sealed for its holder's reading key, to its own miner and the miners after it, and resends
//! until each holder acknowledges. At `lost_at` it forgets both keys, stops submitting, and
//! asks every holder for its share. A holder proves nothing about the asker here: a real one
//! would check the patient in person before answering, which the simulator takes as done.
//! The patient tries to recover each time a share comes back, and the rebuilt signing key is
//! checked against its public key, so a wrong share cannot slip a wrong key in.

use crate::protocol::entry::context;
use crate::protocol::envelope::{Envelope, ReaderKey, ReaderKeys};
use crate::protocol::key_shares::{recover, split, KeyShare, PatientSecrets};
use crate::protocol::PublicKey;
use crate::sim::{ActorId, Rng, Time};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The `[key_recovery]` table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyRecovery {
    /// The patient (counted over all miners) who splits and later loses its keys.
    #[serde(default)]
    pub patient: usize,
    /// Shares needed to recover.
    pub threshold: u8,
    /// Shares dealt: to the patient's own miner and the miners after it in number.
    pub holders: u8,
    /// Second at which the patient loses its keys.
    pub lost_at: f64,
}

impl KeyRecovery {
    /// Rejects a recovery the run cannot stage, as (field, value, rule).
    pub fn check(
        &self,
        patients: usize,
        miners: usize,
        duration: f64,
    ) -> Result<(), (&'static str, String, String)> {
        if self.patient >= patients {
            let rule = format!("the run has patients 0..{patients}");
            return Err(("key_recovery.patient", self.patient.to_string(), rule));
        }
        if self.holders as usize > miners || self.holders == 0 {
            let rule = format!("must be between 1 and the {miners} miners");
            return Err(("key_recovery.holders", self.holders.to_string(), rule));
        }
        if self.threshold == 0 || self.threshold > self.holders {
            let rule = format!("must be between 1 and holders ({})", self.holders);
            return Err(("key_recovery.threshold", self.threshold.to_string(), rule));
        }
        if !(0.0..duration).contains(&self.lost_at) {
            let rule = format!("must be within the run (0 to duration = {duration})");
            return Err(("key_recovery.lost_at", self.lost_at.to_string(), rule));
        }
        Ok(())
    }
}

/// What binds a share to the patient it belongs to, as sealing's associated data.
pub fn share_context(patient: &PublicKey) -> [u8; 40] {
    context(patient, u64::MAX)
}

/// What a patient's recovery came to, for the summary.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    pub threshold: u8,
    pub holders: u8,
    /// Holders that acknowledged keeping a share.
    pub kept: usize,
    /// Shares that came back after the loss.
    pub returned: usize,
    pub lost_at: Time,
    pub recovered_at: Option<Time>,
}

/// The patient's side.
pub struct Recovery {
    pub threshold: u8,
    /// The holders, with the public reading key each share is sealed for.
    pub holders: Vec<(ActorId, ReaderKey)>,
    pub lost_at: Time,
    public: PublicKey,
    reading: ReaderKey,
    /// Sealed shares by holder, until each acknowledges.
    unkept: BTreeMap<ActorId, Envelope>,
    kept: BTreeSet<ActorId>,
    returned: BTreeMap<ActorId, KeyShare>,
    pub lost: bool,
    pub recovered_at: Option<Time>,
}

impl Recovery {
    /// Deals the shares of `secrets`, sealed for each holder.
    pub fn deal(
        secrets: &PatientSecrets,
        threshold: u8,
        holders: Vec<(ActorId, ReaderKey)>,
        lost_at: Time,
        rng: &mut Rng,
    ) -> Recovery {
        let public = secrets.signing.public();
        let reading = secrets.reading.public();
        let shares = split(secrets, threshold, holders.len() as u8, rng);
        let context = share_context(&public);
        let unkept = holders
            .iter()
            .zip(shares)
            .map(|(&(actor, reader), share)| {
                (actor, Envelope::seal(&share.0, &[reader], &context, rng))
            })
            .collect();
        Recovery {
            threshold,
            holders,
            lost_at,
            public,
            reading,
            unkept,
            kept: BTreeSet::new(),
            returned: BTreeMap::new(),
            lost: false,
            recovered_at: None,
        }
    }

    /// The sealed shares not yet acknowledged, to send (again).
    pub fn to_deal(&self) -> impl Iterator<Item = (ActorId, &Envelope)> {
        self.unkept.iter().map(|(actor, share)| (*actor, share))
    }

    /// While the keys are lost: the holders whose share has not come back.
    pub fn to_ask(&self) -> Vec<ActorId> {
        let asking = self.lost && self.recovered_at.is_none();
        let holders = self.holders.iter().map(|(actor, _)| *actor);
        holders
            .filter(|actor| asking && !self.returned.contains_key(actor))
            .collect()
    }

    pub fn kept_by(&mut self, holder: ActorId) {
        if self.unkept.remove(&holder).is_some() {
            self.kept.insert(holder);
        }
    }

    /// A share came back from `holder`: the secrets, if they are now recovered.
    pub fn returned(
        &mut self,
        holder: ActorId,
        share: KeyShare,
        now: Time,
    ) -> Option<PatientSecrets> {
        if !self.lost || self.recovered_at.is_some() || !self.holders.iter().any(|h| h.0 == holder)
        {
            return None;
        }
        self.returned.insert(holder, share.clone());
        // Every set of `threshold` shares that includes the new one (those without it were
        // tried before): one wrong share must not block a threshold of good ones.
        let others: Vec<&KeyShare> = self
            .returned
            .iter()
            .filter(|(h, _)| **h != holder)
            .map(|(_, s)| s)
            .collect();
        let needed = usize::from(self.threshold).saturating_sub(1);
        let secrets = subsets(others.len(), needed)
            .take(MAX_TRIES)
            .find_map(|picked| {
                let mut shares: Vec<KeyShare> = picked.iter().map(|&i| others[i].clone()).collect();
                shares.push(share.clone());
                recover(&self.public, &self.reading, self.threshold, &shares).ok()
            })?;
        self.recovered_at = Some(now);
        Some(secrets)
    }

    pub fn report(&self) -> RecoveryReport {
        RecoveryReport {
            threshold: self.threshold,
            holders: self.holders.len() as u8,
            kept: self.kept.len(),
            returned: self.returned.len(),
            lost_at: self.lost_at,
            recovered_at: self.recovered_at,
        }
    }
}

/// Most share sets a patient tries when a share comes back.
const MAX_TRIES: usize = 1000;

/// Every set of `size` indices below `count`, in lexicographic order.
fn subsets(count: usize, size: usize) -> impl Iterator<Item = Vec<usize>> {
    let mut next = (size <= count).then(|| (0..size).collect::<Vec<usize>>());
    std::iter::from_fn(move || {
        let current = next.take()?;
        let mut following = current.clone();
        // The rightmost index that can still move right, moved, and the rest packed after it.
        if let Some(at) = (0..size).rev().find(|&i| following[i] < count - size + i) {
            following[at] += 1;
            for i in at + 1..size {
                following[i] = following[i - 1] + 1;
            }
            next = Some(following);
        }
        Some(current)
    })
}

/// The holder's side: opens a kept share for the patient who asks.
pub fn open_share(sealed: &Envelope, keys: &ReaderKeys, patient: &PublicKey) -> Option<KeyShare> {
    sealed
        .open(keys, &share_context(patient))
        .ok()
        .map(KeyShare)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::KeyPair;
    use crate::sim::stream;

    fn dealt() -> (Recovery, Vec<KeyShare>, Vec<ReaderKeys>) {
        let holders: Vec<ReaderKeys> = (0..4).map(|i| ReaderKeys::derive(1, "miner", i)).collect();
        let secrets = PatientSecrets {
            signing: KeyPair::derive(1, "patient", 0),
            reading: ReaderKeys::derive(1, "patient", 0),
        };
        let at = holders
            .iter()
            .enumerate()
            .map(|(i, k)| (10 + i, k.public()))
            .collect();
        let recovery = Recovery::deal(&secrets, 3, at, Time::ZERO, &mut stream(1, "t", 0));
        let patient = secrets.signing.public();
        let shares = recovery
            .to_deal()
            .zip(&holders)
            .map(|((_, sealed), keys)| open_share(sealed, keys, &patient).expect("opens"))
            .collect();
        (recovery, shares, holders)
    }

    /// Each holder's share opens only with that holder's key; the patient recovers at the
    /// third share back and not before, and a stranger's share is not counted.
    #[test]
    fn recovery_completes_at_the_threshold_and_only_from_holders() {
        let (mut recovery, shares, holders) = dealt();
        let patient = KeyPair::derive(1, "patient", 0).public();
        let first = recovery.to_deal().next().unwrap().1.clone();
        assert!(open_share(&first, &holders[1], &patient).is_none());
        for holder in 10..14 {
            recovery.kept_by(holder);
        }
        assert_eq!(recovery.to_deal().count(), 0);
        assert!(
            recovery.returned(10, shares[0].clone(), Time(5)).is_none(),
            "not lost yet"
        );
        recovery.lost = true;
        assert_eq!(recovery.to_ask(), vec![10, 11, 12, 13]);
        assert!(recovery.returned(10, shares[0].clone(), Time(5)).is_none());
        assert!(recovery.returned(99, shares[1].clone(), Time(6)).is_none());
        assert!(recovery.returned(12, shares[2].clone(), Time(7)).is_none());
        let secrets = recovery
            .returned(13, shares[3].clone(), Time(8))
            .expect("3 of 4");
        assert_eq!(secrets.signing.public(), patient);
        assert_eq!(recovery.recovered_at, Some(Time(8)));
        assert_eq!(recovery.to_ask(), Vec::<ActorId>::new());
        assert_eq!(recovery.report().returned, 3);
    }

    /// One holder answering with a wrong share does not block the others: the patient
    /// recovers once a threshold of right ones is back.
    #[test]
    fn a_wrong_share_among_the_returned_does_not_block_recovery() {
        let (mut recovery, mut shares, _) = dealt();
        recovery.lost = true;
        shares[0].0[5] ^= 1;
        for (holder, share) in (10..13).zip(&shares[..3]) {
            assert!(recovery.returned(holder, share.clone(), Time(1)).is_none());
        }
        assert!(recovery.returned(13, shares[3].clone(), Time(2)).is_some());
    }

    #[test]
    fn subsets_lists_each_set_of_indices_once() {
        let all: Vec<Vec<usize>> = subsets(4, 2).collect();
        assert_eq!(all, [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]);
        assert_eq!(subsets(3, 0).collect::<Vec<_>>(), [Vec::<usize>::new()]);
        assert_eq!(subsets(2, 3).count(), 0);
    }
}
