//! Benchmarks of the hot path (signing, verification, hashing, Reed-Solomon) and of a whole
//! default run, so the simulator's own overhead can be judged against them.
//!
//! Run with `cargo bench --bench primitives`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use medilanac::protocol::keys::verify_uncached;
use medilanac::protocol::{Codec, Hash, KeyPair};
use medilanac::scenario::{Scenario, DEFAULT};
use medilanac::simulation;
use std::hint::black_box;

fn crypto(c: &mut Criterion) {
    let keys = KeyPair::derive(1, "miner", 0);
    let digest = Hash::of(b"header");
    let signature = keys.sign(&digest);
    c.bench_function("ed25519 sign", |b| b.iter(|| keys.sign(black_box(&digest))));
    c.bench_function("ed25519 verify", |b| {
        b.iter(|| verify_uncached(&keys.public(), black_box(&digest), &signature))
    });
    let mut group = c.benchmark_group("sha256");
    for size in [1usize << 10, 1 << 20] {
        let data = vec![7u8; size];
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::from_parameter(size), &data, |b, data| {
            b.iter(|| Hash::of(black_box(data)))
        });
    }
    group.finish();
}

fn erasure(c: &mut Criterion) {
    let mut group = c.benchmark_group("reed-solomon k=3 m=5");
    for size in [1usize << 10, 1 << 20] {
        let codec = Codec::new(3, 5).unwrap();
        let data = vec![7u8; size];
        let shards = codec.encode(&data);
        let parity: Vec<(usize, &[u8])> = (2..5).map(|i| (i, &shards[i][..])).collect();
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::new("encode", size), &data, |b, data| {
            b.iter(|| codec.encode(black_box(data)))
        });
        group.bench_with_input(BenchmarkId::new("decode", size), &parity, |b, parity| {
            b.iter(|| codec.decode(black_box(parity), size as u64).unwrap())
        });
    }
    group.finish();
}

fn whole_run(c: &mut Criterion) {
    let scenario = Scenario::parse(DEFAULT).unwrap();
    c.bench_function("default scenario, whole run", |b| {
        b.iter(|| simulation::run(black_box(&scenario), 1, None).digest)
    });
}

/// One run of the fault-tolerance sweep (50 miners, k = 5, 20 subjects): what the sweep's
/// wall time is made of, run after run.
fn fault_tolerance_run(c: &mut Criterion) {
    let text = std::fs::read_to_string("scenarios/fault-tolerance.toml").unwrap();
    let scenario = Scenario::parse(&text).unwrap();
    let job = medilanac::sweep::grid::jobs(&scenario).unwrap().remove(8);
    let mut group = c.benchmark_group("fault tolerance");
    group.sample_size(10);
    group.bench_function("one run, 50 miners, k = 5, 20 subjects", |b| {
        b.iter(|| medilanac::sweep::run_job(black_box(&job)))
    });
    group.finish();
}

criterion_group!(benches, crypto, erasure, whole_run, fault_tolerance_run);
criterion_main!(benches);
