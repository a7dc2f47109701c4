//! # pairkernel
//!
//! Fast pairwise kernel matrices on multicore CPUs: for nodes v₀ … v_{N−1} in any dimension,
//! the N × N matrix `D[i][j] = φ(|vᵢ − vⱼ|)` the RBF interpolation is built on — by default with
//! the article's cubic `φ(r) = r³/12 + r²/6` in 3-D, or any of scipy's kernels ([`Kernel`]), or
//! your own ([`RadialFunction`]); and the P × Q cross matrix between two node sets that
//! evaluating an RBF at new points needs, and the products of both with vectors, matrix-free.
//!
//! ```
//! use pairkernel::{Kernel, Nodes, Plan, kernel_matrix, reference};
//!
//! let points = [[0.0, 0.0, 0.0], [1.0, 2.0, 2.0], [0.5, -1.0, 4.0]];
//! let nodes = Nodes::from_points(&points)?;
//!
//! let d = kernel_matrix(&nodes)?;          // all threads, built-in tiles
//! assert_eq!(d[(0, 1)], d[(1, 0)]);          // exactly symmetric
//! assert_eq!(d[(2, 2)], 0.0);                // exactly zero on the diagonal
//! assert!((d[(0, 1)] - pairkernel::phi(3.0)).abs() < 1e-15); // |v0 - v1| = 3
//!
//! // The same bits for any plan:
//! let serial = Plan::new().threads(1).tile(1, 4).kernel_matrix(&nodes)?;
//! assert_eq!(serial, d);
//!
//! // Within 2 ulp of the exact value; the article's plain scalar loops are within 14.5 ulp:
//! let slow = reference::kernel_matrix(&points);
//! assert!(d.as_slice().iter().zip(&slow).all(|(a, b)| (a - b).abs() <= 17.0 * f64::EPSILON * b));
//!
//! // Bad input is an error, not a panic:
//! assert!(Nodes::from_points(&[[0.0, f64::NAN, 0.0]]).is_err());
//!
//! // Any kernel, any dimension: scipy's Gaussian with ε = 2 on points in the plane, given as
//! // a flat row-major array (what numpy holds).
//! let plane = Nodes::from_flat(&[0.0, 0.0, 0.5, 0.0, 0.0, 1.0], 2)?;
//! let g = Plan::new().kernel(Kernel::Gaussian { epsilon: 2.0 }).kernel_matrix(&plane)?;
//! assert_eq!(g[(0, 0)], 1.0);
//! assert!((g[(0, 1)] - (-1.0f64).exp()).abs() <= 3.0 * f64::EPSILON * g[(0, 1)]);
//! # Ok::<(), pairkernel::Error>(())
//! ```
//!
//! ## How it works
//! - [`Nodes`] stores the coordinates as one aligned, zero-padded column per axis (structure
//!   of arrays), for any dimension from 1 to [`Nodes::MAX_DIM`].
//! - The kernels ([`kernels`]): each maps r² on four SIMD lanes to φ, beside its plain scalar
//!   formula. [`Kernel`] chooses among the built-in ones at run time, once per call.
//! - The micro-kernel (`block.rs`) computes every entry: an MR × NR block of row nodes against
//!   lane groups of column nodes, r² summed over the axes in the plan's [`Accuracy`]
//!   (`arithmetic.rs`; by default with the differences and r² carried exactly by two-sums and
//!   FMA products), then the kernel. Nothing else computes an entry.
//! - The rows schedule's bands (`tile.rs`): column tiles keep the column coordinates in cache
//!   while a band of rows sweeps them in 4 × 1 blocks.
//! - Two schedules ([`Schedule`]) spread the work over rayon's threads. The row schedule
//!   (`schedule.rs`) hands out disjoint bands of whole rows; it computes every entry, and is the
//!   one for cross matrices. The symmetric schedule (`symmetric.rs`), for the square kernel
//!   matrix, computes each pair of 8×8 blocks above the diagonal once and stores it twice, the
//!   second time transposed in registers: half the kernel evaluations. Its
//!   bands write L-shaped, disjoint parts of the output through `window.rs`, the crate's one
//!   shared-pointer abstraction.
//! - Stores ([`Stores`], `store.rs`): plain, or streaming (non-temporal, `std::arch`) where
//!   that measured faster on Zen 3 and Zen 4: outputs larger than eight times one core's L2.
//! - Memory (`memory.rs`): a new matrix of 2 MiB or more is a 2 MiB-aligned anonymous mapping
//!   advised for transparent huge pages, first touched by the threads that compute it: page
//!   faults, not arithmetic, bound the filling of fresh memory. [`KernelMatrix`] owns it.
//! - A [`Plan`] carries the tile shape, thread count, schedule, stores and accuracy; the free
//!   functions use [`Plan::default`]. [`machine::fill_floor`] writes the same memory with the
//!   same stores and no arithmetic: the floor the binary's `bench` subcommand measures every
//!   result against.
//! - Matrix-free products (`apply.rs`): [`Plan::apply`], [`Plan::apply_many`],
//!   [`Plan::cross_apply`] and [`Plan::cross_apply_many`] compute `y = D·x` (or `C·x`) with the
//!   same micro-kernel (1 × 1 blocks), never storing the matrix: O(N) memory for N that would need
//!   terabytes as a dense matrix, in a fixed summation order that makes them deterministic.
//! - RBF interpolation ([`interpolate`], feature `interpolate`, on by default): scipy's
//!   `RBFInterpolator` model, fitted with the symmetric schedule and faer, evaluated by the
//!   matrix-free products.
//! - [`reference`](mod@reference) holds the plain scalar loops every fast path is tested against.
//!
//! ## Guarantees
//! - **Deterministic**: the result is bitwise identical for every tile shape, thread count,
//!   schedule and store path; `D[i][j] == D[j][i]` and `D[i][i] == φ(0)` exactly; the kernel
//!   matrix equals the cross matrix of a node set with itself.
//! - **Accurate**: every entry of the article's φ is within **2 ulp** of the exact φ(|vᵢ − vⱼ|)
//!   of the given f64 coordinates (11 ulp with [`Accuracy::Fast`]), and every other kernel
//!   within its bound (1.5 to 4 ulp, see [`Kernel`]); a hill-climbing hunt for the worst case
//!   against double-double values finds 1.3 (8.3 for the fast order, whose worst known case
//!   is 8.78). The article's formula in
//!   [`reference`](mod@reference) is itself up to 14.5 ulp from exact (10.2 found), so the two
//!   agree to within the sum. [`Accuracy`] has the error budget, step by step.
//! - **Matrix-free products take zero weights as exact zeros**: a zero weight contributes
//!   nothing even where its entry overflowed to `+∞` (no `∞ · 0 = NaN`). A `yᵢ` is NaN only
//!   where its terms overflow in both directions (infinite entries, or products beyond
//!   `f64::MAX`, of both signs): the exact sum may be finite there, but not reachable in f64.
//! - **No panic, abort or out-of-memory kill on input**: non-finite coordinates, mismatched
//!   columns, wrong buffer lengths, zero tile sizes, absurd thread counts, a rayon pool that
//!   cannot start, and matrices or node sets too large to address, allocate or back with the
//!   memory the system has (checked before mapping, see [`Plan::allow_overcommit`]) are
//!   [`Error`]s.
//!
//! ## SIMD paths, chosen at run time
//! The kernels pick their instructions once per process from what the CPU has (AVX-512,
//! AVX2 + FMA, or the portable path): a crate built with no flags runs at the machine's full
//! width, and **every path gives the same bits** ([`simd`] says how). [`Plan::simd`] or the
//! `PAIRKERNEL_SIMD` environment variable forces one; [`simd::SimdPath::detected`] names the
//! path taken.
//!
//! ## Dependencies in the API
//! `rand` is a public dependency: [`Nodes::random`] takes any `rand::Rng`, so the `rand` you
//! call it with must be the version this crate uses (0.10).

#![deny(missing_docs)]

mod apply;
mod arithmetic;
mod block;
mod defaults;
mod error;
#[cfg(feature = "interpolate")]
pub mod interpolate;
pub mod kernels;
pub mod machine;
mod matrix;
mod measure;
mod memory;
mod nodes;
mod plan;
mod radial;
pub mod reference;
mod schedule;
pub mod simd;
mod store;
mod symmetric;
mod threads;
mod tile;
#[cfg(test)]
mod tuning_config;
mod window;

pub use arithmetic::Accuracy;
pub use error::{Axis, Error};
pub use kernels::{Kernel, KernelChoice, RadialFunction};
pub use matrix::KernelMatrix;
pub use measure::{Candidate, Measurement};
pub use nodes::Nodes;
pub use plan::Plan;
pub use radial::phi;
pub use schedule::Schedule;
pub use store::Stores;

/// The README's examples, compiled and run as doctests so that they cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// The dense `N × N` kernel matrix of `nodes` with [`Plan::default`].
///
/// # Errors
/// See [`Plan::kernel_matrix`].
pub fn kernel_matrix(nodes: &Nodes) -> Result<KernelMatrix, Error> {
    Plan::default().kernel_matrix(nodes)
}

/// The kernel matrix of `nodes` written into `out` (`N·N` entries), with [`Plan::default`].
///
/// # Errors
/// See [`Plan::kernel_matrix_into`].
pub fn kernel_matrix_into(nodes: &Nodes, out: &mut [f64]) -> Result<(), Error> {
    Plan::default().kernel_matrix_into(nodes, out)
}

/// The `P × Q` cross matrix between `rows` and `cols`, with [`Plan::default`].
///
/// # Errors
/// See [`Plan::cross_matrix`].
pub fn cross_matrix(rows: &Nodes, cols: &Nodes) -> Result<KernelMatrix, Error> {
    Plan::default().cross_matrix(rows, cols)
}

/// The cross matrix written into `out` (`P·Q` entries), with [`Plan::default`].
///
/// # Errors
/// See [`Plan::cross_matrix_into`].
pub fn cross_matrix_into(rows: &Nodes, cols: &Nodes, out: &mut [f64]) -> Result<(), Error> {
    Plan::default().cross_matrix_into(rows, cols, out)
}

/// `y = D·x` with the kernel matrix of `nodes`, never stored; [`Plan::apply`] with the default
/// plan.
///
/// # Errors
/// As [`Plan::apply`].
pub fn apply(nodes: &Nodes, x: &[f64], y: &mut [f64]) -> Result<(), Error> {
    Plan::default().apply(nodes, x, y)
}

/// `k` products at once (`x`, `y` row-major `N × k`); [`Plan::apply_many`] with the default
/// plan.
///
/// # Errors
/// As [`Plan::apply_many`].
pub fn apply_many(nodes: &Nodes, x: &[f64], k: usize, y: &mut [f64]) -> Result<(), Error> {
    Plan::default().apply_many(nodes, x, k, y)
}

/// `y = C·x` with the cross matrix between `rows` and `cols`, never stored: the RBF sum at every
/// row node; [`Plan::cross_apply`] with the default plan.
///
/// # Errors
/// As [`Plan::cross_apply`].
pub fn cross_apply(rows: &Nodes, cols: &Nodes, x: &[f64], y: &mut [f64]) -> Result<(), Error> {
    Plan::default().cross_apply(rows, cols, x, y)
}

/// `k` cross products at once (`x` row-major `Q × k`, `y` row-major `P × k`);
/// [`Plan::cross_apply_many`] with the default plan.
///
/// # Errors
/// As [`Plan::cross_apply_many`].
pub fn cross_apply_many(
    rows: &Nodes,
    cols: &Nodes,
    x: &[f64],
    k: usize,
    y: &mut [f64],
) -> Result<(), Error> {
    Plan::default().cross_apply_many(rows, cols, x, k, y)
}

/// The SIMD target features this build of the crate was compiled with: e.g. `["sse2"]` on a
/// plain `x86_64` build. They decide only the portable path's code ([`simd::SimdPath`]): the
/// kernels choose their path at run time.
pub fn simd_features() -> Vec<&'static str> {
    let mut features = Vec::new();
    if cfg!(target_feature = "sse2") {
        features.push("sse2");
    }
    if cfg!(target_feature = "avx") {
        features.push("avx");
    }
    if cfg!(target_feature = "avx2") {
        features.push("avx2");
    }
    if cfg!(target_feature = "fma") {
        features.push("fma");
    }
    if cfg!(target_feature = "avx512f") {
        features.push("avx512f");
    }
    if cfg!(target_feature = "neon") {
        features.push("neon");
    }
    features
}
