//! Shared test harness: exact values and ulp distances, node-set generators, plans to compare.
#![allow(dead_code)] // each test file uses its own part of the harness

pub mod exact;

use pairkernel::{Kernel, Nodes, Plan, Schedule, Stores};
use proptest::prelude::*;
use twofloat::TwoFloat;

/// The bound the crate promises for the default accuracy, in ulps of the exact value (every
/// SIMD path fuses its multiply-adds, so every build has the same bound).
pub const ULP_BOUND: f64 = 2.0;

/// The bound for `Accuracy::Fast`, in ulps of the exact value.
pub const FAST_ULP_BOUND: f64 = 11.0;

/// How far the article's formula in `reference` may be from the exact value, in ulps of the
/// exact value: a first-order worst case of its roundings (r² 5u, r 3.5u, r³/12 13.5u, plus the
/// final add). The hunt in `tests/accuracy.rs` finds it near 10.
pub const REFERENCE_ULP_BOUND: f64 = 14.5;

/// What follows for the kernel against the reference, in ulps of the exact value.
pub const FROM_REFERENCE_ULP_BOUND: f64 = ULP_BOUND + REFERENCE_ULP_BOUND;

/// φ(|p − q|) in double-double: the differences are exact, the rest carries ~100 bits, so its
/// leading f64 is the correctly rounded value except in cases far rarer than these tests meet.
pub fn exact_phi(p: [f64; 3], q: [f64; 3]) -> TwoFloat {
    let d = [0, 1, 2].map(|axis| TwoFloat::new_sub(p[axis], q[axis]));
    let r_squared = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
    let r = r_squared.sqrt();
    r_squared * r / 12.0 + r_squared / 6.0
}

/// The spacing of f64 at `x` (the ulp), for finite nonzero `x`.
pub fn ulp(x: f64) -> f64 {
    let x = x.abs();
    x.next_up() - x
}

/// How many ulps of the exact value `got` is from it; 0 for an exact zero hit, infinite for a
/// miss of an exact zero.
pub fn ulps_from_exact(got: f64, exact: TwoFloat) -> f64 {
    let nearest = exact.hi();
    if nearest == 0.0 {
        return if got == 0.0 { 0.0 } else { f64::INFINITY };
    }
    (TwoFloat::from(got) - exact).hi().abs() / ulp(nearest)
}

/// How far apart `got` and `want` are, in ulps of the exact value (what
/// [`FROM_REFERENCE_ULP_BOUND`] is stated in); 0 when all three are zero.
pub fn ulps_apart_of_exact(got: f64, want: f64, exact: TwoFloat) -> f64 {
    let nearest = exact.hi();
    if nearest == 0.0 {
        return if got == want { 0.0 } else { f64::INFINITY };
    }
    TwoFloat::new_sub(got, want).hi().abs() / ulp(nearest)
}

/// How many ulps of `want` separate `got` from it (both finite); 0 when both are zero.
pub fn ulps_apart(got: f64, want: f64) -> f64 {
    if want == 0.0 {
        return if got == 0.0 { 0.0 } else { f64::INFINITY };
    }
    (TwoFloat::new_sub(got, want)).hi().abs() / ulp(want)
}

/// Bit patterns, so that two matrices compare bitwise (and NaN == NaN would not hide).
pub fn bits(entries: &[f64]) -> Vec<u64> {
    entries.iter().map(|x| x.to_bits()).collect()
}

/// The kernel matrix of `nodes` computed on the calling thread, as bit patterns: the baseline
/// every other plan must reproduce.
pub fn serial_bits(nodes: &Nodes) -> Vec<u64> {
    bits(
        Plan::new()
            .threads(1)
            .kernel_matrix(nodes)
            .unwrap()
            .as_slice(),
    )
}

/// The cross matrix of `rows` against `cols` computed on the calling thread, as bit patterns.
pub fn serial_cross_bits(rows: &Nodes, cols: &Nodes) -> Vec<u64> {
    bits(
        Plan::new()
            .threads(1)
            .cross_matrix(rows, cols)
            .unwrap()
            .as_slice(),
    )
}

/// A coordinate of mixed scale: sign × [1, 10) × 10^k, k in -3 ..= 3, so that one set mixes
/// values from 1e-3 to 1e4, negatives included.
pub fn coordinate() -> impl Strategy<Value = f64> {
    (any::<bool>(), 1.0..10.0f64, -3..=3i32).prop_map(|(negative, mantissa, exponent)| {
        let x = mantissa * 10f64.powi(exponent);
        if negative { -x } else { x }
    })
}

/// Up to `max_len` points of mixed scale, with some points copied over others so that
/// duplicated nodes (distance exactly 0 off the diagonal) occur.
pub fn point_set(max_len: usize) -> impl Strategy<Value = Vec<[f64; 3]>> {
    (
        prop::collection::vec([coordinate(), coordinate(), coordinate()], 0..=max_len),
        prop::collection::vec(
            (any::<prop::sample::Index>(), any::<prop::sample::Index>()),
            0..8,
        ),
    )
        .prop_map(|(mut points, copies)| {
            if !points.is_empty() {
                for (from, to) in copies {
                    let (from, to) = (from.index(points.len()), to.index(points.len()));
                    points[to] = points[from];
                }
            }
            points
        })
}

/// Every schedule and store setting.
pub const SCHEDULES: [Schedule; 3] = [Schedule::Auto, Schedule::Rows, Schedule::Symmetric];
pub const STORES: [Stores; 3] = [Stores::Auto, Stores::Plain, Stores::Streaming];

/// A plan with any tile shape (including 1 × 1 and shapes larger than the matrix), any thread
/// setting (1 = serial, 0 = all, or a dedicated pool of 2 or 3), any schedule and any stores.
pub fn any_plan() -> impl Strategy<Value = Plan> {
    (
        1..80usize,
        1..1200usize,
        0..4usize,
        prop::sample::select(SCHEDULES.to_vec()),
        prop::sample::select(STORES.to_vec()),
    )
        .prop_map(|(rows, cols, threads, schedule, stores)| {
            Plan::new()
                .tile(rows, cols)
                .threads(threads)
                .schedule(schedule)
                .stores(stores)
        })
}

/// Hand-picked sizes that sit on lane, tile and band boundaries, and primes.
pub const AWKWARD_SIZES: &[usize] = &[
    0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 63, 65, 97, 127, 129, 1021, 1024, 1025, 1031,
];

/// Plans for the awkward sizes: every thread setting, tiles of 1, odd, on and off the 8-entry
/// blocks, default and huge, each under the default settings and under both schedules with
/// both store paths.
pub fn awkward_plans() -> Vec<Plan> {
    let mut plans = Vec::new();
    for threads in [1, 0, 2, 3] {
        for (rows, cols) in [
            (1, 1),
            (3, 5),
            (16, 1024),
            (15, 1023),
            (17, 1025),
            (1000, 4),
            (usize::MAX, usize::MAX),
        ] {
            let plan = Plan::new().tile(rows, cols).threads(threads);
            plans.push(plan.clone());
            for schedule in [Schedule::Rows, Schedule::Symmetric] {
                for stores in [Stores::Plain, Stores::Streaming] {
                    plans.push(plan.clone().schedule(schedule).stores(stores));
                }
            }
        }
    }
    plans
}

/// The documented bound of each kernel in ulps of the exact value (default accuracy). See each
/// kernel family's module doc for the analysis.
pub fn kernel_bound(kernel: &Kernel) -> f64 {
    match *kernel {
        Kernel::Phi => 2.0,
        Kernel::Linear { .. } => 1.5,
        Kernel::Cubic { .. } | Kernel::Quintic { .. } => 1.5,
        Kernel::ThinPlateSpline { .. } => 4.0,
        Kernel::Multiquadric { .. } => 1.5,
        Kernel::InverseMultiquadric { .. } => 2.5,
        Kernel::InverseQuadratic { .. } => 2.0,
        Kernel::Gaussian { .. } => 3.0,
        Kernel::Polyharmonic { degree, .. } => f64::from(degree / 2).max(1.5) + 2.5,
        _ => unreachable!(),
    }
}
