//! Integration tests of the protocol library (DESIGN section 2), one binary for the area.

mod block_size;
mod chunks;
mod merkle;
mod reconstruction;
mod sealed_records;
mod support;
mod tampering;
mod validation;
