//! Matrix-free products: `y = C·x` for the P × Q cross matrix `C[i][j] = φ(|pᵢ − qⱼ|)` (and the
//! kernel matrix, `C = D`), without ever storing `C`.
//!
//! Memory is O((P + Q)·k). The entries come from the one copy of the entry arithmetic (the
//! micro-kernel, [`crate::block`]), and are multiplied into the right-hand sides at once; `k`
//! right-hand sides are done in passes of up to [`MAX_RHS_PER_PASS`], one square root serving
//! every right-hand side of a pass.
//!
//! # The one summation order
//! `y[i][m]` is the naive loop's sum: `s = 0; for j in 0..Q { s = Cᵢⱼ·x[j][m] + s }`, one fused
//! multiply-add per term, `j` increasing. Every schedule, block shape, thread count and SIMD
//! path keeps that order, so they all give the same bits — and a test can rebuild them from
//! the kernel matrix's entries with a scalar loop. Parallelism comes from the rows (each row
//! its own chain), never from splitting a row's sum.
//!
//! # Two schedules, the same bits
//! - **Rows** ([`cross_apply`] with `symmetric` false): rows in lanes (four row nodes per
//!   vector), each column node splatted, so one chain per lane runs over `j` in order. Rows are
//!   cut into bands (the unit of parallel work) and columns into blocks whose nodes and
//!   right-hand sides stay in L1 while a band's rows sweep them.
//! - **Symmetric** (a kernel matrix, `rows` and `cols` the same nodes): each pair `{i, j}`
//!   computed once and added to both chains, `yᵢ += Dᵢⱼ·xⱼ` and `yⱼ += Dᵢⱼ·xᵢ` — half the square
//!   roots. The nodes are cut into blocks; block pair `(I, J)`, `I ≤ J`, adds `J`'s columns to
//!   `I`'s chains and `I`'s columns to `J`'s. Chain `yᵢ` needs its terms in column order:
//!   blocks `J < I` (as the column side of pair `(J, I)`), then `I` itself, then `J > I` (as the
//!   row side of `(I, J)`). Running pair `(I, J)` at step `I + J` gives every chain exactly
//!   that order, and the pairs of one step share no block (`I < s/2 < J`, and the diagonal
//!   `(s/2, s/2)` alone), so each step's pairs run in parallel on disjoint state. The block size
//!   changes only the speed.
//!
//! Inside a pair the micro-kernel computes 4 × 4 entries (four columns of `J` splatted against
//! a lane group of four rows of `I`, loaded once per sweep): the row side adds them to `I`'s
//! chains (lanes are rows, each column's weight splatted, columns in order), and, transposed
//! in registers, the column side adds them to `J`'s chains (lanes are columns, each row's
//! weight splatted, rows in order).
//!
//! # Infinite entries
//! An entry is `±∞` where φ exceeds `f64::MAX`, and `∞ · 0` is NaN, while a zero weight
//! contributes exactly nothing to the exact sum. When an entry may overflow (φ at the largest
//! possible distance, or at 0, is 10³⁰⁰ or more: see [`may_overflow`]) and a weight is zero,
//! each right-hand side is summed over the columns of its non-zero weights only — the same
//! chain with the zero terms left out, so the kernels never test a weight (a test per term cost
//! the symmetric schedule half its speed) and only such products pay: one rows-schedule pass
//! per right-hand side, on a copy of those columns. An infinite entry with a non-zero
//! weight still gives ±∞, as the exact sum does; terms that overflow in both directions
//! (infinite entries or products beyond `f64::MAX`, of both signs, in one row) give NaN, as f64
//! summation must, although the exact sum may be finite.

use std::marker::PhantomData;

use crate::arithmetic::EntryArithmetic;
use crate::block::{
    Columns, Dimension, LANES, group_lanes, pack_groups, packed_splatted_block, splatted_block,
};
use crate::error::Error;
use crate::kernels::RadialFunction;
use crate::memory::check_available;
use crate::nodes::Nodes;
use crate::simd::{Isa, SimdTask, Vector};
use crate::threads::Parallelism;
use crate::tile::BandInputs;

/// Right-hand sides per pass: their chains stay in registers (16 of them, plus the entries,
/// fit the 32 vector registers of AVX-512VL builds).
pub(crate) const MAX_RHS_PER_PASS: usize = 16;

/// Rows whose chains a sweep keeps (a band is swept in runs of at most this many): bounds the
/// chains to 256 × 16 × 8 bytes = 32 KiB whatever the plan's tile. Rows are independent, so the
/// bits do not change.
const MAX_ROWS_PER_SWEEP: usize = 256;

/// Bytes of L1 a block of column nodes and their weights (and, symmetric, their chains) may
/// fill: half of a 48 KiB L1d, the rest for the row side and whatever else is there.
const COLUMN_BLOCK_BYTES: usize = 24 << 10;

/// Entries this large or larger count as possibly infinite: then zero weights are left out.
/// Far below `f64::MAX`, so that the rounding of the distance bound cannot matter.
const OVERFLOW_MARGIN: f64 = 1e300;

/// One column's weights in a pass: `x[j][first + m]` for `m < pass`, zero beyond.
type Weights<const K: usize> = [f64; K];

/// The chains of one lane group of four nodes in a pass: `[m][lane]`.
type GroupChains<const K: usize> = [[f64; LANES]; K];

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

/// How a product is laid out over the machine: the plan's row band (rows schedule) and
/// whether rows and columns are one node set whose pairs are computed once.
#[derive(Clone, Copy)]
pub(crate) struct ApplyShape {
    /// Rows per band, the rows schedule's unit of parallel work (rounded up to whole groups).
    pub row_block: usize,
    /// Lane groups per column tile: the symmetric schedule's blocks are at most this long
    /// (see [`symmetric_block_groups`]).
    pub groups_per_tile: usize,
    /// The symmetric schedule: `rows` and `cols` are the same nodes.
    pub symmetric: bool,
}

/// Computes `y = C·x` for `k` right-hand sides: `x` is `Q × k` row-major (entry `j`, right-hand
/// side `m` at `j·k + m`), `y` is `P × k` row-major. Lengths and finiteness have been checked.
///
/// # Errors
/// [`Error::WorkspaceAllocationFailed`] if a pass's packed weights (as large as `x` for
/// k ≤ 16) or, symmetric, its chains (as large as `y`) cannot be allocated, and, where zero
/// weights are left out, its columns' copy ([`Error::NodesAllocationFailed`]) or results; a
/// pass writes `y` only after all of its allocations have succeeded.
#[allow(clippy::too_many_arguments)]
pub(crate) fn cross_apply<A: EntryArithmetic, F: RadialFunction, D: Dimension>(
    isa: Isa,
    inputs: &BandInputs<'_, F, D>,
    (rows, cols): (&Nodes, &Nodes),
    x: &[f64],
    k: usize,
    y: &mut [f64],
    shape: ApplyShape,
    parallelism: Parallelism,
) -> Result<(), Error> {
    if y.is_empty() {
        return Ok(());
    }
    let may_overflow = may_overflow(inputs.kernel, rows, cols);
    // LOOP 4: passes of up to MAX_RHS_PER_PASS right-hand sides.
    for first_rhs in (0..k).step_by(MAX_RHS_PER_PASS) {
        let pass = MAX_RHS_PER_PASS.min(k - first_rhs);
        let pass_weights = |j: usize| &x[j * k + first_rhs..j * k + first_rhs + pass];
        if may_overflow && (0..cols.len()).any(|j| pass_weights(j).contains(&0.0)) {
            // An entry may be infinite and a weight is zero, whose term the exact sum does
            // not have (`∞ · 0` is NaN): each right-hand side is summed over the columns of
            // its non-zero weights only, in the same order — the same chain, term for term,
            // with no test in the kernels. Slower (one pass per right-hand side, rows
            // schedule), and only for kernels that can overflow.
            // Every column computed before any is written: an allocation failure leaves `y`
            // as the earlier passes left it.
            let mut columns = Vec::new();
            for m in first_rhs..first_rhs + pass {
                columns.push(without_zero_weights::<A, F, D>(
                    isa,
                    inputs,
                    cols,
                    x,
                    (k, m),
                    rows.len(),
                    shape,
                    parallelism,
                )?);
            }
            for (m, column) in (first_rhs..).zip(columns) {
                for (y_row, value) in y.chunks_exact_mut(k).zip(column) {
                    y_row[m] = value;
                }
            }
            continue;
        }
        let run = Pass {
            isa,
            inputs,
            x,
            rhs: (k, first_rhs, pass),
            shape,
            parallelism,
        };
        // Compiled for four widths only (each is a copy of the whole product for every kernel,
        // dimension and SIMD path, and compile time grows with their number): a pass of 3
        // runs at width 4 with a zero fourth weight, whose chain is dropped, which leaves the
        // other columns' bits alone. A pass of 2 pays two spare multiply-adds per entry, a
        // few per cent of an entry's arithmetic; a pass of 5 to 8 has a width of its own,
        // where the spare eight would cost a third.
        match pass {
            1 => apply_pass::<A, F, D, 1>(&run, y),
            2..=4 => apply_pass::<A, F, D, 4>(&run, y),
            5..=8 => apply_pass::<A, F, D, 8>(&run, y),
            _ => apply_pass::<A, F, D, MAX_RHS_PER_PASS>(&run, y),
        }?;
    }
    Ok(())
}

/// Right-hand side `m` of `k` summed over the columns whose weight is not zero, by the rows
/// schedule on a copy of those columns: term for term the chain of every column with the zero
/// weights' terms left out. Returns the `rows` values.
#[allow(clippy::too_many_arguments)]
fn without_zero_weights<A: EntryArithmetic, F: RadialFunction, D: Dimension>(
    isa: Isa,
    inputs: &BandInputs<'_, F, D>,
    cols: &Nodes,
    x: &[f64],
    (k, m): (usize, usize),
    rows: usize,
    shape: ApplyShape,
    parallelism: Parallelism,
) -> Result<Vec<f64>, Error> {
    let weight = |j: usize| x[j * k + m];
    let mut kept_columns = (0..cols.len()).filter(|&j| weight(j) != 0.0);
    let count = kept_columns.clone().count();
    let kept = workspace(count, |_| kept_columns.next().unwrap_or_default())?;
    let kept_x = workspace(count, |i| weight(kept[i]))?;
    let kept_cols = cols.select(&kept)?;
    let kept_inputs = BandInputs {
        kernel: inputs.kernel,
        dim: inputs.dim,
        rows: inputs.rows,
        cols: Columns::of(&kept_cols),
        col_count: count,
    };
    let mut column = workspace(rows, |_| 0.0)?;
    let run = Pass {
        isa,
        inputs: &kept_inputs,
        x: &kept_x,
        rhs: (1, 0, 1),
        shape: ApplyShape {
            symmetric: false,
            ..shape
        },
        parallelism,
    };
    apply_pass::<A, F, D, 1>(&run, &mut column)?;
    Ok(column)
}

/// One pass of a product, whatever its width.
struct Pass<'a, 'i, F, D> {
    isa: Isa,
    inputs: &'a BandInputs<'i, F, D>,
    /// All right-hand sides, `Q × k` row-major.
    x: &'a [f64],
    /// `(k, first_rhs, pass)`: this pass computes right-hand sides `first_rhs ..
    /// first_rhs + pass` of the `k`.
    rhs: (usize, usize, usize),
    shape: ApplyShape,
    parallelism: Parallelism<'a>,
}

/// One pass at width `K` ≥ its right-hand sides (the weights past them zero).
fn apply_pass<A: EntryArithmetic, F: RadialFunction, D: Dimension, const K: usize>(
    run: &Pass<'_, '_, F, D>,
    y: &mut [f64],
) -> Result<(), Error> {
    let &Pass {
        isa,
        inputs,
        x,
        rhs: (k, first_rhs, pass),
        shape,
        parallelism,
    } = run;
    let q = inputs.col_count;
    let weights: Vec<Weights<K>> = workspace(q, |j| {
        std::array::from_fn(|m| {
            if m < pass {
                x[j * k + first_rhs + m]
            } else {
                0.0
            }
        })
    })?;
    let pass = (k, first_rhs, pass);
    // Symmetric for passes of up to four right-hand sides: with more, the column side's
    // chains (loaded and stored per lane group) cost more than the square roots saved —
    // measured on Zen 3 at N = 10⁴, 2 threads: k = 4 1.04–1.36× rows, k = 16 0.54–0.81×.
    // Both give the same bits.
    if shape.symmetric && K <= 4 {
        return symmetric_pass::<A, F, D, K>(run, &weights, y);
    }
    let dim = inputs.dim.get();
    let column_bytes = size_of::<f64>() * (dim + K);
    let cols_per_block = (COLUMN_BLOCK_BYTES / column_bytes).next_multiple_of(LANES);
    let row_block = shape.row_block.next_multiple_of(LANES);
    // LOOP 3: bands of rows, the unit of parallel work, swept in runs of bounded length.
    parallelism.for_each_band(y, row_block * k, |band, y_band| {
        isa.run(RowsBand::<A, F, D, K> {
            inputs,
            first_row: band * row_block,
            weights: &weights,
            cols_per_block,
            pass,
            y_band,
            order: PhantomData,
        })
    });
    Ok(())
}

/// A vector of `len` values `value(i)`, allocated fallibly after the memory check: a product's
/// workspace is as large as its `x` or `y`, and one near half the machine's memory must not
/// make the call abort.
fn workspace<T>(len: usize, value: impl FnMut(usize) -> T) -> Result<Vec<T>, Error> {
    let bytes = len.saturating_mul(size_of::<T>());
    let refused = |available| Error::WorkspaceAllocationFailed { bytes, available };
    check_available(bytes).map_err(|available| refused(Some(available)))?;
    let mut values = Vec::new();
    values.try_reserve_exact(len).map_err(|_| refused(None))?;
    values.extend((0..len).map(value));
    Ok(values)
}

/// Adds one column's terms `entries · weight[m]` to the chains, one fused multiply-add each.
#[inline(always)]
fn add_terms<V: Vector, const K: usize>(chains: &mut [V; K], entries: V, weights: &Weights<K>) {
    for (chain, &weight) in chains.iter_mut().zip(weights) {
        *chain = entries.mul_add(V::splat(weight), *chain);
    }
}

/// Adds the terms of up to four columns in order: `entries[c]` (lanes are the chains' nodes)
/// times column `c`'s weights, for the columns `weights` holds.
#[inline(always)]
fn add_columns<V: Vector, const K: usize>(
    chains: &mut [V; K],
    entries: &[V; LANES],
    weights: &[Weights<K>],
) {
    for (column, weights) in entries.iter().zip(weights) {
        add_terms::<V, K>(chains, *column, weights);
    }
}

/// One band of rows of a pass (rows schedule), compiled for each SIMD path.
struct RowsBand<'a, 'y, A, F, D, const K: usize> {
    inputs: &'a BandInputs<'a, F, D>,
    first_row: usize,
    weights: &'a [Weights<K>],
    cols_per_block: usize,
    pass: (usize, usize, usize),
    y_band: &'y mut [f64],
    order: PhantomData<fn() -> A>,
}

impl<A: EntryArithmetic, F: RadialFunction, D: Dimension, const K: usize> SimdTask
    for RowsBand<'_, '_, A, F, D, K>
{
    type Output = ();

    #[inline(always)]
    fn run<V: Vector>(self) {
        let k = self.pass.0;
        for (run, y_run) in self.y_band.chunks_mut(MAX_ROWS_PER_SWEEP * k).enumerate() {
            rows_sweep::<V, A, F, D, K>(
                self.inputs,
                self.first_row + run * MAX_ROWS_PER_SWEEP,
                self.weights,
                self.cols_per_block,
                self.pass,
                y_run,
            );
        }
    }
}

/// Rows `first_row ..` (as many as `y_run` holds; `first_row` a multiple of four) against all
/// columns: each lane group of four rows carries its chains over the columns in order.
#[inline(always)]
fn rows_sweep<V: Vector, A: EntryArithmetic, F: RadialFunction, D: Dimension, const K: usize>(
    inputs: &BandInputs<'_, F, D>,
    first_row: usize,
    weights: &[Weights<K>],
    cols_per_block: usize,
    (k, first_rhs, pass): (usize, usize, usize),
    y_run: &mut [f64],
) {
    let q = inputs.col_count;
    let dim = inputs.dim.get();
    let rows = y_run.len() / k;
    let first_group = first_row / LANES;
    let mut chains = vec![[V::ZERO; K]; rows.div_ceil(LANES)];
    let mut lanes = Vec::with_capacity(dim);
    let mut packed = Vec::new();
    // LOOP 2: column blocks that stay in L1 while the run's rows sweep them.
    for block_start in (0..q).step_by(cols_per_block) {
        let block_end = q.min(block_start + cols_per_block);
        let whole_end = block_start + (block_end - block_start) / LANES * LANES;
        // The block's whole lane groups, packed once for the run's row groups.
        pack_groups(
            &inputs.cols,
            dim,
            block_start / LANES..whole_end / LANES,
            &mut packed,
        );
        let (column_weights, _) = weights[block_start..whole_end].as_chunks::<LANES>();
        // LOOP 1: the run's lane groups of rows, each loaded once per column block.
        for (group, group_chains) in chains.iter_mut().enumerate() {
            group_lanes(&inputs.rows, dim, first_group + group, &mut lanes);
            let mut acc = *group_chains;
            // LOOP 0: four columns at a time: a 4 × 1 block of the micro-kernel, the four
            // column nodes splatted against the group's four row nodes in lanes (the entries
            // are the kernel matrix's bits: φ(|q − p|) == φ(|p − q|), see crate::arithmetic).
            for (columns, weights) in packed.chunks_exact(dim * LANES).zip(column_weights) {
                let entries =
                    packed_splatted_block::<V, F, A, D>(inputs.kernel, inputs.dim, columns, &lanes);
                add_columns::<V, K>(&mut acc, &entries, weights);
            }
            for (j, column_weights) in (whole_end..).zip(&weights[whole_end..block_end]) {
                let [column] = splatted_block::<V, F, A, D, 1>(
                    inputs.kernel,
                    inputs.dim,
                    &inputs.cols,
                    j,
                    &lanes,
                );
                add_terms::<V, K>(&mut acc, column, column_weights);
            }
            *group_chains = acc;
        }
    }
    for (row, y_row) in y_run.chunks_exact_mut(k).enumerate() {
        let group_chains = &chains[row / LANES];
        for (y, chain) in y_row[first_rhs..first_rhs + pass]
            .iter_mut()
            .zip(group_chains)
        {
            *y = chain.to_array()[row % LANES];
        }
    }
}

/// The symmetric schedule's pass: block pairs `(I, J)`, `I ≤ J`, in steps `I + J`; the pairs
/// of a step in parallel (see the module doc for why that is the one column order).
fn symmetric_pass<A: EntryArithmetic, F: RadialFunction, D: Dimension, const K: usize>(
    &Pass {
        isa,
        inputs,
        rhs: (k, first_rhs, pass),
        shape,
        parallelism,
        ..
    }: &Pass<'_, '_, F, D>,
    weights: &[Weights<K>],
    y: &mut [f64],
) -> Result<(), Error> {
    let groups_per_tile = shape.groups_per_tile;
    let n = inputs.col_count;
    let groups = n.div_ceil(LANES);
    let mut chains: Vec<GroupChains<K>> = workspace(groups, |_| [[0.0; LANES]; K])?;
    let groups_per_block =
        symmetric_block_groups(groups, inputs.dim.get(), K, groups_per_tile, parallelism);
    let blocks = groups.div_ceil(groups_per_block);
    // LOOP 3: steps s = I + J, in order; each step's pairs share no block.
    for step in 0..2 * blocks - 1 {
        let mut block_chains: Vec<Option<&mut [GroupChains<K>]>> =
            chains.chunks_mut(groups_per_block).map(Some).collect();
        let pairs: Vec<_> = (step.saturating_sub(blocks - 1)..=step / 2)
            .map(|first| {
                let second = step - first;
                let own = block_chains[first]
                    .take()
                    .expect("a block is in one pair per step");
                let other = (second != first).then(|| {
                    block_chains[second]
                        .take()
                        .expect("a block is in one pair per step")
                });
                BlockPair::<A, F, D, K> {
                    inputs,
                    weights,
                    own: (first * groups_per_block, own),
                    other: other.map(|chains| (second * groups_per_block, chains)),
                    order: PhantomData,
                }
            })
            .collect();
        // LOOP 2: the step's pairs, the unit of parallel work.
        parallelism.for_each_item(pairs, |pair| isa.run(pair));
    }
    for (i, y_row) in y.chunks_exact_mut(k).enumerate() {
        let group_chains = &chains[i / LANES];
        for (y, chain) in y_row[first_rhs..first_rhs + pass]
            .iter_mut()
            .zip(group_chains)
        {
            *y = chain[i % LANES];
        }
    }
    Ok(())
}

/// Lane groups per block of the symmetric schedule: at most the plan's column tile, small
/// enough that a block's nodes, weights and chains stay in L1 while another block's rows sweep
/// them, and that there are many blocks per thread (a step's pairs are the unit of parallel
/// work, and a thread idles when a step's count is not a multiple of the threads); at least
/// eight (32 nodes), so that a pair pays for its task. Only the speed depends on it.
fn symmetric_block_groups(
    groups: usize,
    dim: usize,
    k: usize,
    groups_per_tile: usize,
    parallelism: Parallelism,
) -> usize {
    let group_bytes = LANES * size_of::<f64>() * (dim + 2 * k);
    let fits_l1 = COLUMN_BLOCK_BYTES / group_bytes;
    let threads = parallelism.threads();
    let balanced = groups / (16 * threads);
    groups_per_tile.min(fits_l1).min(balanced).max(8)
}

/// Block pair `(I, J)` of the symmetric schedule, compiled for each SIMD path: `own` is `I`'s
/// first lane group and chains, `other` `J`'s (none when `J = I`).
struct BlockPair<'a, 's, A, F, D, const K: usize> {
    inputs: &'a BandInputs<'a, F, D>,
    weights: &'a [Weights<K>],
    own: (usize, &'s mut [GroupChains<K>]),
    other: Option<(usize, &'s mut [GroupChains<K>])>,
    order: PhantomData<fn() -> A>,
}

impl<A: EntryArithmetic, F: RadialFunction, D: Dimension, const K: usize> SimdTask
    for BlockPair<'_, '_, A, F, D, K>
{
    type Output = ();

    #[inline(always)]
    fn run<V: Vector>(self) {
        let (first_own, own) = self.own;
        let dim = self.inputs.dim.get();
        let mut lanes = Vec::with_capacity(dim);
        let mut packed = Vec::new();
        let load = |stored: &GroupChains<K>| stored.map(|lanes| V::load(&lanes));
        let store = |chains: [V; K], stored: &mut GroupChains<K>| {
            for (lanes, chain) in stored.iter_mut().zip(chains) {
                chain.store(lanes);
            }
        };
        match self.other {
            // I < J: every row group of I against all of J, both sides.
            Some((first_other, other)) => {
                pack_whole_groups(self.inputs, first_other, other.len(), &mut packed);
                for (group, stored) in own.iter_mut().enumerate() {
                    let row_group = first_own + group;
                    group_lanes(&self.inputs.rows, dim, row_group, &mut lanes);
                    let mut chains = load(stored);
                    pair_sweep::<V, A, F, D, K>(
                        self.inputs,
                        self.weights,
                        (row_group, &lanes),
                        &mut chains,
                        &packed,
                        (first_other, &mut *other),
                    );
                    store(chains, stored);
                }
            }
            // I = J: each row group against itself (row side only: the 4 × 4 block holds
            // both halves) and against the groups after it (both sides). The groups before it
            // have already added their columns to its chains, as column sides.
            None => {
                pack_whole_groups(self.inputs, first_own, own.len(), &mut packed);
                for group in 0..own.len() {
                    let (done, after) = own.split_at_mut(group + 1);
                    let stored = &mut done[group];
                    let mut chains = load(stored);
                    let row_group = first_own + group;
                    group_lanes(&self.inputs.rows, dim, row_group, &mut lanes);
                    let first = row_group * LANES;
                    let entries = splatted_block::<V, F, A, D, LANES>(
                        self.inputs.kernel,
                        self.inputs.dim,
                        &self.inputs.cols,
                        first,
                        &lanes,
                    );
                    let last = self.inputs.col_count.min(first + LANES);
                    add_columns::<V, K>(&mut chains, &entries, &self.weights[first..last]);
                    pair_sweep::<V, A, F, D, K>(
                        self.inputs,
                        self.weights,
                        (row_group, &lanes),
                        &mut chains,
                        packed.get((group + 1) * dim * LANES..).unwrap_or(&[]),
                        (row_group + 1, after),
                    );
                    store(chains, stored);
                }
            }
        }
    }
}

/// The lane groups `first .. first + groups` whose four nodes are all real, packed
/// ([`pack_groups`]) once for every row group a block pair sweeps over them.
fn pack_whole_groups<F, D: Dimension>(
    inputs: &BandInputs<'_, F, D>,
    first: usize,
    groups: usize,
    packed: &mut Vec<f64>,
) {
    let whole = whole_groups(inputs.col_count, first, groups);
    pack_groups(&inputs.cols, inputs.dim.get(), first..first + whole, packed);
}

/// How many of the `groups` lane groups from `first` hold four real nodes of the `n` (all but
/// the last group of the nodes when `n` is not a multiple of four).
fn whole_groups(n: usize, first: usize, groups: usize) -> usize {
    (n.saturating_sub(first * LANES) / LANES).min(groups)
}

/// One row group (four rows, its coordinates loaded in `lanes`, its chains in `row_chains`:
/// lanes are rows) against the column groups `first_col_group ..` whose stored chains
/// `col_chains` holds (and whose whole groups `packed` holds, [`pack_whole_groups`]): the row
/// side adds the columns' terms to the rows' chains (columns in order), the column side the
/// four rows' terms to the columns' chains (rows in order).
#[inline(always)]
fn pair_sweep<V: Vector, A: EntryArithmetic, F: RadialFunction, D: Dimension, const K: usize>(
    inputs: &BandInputs<'_, F, D>,
    weights: &[Weights<K>],
    (row_group, lanes): (usize, &[V]),
    row_chains: &mut [V; K],
    packed: &[f64],
    (first_col_group, col_chains): (usize, &mut [GroupChains<K>]),
) {
    let n = inputs.col_count;
    let first_row = row_group * LANES;
    let row_weights = &weights[first_row..n.min(first_row + LANES)];
    let whole = whole_groups(n, first_col_group, col_chains.len());
    let (whole_chains, edge_chains) = col_chains.split_at_mut(whole);
    // A 4 × 4 block of entries per column group: the group's four column nodes splatted
    // against the row group in lanes, as the rows schedule computes them. The row side adds
    // them as they are (lanes are the rows, each column's weight splatted), the column side
    // transposed (lanes are the group's columns, each row's weight splatted).
    let general = |first_col: usize, stored: &mut GroupChains<K>, row_chains: &mut [V; K]| {
        let entries = splatted_block::<V, F, A, D, LANES>(
            inputs.kernel,
            inputs.dim,
            &inputs.cols,
            first_col,
            lanes,
        );
        let col_weights = &weights[first_col..n.min(first_col + LANES)];
        add_columns::<V, K>(row_chains, &entries, col_weights);
        let mut column_chains = stored.map(|lanes| V::load(&lanes));
        add_columns::<V, K>(&mut column_chains, &V::transpose(entries), row_weights);
        for (lanes, chain) in stored.iter_mut().zip(column_chains) {
            chain.store(lanes);
        }
    };
    if let Ok(four_rows) = <&[Weights<K>; LANES]>::try_from(row_weights) {
        // LOOP 0: whole column groups, four real rows: no bounds or lengths to check per
        // group, the rows' weights splatted once.
        let row_splats: [[V; K]; LANES] = four_rows.map(|weights| weights.map(V::splat));
        let first_col = first_col_group * LANES;
        let (col_weights, _) = weights[first_col..first_col + whole * LANES].as_chunks::<LANES>();
        let dim = inputs.dim.get();
        for ((columns, col_weights), stored) in packed
            .chunks_exact(dim * LANES)
            .zip(col_weights)
            .zip(whole_chains)
        {
            let entries =
                packed_splatted_block::<V, F, A, D>(inputs.kernel, inputs.dim, columns, lanes);
            add_columns::<V, K>(row_chains, &entries, col_weights);
            let mut column_chains = stored.map(|lanes| V::load(&lanes));
            for (row_entries, splats) in V::transpose(entries).iter().zip(&row_splats) {
                for (chain, &weight) in column_chains.iter_mut().zip(splats) {
                    *chain = row_entries.mul_add(weight, *chain);
                }
            }
            for (lanes, chain) in stored.iter_mut().zip(column_chains) {
                chain.store(lanes);
            }
        }
    } else {
        for (h, stored) in whole_chains.iter_mut().enumerate() {
            general((first_col_group + h) * LANES, stored, row_chains);
        }
    }
    for (h, stored) in edge_chains.iter_mut().enumerate() {
        general((first_col_group + whole + h) * LANES, stored, row_chains);
    }
}
