//! The `[miner]` table of a scenario, as the miners read it.
//!
//! The table deserialises straight into [`MinerSettings`], times in virtual [`Time`]
//! converted from the file's seconds on loading, so a setting has one name from the file to
//! the handler that uses it and nothing copies it field by field. What a miner is asked to
//! do (how many blocks, how many records per block) comes from other tables and joins these
//! settings in [`MinerConfig`](super::MinerConfig).

use crate::sim::time::{seconds, Time};
use serde::{Deserialize, Serialize};

/// Timing and effort settings of every miner.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MinerSettings {
    /// Time between blocks (a block waits longer if it lacks foreign chunks).
    #[serde(with = "seconds")]
    pub block_interval: Time,
    /// Files challenged per peer validation (one foreign chunk is challenged too).
    pub challenges: u32,
    /// How long a validated peer stays trusted.
    #[serde(with = "seconds")]
    pub trust_period: Time,
    /// Wait before an unanswered request is sent again.
    #[serde(with = "seconds")]
    pub request_timeout: Time,
    /// Sends of one request before the peer is left to rest.
    pub attempts: u32,
    /// First wait when no peer can supply a chunk; doubles up to `backoff_max`.
    #[serde(with = "seconds")]
    pub backoff: Time,
    #[serde(with = "seconds")]
    pub backoff_max: Time,
    /// Chunk requests and validations in flight at once.
    pub parallel: usize,
    /// How long an offered chunk stays reserved for the peer it was offered to.
    #[serde(with = "seconds")]
    pub offer_timeout: Time,
    /// Time between audits of the branches holding a miner's chunks; zero turns repair off.
    #[serde(with = "seconds")]
    pub repair_period: Time,
    /// Chunks of a block are placed again when fewer than this many holders still serve
    /// it; 0 means m.
    pub repair_threshold: usize,
    /// Validations in a row in which a peer may leave a challenge unanswered, while
    /// answering its headers, before it is barred as a withholder (see `suspension`); 0
    /// never bars a peer for silence.
    pub missed_challenges: u32,
    /// How long a peer found withholding is barred before it is validated again; doubled
    /// for each further validation it withholds in, and back to this once it passes one.
    /// 0 (the default) bars it for good, as the dissertation's blacklist does. Silence may
    /// be the network's doing (loss, a partition), unlike a wrong answer, and an honest
    /// miner that loss made look like a withholder to every peer, barred for good, never
    /// finishes; but a withholder that is validated again and again keeps a run from ever
    /// going quiet.
    #[serde(with = "seconds")]
    pub suspension: Time,
    /// Peers told the newest header of each peer a miner validates (0: none). Off by
    /// default: without it an equivocator that keeps each peer to one history is never
    /// found out, and with it every validation costs that many messages more.
    pub gossip_headers: usize,
}

impl Default for MinerSettings {
    fn default() -> MinerSettings {
        MinerSettings {
            block_interval: Time::from_secs(10),
            challenges: 2,
            trust_period: Time::from_secs(30),
            request_timeout: Time::from_secs(1),
            attempts: 3,
            backoff: Time::from_secs(1),
            backoff_max: Time::from_secs(60),
            parallel: 4,
            offer_timeout: Time::from_secs(60),
            repair_period: Time::ZERO,
            repair_threshold: 0,
            missed_challenges: 3,
            suspension: Time::ZERO,
            gossip_headers: 0,
        }
    }
}
