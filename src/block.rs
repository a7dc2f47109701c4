//! The micro-kernel: a block of entries — `MR` row nodes against a lane group of four column
//! nodes, or eight row nodes against two groups — for any kernel, accuracy and dimension, on
//! pairs of four-lane vectors ([`Vector::Pair`]: one 512-bit register on the AVX-512 path).
//! Every schedule computes every entry here: the rows schedule in 4 × 4 blocks, the symmetric
//! one in 8 × 8 (kept whole as pairs, for stores and transposes of eight), the matrix-free
//! products in 4 × 4 with the roles of rows and columns swapped; none of them names a kernel or
//! the dimension.
//!
//! LOOP order inside a block: entry by entry, the axes innermost. With the dimension a
//! constant ([`Fixed`]) the axis loop unrolls and the compiler interleaves the block's
//! independent entries (the `MR × NR` chains keep the floating-point pipes full); for other
//! dimensions ([`AnyDim`]) the axes are a loop per entry, and the out-of-order core overlaps the
//! entries.
//!
//! The one tail rule: nodes are padded with zeros to whole lines of eight ([`crate::nodes`]), a
//! block reads the padding like any node, and the schedules store or add only the entries of
//! real nodes.

use crate::arithmetic::EntryArithmetic;
use crate::kernels::RadialFunction;
use crate::nodes::Nodes;
use crate::simd::{Lanes, Vector};

/// Lanes of one [`Lanes`] vector: the width of a column lane group (four on every path).
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
    /// All axes, one after another, each `stride` entries (the padded node count, a multiple
    /// of [`LANES`]).
    coordinates: &'a [f64],
    /// Entries per axis column.
    stride: usize,
}

impl<'a> Columns<'a> {
    /// The columns of `nodes`.
    pub(crate) fn of(nodes: &'a Nodes) -> Columns<'a> {
        Columns {
            coordinates: nodes.storage(),
            stride: nodes.stride(),
        }
    }

    /// Coordinate `axis` of every node: `stride` entries. Its bounds check depends on the
    /// axis alone, so a loop over blocks with a fixed dimension hoists it out of the loop, and
    /// what is left, a block's place within the axis, is the same check for every axis.
    #[inline(always)]
    fn axis(&self, axis: usize) -> &[f64] {
        &self.coordinates[axis * self.stride..][..self.stride]
    }

    /// Coordinate `axis` of the `MR` nodes from `first`: one bounds check for the block's
    /// rows (the same slice for every entry of the block, so the compiler computes it once).
    #[inline(always)]
    fn rows<const MR: usize>(&self, axis: usize, first: usize) -> &[f64; MR] {
        let at = axis * self.stride + first;
        self.coordinates[at..at + MR]
            .try_into()
            .expect("MR coordinates")
    }

    /// Coordinate `axis` of the `NR` lane groups from `first_group`: one bounds check, the
    /// same for every axis, made once per block. (Checked as one range of all the coordinates,
    /// it was a check per axis with its overflow test, in every block of every schedule; with
    /// [`crate::window::BandWindow`]'s change, the symmetric schedule's 3-D `Fast` 8 × 8 block
    /// went from about 327 instructions to 274 and 1.16× faster at N = 1000, one thread, Zen 5,
    /// side by side: the README's performance section.)
    #[inline(always)]
    fn groups<const NR: usize>(&self, axis: usize, first_group: usize) -> &[[f64; LANES]; NR] {
        let (groups, _) = self.axis(axis)[first_group * LANES..][..LANES * NR].as_chunks::<LANES>();
        groups.try_into().expect("NR lane groups")
    }
}

/// The `MR` × 8 block of row nodes `first_row ..` against the two lane groups from
/// `first_group`, row k's eight entries in one pair ([`Vector::Pair`]): the same entries, bit
/// for bit, as four lanes at a time, kept whole for stores of eight.
#[inline(always)]
pub(crate) fn paired_block<V, F, A, D, const MR: usize>(
    kernel: &F,
    dim: D,
    rows: &Columns<'_>,
    first_row: usize,
    cols: &Columns<'_>,
    first_group: usize,
) -> [V::Pair; MR]
where
    V: Vector,
    F: RadialFunction,
    A: EntryArithmetic,
    D: Dimension,
{
    // A loop, not `std::array::from_fn`: a closure called through it is not inlined into the
    // path's trampoline, so it is compiled without the path's target features.
    let mut block = [V::Pair::ZERO; MR];
    for (k, pair) in block.iter_mut().enumerate() {
        let p = |axis: usize| V::Pair::splat(rows.rows::<MR>(axis, first_row)[k]);
        let q = |axis: usize| {
            let [low, high] = cols.groups::<2>(axis, first_group);
            V::join(V::load(low), V::load(high))
        };
        *pair = entry::<V::Pair, F, A, D>(kernel, dim, p, q);
    }
    block
}

/// A lane group's coordinates, loaded once, for a sweep of many row nodes against it
/// ([`splatted_block`]): `lanes[axis]` holds the group's four nodes on `axis`.
#[inline(always)]
pub(crate) fn group_lanes<V: Vector>(
    cols: &Columns<'_>,
    dim: usize,
    group: usize,
    lanes: &mut Vec<V>,
) {
    lanes.clear();
    lanes.extend((0..dim).map(|axis| V::load(&cols.groups::<1>(axis, group)[0])));
}

/// The `MR` × 1 block of the row nodes `first_row ..` against a lane group already loaded
/// ([`group_lanes`]): the same entries, bit for bit, as [`paired_block`]'s for the same nodes,
/// without reloading the group (and checking its bounds) for every block of a long sweep.
#[inline(always)]
pub(crate) fn splatted_block<V, F, A, D, const MR: usize>(
    kernel: &F,
    dim: D,
    rows: &Columns<'_>,
    first_row: usize,
    lanes: &[V],
) -> [V; MR]
where
    V: Vector,
    F: RadialFunction,
    A: EntryArithmetic,
    D: Dimension,
{
    // One bounds check, outside the entries (with a fixed dimension, the slice is constant).
    let lanes = &lanes[..dim.get()];
    let p = |axis: usize, k: usize| V::splat(rows.rows::<MR>(axis, first_row)[k]);
    entries::<V, F, A, D, MR>(kernel, dim, p, |axis| lanes[axis])
}

/// The 4 × 1 block of one packed lane group's four nodes ([`pack_groups`]), each splatted,
/// against a lane group already loaded ([`group_lanes`]): entry `c` is packed node `c` against
/// the four nodes in lanes — bit for bit [`splatted_block`]'s entries for the same nodes, read
/// from one slice of known length instead of `dim` bounds-checked ones.
#[inline(always)]
pub(crate) fn packed_splatted_block<V, F, A, D>(
    kernel: &F,
    dim: D,
    group: &[f64],
    lanes: &[V],
) -> [V; LANES]
where
    V: Vector,
    F: RadialFunction,
    A: EntryArithmetic,
    D: Dimension,
{
    // One bounds check each, outside the entries (with a fixed dimension, none).
    let lanes = &lanes[..dim.get()];
    let (group, _) = group[..dim.get() * LANES].as_chunks::<LANES>();
    let p = |axis: usize, k: usize| V::splat(group[axis][k]);
    entries::<V, F, A, D, LANES>(kernel, dim, p, |axis| lanes[axis])
}

/// The `MR` row nodes from `first_row`, splatted once for a sweep of many lane groups against
/// them ([`block_of_splatted_rows`]): `splats[axis * MR + k]` holds row k's coordinate on `axis`
/// in every lane.
#[inline(always)]
pub(crate) fn splat_rows<V: Vector, const MR: usize>(
    rows: &Columns<'_>,
    dim: usize,
    first_row: usize,
    splats: &mut Vec<V>,
) {
    splats.clear();
    for axis in 0..dim {
        splats.extend(rows.rows::<MR>(axis, first_row).map(V::splat));
    }
}

/// Lane groups `groups` of a node set's columns, packed group by group: group `g`'s
/// coordinates on every axis, `[axis][lane]`, are the `dim · LANES` values from
/// `(g − groups.start) · dim · LANES`. A sweep of rows against them then reads each group as
/// one slice of known length (BLIS packs its panels for the same reason), not `dim` slices each
/// with its bounds check.
pub(crate) fn pack_groups(
    cols: &Columns<'_>,
    dim: usize,
    groups: std::ops::Range<usize>,
    packed: &mut Vec<f64>,
) {
    packed.clear();
    for group in groups {
        for axis in 0..dim {
            packed.extend_from_slice(&cols.groups::<1>(axis, group)[0]);
        }
    }
}

/// The `MR` × 1 block of rows already splatted ([`splat_rows`]) against one packed lane group
/// (`dim · LANES` values, [`pack_groups`]): the same entries, bit for bit, as [`splatted_block`]'s.
#[inline(always)]
pub(crate) fn block_of_splatted_rows<V, F, A, D, const MR: usize>(
    kernel: &F,
    dim: D,
    splats: &[V],
    group: &[f64],
) -> [V; MR]
where
    V: Vector,
    F: RadialFunction,
    A: EntryArithmetic,
    D: Dimension,
{
    // One bounds check each, outside the entries (with a fixed dimension, none: the lengths
    // are constants).
    let splats = &splats[..dim.get() * MR];
    let (group, _) = group[..dim.get() * LANES].as_chunks::<LANES>();
    let q = |axis: usize| V::load(&group[axis]);
    entries::<V, F, A, D, MR>(kernel, dim, |axis, k| splats[axis * MR + k], q)
}

/// The `MR` × 1 block of entries: `p(axis, k)` gives row k's coordinate on `axis`, splatted,
/// `q(axis)` the lane group's coordinates on `axis`.
///
/// Computed two rows at a time, as one [`Vector::Pair`] of eight lanes (the group in both
/// halves): on the AVX-512 path a pair is one 512-bit register, which doubles the square roots
/// per instruction (2× the rows kernel's and the products' entries per second on Zen 5,
/// measured); elsewhere it is two vectors and the same instructions as four lanes at a time.
/// Lanes never mix, so pairing gives the same bits.
#[inline(always)]
fn entries<V, F, A, D, const MR: usize>(
    kernel: &F,
    dim: D,
    p: impl Fn(usize, usize) -> V,
    q: impl Fn(usize) -> V,
) -> [V; MR]
where
    V: Vector,
    F: RadialFunction,
    A: EntryArithmetic,
    D: Dimension,
{
    let mut block = [V::ZERO; MR];
    for pair in 0..MR / 2 {
        let (k0, k1) = (2 * pair, 2 * pair + 1);
        let entries = entry::<V::Pair, F, A, D>(
            kernel,
            dim,
            |axis| V::join(p(axis, k0), p(axis, k1)),
            |axis| V::join(q(axis), q(axis)),
        );
        [block[k0], block[k1]] = V::split(entries);
    }
    if MR % 2 == 1 {
        block[MR - 1] = entry::<V, F, A, D>(kernel, dim, |axis| p(axis, MR - 1), &q);
    }
    block
}

/// The one copy of the entry arithmetic: one vector of entries, from the row and column
/// coordinates on each axis.
#[inline(always)]
fn entry<V, F, A, D>(kernel: &F, dim: D, p: impl Fn(usize) -> V, q: impl Fn(usize) -> V) -> V
where
    V: Lanes,
    F: RadialFunction,
    A: EntryArithmetic,
    D: Dimension,
{
    // LOOP: the axes. (Axes outermost, with the block's partial sums carried across them,
    // needs 4·MR·NR registers for the compensated order's partial sums: on AVX2's 16 that
    // spilled, and ran 0.7–0.8× of the first rounds' kernels, measured side by side. Entry by
    // entry, with a fixed dimension, the compiler interleaves the independent entries as the
    // first rounds' hand-written 3-D code did.)
    let mut partial = A::first(p(0), q(0));
    if dim.get() > 1 {
        partial = A::second(partial, p(1), q(1));
    }
    for axis in 2..dim.get() {
        partial = A::next(partial, p(axis), q(axis));
    }
    A::finish(kernel, partial)
}
