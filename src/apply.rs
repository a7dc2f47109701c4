//! Matrix-free products: `y = C·x` for the P × Q cross matrix `C[i][j] = φ(|pᵢ − qⱼ|)` (and the
//! kernel matrix, `C = D`), without ever storing `C`.
//!
//! Memory is O((P + Q)·k). The entries come from the one copy of the distance-and-cubic
//! arithmetic ([`crate::arithmetic`]), four columns at a time, and are multiplied into the
//! right-hand sides at once.
//!
//! Blocking: rows in blocks (the plan's tile rows; the unit of parallel work), columns in blocks
//! whose nodes and right-hand-side values fit in L1 together, so that every row of a block
//! sweeps them from cache. `k` right-hand sides are done in passes of up to [`MAX_RHS_PER_PASS`]:
//! one square root serves every right-hand side of a pass.
//!
//! Summation order, which makes the result bitwise identical for every thread count and tile
//! shape: `y[i][m]` is accumulated in four per-lane partial sums, lane `l` adding the terms of
//! columns `j ≡ l (mod 4)` in increasing `j` (one fused multiply-add each: `s = φ·x + s`), and
//! the lanes are combined as `(s₀ + s₁) + (s₂ + s₃)`. Column blocks only cut that sequence, they
//! do not reorder it. The last, partial lane group goes through the same arithmetic, its lanes
//! past the last column masked to zero.
//!
//! Infinite entries: an entry is `±∞` where φ exceeds `f64::MAX`, and `∞ · 0` is NaN, while a
//! zero weight contributes exactly nothing to the exact sum. When an entry may overflow (φ at
//! the largest possible distance, or at 0, is 10³⁰⁰ or more: see [`may_overflow`]), every term
//! is added only where its weight is non-zero: one blend per term, paid only then. An infinite entry with a non-zero weight still gives ±∞, as the exact sum does;
//! terms that overflow in both directions (infinite entries or products beyond `f64::MAX`, of
//! both signs, in one row) give NaN, as f64 summation must, although the exact sum may be
//! finite.

use std::marker::PhantomData;

use crate::arithmetic::EntryArithmetic;
use crate::block::{Dimension, LANES, row_block, splat_row};
use crate::error::Error;
use crate::kernels::RadialFunction;
use crate::memory::check_available;
use crate::nodes::Nodes;
use crate::simd::{Isa, Lanes, SimdTask};
use crate::threads::Parallelism;
use crate::tile::BandInputs;

/// Right-hand sides per pass: their accumulators stay in registers (16 of them, plus the node
/// differences, fit the 32 vector registers of AVX-512VL builds).
pub(crate) const MAX_RHS_PER_PASS: usize = 16;

/// Rows whose partial sums a sweep keeps (a row block is swept in runs of at most this many):
/// bounds the accumulators to 256 × 16 × 32 bytes = 128 KiB whatever the plan's tile, and so
/// keeps them out of the allocator's way. Rows are independent, so the bits do not change.
const MAX_ROWS_PER_SWEEP: usize = 256;

/// Bytes of L1 a column block may fill: half of a 48 KiB L1d, the rest for the row
/// accumulators and whatever else is there.
const COLUMN_BLOCK_BYTES: usize = 24 << 10;

/// Entries this large or larger count as possibly infinite: then zero weights are skipped.
/// Far below `f64::MAX`, so that the rounding of the distance bound cannot matter.
const OVERFLOW_MARGIN: f64 = 1e300;

/// Whether an entry between `rows` and `cols` may be infinite: φ at distance 0 and at an upper
/// bound of every distance (the diagonal of the nodes' bounding box, rounded up) is compared
/// with [`OVERFLOW_MARGIN`]. Every built-in kernel's |φ| is at most the larger of the two (or
/// below 1); a user's kernel is assumed to be as well ([`RadialFunction`]).
fn may_overflow<F: RadialFunction>(kernel: &F, rows: &Nodes, cols: &Nodes) -> bool {
    let (rows, cols) = (rows.axis_ranges(), cols.axis_ranges());
    // An empty column set's range [+∞, −∞] is the identity of min and max; the rows are not
    // empty (y is not), so every extent is finite or +∞ (an overflowing difference), never NaN.
    let extent_squared: f64 = rows
        .iter()
        .zip(&cols)
        .map(|(r, c)| {
            let extent = r[1].max(c[1]) - r[0].min(c[0]);
            extent * extent
        })
        .sum();
    let bound = extent_squared.sqrt() * (1.0 + 1e-12);
    [0.0, bound].iter().any(|&r| {
        let phi = kernel.at(r);
        phi.is_nan() || phi.abs() >= OVERFLOW_MARGIN
    })
}

/// Computes `y = C·x` for `k` right-hand sides: `x` is `Q × k` row-major (entry `j`, right-hand
/// side `m` at `j·k + m`), `y` is `P × k` row-major. Lengths and finiteness have been checked.
///
/// # Errors
/// [`Error::WorkspaceAllocationFailed`] if a pass's packed right-hand sides (as large as `x`
/// for k ≤ 16) cannot be allocated; nothing is written to `y` before the first pass's packing.
#[allow(clippy::too_many_arguments)]
pub(crate) fn cross_apply<A: EntryArithmetic, F: RadialFunction, D: Dimension>(
    isa: Isa,
    inputs: &BandInputs<'_, F, D>,
    (rows, cols): (&Nodes, &Nodes),
    x: &[f64],
    k: usize,
    y: &mut [f64],
    row_block: usize,
    parallelism: Parallelism,
) -> Result<(), Error> {
    if y.is_empty() {
        return Ok(());
    }
    let may_overflow = may_overflow(inputs.kernel, rows, cols);
    // LOOP 4: passes of up to MAX_RHS_PER_PASS right-hand sides.
    for first_rhs in (0..k).step_by(MAX_RHS_PER_PASS) {
        let pass = MAX_RHS_PER_PASS.min(k - first_rhs);
        // Compiled for five widths only (each is a copy of the whole product for every kernel
        // and dimension): a pass of 3 runs at width 4 with a zero fourth column, one more FMA
        // per lane group, which leaves the other columns' bits alone.
        macro_rules! run_pass {
            ($($width:literal)*) => {
                match pass.next_power_of_two() {
                    $($width => match may_overflow {
                        false => apply_pass::<A, F, D, $width, false>(
                            isa, inputs, x, (k, first_rhs, pass), y, row_block, parallelism,
                        ),
                        true => apply_pass::<A, F, D, $width, true>(
                            isa, inputs, x, (k, first_rhs, pass), y, row_block, parallelism,
                        ),
                    },)*
                    _ => unreachable!("a pass has 1 ..= MAX_RHS_PER_PASS right-hand sides"),
                }
            };
        }
        run_pass!(1 2 4 8 16)?;
    }
    Ok(())
}

/// One pass: right-hand sides `first_rhs .. first_rhs + pass` (`pass` ≤ `K`, the columns past
/// it zero); `SKIP_ZERO_WEIGHTS` when an entry may be infinite.
#[allow(clippy::too_many_arguments)]
fn apply_pass<
    A: EntryArithmetic,
    F: RadialFunction,
    D: Dimension,
    const K: usize,
    const SKIP_ZERO_WEIGHTS: bool,
>(
    isa: Isa,
    inputs: &BandInputs<'_, F, D>,
    x: &[f64],
    (k, first_rhs, pass): (usize, usize, usize),
    y: &mut [f64],
    row_block: usize,
    parallelism: Parallelism,
) -> Result<(), Error> {
    let packed = pack_rhs::<K>(x, inputs.col_count, k, first_rhs, pass)?;
    let dim = inputs.dim.get();
    let groups_per_block = (COLUMN_BLOCK_BYTES / (size_of::<[f64; LANES]>() * (dim + K))).max(1);
    let block_len = row_block * k;
    // LOOP 3: blocks of rows, the unit of parallel work, swept in runs of bounded length.
    parallelism.for_each_band(y, block_len, |block, y_block| {
        isa.run(RowBlock::<A, F, D, K, SKIP_ZERO_WEIGHTS> {
            inputs,
            first_row: block * row_block,
            packed: &packed,
            groups_per_block,
            pass: (k, first_rhs, pass),
            y_block,
            order: PhantomData,
        })
    });
    Ok(())
}

/// One block of rows of a pass, compiled for each SIMD path.
struct RowBlock<'a, 'y, A, F, D, const K: usize, const SKIP_ZERO_WEIGHTS: bool> {
    inputs: &'a BandInputs<'a, F, D>,
    first_row: usize,
    packed: &'a [[[f64; LANES]; K]],
    groups_per_block: usize,
    pass: (usize, usize, usize),
    y_block: &'y mut [f64],
    order: PhantomData<A>,
}

impl<A: EntryArithmetic, F: RadialFunction, D: Dimension, const K: usize, const SKIP: bool> SimdTask
    for RowBlock<'_, '_, A, F, D, K, SKIP>
{
    type Output = ();

    #[inline(always)]
    fn run<V: Lanes>(self) {
        let k = self.pass.0;
        for (run, y_run) in self.y_block.chunks_mut(MAX_ROWS_PER_SWEEP * k).enumerate() {
            apply_row_block::<V, A, F, D, K, SKIP>(
                self.inputs,
                self.first_row + run * MAX_ROWS_PER_SWEEP,
                self.packed,
                self.groups_per_block,
                self.pass,
                y_run,
            );
        }
    }
}

/// The right-hand sides of a pass per column lane group: `packed[g][m]` holds `x[j][first + m]`
/// for the four columns `j` of group `g`, zero past the last column. Allocated fallibly, after
/// the memory check: it is as large as `x` itself when k ≤ 16 (K = k), and an `x` near half the
/// machine's memory must not make the call abort. (Its size cannot overflow: K ≤ k, so it is at
/// most `x`'s size plus one group.)
fn pack_rhs<const K: usize>(
    x: &[f64],
    q: usize,
    k: usize,
    first: usize,
    pass: usize,
) -> Result<Vec<[[f64; LANES]; K]>, Error> {
    let groups = q.div_ceil(LANES);
    let bytes = groups * size_of::<[[f64; LANES]; K]>();
    let refused = |available| Error::WorkspaceAllocationFailed { bytes, available };
    check_available(bytes).map_err(|available| refused(Some(available)))?;
    let mut packed = Vec::new();
    packed
        .try_reserve_exact(groups)
        .map_err(|_| refused(None))?;
    packed.extend((0..groups).map(|g| {
        std::array::from_fn(|m| {
            std::array::from_fn(|lane| {
                let j = g * LANES + lane;
                if j < q && m < pass {
                    x[j * k + first + m]
                } else {
                    0.0
                }
            })
        })
    }));
    Ok(packed)
}

/// Rows `first_row ..` (as many as `y_block` holds) against all columns.
#[inline(always)]
fn apply_row_block<
    V: Lanes,
    A: EntryArithmetic,
    F: RadialFunction,
    D: Dimension,
    const K: usize,
    const SKIP_ZERO_WEIGHTS: bool,
>(
    inputs: &BandInputs<'_, F, D>,
    first_row: usize,
    packed: &[[[f64; LANES]; K]],
    groups_per_block: usize,
    (k, first_rhs, pass): (usize, usize, usize),
    y_block: &mut [f64],
) {
    let q = inputs.col_count;
    let groups = q.div_ceil(LANES);
    let full_groups = q / LANES;
    // Lanes of the last, partial group that hold columns (unused when Q is a multiple of 4).
    let tail_lanes = V::from_array([0.0, 1.0, 2.0, 3.0]).simd_lt(V::splat((q % LANES) as f64));
    let mut sums = vec![[V::ZERO; K]; y_block.len() / k];
    let dim = inputs.dim.get();
    let mut row_point = Vec::with_capacity(dim);
    // Adds one lane group's entries times its right-hand sides to a row's sums: the one order
    // of every sum (increasing column, per lane), whatever the block shape.
    let add_group = |acc: &mut [V; K], g: usize, mut entries: V| {
        if g == full_groups {
            entries = tail_lanes.select(entries, V::ZERO);
        }
        for (sum, rhs) in acc.iter_mut().zip(&packed[g]) {
            let rhs = V::load(rhs);
            let term_added = entries.mul_add(rhs, *sum);
            *sum = if SKIP_ZERO_WEIGHTS {
                rhs.simd_ne(V::ZERO).select(term_added, *sum)
            } else {
                term_added
            };
        }
    };
    // LOOP 2: column blocks that stay in L1 while the block's rows sweep them.
    for block_start in (0..groups).step_by(groups_per_block) {
        let block_end = groups.min(block_start + groups_per_block);
        // LOOP 1: the rows of the block.
        for (r, row_sums) in sums.iter_mut().enumerate() {
            let mut acc = *row_sums;
            splat_row(&inputs.rows, dim, first_row + r, &mut row_point);
            // LOOP 0: four columns at a time, a 1 × 1 block of the micro-kernel. (1 × 2, two
            // square roots in flight, measured slower: 0.84× of this.)
            for g in block_start..block_end {
                let [entries] = row_block::<V, F, A, D, 1>(
                    inputs.kernel,
                    inputs.dim,
                    &row_point,
                    &inputs.cols,
                    g,
                );
                add_group(&mut acc, g, entries);
            }
            *row_sums = acc;
        }
    }
    for (y_row, row_sums) in y_block.chunks_exact_mut(k).zip(&sums) {
        for (y, lanes) in y_row[first_rhs..first_rhs + pass].iter_mut().zip(row_sums) {
            let [s0, s1, s2, s3] = lanes.to_array();
            *y = (s0 + s1) + (s2 + s3);
        }
    }
}
