//! Hostile miners measured: how soon honest miners find each kind out, what the kind costs
//! them, and what it gains.
//!
//! One run per grid point sets `count` miners of kind `adversary` (the highest-numbered)
//! and watches every blacklisting and every validation as it happens. An adversary counts
//! as detected once at least half of the honest miners blacklisted it. The costs are read
//! from the branches at the end: honest blocks that fewer than `k` honest branches back up
//! (the adversaries are assumed not to help rebuild), honest storage spent on what protects
//! nothing (extra copies of one chunk, chunks of fabricated records), and what the
//! adversaries avoided storing while seeming to (foreign data they dropped or never
//! gathered, records they can regenerate). Beside the measured share detected is the
//! prediction of [`super::detection`] from each kind's exposure to challenges and the
//! validations it actually faced after its first block.

use super::detection::{at_least, caught, run_of};
use crate::actors::adversary::fabricated_record;
use crate::actors::{Behaviour, Observation, Roster};
use crate::protocol::{Block, ChunkId, PublicKey};
use crate::scenario::Scenario;
use crate::sim::{ActorId, RunEnd, Time};
use crate::simulation::{run_with, Hooks, Outcome};
use crate::summary::{BlockStatus, Holdings, MinerOutcome};
use std::collections::BTreeMap;

pub const COLUMNS: &[&str] = &[
    "adversary",
    "count",
    "honest",
    "detected",
    "predicted_detected",
    "first_detection_s",
    "full_detection_s",
    "false_blacklists",
    "honest_blocks",
    "honest_blocks_lost",
    "honest_bytes_wasted",
    "adversary_bytes_saved",
    "adversary_copies",
    "validations",
    "messages",
    "end_s",
    "quiet",
];

/// What the run showed as it went: who blacklisted whom and when, and who validated whom
/// when.
#[derive(Default)]
struct Watch {
    blacklisted: Vec<(Time, ActorId, ActorId)>,
    validations: Vec<(Time, ActorId, ActorId)>,
}

pub fn run(
    scenario: &Scenario,
    seed: u64,
    adversary: Behaviour,
    count: usize,
) -> (Outcome, Vec<Vec<String>>) {
    let mut scenario = scenario.clone();
    scenario.adversaries.set_count(adversary, count);
    let mut watch = Watch::default();
    let outcome = {
        let note = |event: &crate::sim::EventRecord, seen: &[Observation]| {
            for observation in seen {
                match observation {
                    Observation::PeerBlacklisted { peer, .. } => {
                        watch.blacklisted.push((event.time, event.actor, *peer))
                    }
                    Observation::ValidationStarted { peer } => {
                        watch.validations.push((event.time, event.actor, *peer))
                    }
                    _ => {}
                }
            }
        };
        let hooks = Hooks {
            watcher: Some(Box::new(note)),
            ..Hooks::default()
        };
        run_with(&scenario, seed, hooks)
    };
    let row = row(&scenario, seed, adversary, count, &outcome, &watch);
    (outcome, vec![row])
}

fn row(
    scenario: &Scenario,
    seed: u64,
    adversary: Behaviour,
    count: usize,
    outcome: &Outcome,
    watch: &Watch,
) -> Vec<String> {
    let roster = scenario.roster();
    let actor = |miner: &MinerOutcome| roster.miner(miner.number);
    let honest: Vec<&MinerOutcome> = outcome
        .miners
        .iter()
        .filter(|m| m.behaviour == Behaviour::Honest)
        .collect();
    let hostile: Vec<&MinerOutcome> = outcome
        .miners
        .iter()
        .filter(|m| m.behaviour != Behaviour::Honest)
        .collect();
    let is_honest = |id: ActorId| honest.iter().any(|m| actor(m) == id);
    let need = honest.len().div_ceil(2);
    // When each adversary was blacklisted by half of the honest miners.
    let mut found: Vec<Option<Time>> = Vec::new();
    for miner in &hostile {
        let mut by = Vec::new();
        let mut at = None;
        for &(time, who, peer) in &watch.blacklisted {
            if peer == actor(miner) && is_honest(who) && !by.contains(&who) {
                by.push(who);
                if by.len() == need.max(1) {
                    at = Some(time);
                }
            }
        }
        found.push(at);
    }
    let first = watch
        .blacklisted
        .iter()
        .filter(|(_, who, peer)| is_honest(*who) && !is_honest(*peer))
        .map(|(time, ..)| *time)
        .min();
    let full = match found.iter().all(Option::is_some) && !found.is_empty() {
        true => found.iter().flatten().max().copied(),
        false => None,
    };
    let false_blacklists = watch
        .blacklisted
        .iter()
        .filter(|(_, who, peer)| is_honest(*who) && is_honest(*peer))
        .count();
    let detected = match hostile.len() {
        0 => String::new(),
        n => format!("{:.4}", found.iter().flatten().count() as f64 / n as f64),
    };
    let predicted = match hostile.len() {
        0 => String::new(),
        n => {
            let each = hostile
                .iter()
                .map(|a| predicted(scenario, a, &honest, &roster, watch));
            format!("{:.4}", each.sum::<f64>() / n as f64)
        }
    };
    let seconds =
        |time: Option<Time>| time.map_or(String::new(), |t| format!("{:.3}", t.as_secs_f64()));
    let copies = match hostile.is_empty() {
        true => String::new(),
        false => format!("{:.3}", copies_per_chunk(outcome, &hostile)),
    };
    vec![
        adversary.name().to_string(),
        count.to_string(),
        honest.len().to_string(),
        detected,
        predicted,
        seconds(first),
        seconds(full),
        false_blacklists.to_string(),
        honest
            .iter()
            .map(|m| m.blocks.len())
            .sum::<usize>()
            .to_string(),
        honest_blocks_lost(scenario, &honest).to_string(),
        honest_bytes_wasted(seed, outcome, &honest).to_string(),
        adversary_bytes_saved(scenario, seed, &hostile).to_string(),
        copies,
        (outcome.summary.validations_passed + outcome.summary.validations_failed).to_string(),
        outcome.engine.messages_sent.to_string(),
        format!("{:.3}", outcome.end_time.as_secs_f64()),
        (outcome.end == RunEnd::Quiet).to_string(),
    ]
}

/// Honest blocks with fewer than `k` chunks on honest branches at the end.
fn honest_blocks_lost(scenario: &Scenario, honest: &[&MinerOutcome]) -> u64 {
    let all = honest.iter().flat_map(|m| {
        std::iter::once(m.blocks.as_slice()).chain(m.retired.iter().map(Vec::as_slice))
    });
    let current = honest.iter().map(|m| (m.presence, m.blocks.as_slice()));
    let holdings = Holdings::of(all, current);
    let blocks = honest.iter().flat_map(|m| m.blocks.iter());
    blocks
        .filter(|b| {
            holdings.status(scenario.protocol.k, b.header.branch, b.header.height)
                != BlockStatus::Recoverable
        })
        .count() as u64
}

/// The patient key a generator signs its fabricated records with.
fn fabricator(seed: u64, miner: &MinerOutcome) -> PublicKey {
    fabricated_record(seed, miner.number, 0, 0).patient
}

/// Bytes of fabricated records in `block`, if a generator with key `fake` made it.
fn fabricated_bytes(block: &Block, fake: PublicKey) -> u64 {
    let fakes = block.records.iter().filter(|r| r.patient == fake);
    fakes.map(|r| r.encoded_len() as u64).sum()
}

/// Honest storage that protects nothing: copies of one chunk beyond the first on honest
/// branches, and the share of each held chunk that codes fabricated records.
fn honest_bytes_wasted(seed: u64, outcome: &Outcome, honest: &[&MinerOutcome]) -> u64 {
    let mut copies: BTreeMap<ChunkId, (usize, u64)> = BTreeMap::new();
    for chunk in honest
        .iter()
        .flat_map(|m| m.blocks.iter().flat_map(|b| b.foreign.iter()))
    {
        let entry = copies
            .entry(chunk.id())
            .or_insert((0, chunk.data.len() as u64));
        entry.0 += 1;
    }
    let duplicated: u64 = copies.values().map(|&(n, len)| (n as u64 - 1) * len).sum();
    let generators = outcome
        .miners
        .iter()
        .filter(|m| m.behaviour == Behaviour::Generator);
    let mut fabricated = 0.0;
    for generator in generators {
        let fake = fabricator(seed, generator);
        for block in &generator.blocks {
            let share = fabricated_bytes(block, fake) as f64 / block.size().primary().max(1) as f64;
            let held = copies.iter().filter(|(id, _)| {
                id.source == block.header.branch && id.height == block.header.height
            });
            fabricated += held
                .map(|(_, &(n, len))| share * (n as u64 * len) as f64)
                .sum::<f64>();
        }
    }
    duplicated + fabricated.round() as u64
}

/// What the adversaries avoided storing while their headers claim it: foreign data below
/// rule 8's requirement or dropped after sealing, and records they can regenerate.
fn adversary_bytes_saved(scenario: &Scenario, seed: u64, hostile: &[&MinerOutcome]) -> u64 {
    let params = &scenario.protocol;
    let mut saved = 0;
    for miner in hostile {
        let fake = fabricator(seed, miner);
        for pair in miner.blocks.windows(2) {
            let (previous, block) = (&pair[0], &pair[1]);
            let stored: u64 = block.foreign.iter().map(|c| c.data.len() as u64).sum();
            let needed = match params.requirement(Some(previous.header.primary_size())) {
                crate::protocol::Requirement::Bytes(bytes) => bytes,
                crate::protocol::Requirement::Chunks(_) => block.header.foreign_size,
            };
            saved += block.header.foreign_size.saturating_sub(stored);
            saved += needed.saturating_sub(block.header.foreign_size);
            saved += fabricated_bytes(block, fake);
        }
    }
    saved
}

/// Holders per placed chunk of the adversaries' (1 for a miner that places each once).
fn copies_per_chunk(outcome: &Outcome, hostile: &[&MinerOutcome]) -> f64 {
    let theirs: Vec<_> = hostile
        .iter()
        .map(|m| m.blocks.first().map(|b| b.header.branch))
        .collect();
    let mut holders: BTreeMap<ChunkId, usize> = BTreeMap::new();
    for miner in &outcome.miners {
        for chunk in miner.blocks.iter().flat_map(|b| b.foreign.iter()) {
            if theirs.contains(&Some(chunk.header.source)) {
                *holders.entry(chunk.id()).or_default() += 1;
            }
        }
    }
    match holders.len() {
        0 => 0.0,
        n => holders.values().sum::<usize>() as f64 / n as f64,
    }
}

/// How one adversary is exposed to a validation: the chance `f` that a challenged item
/// is bad and the challenges `c` per validation, or a withholder's chance to stay silent
/// through one validation; and whether a catch is signed evidence that is handed on.
enum Exposure {
    Challenged { f: f64, c: f64, handed_on: bool },
    Withholding { q: f64, run: u32 },
    Undefended,
}

fn exposure(scenario: &Scenario, miner: &MinerOutcome) -> Exposure {
    use crate::actors::adversary::Corrupts;
    let a = &scenario.adversaries;
    let files = scenario.miner.challenges as f64;
    match miner.behaviour {
        Behaviour::Honest => Exposure::Undefended,
        Behaviour::FreeRider if a.free_rider.embeds < 1.0 => Exposure::Challenged {
            f: 1.0,
            c: 1.0,
            handed_on: true,
        },
        Behaviour::FreeRider => Exposure::Challenged {
            f: 1.0,
            c: 1.0,
            handed_on: false,
        },
        // A challenge goes unanswered only if every one of its sends is withheld.
        Behaviour::Withholder => Exposure::Withholding {
            q: caught(
                a.withholder.refusal.powi(scenario.miner.attempts as i32),
                files + 1.0,
            ),
            run: if a.withholder.silent {
                scenario.miner.missed_challenges
            } else {
                1
            },
        },
        Behaviour::Tamperer => Exposure::Challenged {
            f: 1.0,
            c: match a.tamperer.corrupts {
                Corrupts::File => files,
                _ => 1.0,
            },
            handed_on: false,
        },
        Behaviour::Duplicator => Exposure::Undefended,
        Behaviour::Generator if scenario.protocol.certified_patients => {
            let fakes = a.generator.per_block as f64;
            Exposure::Challenged {
                f: fakes / (fakes + scenario.patients.per_miner as f64),
                c: files,
                handed_on: false,
            }
        }
        Behaviour::Generator => Exposure::Undefended,
        Behaviour::Equivocator if scenario.miner.gossip_headers > 0 => Exposure::Challenged {
            f: 0.5,
            c: scenario.miner.gossip_headers as f64,
            handed_on: true,
        },
        Behaviour::Equivocator => Exposure::Undefended,
    }
}

/// The chance that at least half of the honest miners blacklist `adversary`, given the
/// validations each started on it after its first block.
fn predicted(
    scenario: &Scenario,
    adversary: &MinerOutcome,
    honest: &[&MinerOutcome],
    roster: &Roster,
    watch: &Watch,
) -> f64 {
    let target = roster.miner(adversary.number);
    let since = adversary
        .blocks
        .get(1)
        .map_or(Time(u64::MAX), |b| Time(b.header.time));
    let faced = |miner: &MinerOutcome| {
        let by = roster.miner(miner.number);
        let v = watch.validations.iter();
        v.filter(|(t, who, peer)| *who == by && *peer == target && *t >= since)
            .count() as u64
    };
    let need = honest.len().div_ceil(2).max(1);
    let exposure = exposure(scenario, adversary);
    let chances: Vec<f64> = honest
        .iter()
        .map(|miner| match exposure {
            Exposure::Challenged { f, c, .. } => caught(f, c * faced(miner) as f64),
            Exposure::Withholding { q, run } => run_of(q, faced(miner), run),
            Exposure::Undefended => 0.0,
        })
        .collect();
    match exposure {
        Exposure::Challenged {
            handed_on: true, ..
        } => 1.0 - chances.iter().map(|p| 1.0 - p).product::<f64>(),
        _ => at_least(&chances, need),
    }
}
