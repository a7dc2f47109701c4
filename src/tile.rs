//! The tile kernel: one band of rows against all columns, a column tile at a time.
//!
//! A tile is `band rows × tile columns`. The loop over column tiles is outside the loop over the
//! band's rows, so the tile's column coordinates (24 bytes a column) stay in cache while every
//! row of the band sweeps them, and each row writes one contiguous run of the row-major output.
//! Why the default tile is wide (4096 columns, in L2 rather than L1) is in [`crate::defaults`].
//!
//! Inside a row, four columns at a time go through [`pair_entries_x4`] on [`f64x4`] lanes:
//! differences, r², `sqrt`, then [`phi_x4`]. Each entry is a lane-wise function of
//! its two nodes alone, so its bits cannot depend on the tile shape, the band, the thread that
//! computes it or its neighbours. A row's last, partial lane group runs through the same
//! arithmetic on the zero-padded columns (see [`crate::nodes`]) and stores only its valid lanes.

use wide::f64x4;

use crate::nodes::{LANES, Nodes};
use crate::radial::phi_x4;

/// φ(|p − q|) for one row node `p` (splatted) against four column nodes `q`.
///
/// r² is summed as `(dx·dx + dy·dy) + dz·dz` with separate multiplies and adds, the order of the
/// reference, not by `mul_add`. Why: the rounding of r² is the largest error term (φ carries it
/// 1.5-fold); made bit-identical to the reference's, it is shared instead of added, and the kernel
/// stays within 4 ulp of the reference where a fused sum measured up to 8, with the same
/// distance from the exact value (≤ 7 ulp measured either way). It also keeps r² independent of
/// whether the build has FMA.
///
/// `D[i][j] == D[j][i]` exactly: `q − p` is `−(p − q)` bit for bit (round-to-nearest is
/// symmetric), squares drop the sign, and the three squares are summed in the same x, y, z order.
/// `D[i][i] == 0`: the differences are zero, so r² = r = φ = 0.
#[inline(always)]
pub(crate) fn pair_entries_x4(p: [f64x4; 3], qx: f64x4, qy: f64x4, qz: f64x4) -> f64x4 {
    let dx = p[0] - qx;
    let dy = p[1] - qy;
    let dz = p[2] - qz;
    let r_squared = dx * dx + dy * dy + dz * dz;
    phi_x4(r_squared.sqrt(), r_squared)
}

/// Fills `band`: rows `first_row ..` of the `rows.len() × cols.len()` matrix, row-major with a
/// row stride of `cols.len()`, in column tiles of `groups_per_tile` lane groups.
///
/// `band.len()` must be a whole number of rows, and `cols` must be non-empty.
pub(crate) fn fill_band(
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
        let tile_groups = tile_first_group..(tile_first_group + groups_per_tile).min(x_soa.len());
        let tile_cols = tile_groups.start * LANES..(tile_groups.end * LANES).min(row_stride);
        // LOOP 1: every row of the band sweeps the tile's columns.
        for (row_in_band, row) in band.chunks_exact_mut(row_stride).enumerate() {
            fill_row_segment(
                rows.point(first_row + row_in_band),
                &x_soa[tile_groups.clone()],
                &y_soa[tile_groups.clone()],
                &z_soa[tile_groups.clone()],
                &mut row[tile_cols.clone()],
            );
        }
    }
}

/// One row node against a run of column lane groups; `out` has one entry per real column.
#[inline(always)]
fn fill_row_segment(
    p: [f64; 3],
    x_soa: &[f64x4],
    y_soa: &[f64x4],
    z_soa: &[f64x4],
    out: &mut [f64],
) {
    let p = p.map(f64x4::splat);
    let full_groups = out.len() / LANES;
    let mut out_groups = out.chunks_exact_mut(LANES);
    // LOOP 0: four columns per step, on the f64x4 lanes.
    for (((out_group, &qx), &qy), &qz) in (&mut out_groups).zip(x_soa).zip(y_soa).zip(z_soa) {
        out_group.copy_from_slice(pair_entries_x4(p, qx, qy, qz).as_array());
    }
    // The matrix's last columns, when they do not fill a lane group: same arithmetic on the
    // padded group, valid lanes stored.
    let tail = out_groups.into_remainder();
    if !tail.is_empty() {
        let g = full_groups;
        let entries = pair_entries_x4(p, x_soa[g], y_soa[g], z_soa[g]);
        tail.copy_from_slice(&entries.as_array()[..tail.len()]);
    }
}
