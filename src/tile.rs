//! The tile kernel: one band of rows against all columns, a column tile at a time.
//!
//! A tile is `band rows × tile columns`. The loop over column tiles is outside the loop over the
//! band's rows, so the tile's column coordinates (24 bytes a column) stay in cache while every
//! row of the band sweeps them, and each row writes one contiguous run of the row-major output.
//! Why the default tile is wide (4096 columns, in L2 rather than L1) is in [`crate::defaults`].
//!
//! Four rows at a time (the band's last rows one by one), four columns at a time go through
//! the plan's [`EntryArithmetic`] on [`f64x4`] lanes. Each entry is a lane-wise function of its
//! two nodes alone, so its bits cannot depend on the tile shape, the band, the thread that
//! computes it or its neighbours. A row's last, partial lane group runs through the same
//! arithmetic on the zero-padded columns (see [`crate::nodes`]) and stores only its valid lanes.

use wide::f64x4;

use crate::arithmetic::EntryArithmetic;
use crate::nodes::{LANES, Nodes};
use crate::store::StorePath;

/// Rows computed together per column lane group (register blocking): their column coordinates
/// are loaded once for all of them, and four independent square roots are in flight. Measured
/// on one thread against one row at a time (the binary, 6 interleaved rounds): +3–5% at
/// N = 10000, where the output goes to DRAM, and no difference beyond noise at N = 1000 and
/// 3000, where the square root alone bounds the rate.
const ROWS_PER_STEP: usize = 4;

/// The columns of one tile: their lane groups, and the matrix columns they cover, `col_count`
/// from `first_col` (fewer than the groups hold when the tile ends in the matrix's last,
/// partial lane group).
#[derive(Clone, Copy)]
struct ColumnTile<'a> {
    x_soa: &'a [f64x4],
    y_soa: &'a [f64x4],
    z_soa: &'a [f64x4],
    first_col: usize,
    col_count: usize,
}

/// Fills `band`: rows `first_row ..` of the `rows.len() × cols.len()` matrix, row-major with a
/// row stride of `cols.len()`, in column tiles of `groups_per_tile` lane groups.
///
/// `band.len()` must be a whole number of rows, and `cols` must be non-empty.
pub(crate) fn fill_band<S: StorePath, A: EntryArithmetic>(
    rows: &Nodes,
    first_row: usize,
    cols: &Nodes,
    groups_per_tile: usize,
    band: &mut [f64],
) {
    let row_stride = cols.len();
    let (x_soa, y_soa, z_soa) = cols.columns_soa();
    // LOOP 2: split the columns into tiles of `groups_per_tile` lane groups.
    for tile_first_group in (0..x_soa.len()).step_by(groups_per_tile) {
        let groups = tile_first_group..x_soa.len().min(tile_first_group + groups_per_tile);
        let first_col = groups.start * LANES;
        let tile = ColumnTile {
            x_soa: &x_soa[groups.clone()],
            y_soa: &y_soa[groups.clone()],
            z_soa: &z_soa[groups.clone()],
            first_col,
            col_count: (groups.end * LANES).min(row_stride) - first_col,
        };
        // LOOP 1: the band's rows sweep the tile, ROWS_PER_STEP at a time, then one at a time.
        let mut steps = band.chunks_exact_mut(ROWS_PER_STEP * row_stride);
        let mut row = first_row;
        for step in &mut steps {
            let points = std::array::from_fn(|k| rows.point(row + k));
            fill_rows::<S, A, ROWS_PER_STEP>(points, tile, step, row_stride);
            row += ROWS_PER_STEP;
        }
        for single_row in steps.into_remainder().chunks_exact_mut(row_stride) {
            fill_rows::<S, A, 1>([rows.point(row)], tile, single_row, row_stride);
            row += 1;
        }
    }
}

/// `R` row nodes against one column tile; `out` holds the `R` rows (full stride `row_stride`),
/// of which the tile's columns are written.
#[inline(always)]
fn fill_rows<S: StorePath, A: EntryArithmetic, const R: usize>(
    row_points: [[f64; 3]; R],
    tile: ColumnTile<'_>,
    out: &mut [f64],
    row_stride: usize,
) {
    let p = row_points.map(|point| point.map(f64x4::splat));
    let full_groups = tile.col_count / LANES;
    // LOOP 0: four columns per step, on the f64x4 lanes, for each of the R rows.
    for g in 0..full_groups {
        let (qx, qy, qz) = (tile.x_soa[g], tile.y_soa[g], tile.z_soa[g]);
        let col = tile.first_col + g * LANES;
        for (k, &p_k) in p.iter().enumerate() {
            let at = k * row_stride + col;
            let dst = (&mut out[at..at + LANES]).try_into().expect("a lane group");
            S::store_x4(dst, A::entries_x4(p_k, qx, qy, qz));
        }
    }
    // The matrix's last columns, when they do not fill a lane group: the same arithmetic on the
    // zero-padded group, valid lanes stored.
    let tail_len = tile.col_count - full_groups * LANES;
    if tail_len > 0 {
        let g = full_groups;
        let (qx, qy, qz) = (tile.x_soa[g], tile.y_soa[g], tile.z_soa[g]);
        let col = tile.first_col + g * LANES;
        for (k, &p_k) in p.iter().enumerate() {
            let at = k * row_stride + col;
            let entries = A::entries_x4(p_k, qx, qy, qz);
            out[at..at + tail_len].copy_from_slice(&entries.as_array()[..tail_len]);
        }
    }
}
