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
//! Infinite entries: an entry is `+∞` where φ exceeds `f64::MAX`, and `∞ · 0` is NaN, while a
//! zero weight contributes exactly nothing to the exact sum. When the nodes span enough for an
//! entry to overflow (an axis range of [`OVERFLOW_FREE_EXTENT`] or more, which no realistic
//! data has), every term is added only where its weight is non-zero: one blend per term, paid
//! only then. An infinite entry with a non-zero weight still gives ±∞, as the exact sum does;
//! terms that overflow in both directions (infinite entries or products beyond `f64::MAX`, of
//! both signs, in one row) give NaN, as f64 summation must, although the exact sum may be
//! finite.

use wide::f64x4;

use crate::arithmetic::EntryArithmetic;
use crate::error::Error;
use crate::memory::check_available;
use crate::nodes::{LANES, Nodes};
use crate::threads::Parallelism;

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

/// Below this range on every axis (over both node sets), no two nodes are more than
/// √3 · 5·10¹⁰² ≈ 8.7·10¹⁰² apart, where φ ≈ 5.5·10³⁰⁷ < `f64::MAX`: no entry is infinite.
pub(crate) const OVERFLOW_FREE_EXTENT: f64 = 5e102;

/// Computes `y = C·x` for `k` right-hand sides: `x` is `Q × k` row-major (entry `j`, right-hand
/// side `m` at `j·k + m`), `y` is `P × k` row-major. Lengths and finiteness have been checked.
///
/// # Errors
/// [`Error::WorkspaceAllocationFailed`] if a pass's packed right-hand sides (as large as `x`
/// for k ≤ 16) cannot be allocated; nothing is written to `y` before the first pass's packing.
pub(crate) fn cross_apply<A: EntryArithmetic>(
    rows: &Nodes,
    cols: &Nodes,
    x: &[f64],
    k: usize,
    y: &mut [f64],
    row_block: usize,
    parallelism: Parallelism,
) -> Result<(), Error> {
    if y.is_empty() {
        return Ok(());
    }
    let ranges = [rows.axis_ranges(), cols.axis_ranges()];
    let may_overflow = (0..3).any(|axis| {
        let low = ranges[0][axis][0].min(ranges[1][axis][0]);
        let high = ranges[0][axis][1].max(ranges[1][axis][1]);
        // An overflowing difference is +∞, above the limit; never NaN: the coordinates are
        // finite, `y` is not empty (so the rows' range is not the empty one), and an empty
        // column set's range [+∞, −∞] is the identity of min and max.
        high - low >= OVERFLOW_FREE_EXTENT
    });
    // LOOP 4: passes of up to MAX_RHS_PER_PASS right-hand sides.
    for first_rhs in (0..k).step_by(MAX_RHS_PER_PASS) {
        let pass = MAX_RHS_PER_PASS.min(k - first_rhs);
        macro_rules! run_pass {
            ($($width:literal)*) => {
                match pass {
                    $($width => match may_overflow {
                        false => apply_pass::<A, $width, false>(
                            rows, cols, x, k, first_rhs, y, row_block, parallelism,
                        ),
                        true => apply_pass::<A, $width, true>(
                            rows, cols, x, k, first_rhs, y, row_block, parallelism,
                        ),
                    },)*
                    _ => unreachable!("a pass has 1 ..= MAX_RHS_PER_PASS right-hand sides"),
                }
            };
        }
        run_pass!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16)?;
    }
    Ok(())
}

/// One pass: right-hand sides `first_rhs .. first_rhs + K`; `SKIP_ZERO_WEIGHTS` when an entry
/// may be infinite.
#[allow(clippy::too_many_arguments)]
fn apply_pass<A: EntryArithmetic, const K: usize, const SKIP_ZERO_WEIGHTS: bool>(
    rows: &Nodes,
    cols: &Nodes,
    x: &[f64],
    k: usize,
    first_rhs: usize,
    y: &mut [f64],
    row_block: usize,
    parallelism: Parallelism,
) -> Result<(), Error> {
    let packed = pack_rhs::<K>(x, cols.len(), k, first_rhs)?;
    let groups_per_block = (COLUMN_BLOCK_BYTES / (size_of::<f64x4>() * (3 + K))).max(1);
    let block_len = row_block * k;
    // LOOP 3: blocks of rows, the unit of parallel work, swept in runs of bounded length.
    parallelism.for_each_band(y, block_len, |block, y_block| {
        for (run, y_run) in y_block.chunks_mut(MAX_ROWS_PER_SWEEP * k).enumerate() {
            apply_row_block::<A, K, SKIP_ZERO_WEIGHTS>(
                rows,
                block * row_block + run * MAX_ROWS_PER_SWEEP,
                cols,
                &packed,
                groups_per_block,
                k,
                first_rhs,
                y_run,
            );
        }
    });
    Ok(())
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
) -> Result<Vec<[f64x4; K]>, Error> {
    let groups = q.div_ceil(LANES);
    let bytes = groups * size_of::<[f64x4; K]>();
    let refused = |available| Error::WorkspaceAllocationFailed { bytes, available };
    check_available(bytes).map_err(|available| refused(Some(available)))?;
    let mut packed = Vec::new();
    packed
        .try_reserve_exact(groups)
        .map_err(|_| refused(None))?;
    packed.extend((0..groups).map(|g| {
        std::array::from_fn(|m| {
            f64x4::new(std::array::from_fn(|lane| {
                let j = g * LANES + lane;
                if j < q { x[j * k + first + m] } else { 0.0 }
            }))
        })
    }));
    Ok(packed)
}

/// Rows `first_row ..` (as many as `y_block` holds) against all columns.
#[allow(clippy::too_many_arguments)]
fn apply_row_block<A: EntryArithmetic, const K: usize, const SKIP_ZERO_WEIGHTS: bool>(
    rows: &Nodes,
    first_row: usize,
    cols: &Nodes,
    packed: &[[f64x4; K]],
    groups_per_block: usize,
    k: usize,
    first_rhs: usize,
    y_block: &mut [f64],
) {
    let (x_soa, y_soa, z_soa) = cols.columns_soa();
    let q = cols.len();
    let full_groups = q / LANES;
    // Lanes of the last, partial group that hold columns (unused when Q is a multiple of 4).
    let tail_lanes = f64x4::new([0.0, 1.0, 2.0, 3.0]).simd_lt(f64x4::splat((q % LANES) as f64));
    let mut sums = vec![[f64x4::ZERO; K]; y_block.len() / k];
    // LOOP 2: column blocks that stay in L1 while the block's rows sweep them.
    for block_start in (0..x_soa.len()).step_by(groups_per_block) {
        let block_end = x_soa.len().min(block_start + groups_per_block);
        // LOOP 1: the rows of the block.
        for (r, row_sums) in sums.iter_mut().enumerate() {
            let p = rows.point(first_row + r).map(f64x4::splat);
            let mut acc = *row_sums;
            // LOOP 0: four columns at a time.
            for g in block_start..block_end {
                let mut entries = A::entries_x4(p, x_soa[g], y_soa[g], z_soa[g]);
                if g == full_groups {
                    entries = tail_lanes.select(entries, f64x4::ZERO);
                }
                for (sum, &rhs) in acc.iter_mut().zip(&packed[g]) {
                    let term_added = entries.mul_add(rhs, *sum);
                    *sum = if SKIP_ZERO_WEIGHTS {
                        rhs.simd_ne(f64x4::ZERO).select(term_added, *sum)
                    } else {
                        term_added
                    };
                }
            }
            *row_sums = acc;
        }
    }
    for (y_row, row_sums) in y_block.chunks_exact_mut(k).zip(&sums) {
        for (y, lanes) in y_row[first_rhs..first_rhs + K].iter_mut().zip(row_sums) {
            let [s0, s1, s2, s3] = lanes.to_array();
            *y = (s0 + s1) + (s2 + s3);
        }
    }
}
