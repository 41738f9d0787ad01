//! Handler-level tests of the real miner: one node, one message at a time, no engine.

mod production;
mod repair;
mod restart;
mod switchboard;
mod validation;
