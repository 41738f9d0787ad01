//! `medilanac replay`, event traces and the determinism self-check (DESIGN section 3): a
//! sweep row replays to its digest, `--expect` checks one, a trace has one JSON line per
//! event and leaves the digest alone, and `--check-determinism` passes on shipped
//! scenarios. Run with `cargo test --release --test replay`.

mod determinism;
mod expect;
mod support;
mod sweep_rows;
mod trace;
