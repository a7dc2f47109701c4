//! The schedules: [`Schedule`], the user's choice, and the row schedule, how bands of rows are
//! spread over threads. (The symmetric schedule is [`crate::symmetric`].)
//!
//! The output is cut into bands of whole rows (the one band splitter,
//! `Parallelism::for_each_band`), each band a disjoint `&mut` slice handed to [`fill_band`]. rayon's work stealing balances the bands, which all cost the
//! same; with several bands per thread, a thread slowed by a noisy neighbour is covered by the
//! others. Bands, not single tiles, are the unit of work so that each task writes one contiguous
//! block of memory and needs no shared pointer.

use std::marker::PhantomData;

use crate::arithmetic::EntryArithmetic;
use crate::block::{Dimension, LANES};
use crate::kernels::RadialFunction;
use crate::simd::{Isa, SimdTask, Vector};
use crate::store::StorePath;
use crate::threads::Parallelism;
use crate::tile::{BandInputs, fill_band};

/// How the work of a kernel matrix is laid out: a [`Plan`](crate::Plan) setting.
///
/// Every schedule gives the same bits; only the speed differs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Schedule {
    /// For a square kernel matrix ([`Plan::kernel_matrix`](crate::Plan::kernel_matrix) and its
    /// `_into` form), what [`machine::auto_choices`](crate::machine::auto_choices) says for its
    /// entries' cost and its output (reused or fresh): built in, symmetric except cheap entries
    /// (`Accuracy::Fast` with φ or the cubic) into a freshly allocated matrix filled on more than
    /// one thread; a tuning file
    /// baked into the build may choose otherwise per case. Always rows when the output's rows
    /// do not start on 64-byte cache lines (N not a multiple of 8, or a buffer at an odd
    /// offset, like most numpy arrays): the symmetric schedule's mirrored stores then run at
    /// half speed. Rows for a cross matrix. The
    /// matrix-free products of one node set ([`Plan::apply`](crate::Plan::apply)) take the
    /// symmetric order under `Auto` whatever the file says: `tune` times dense fills only.
    #[default]
    Auto,
    /// Every entry computed: bands of rows, each a run of whole rows of the output. The only
    /// schedule for cross matrices.
    Rows,
    /// Square matrices only: each pair of 8×8 blocks `(a, b)`, `(b, a)` computed once and
    /// stored twice, half the square roots. Cross matrices ignore it and use rows.
    Symmetric,
}

/// Tile shape in the units the kernel works in.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TileShape {
    /// Rows per band (the unit of parallel work), clamped to the matrix height.
    pub band_rows: usize,
    /// Column lane groups (of four columns) per tile.
    pub groups_per_tile: usize,
}

impl TileShape {
    /// From the user's tile in entries (both >= 1): rows clamped to `1..=n_rows`, columns rounded
    /// up to whole lane groups, since a lane group is the smallest unit the kernel reads.
    pub(crate) fn new(tile_rows: usize, tile_cols: usize, n_rows: usize) -> TileShape {
        TileShape {
            band_rows: tile_rows.clamp(1, n_rows.max(1)),
            groups_per_tile: tile_cols.div_ceil(LANES).max(1),
        }
    }
}

/// Fills `out` (`rows × cols` of `inputs`, row-major; the caller has checked its length).
pub(crate) fn fill_matrix<S: StorePath, A: EntryArithmetic, F: RadialFunction, D: Dimension>(
    isa: Isa,
    inputs: &BandInputs<'_, F, D>,
    tile: TileShape,
    parallelism: Parallelism,
    out: &mut [f64],
) {
    if out.is_empty() {
        return;
    }
    // LOOP 3: split the rows into bands of `band_rows` rows, the unit of parallel work.
    // `band_len` <= out.len(), since band_rows <= the row count.
    let band_len = tile.band_rows * inputs.col_count;
    parallelism.for_each_band(out, band_len, |band_index, band| {
        isa.run(RowsBand::<S, A, F, D> {
            inputs,
            first_row: band_index * tile.band_rows,
            groups_per_tile: tile.groups_per_tile,
            band,
            order: PhantomData,
        })
    });
}

/// One band of the rows schedule, compiled for each SIMD path.
struct RowsBand<'a, 'b, S, A, F, D> {
    inputs: &'a BandInputs<'a, F, D>,
    first_row: usize,
    groups_per_tile: usize,
    band: &'b mut [f64],
    order: PhantomData<(S, A)>,
}

impl<S: StorePath, A: EntryArithmetic, F: RadialFunction, D: Dimension> SimdTask
    for RowsBand<'_, '_, S, A, F, D>
{
    type Output = ();

    #[inline(always)]
    fn run<V: Vector>(self) {
        fill_band::<V, S, A, F, D>(self.inputs, self.first_row, self.groups_per_tile, self.band);
        S::finish();
    }
}

/// Writes `value` to every entry of `out` (rows of `cols` entries) in bands of `band_rows` rows,
/// through the store path `S`: the kernel's stores without its arithmetic, the floor under any
/// fill of the same memory.
pub(crate) fn fill_constant<S: StorePath>(
    isa: Isa,
    out: &mut [f64],
    cols: usize,
    band_rows: usize,
    parallelism: Parallelism,
    value: f64,
) {
    if out.is_empty() {
        return;
    }
    let fill = |_: usize, band: &mut [f64]| {
        isa.run(ConstantBand::<S> {
            band,
            cols,
            value,
            stores: PhantomData,
        })
    };
    parallelism.for_each_band(out, band_rows.max(1) * cols, fill);
}

/// One band of [`fill_constant`], compiled for each SIMD path.
struct ConstantBand<'b, S> {
    band: &'b mut [f64],
    cols: usize,
    value: f64,
    stores: PhantomData<S>,
}

impl<S: StorePath> SimdTask for ConstantBand<'_, S> {
    type Output = ();

    #[inline(always)]
    fn run<V: Vector>(self) {
        let entries = V::splat(self.value);
        for row in self.band.chunks_exact_mut(self.cols) {
            let mut groups = row.chunks_exact_mut(LANES);
            for group in &mut groups {
                S::store_x4(group.try_into().expect("a lane group"), entries);
            }
            groups.into_remainder().fill(self.value);
        }
        S::finish();
    }
}
