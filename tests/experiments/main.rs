//! Integration tests of the experiments, sweeps and plots (DESIGN section 4), one test binary:
//! sweep determinism and run order, resuming, grid errors, the fault-tolerance, multi-link
//! and adversary experiments,
//! the dissertation's metamorphic relations and the plots. Run with
//! `cargo test --release --test experiments`.

mod adversaries;
mod fault_tolerance;
mod metamorphic;
mod multi_link;
mod plot;
mod resume;
mod support;
mod sweep;
