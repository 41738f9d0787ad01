//! The dissertation's "storage proportion of each block": what a block costs beside the
//! primary data it stores.
//!
//! Sizes are means over the steady-state blocks of every branch: heights 2 and up, since
//! block 1 pays for the (smaller) genesis blocks. Bytes are counted as encoded: header,
//! body (records with their signatures), foreign chunk data, and foreign chunk headers and
//! proofs. With FHIR records, `encryption_bytes` is the part of the body that sealing adds
//! (each sealed entry's tag and one wrapped key per reader), and `readers` counts the
//! parties each sealed entry is wrapped for, the patient included.

use crate::protocol::entry::{Body, Entry};
use crate::protocol::BlockSize;
use crate::scenario::Scenario;
use crate::simulation::Outcome;

pub const COLUMNS: &[&str] = &[
    "k",
    "m",
    "record_size",
    "records_per_block",
    "blocks_measured",
    "primary_bytes",
    "header_bytes",
    "body_bytes",
    "foreign_data_bytes",
    "foreign_overhead_bytes",
    "block_bytes",
    "ratio",
    "records",
    "readers",
    "encryption_bytes",
];

pub fn row(scenario: &Scenario, outcome: &Outcome) -> Vec<String> {
    let first = if scenario.blocks >= 2 { 2 } else { 1 };
    let sizes: Vec<BlockSize> = outcome
        .miners
        .iter()
        .flat_map(|miner| miner.blocks.iter())
        .filter(|block| block.header.height >= first)
        .map(|block| block.size())
        .collect();
    let count = sizes.len().max(1) as f64;
    let mean = |part: fn(&BlockSize) -> u64| sizes.iter().map(part).sum::<u64>() as f64 / count;
    let primary = mean(BlockSize::primary);
    let total = mean(BlockSize::total);
    let model = scenario.records_model();
    let blocks = outcome.miners.iter().flat_map(|miner| miner.blocks.iter());
    // Opaque payloads are not entries: nothing in them is sealing.
    let sealing: u64 = blocks
        .filter(|block| model.is_some() && block.header.height >= first)
        .flat_map(|block| block.records.iter())
        .filter_map(|record| match Entry::of(record).ok()?.body {
            Body::Data(envelope) => Some(envelope.overhead() as u64),
            _ => None,
        })
        .sum();
    vec![
        scenario.protocol.k.to_string(),
        scenario.protocol.m.to_string(),
        match scenario.records_model() {
            None => scenario.patients.record_size.to_string(),
            Some(_) => "mix".into(),
        },
        scenario.patients.per_miner.to_string(),
        sizes.len().to_string(),
        format!("{primary:.1}"),
        format!("{:.1}", mean(|s| s.header)),
        format!("{:.1}", mean(|s| s.body)),
        format!("{:.1}", mean(|s| s.foreign_data)),
        format!("{:.1}", mean(|s| s.foreign_overhead)),
        format!("{total:.1}"),
        format!("{:.4}", total / primary.max(1.0)),
        match &model {
            None => "opaque".into(),
            Some(_) => "fhir".into(),
        },
        model
            .as_ref()
            .map_or(0, |m| 1 + m.readers.len())
            .to_string(),
        format!("{:.1}", sealing as f64 / count),
    ]
}
