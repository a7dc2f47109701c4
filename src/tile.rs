//! The rows schedule's band: one band of rows against all columns, a column tile at a time.
//!
//! A tile is `band rows × tile columns`. The loop over column tiles is outside the loop over the
//! band's rows, so the tile's column coordinates (8·d bytes a column) stay in cache while every
//! row of the band sweeps them, and each row writes one contiguous run of the row-major output.
//! Why the default tile is wide (4096 columns, in L2 rather than L1) is in [`crate::defaults`].
//!
//! Entries come from the micro-kernel ([`crate::block`]) in blocks of four rows × one lane group
//! (the band's last rows one row at a time). A row's last, partial lane group is computed on the
//! zero-padded columns like any other and only its valid lanes are stored: the one tail rule.

use crate::arithmetic::EntryArithmetic;
use crate::block::{Columns, Dimension, LANES, block_of_splatted_rows, pack_groups, splat_rows};
use crate::kernels::RadialFunction;
use crate::simd::Vector;
use crate::store::StorePath;

/// Rows computed together per column lane group (register blocking): their column coordinates
/// are loaded once for all of them, and four independent square roots are in flight. Measured
/// on one thread against one row at a time (the binary, 6 interleaved rounds): +3–5% at
/// N = 10000, where the output goes to DRAM, and no difference beyond noise at N = 1000 and
/// 3000, where the square root alone bounds the rate.
const ROWS_PER_STEP: usize = 4;

/// What a band computes: the kernel, the dimension and both node sets' columns.
pub(crate) struct BandInputs<'a, F, D> {
    pub kernel: &'a F,
    pub dim: D,
    pub rows: Columns<'a>,
    pub cols: Columns<'a>,
    /// Column nodes: the row stride of the output.
    pub col_count: usize,
}

/// Fills `band`: rows `first_row ..` of the matrix, row-major with a row stride of
/// `inputs.col_count`, in column tiles of `groups_per_tile` lane groups.
///
/// `band.len()` must be a whole number of rows, and there must be at least one column.
#[inline(always)]
pub(crate) fn fill_band<
    V: Vector,
    S: StorePath,
    A: EntryArithmetic,
    F: RadialFunction,
    D: Dimension,
>(
    inputs: &BandInputs<'_, F, D>,
    first_row: usize,
    groups_per_tile: usize,
    band: &mut [f64],
) {
    let row_stride = inputs.col_count;
    let groups = row_stride.div_ceil(LANES);
    let dim = inputs.dim.get();
    // The rows' coordinates, splatted once per step of rows, and the tile's columns, packed
    // once per tile (see `fill_rows`).
    let mut splats = Vec::with_capacity(dim * ROWS_PER_STEP);
    let mut packed = Vec::with_capacity(dim * LANES * groups_per_tile.min(groups));
    // LOOP 2: split the columns into tiles of `groups_per_tile` lane groups.
    for tile_first_group in (0..groups).step_by(groups_per_tile) {
        let tile_groups = tile_first_group..groups.min(tile_first_group + groups_per_tile);
        pack_groups(&inputs.cols, dim, tile_groups.clone(), &mut packed);
        let packed = &packed[..];
        // LOOP 1: the band's rows sweep the tile, ROWS_PER_STEP at a time, then one at a time.
        let mut steps = band.chunks_exact_mut(ROWS_PER_STEP * row_stride);
        let mut row = first_row;
        for step in &mut steps {
            let groups = tile_groups.clone();
            let splats = &mut splats;
            fill_rows::<V, S, A, F, D, ROWS_PER_STEP>(inputs, row, groups, packed, step, splats);
            row += ROWS_PER_STEP;
        }
        for single_row in steps.into_remainder().chunks_exact_mut(row_stride) {
            let groups = tile_groups.clone();
            let splats = &mut splats;
            fill_rows::<V, S, A, F, D, 1>(inputs, row, groups, packed, single_row, splats);
            row += 1;
        }
    }
}

/// `R` rows from `first_row` against the lane groups `groups`, packed in `packed`
/// ([`pack_groups`]); `out` holds the `R` whole rows. `splats` is scratch space for the rows'
/// splatted coordinates.
///
/// The rows are splatted once and the output rows cut to the tile once, before the sweep: the
/// loop then holds the arithmetic, one packed group's loads and the stores (measured:
/// splatting and slicing per lane group, with their bounds checks and row lookups, made the
/// loop ~150 instructions for four square roots, 0.5x of the C row kernel).
#[inline(always)]
fn fill_rows<
    V: Vector,
    S: StorePath,
    A: EntryArithmetic,
    F: RadialFunction,
    D: Dimension,
    const R: usize,
>(
    inputs: &BandInputs<'_, F, D>,
    first_row: usize,
    groups: std::ops::Range<usize>,
    packed: &[f64],
    out: &mut [f64],
    splats: &mut Vec<V>,
) {
    let row_stride = inputs.col_count;
    let per_group = inputs.dim.get() * LANES;
    // The groups whose four columns are all in the matrix, then the partial last one if the
    // tile reaches it (a branch out of the hot loop).
    let full_groups = groups.start..groups.end.min(row_stride / LANES);
    splat_rows::<V, R>(&inputs.rows, inputs.dim.get(), first_row, splats);
    let splats = &splats[..];
    let block_of = |group: &[f64]| {
        block_of_splatted_rows::<V, F, A, D, R>(inputs.kernel, inputs.dim, splats, group)
    };
    let mut packed_groups = packed.chunks_exact(per_group);
    {
        // Each output row's full lane groups of the tile: exactly `n` of them.
        let n = full_groups.len();
        let mut rows = out.chunks_exact_mut(row_stride);
        let mut targets: [&mut [[f64; LANES]]; R] = std::array::from_fn(|_| {
            let row = rows.next().expect("R rows");
            &mut row.as_chunks_mut::<LANES>().0[full_groups.clone()][..n]
        });
        // LOOP 0: one R × 1 block per lane group of four columns.
        for (i, group) in (&mut packed_groups).take(n).enumerate() {
            let entries = block_of(group);
            for (target, entry) in targets.iter_mut().zip(entries) {
                S::store_x4(&mut target[i], entry);
            }
        }
    }
    if full_groups.end < groups.end
        && let Some(group) = packed_groups.next()
    {
        // The matrix's last columns, when they do not fill a lane group: the same arithmetic on
        // the zero-padded group, valid lanes stored.
        let col = full_groups.end * LANES;
        let valid = row_stride - col;
        for (k, entry) in block_of(group).iter().enumerate() {
            let at = k * row_stride + col;
            out[at..at + valid].copy_from_slice(&entry.to_array()[..valid]);
        }
    }
}
