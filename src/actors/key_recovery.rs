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
        self.returned.insert(holder, share);
        let shares: Vec<KeyShare> = self.returned.values().cloned().collect();
        let secrets = recover(&self.public, self.threshold, &shares).ok()?;
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
}
