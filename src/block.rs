//! The micro-kernel: an `MR × NR` block of entries — `MR` row nodes against `NR` lane groups of
//! column nodes — for any kernel, accuracy and dimension. Every schedule computes every entry
//! here: the rows schedule in 4 × 1 blocks, the symmetric one in 8 × 2, the matrix-free products
//! in 1 × 1; none of them names a kernel or the dimension.
//!
//! LOOP order inside a block: the axes outermost, so one column lane group and one splatted row
//! coordinate are loaded per axis and reused by the whole block, and the `MR × NR` partial sums
//! (independent chains) keep the floating-point pipes full. With the dimension a constant
//! ([`Fixed`]) the axis loop unrolls and the partial sums live in registers; for other
//! dimensions ([`AnyDim`]) it is a loop.
//!
//! The one tail rule: nodes are padded with zeros to whole lines of eight ([`crate::nodes`]), a
//! block reads the padding like any node, and the schedules store or add only the entries of
//! real nodes.

use wide::f64x4;

use crate::arithmetic::EntryArithmetic;
use crate::kernels::RadialFunction;
use crate::nodes::Nodes;

/// Lanes of one [`f64x4`]: the width of a column lane group.
pub(crate) const LANES: usize = 4;

/// The dimension, as a constant the compiler can unroll by or a run-time count.
pub(crate) trait Dimension: Copy + Send + Sync {
    /// Coordinates per node.
    fn get(self) -> usize;
}

/// A dimension known at compile time.
#[derive(Clone, Copy)]
pub(crate) struct Fixed<const D: usize>;

impl<const D: usize> Dimension for Fixed<D> {
    #[inline(always)]
    fn get(self) -> usize {
        D
    }
}

/// A dimension known at run time.
#[derive(Clone, Copy)]
pub(crate) struct AnyDim(pub usize);

impl Dimension for AnyDim {
    #[inline(always)]
    fn get(self) -> usize {
        self.0
    }
}

/// Calls `$body` with `$dim` bound to the [`Dimension`] of `$d`: 3-D, the article's, has its
/// own compiled code; the rest share [`AnyDim`]'s. (Each compiled dimension is a copy of every
/// schedule for every kernel: compile time, measured, decides how many there are.)
macro_rules! with_dimension {
    ($d:expr, |$dim:ident| $body:expr) => {
        match $d {
            3 => {
                let $dim = $crate::block::Fixed::<3>;
                $body
            }
            d => {
                let $dim = $crate::block::AnyDim(d);
                $body
            }
        }
    };
}
pub(crate) use with_dimension;

/// A node set's coordinate columns as the micro-kernel reads them: splatted scalars for rows,
/// lane groups for columns.
#[derive(Clone, Copy)]
pub(crate) struct Columns<'a> {
    /// All axes, one after another, each `stride` entries (the padded node count).
    coordinates: &'a [f64],
    /// The same memory as lane groups (the stride is a multiple of [`LANES`]).
    lanes: &'a [f64x4],
    /// Entries per axis column.
    stride: usize,
}

impl<'a> Columns<'a> {
    /// The columns of `nodes`.
    pub(crate) fn of(nodes: &'a Nodes) -> Columns<'a> {
        let coordinates = nodes.storage();
        Columns {
            coordinates,
            // The storage is 64-byte aligned and a whole number of lines: the cast cannot fail.
            lanes: bytemuck::cast_slice(coordinates),
            stride: nodes.stride(),
        }
    }

    /// Coordinate `axis` of node `node`, on every lane.
    #[inline(always)]
    fn splat(&self, axis: usize, node: usize) -> f64x4 {
        f64x4::splat(self.coordinates[axis * self.stride + node])
    }

    /// Coordinate `axis` of the four nodes of lane group `group`.
    #[inline(always)]
    fn group(&self, axis: usize, group: usize) -> f64x4 {
        self.lanes[(axis * self.stride) / LANES + group]
    }
}

/// Entries `[k][h]`: row node `first_row + k` against the four column nodes of lane group
/// `first_group + h`, for k < `MR`, h < `NR`. Rows and groups may reach into the padding (up to
/// the next multiple of eight nodes), never beyond it.
#[inline(always)]
pub(crate) fn block<F, A, D, const MR: usize, const NR: usize>(
    kernel: &F,
    dim: D,
    rows: &Columns<'_>,
    first_row: usize,
    cols: &Columns<'_>,
    first_group: usize,
) -> [[f64x4; NR]; MR]
where
    F: RadialFunction,
    A: EntryArithmetic,
    D: Dimension,
{
    let d = dim.get();
    // AXIS 0: the first term of every entry (the array's initial copies are overwritten).
    let seed = A::first(rows.splat(0, first_row), cols.group(0, first_group));
    let mut partial = [[seed; NR]; MR];
    let q: [f64x4; NR] = std::array::from_fn(|h| cols.group(0, first_group + h));
    for (k, row_partial) in partial.iter_mut().enumerate() {
        let p = rows.splat(0, first_row + k);
        for (h, partial) in row_partial.iter_mut().enumerate() {
            *partial = A::first(p, q[h]);
        }
    }
    // AXES 1 ..: the axes in order, each loaded once for the whole block.
    for axis in 1..d {
        let q: [f64x4; NR] = std::array::from_fn(|h| cols.group(axis, first_group + h));
        for (k, row_partial) in partial.iter_mut().enumerate() {
            let p = rows.splat(axis, first_row + k);
            for (h, partial) in row_partial.iter_mut().enumerate() {
                *partial = if axis == 1 {
                    A::second(*partial, p, q[h])
                } else {
                    A::next(*partial, p, q[h])
                };
            }
        }
    }
    let mut entries = [[f64x4::ZERO; NR]; MR];
    for (row_entries, row_partial) in entries.iter_mut().zip(&partial) {
        for (entry, &partial) in row_entries.iter_mut().zip(row_partial) {
            *entry = A::finish(kernel, partial);
        }
    }
    entries
}
