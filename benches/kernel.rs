//! Criterion benches of the kernel matrix, throughput in entries (N²) per second.
//!
//! `kernel_matrix`: for each N, the default plan (all threads) and `threads(1)` writing into a
//! reused `KernelMatrix` (64-byte aligned rows when N is a multiple of 8), the default plan
//! writing a reused `Vec` (16-byte aligned: no streaming stores) and allocating its result, the
//! row schedule (every entry computed, the crate's schedule before the symmetric one), the store
//! floor (`Plan::fill_floor`, streaming stores, no arithmetic), and two baselines: the scalar
//! `reference` (one thread, allocates, as its API does) and a naive row-parallel scalar loop
//! over rayon into a reused buffer. `tile_sweep`: tile shapes at N = 3000. `apply`: the
//! matrix-free product at N = 10⁴ with k = 1, 4, 8, 16 right-hand sides (elements = pair
//! evaluations × right-hand sides).
//!
//! The binary's `pairkernel bench` measures the same against the floor in one interleaved run,
//! which is the fairer comparison on a noisy machine; these give criterion's statistics.
//!
//! Group names carry the SIMD features of the build, so two reports can be compared knowingly.
//! Run: `cargo bench --bench kernel` (all), `cargo bench --bench kernel -- tile_sweep` (one group).

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use pairkernel::{KernelMatrix, Nodes, Plan, Schedule, Stores, reference};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rayon::prelude::*;

const SIZES: &[usize] = &[500, 1000, 2000, 3000, 5000, 10000];

fn build_label() -> String {
    format!(
        "simd={} threads={}",
        pairkernel::simd_features().join("+"),
        rayon::current_num_threads()
    )
}

fn random_nodes(n: usize) -> Nodes {
    Nodes::random(n, &mut StdRng::seed_from_u64(n as u64))
}

/// The obvious parallel code a user might write: one rayon task per row, scalar entries.
fn naive_row_parallel(points: &[[f64; 3]], out: &mut [f64]) {
    out.par_chunks_mut(points.len())
        .zip(points)
        .for_each(|(row, p)| {
            for (entry, q) in row.iter_mut().zip(points) {
                *entry = reference::entry(p, q);
            }
        });
}

fn kernel_matrix(c: &mut Criterion) {
    let mut group = c.benchmark_group(format!("kernel_matrix [{}]", build_label()));
    for &n in SIZES {
        let nodes = random_nodes(n);
        let points = nodes.to_points();
        let mut out = vec![0.0; n * n];
        let mut matrix = KernelMatrix::zeros(n, n).unwrap();
        group.throughput(Throughput::Elements((n * n) as u64));
        // Large N: few samples, each already long enough to be stable.
        group.sample_size(if n >= 3000 { 10 } else { 30 });
        group.measurement_time(Duration::from_secs(if n >= 5000 { 8 } else { 3 }));

        let all = Plan::default();
        let single = Plan::new().threads(1);
        let rows = Plan::new().schedule(Schedule::Rows);
        let floor = Plan::new().stores(Stores::Streaming);
        let into = |plan: &Plan, out: &mut [f64]| plan.kernel_matrix_into(&nodes, out).unwrap();
        group.bench_function(BenchmarkId::new("default_into", n), |b| {
            b.iter(|| into(&all, black_box(matrix.as_mut_slice())))
        });
        group.bench_function(BenchmarkId::new("threads1_into", n), |b| {
            b.iter(|| into(&single, black_box(matrix.as_mut_slice())))
        });
        group.bench_function(BenchmarkId::new("rows_schedule_into", n), |b| {
            b.iter(|| into(&rows, black_box(matrix.as_mut_slice())))
        });
        group.bench_function(BenchmarkId::new("default_into_vec", n), |b| {
            b.iter(|| into(&all, black_box(&mut out)))
        });
        group.bench_function(BenchmarkId::new("store_floor", n), |b| {
            b.iter(|| {
                floor
                    .fill_floor(black_box(matrix.as_mut_slice()), n)
                    .unwrap()
            })
        });
        group.bench_function(BenchmarkId::new("default_alloc", n), |b| {
            b.iter(|| black_box(all.kernel_matrix(&nodes).unwrap()))
        });
        group.bench_function(BenchmarkId::new("naive_row_parallel", n), |b| {
            b.iter(|| naive_row_parallel(&points, black_box(&mut out)))
        });
        group.bench_function(BenchmarkId::new("reference", n), |b| {
            b.iter(|| black_box(reference::kernel_matrix(&points)))
        });
    }
    group.finish();
}

fn tile_sweep(c: &mut Criterion) {
    const N: usize = 3000;
    let mut group = c.benchmark_group(format!("tile_sweep N={N} [{}]", build_label()));
    let nodes = random_nodes(N);
    let mut matrix = KernelMatrix::zeros(N, N).unwrap();
    group.throughput(Throughput::Elements((N * N) as u64));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(2));
    for rows in [8, 32, 64, 256] {
        for cols in [64, 512, 4096] {
            let plan = Plan::new().tile(rows, cols);
            group.bench_function(BenchmarkId::from_parameter(format!("{rows}x{cols}")), |b| {
                b.iter(|| {
                    plan.kernel_matrix_into(&nodes, black_box(matrix.as_mut_slice()))
                        .unwrap()
                })
            });
        }
    }
    group.finish();
}

fn apply(c: &mut Criterion) {
    const N: usize = 10_000;
    let mut group = c.benchmark_group(format!("apply N={N} [{}]", build_label()));
    let nodes = random_nodes(N);
    let mut rng = StdRng::seed_from_u64(11);
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    for k in [1, 4, 8, 16] {
        let x: Vec<f64> = (0..N * k).map(|_| rng.random_range(-1.0..1.0)).collect();
        let mut y = vec![0.0; N * k];
        // Elements = pair evaluations × right-hand sides.
        group.throughput(Throughput::Elements((N * N * k) as u64));
        let plan = Plan::default();
        group.bench_function(BenchmarkId::new("apply_many", k), |b| {
            b.iter(|| plan.apply_many(&nodes, &x, k, black_box(&mut y)).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, kernel_matrix, tile_sweep, apply);
criterion_main!(benches);
