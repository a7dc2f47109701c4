//! The symmetric schedule: each pair of 8×8 blocks computed once, written twice.
//!
//! `D` is symmetric, so the square roots below the diagonal repeat the ones above. Here the
//! matrix is cut into 8×8 blocks; only blocks `(a, b)` with `b ≥ a` are computed, and block
//! `(a, b)` is computed by the micro-kernel ([`crate::block`], 8 rows × 2 lane groups, a pair
//! per row) and stored at its place and, transposed in registers
//! ([`Vector::transpose_pairs`]), at `(b, a)`. Half the kernel evaluations, for the same stores.
//!
//! Bit-identity with the row schedule: the entry at `(j, i)` is computed as `φ(|vᵢ − vⱼ|)`,
//! with `vᵢ` the row node, where the row schedule computes `φ(|vⱼ − vᵢ|)`. The two are equal
//! bit for bit: each coordinate difference is the negation of the other (round-to-nearest is
//! symmetric), its square is the same, and r² sums the squares in the same order (see
//! [`crate::arithmetic`]). `tests/properties.rs` checks it on every plan.
//!
//! Work: rows are cut into bands of whole 8-row blocks. Band `k` owns the rectangle of its rows
//! right of the diagonal and the column strip below it (the mirror of that rectangle); these
//! Ls tile the matrix without overlap, which is what makes the shared writes of
//! [`crate::window`] sound. Band `k` costs in proportion to the columns right of it, so bands
//! are paired, first with last, second with second-to-last: every pair costs the same, and
//! rayon balances equal tasks.
//!
//! 8×8 blocks: a mirrored row segment is then 8 entries, one whole 64-byte cache line when the
//! rows are line-aligned, which streaming stores need to write lines without reading them.

use std::marker::PhantomData;

use crate::arithmetic::EntryArithmetic;
use crate::block::{Dimension, LANES, paired_block};
use crate::kernels::RadialFunction;
use crate::simd::{Isa, SimdTask, Vector};
use crate::store::StorePath;
use crate::threads::Parallelism;
use crate::tile::BandInputs;
use crate::window::{BandWindow, SharedOutput};

/// Rows (and columns) of a block: two lane groups.
pub(crate) const BLOCK: usize = 8;

/// Block shape of the symmetric schedule, in blocks.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SymmetricShape {
    /// Rows per band, a multiple of [`BLOCK`]: the unit of parallel work.
    pub band_rows: usize,
    /// Columns per column tile, a multiple of [`BLOCK`]: how far the band sweeps, block column
    /// by block column, before the next tile; it bounds the rows its mirrored stores reach.
    pub tile_cols: usize,
}

/// How far apart in memory one column tile's mirrored stores may land: a column tile of `c`
/// columns writes its mirror into `c` different output rows, `c · N · 8` bytes of output. Kept
/// within 64 MiB, 32 huge pages (half the 64-entry L1 data TLB of Zen 3, 72 on Zen 4), the
/// sweep's pages stay in the TLB. Measured on Zen 3 (2 threads, streaming stores, symmetric):
/// with the built-in 4096 columns, N = 10000 (4096 rows span 320 MiB) ran at 1.41 G entries/s
/// with `Fast` entries and 0.87–1.0 compensated, against 1.47–1.76 and 1.0–1.07 with 256 … 832
/// columns; at N = 20000, 1.34 and 0.70 against 1.46–1.69 and 0.85–0.86; fresh output at
/// N = 10000 with `Fast` entries 0.38 against 0.64–0.68. At N ≤ 3000 (at most 72 MB) every
/// width measured the same.
const MIRROR_SPAN_BYTES: usize = 64 << 20;

/// The narrowest column tile the span rule gives (N > 32768): narrower ones lost again (at
/// N = 20000, 256 columns measured 0.72 compensated against 0.86 for 416).
const MIN_MIRROR_TILE_COLS: usize = 256;

impl SymmetricShape {
    /// From the user's tile (both ≥ 1) for an `n × n` matrix: clamped to the matrix, its
    /// columns to [`MIRROR_SPAN_BYTES`] of mirrored rows (at least [`MIN_MIRROR_TILE_COLS`]),
    /// rounded up to whole blocks.
    pub(crate) fn new(tile_rows: usize, tile_cols: usize, n: usize) -> SymmetricShape {
        let whole_blocks = |size: usize| size.min(n).div_ceil(BLOCK).max(1) * BLOCK;
        let span_cols =
            (MIRROR_SPAN_BYTES / (n.max(1) * size_of::<f64>())).max(MIN_MIRROR_TILE_COLS);
        SymmetricShape {
            band_rows: whole_blocks(tile_rows),
            tile_cols: whole_blocks(tile_cols.min(span_cols)),
        }
    }
}

/// Fills `out` (`N × N`, row-major; the caller has checked its length) with the kernel matrix
/// of the nodes of `inputs` (its rows and columns are the same nodes).
pub(crate) fn fill_symmetric<S: StorePath, A: EntryArithmetic, F: RadialFunction, D: Dimension>(
    isa: Isa,
    inputs: &BandInputs<'_, F, D>,
    shape: SymmetricShape,
    parallelism: Parallelism,
    out: &mut [f64],
) {
    let n = inputs.col_count;
    if n == 0 {
        return;
    }
    let bands = n.div_ceil(shape.band_rows);
    let output = SharedOutput::new(out, n);
    let band_rows = |band: usize| band * shape.band_rows..n.min((band + 1) * shape.band_rows);
    // LOOP 3: pairs of bands (first with last, …), the unit of parallel work.
    let fill_pair = |pair: usize| {
        let partner = bands - 1 - pair;
        let mut windows = [None, None];
        for (slot, band) in [pair, partner]
            .into_iter()
            .take(if partner == pair { 1 } else { 2 })
            .enumerate()
        {
            let rows = band_rows(band);
            // SAFETY: band `band`'s window is its rows right of its first column,
            // `rows × rows.start..n`, and the strip below them, `rows.end..n × rows`: entries
            // with row and column ≥ rows.start and row or column < rows.end. For two bands
            // k < l (row ranges Rk before Rl): every entry of l's window has row and column
            // ≥ Rl.start ≥ Rk.end, every entry of k's has row or column < Rk.end, so none is in
            // both. Each band is visited by one task (the pairs partition the bands), so no two
            // live windows overlap.
            windows[slot] = Some(unsafe { output.band(rows) });
        }
        isa.run(SymmetricPair::<S, A, F, D> {
            inputs,
            tile_cols: shape.tile_cols,
            windows,
            order: PhantomData,
        });
    };
    let pairs = bands.div_ceil(2);
    parallelism.for_each_task(pairs, fill_pair);
}

/// The one or two bands of a pair, with their windows, compiled for each SIMD path.
struct SymmetricPair<'a, 'w, S, A, F, D> {
    inputs: &'a BandInputs<'a, F, D>,
    tile_cols: usize,
    windows: [Option<BandWindow<'w>>; 2],
    order: PhantomData<(S, A)>,
}

impl<S: StorePath, A: EntryArithmetic, F: RadialFunction, D: Dimension> SimdTask
    for SymmetricPair<'_, '_, S, A, F, D>
{
    type Output = ();

    #[inline(always)]
    fn run<V: Vector>(self) {
        for window in self.windows.into_iter().flatten() {
            fill_band_symmetric::<V, S, A, F, D>(self.inputs, self.tile_cols, window);
        }
        S::finish();
    }
}

/// One band: every block `(a, b)` with `a` in the band's rows and `b ≥ a`, stored at `(a, b)`
/// and mirrored at `(b, a)`, both in the band's `window`.
#[inline(always)]
fn fill_band_symmetric<
    'w,
    V: Vector,
    S: StorePath,
    A: EntryArithmetic,
    F: RadialFunction,
    D: Dimension,
>(
    inputs: &BandInputs<'_, F, D>,
    tile_cols: usize,
    window: BandWindow<'w>,
) {
    let n = inputs.col_count;
    let rows = window.rows();
    let mut band = BandOutput { inputs, window };
    // LOOP 2: column tiles from the band's diagonal block to the matrix's right edge.
    for tile_start in (rows.start..n).step_by(tile_cols) {
        let tile_end = n.min(tile_start + tile_cols);
        let block_rows = rows.clone().step_by(BLOCK);
        // LOOPS 1 and 0: the band's blocks on or right of the diagonal, in the order that suits
        // the stores (the same blocks either way, so the same bits). Rows and columns past the
        // matrix (in its last block) are the zero padding, computed and never stored.
        if S::BYPASSES_CACHE {
            // Block columns outside, the band's block rows inside: the band's mirrors of one
            // block column are written back to back, each mirrored row receiving a run of the
            // band's width (4 lines at 32 rows) at once, where block rows outside wrote one
            // line per row per sweep. Measured on Zen 3, `Fast` entries into reused output,
            // streaming stores: N = 10000 1.3 against 0.84 G entries/s on one thread, 2.3
            // against 1.7–2.0 on two; compensated 1.1–1.2× too.
            for block_col in (tile_start..tile_end).step_by(BLOCK) {
                for block_row in block_rows.clone().take_while(|&row| row <= block_col) {
                    band.fill_block::<V, S, A>(block_row, block_col);
                }
            }
        } else {
            // Block rows outside, as C's `sym256`: each store of the block then steps by a
            // constant stride from block to block (a line along its direct row, eight rows down
            // its mirrored column), which the prefetchers follow, and a cached store needs its
            // line read first. Measured on Zen 3, `Fast` entries into reused output (N = 1000,
            // in L3), plain stores: 1.12–1.17 against 0.69–0.73 G entries/s with block columns
            // outside on one thread, 2.43–2.49 against 2.20–2.27 on two.
            for block_row in block_rows {
                for block_col in (tile_start.max(block_row)..tile_end).step_by(BLOCK) {
                    band.fill_block::<V, S, A>(block_row, block_col);
                }
            }
        }
    }
}

/// One band's inputs and output window (see [`fill_band_symmetric`]).
struct BandOutput<'a, 'i, 'w, F, D> {
    inputs: &'a BandInputs<'i, F, D>,
    window: BandWindow<'w>,
}

impl<F: RadialFunction, D: Dimension> BandOutput<'_, '_, '_, F, D> {
    /// Computes block `(block_row, block_col)` of the band and stores it and its mirror.
    #[inline(always)]
    fn fill_block<V: Vector, S: StorePath, A: EntryArithmetic>(
        &mut self,
        block_row: usize,
        block_col: usize,
    ) {
        let inputs = self.inputs;
        let pairs = paired_block::<V, F, A, D, BLOCK>(
            inputs.kernel,
            inputs.dim,
            &inputs.rows,
            block_row,
            &inputs.cols,
            block_col / LANES,
        );
        store_block::<V, S>(
            &pairs,
            block_row,
            block_col,
            inputs.col_count,
            &mut self.window,
        );
    }
}

/// Stores a block at `(block_row, block_col)` and, off the diagonal, its transpose at
/// `(block_col, block_row)`; only the entries inside the `n × n` matrix.
#[inline(always)]
fn store_block<V: Vector, S: StorePath>(
    pairs: &[V::Pair; BLOCK],
    block_row: usize,
    block_col: usize,
    n: usize,
    window: &mut BandWindow<'_>,
) {
    let valid_rows = BLOCK.min(n - block_row);
    let valid_cols = BLOCK.min(n - block_col);
    if valid_rows == BLOCK && valid_cols == BLOCK {
        // A whole block (all but the last block row and column): bounds and, for streaming
        // stores, alignment proven once per block ([`BandWindow::block_mut`]); the block and its
        // mirror both lie in the band's window.
        S::store_block::<V>(window.block_mut(block_row, block_col), *pairs);
        if block_col == block_row {
            return;
        }
        S::store_block::<V>(
            window.mirror_block_mut(block_col, block_row),
            V::transpose_pairs(*pairs),
        );
        return;
    }
    // The last block row or column: four lanes at a time, only the entries inside. A row of the
    // window starts at the band's first column.
    let first_col = window.rows().start;
    let mut entries = [[V::ZERO; 2]; BLOCK];
    for (row, &pair) in entries.iter_mut().zip(pairs) {
        *row = V::split(pair);
    }
    // At (a, b): row block_row + k, columns block_col.. .
    for (k, row_entries) in entries.iter().enumerate().take(valid_rows) {
        let dst = &mut window.row_mut(block_row + k)[block_col - first_col..];
        store_segment::<V, S>(dst, row_entries[0], row_entries[1], valid_cols);
    }
    if block_col == block_row {
        return; // A diagonal block is its own mirror, and was stored whole.
    }
    // At (b, a): row block_col + c holds column c of the block, as rows block_row.. .
    let upper = V::transpose([entries[0][0], entries[1][0], entries[2][0], entries[3][0]]);
    let lower = V::transpose([entries[4][0], entries[5][0], entries[6][0], entries[7][0]]);
    let upper_hi = V::transpose([entries[0][1], entries[1][1], entries[2][1], entries[3][1]]);
    let lower_hi = V::transpose([entries[4][1], entries[5][1], entries[6][1], entries[7][1]]);
    // Straight-line code: each column is taken from registers by a constant index. (Chosen at
    // run time, the columns went through the stack, and loading them back stalled on store
    // forwarding: measured 44% of the kernel's time.)
    let mut store_column = |col: usize, upper_half: V, lower_half: V| {
        if col < valid_cols {
            let dst = &mut window.row_mut(block_col + col)[block_row - first_col..];
            store_segment::<V, S>(dst, upper_half, lower_half, valid_rows);
        }
    };
    store_column(0, upper[0], lower[0]);
    store_column(1, upper[1], lower[1]);
    store_column(2, upper[2], lower[2]);
    store_column(3, upper[3], lower[3]);
    store_column(4, upper_hi[0], lower_hi[0]);
    store_column(5, upper_hi[1], lower_hi[1]);
    store_column(6, upper_hi[2], lower_hi[2]);
    store_column(7, upper_hi[3], lower_hi[3]);
}

/// Writes the first `valid` of a block row's 8 entries (`first` then `second` lane group) at the
/// start of `dst`: a whole block row as two lane-group stores, a partial one (the matrix's last
/// block) entry by entry.
#[inline(always)]
fn store_segment<V: Vector, S: StorePath>(dst: &mut [f64], first: V, second: V, valid: usize) {
    if valid == BLOCK {
        let (lo, hi) = dst[..BLOCK].split_at_mut(LANES);
        S::store_x4(lo.try_into().expect("4 entries"), first);
        S::store_x4(hi.try_into().expect("4 entries"), second);
    } else {
        let all = [first.to_array(), second.to_array()];
        dst[..valid].copy_from_slice(&all.as_flattened()[..valid]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_tiles_keep_their_mirror_within_the_span() {
        let cols = |tile_cols, n| SymmetricShape::new(32, tile_cols, n).tile_cols;
        // Small matrices: the whole matrix, in whole blocks.
        assert_eq!(cols(4096, 1000), 1000);
        assert_eq!(cols(4096, 2001), 2008);
        // N = 3001: 64 MiB / 24 008 bytes per row = 2795 rows, rounded up to blocks.
        assert_eq!(cols(4096, 3001), 2800);
        // N = 10000: 64 MiB / 80 000 bytes per row = 838 rows, rounded up to blocks.
        assert_eq!(cols(4096, 10_000), 840);
        // A narrower tile asked for is kept; huge matrices stop at the minimum.
        assert_eq!(cols(64, 10_000), 64);
        assert_eq!(cols(4096, 1_000_000), MIN_MIRROR_TILE_COLS);
    }
}
