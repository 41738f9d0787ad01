//! Benchmarks of the hot path (signing, verification, hashing, Reed-Solomon, sealing records)
//! and of a whole
//! default run, so the simulator's own overhead can be judged against them.
//!
//! Run with `cargo bench --bench primitives`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use medilanac::protocol::envelope::{Envelope, ReaderKey, ReaderKeys};
use medilanac::protocol::keys::verify_uncached;
use medilanac::protocol::{Codec, Hash, KeyPair};
use medilanac::scenario::{Scenario, DEFAULT};
use medilanac::sim::stream;
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

/// Sealing a record (a fresh file key, ChaCha20-Poly1305, one HPKE wrap per reader) and
/// opening it as one reader: per record at an observation's size and per byte at an
/// image's, with one and three readers.
fn sealing(c: &mut Criterion) {
    let readers: Vec<ReaderKeys> = (0..3).map(|i| ReaderKeys::derive(1, "reader", i)).collect();
    let publics: Vec<ReaderKey> = readers.iter().map(ReaderKeys::public).collect();
    let context = [9u8; 40];
    let mut group = c.benchmark_group("seal record");
    for size in [1usize << 10, 1 << 20] {
        let data = vec![7u8; size];
        group.throughput(Throughput::Bytes(size as u64));
        for count in [1usize, 3] {
            let id = BenchmarkId::new(format!("{count} readers"), size);
            group.bench_with_input(id, &data, |b, data| {
                let mut rng = stream(1, "bench", 0);
                b.iter(|| Envelope::seal(black_box(data), &publics[..count], &context, &mut rng))
            });
        }
        let sealed = Envelope::seal(&data, &publics, &context, &mut stream(1, "bench", 1));
        group.bench_with_input(BenchmarkId::new("open", size), &sealed, |b, sealed| {
            b.iter(|| sealed.open(&readers[2], black_box(&context)).unwrap())
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

criterion_group!(
    benches,
    crypto,
    erasure,
    sealing,
    whole_run,
    fault_tolerance_run
);
criterion_main!(benches);
