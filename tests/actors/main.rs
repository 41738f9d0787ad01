//! Handler-level tests of the real miner: one node, one message at a time, no engine.

mod announcing;
mod audit_office;
mod certification;
mod evidence;
mod gossip;
mod offers;
mod production;
mod records;
mod repair;
mod restart;
mod support_defences;
mod switchboard;
mod validation;
mod withholding;
