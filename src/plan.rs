//! The plan: tile shape, thread count, schedule, stores and accuracy, and the entry points that
//! use them (dense matrices, matrix-free products, the store floor). Where the work runs is
//! [`crate::threads`]'s job.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use crate::apply::{self, ApplyShape};
use crate::arithmetic::{Accuracy, Compensated, EntryArithmetic, Fast};
use crate::block::{Columns, Dimension, with_dimension};
use crate::defaults;
use crate::error::Error;
use crate::kernels::{Kernel, KernelChoice, KernelJob, RadialFunction};
use crate::matrix::{KernelMatrix, entry_count};
use crate::measure::{MeasuredFor, Measurement, PlanSettings};
use crate::nodes::Nodes;
use crate::schedule::{Schedule, TileShape, fill_constant, fill_matrix};
use crate::simd::{Isa, SimdPath};
use crate::store::{self, Plain, StorePath, Stores, Streaming};
use crate::symmetric::{SymmetricShape, fill_symmetric};
use crate::threads::{self, Parallelism, Threads};
use crate::tile::BandInputs;

/// How to compute a kernel matrix: the kernel, the tile shape, threads, schedule, stores and
/// accuracy.
///
/// Of these, only the kernel and the [`Accuracy`] decide the result: every tile shape, thread
/// count, schedule and store path gives the same bits. The rest only changes how fast they
/// come. The kernel is the article's φ ([`Kernel::Phi`]) unless [`Plan::kernel`] sets another:
/// a built-in [`Kernel`] (the plan is then a `Plan<Kernel>`, the default type) or your own
/// [`RadialFunction`] (a `Plan<YourKernel>`).
///
/// ```
/// use pairkernel::{Nodes, Plan};
/// let nodes = Nodes::from_points(&[[0.0, 0.0, 0.0], [0.0, 3.0, 4.0], [1.0, 1.0, 1.0]])?;
/// let serial = Plan::new().threads(1).tile(2, 8).kernel_matrix(&nodes)?;
/// let parallel = Plan::default().kernel_matrix(&nodes)?;
/// assert_eq!(serial, parallel);
/// # Ok::<(), pairkernel::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Plan<K = Kernel> {
    kernel: K,
    tile_rows: usize,
    tile_cols: usize,
    threads: Threads,
    schedule: Schedule,
    stores: Stores,
    accuracy: Accuracy,
    simd: SimdPath,
    /// Skip comparing a new matrix with the memory available.
    allow_overcommit: bool,
    /// Where the tile came from: the build's default, or `Plan::tile`.
    tile_source: &'static str,
    /// What [`Plan::measure`] chose, and for which settings.
    measured: Option<MeasuredFor>,
}

impl Default for Plan {
    /// The build's default tile shape on all the threads of the current rayon pool, with the
    /// automatic schedule and stores.
    ///
    /// The default tile is the built-in 32 rows × 4096 columns (measured on a 2-core Zen 4;
    /// with it the symmetric schedule takes bands of up to
    /// [`SYMMETRIC_BAND_ROWS`](crate::machine::SYMMETRIC_BAND_ROWS), measured on Zen 5),
    /// unless the build set another: `PAIRKERNEL_TILE_ROWS` / `PAIRKERNEL_TILE_COLS`, or a
    /// tuning file written by `pairkernel tune` (see the README, "Tuning for your machine").
    /// [`Plan::tile_source`] tells which.
    fn default() -> Plan {
        Plan {
            kernel: Kernel::Phi,
            tile_rows: defaults::TILE_ROWS,
            tile_cols: defaults::TILE_COLS,
            threads: Threads::new(0),
            schedule: Schedule::Auto,
            stores: Stores::Auto,
            accuracy: Accuracy::Compensated,
            simd: SimdPath::Auto,
            allow_overcommit: false,
            tile_source: defaults::TILE_SOURCE,
            measured: None,
        }
    }
}

impl Plan {
    /// The most threads [`Plan::threads`] accepts: far beyond any machine this crate serves,
    /// and few enough that starting them takes milliseconds, not minutes.
    pub const MAX_THREADS: usize = threads::MAX_THREADS;

    /// The default plan, same as [`Plan::default`].
    pub fn new() -> Plan {
        Plan::default()
    }
}

impl<K> Plan<K> {
    /// The kernel: a built-in [`Kernel`] (the article's φ by default) or any
    /// [`RadialFunction`] of your own. Everything else in the plan is kept.
    ///
    /// ```
    /// use pairkernel::{Kernel, Nodes, Plan};
    /// let nodes = Nodes::from_flat(&[0.0, 0.0, 3.0, 4.0], 2)?;
    /// let d = Plan::new().kernel(Kernel::Multiquadric { epsilon: 0.5 }).kernel_matrix(&nodes)?;
    /// assert_eq!(d[(0, 1)], -(1.0f64 + 6.25).sqrt());
    /// # Ok::<(), pairkernel::Error>(())
    /// ```
    pub fn kernel<K2: KernelChoice>(self, kernel: K2) -> Plan<K2> {
        Plan {
            kernel,
            tile_rows: self.tile_rows,
            tile_cols: self.tile_cols,
            threads: self.threads,
            schedule: self.schedule,
            stores: self.stores,
            accuracy: self.accuracy,
            simd: self.simd,
            allow_overcommit: self.allow_overcommit,
            tile_source: self.tile_source,
            // Measured with another kernel's cost.
            measured: None,
        }
    }

    /// The kernel as set.
    pub fn kernel_setting(&self) -> &K {
        &self.kernel
    }

    /// Tiles of `rows` rows × `cols` columns. Any sizes ≥ 1 are valid; zero is reported as
    /// [`Error::InvalidTile`] when the plan is used.
    ///
    /// `rows` is also the band height each parallel task fills. `cols` is rounded up to a multiple
    /// of 4, the SIMD width the kernel reads columns in. The symmetric schedule rounds both up to
    /// whole 8 × 8 blocks and narrows `cols` so that a column tile's mirrored stores span at most
    /// 64 MiB of output (at least 256 columns): wider sweeps left the TLB.
    pub fn tile(self, rows: usize, cols: usize) -> Self {
        Self {
            tile_rows: rows,
            tile_cols: cols,
            tile_source: "Plan::tile",
            ..self
        }
    }

    /// Number of threads: 1 computes on the calling thread without rayon; 0 uses every thread
    /// of the current rayon pool; n ≥ 2 uses a pool of n threads, started on first use.
    ///
    /// That pool lives as long as the plan and its clones: build a `threads(n)` plan once and
    /// reuse it, rather than once per call, which would start and stop n threads each time.
    /// More than [`Plan::MAX_THREADS`] is [`Error::TooManyThreads`] when the plan is used.
    pub fn threads(self, n: usize) -> Self {
        Self {
            threads: self.threads.with_count(n),
            ..self
        }
    }

    /// Stops every call of this plan (and its clones) early once `flag` is set, from any
    /// thread: the bands and tasks not yet started are skipped, and the call returns
    /// [`Error::Cancelled`] with its output incomplete. A band is the unit, so a call stops
    /// within one band's time (milliseconds). For interrupting long calls: the Python
    /// package's Ctrl-C, a deadline, a user's "stop" button. Clear the flag to use the plan
    /// again.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use pairkernel::{Error, Nodes, Plan};
    ///
    /// let stop = Arc::new(AtomicBool::new(false));
    /// let plan = Plan::new().cancel_on(Arc::clone(&stop));
    /// let nodes = Nodes::from_points(&[[0.0, 0.0, 0.0], [1.0, 2.0, 2.0]])?;
    /// assert!(plan.kernel_matrix(&nodes).is_ok());
    /// stop.store(true, Ordering::Relaxed);
    /// assert!(matches!(plan.kernel_matrix(&nodes), Err(Error::Cancelled)));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn cancel_on(self, flag: Arc<AtomicBool>) -> Self {
        Self {
            threads: self.threads.with_cancel(flag),
            ..self
        }
    }

    /// The schedule: symmetric (half the square roots) or rows; [`Schedule::Auto`] by default,
    /// which takes the faster for the matrix at hand.
    pub fn schedule(self, schedule: Schedule) -> Self {
        Self { schedule, ..self }
    }

    /// The stores that write the output: [`Stores::Auto`] by default, which streams only where
    /// that measured faster (large, reused outputs).
    pub fn stores(self, stores: Stores) -> Self {
        Self { stores, ..self }
    }

    /// The entry arithmetic: [`Accuracy::Compensated`] (within 2 ulp of exact) by default, or
    /// [`Accuracy::Fast`] (within 11 ulp). Applies to the dense matrices and the matrix-free
    /// products alike.
    pub fn accuracy(self, accuracy: Accuracy) -> Self {
        Self { accuracy, ..self }
    }

    /// The SIMD path: [`SimdPath::Auto`] by default (the `PAIRKERNEL_SIMD` environment
    /// variable's choice if set, else the widest the CPU has). Every path gives the same bits;
    /// forcing one compares their speed on one machine. A path the CPU lacks is
    /// [`Error::SimdUnavailable`] when the plan is used.
    ///
    /// ```
    /// use pairkernel::simd::SimdPath;
    /// use pairkernel::{Nodes, Plan};
    /// let nodes = Nodes::from_points(&[[0.0, 0.0, 0.0], [0.3, 1.0, 4.0], [1.0, 1.0, 1.0]])?;
    /// let widest = Plan::new().kernel_matrix(&nodes)?;
    /// let portable = Plan::new().simd(SimdPath::Portable).kernel_matrix(&nodes)?;
    /// assert_eq!(widest, portable);
    /// # Ok::<(), pairkernel::Error>(())
    /// ```
    pub fn simd(self, simd: SimdPath) -> Self {
        Self { simd, ..self }
    }

    /// The SIMD path as set.
    pub fn simd_setting(&self) -> SimdPath {
        self.simd
    }

    /// Whether a new matrix may be larger than the memory the system can give: `false` by
    /// default, so that [`Plan::kernel_matrix`] and [`Plan::cross_matrix`] return
    /// [`Error::AllocationFailed`] (with the sizes) for an output of 256 MiB or more that
    /// exceeds the available memory plus free swap, instead of mapping it under the system's
    /// overcommit and being killed by the out-of-memory killer while filling it. `true` skips
    /// the check.
    pub fn allow_overcommit(self, allow: bool) -> Self {
        Self {
            allow_overcommit: allow,
            ..self
        }
    }

    /// The accuracy as set.
    pub fn accuracy_setting(&self) -> Accuracy {
        self.accuracy
    }

    /// The schedule as set.
    pub fn schedule_setting(&self) -> Schedule {
        self.schedule
    }

    /// The stores as set.
    pub fn stores_setting(&self) -> Stores {
        self.stores
    }

    /// Where the tile shape came from: `"built-in"`, `"env PAIRKERNEL_TILE_ROWS, …"` or
    /// `"tuning file <path>"` for the build's default (see [`Plan::default`]), `"Plan::tile"`
    /// once [`Plan::tile`] set it.
    ///
    /// ```
    /// use pairkernel::Plan;
    /// assert_eq!(Plan::new().tile(8, 64).tile_source(), "Plan::tile");
    /// println!("default tile {:?} from {}", Plan::default().tile_shape(), Plan::default().tile_source());
    /// ```
    pub fn tile_source(&self) -> &'static str {
        self.tile_source
    }

    /// The tile shape `(rows, cols)` as set.
    pub fn tile_shape(&self) -> (usize, usize) {
        (self.tile_rows, self.tile_cols)
    }

    /// The thread count as set (0 meaning all threads of the current rayon pool).
    pub fn thread_count(&self) -> usize {
        self.threads.count()
    }

    /// What [`Plan::measure`] timed and chose, while the plan's settings are those it was
    /// measured with (else `None`).
    pub fn measurement(&self) -> Option<&Measurement> {
        self.measured
            .as_ref()
            .filter(|measured| measured.settings == self.settings())
            .map(|measured| &*measured.measurement)
    }

    /// The settings a measurement depends on.
    fn settings(&self) -> PlanSettings {
        (
            self.accuracy,
            self.threads.count(),
            (self.tile_rows, self.tile_cols),
            self.simd,
        )
    }

    /// This plan without a measurement.
    pub(crate) fn forget_measurement(self) -> Self {
        Self {
            measured: None,
            ..self
        }
    }

    /// This plan with `measurement`, taken with its current settings.
    pub(crate) fn remember_measurement(self, measurement: Measurement) -> Self {
        let settings = self.settings();
        Self {
            measured: Some(MeasuredFor {
                measurement: Arc::new(measurement),
                settings,
            }),
            ..self
        }
    }

    /// The schedule and stores of a fill of `rows × cols`: the plan's, or, where both are
    /// `Auto` and [`Plan::measure`] timed this square size into reused output, its choice
    /// (its fastest rows candidate where `out`'s rows do not start on cache lines: `Auto` takes
    /// rows there too).
    fn fill_choices(
        &self,
        rows: &Nodes,
        square: bool,
        fresh: bool,
        out: &[f64],
    ) -> (Schedule, Stores) {
        let auto = self.schedule == Schedule::Auto && self.stores == Stores::Auto;
        match self.measurement() {
            Some(measured)
                if auto && square && !fresh && measured.nodes == (rows.len(), rows.dim()) =>
            {
                let chosen = if rows_start_on_cache_lines(out, rows.len()) {
                    measured.chosen
                } else {
                    // The fastest rows candidate: its stores were timed with that schedule.
                    measured.fastest_rows().unwrap_or(measured.chosen)
                };
                (chosen.schedule, chosen.stores)
            }
            _ => (self.schedule, self.stores),
        }
    }
}

impl<K: KernelChoice> Plan<K> {
    /// The `N × N` kernel matrix `D[i][j] = φ(|vᵢ − vⱼ|)` of `nodes`, in new memory.
    ///
    /// # Errors
    /// [`Error::InvalidTile`], [`Error::TooManyThreads`], [`Error::InvalidKernel`],
    /// [`Error::SizeOverflow`], [`Error::AllocationFailed`], [`Error::ThreadPool`].
    pub fn kernel_matrix(&self, nodes: &Nodes) -> Result<KernelMatrix, Error> {
        self.new_matrix(nodes, nodes, true)
    }

    /// The kernel matrix of `nodes` written into `out` (`N·N` entries, row-major). Every entry
    /// is overwritten; `out` need not be initialised to anything in particular.
    ///
    /// # Errors
    /// [`Error::OutputLength`] if `out.len() != N·N`; otherwise as [`Plan::kernel_matrix`].
    pub fn kernel_matrix_into(&self, nodes: &Nodes, out: &mut [f64]) -> Result<(), Error> {
        self.fill_into(nodes, nodes, true, out)
    }

    /// The `P × Q` cross matrix `C[i][j] = φ(|pᵢ − qⱼ|)` between `rows` (P nodes) and `cols`
    /// (Q nodes), in new memory: what evaluating an RBF at new points needs.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] if the two node sets differ in dimension; otherwise as
    /// [`Plan::kernel_matrix`].
    pub fn cross_matrix(&self, rows: &Nodes, cols: &Nodes) -> Result<KernelMatrix, Error> {
        self.new_matrix(rows, cols, false)
    }

    /// The cross matrix written into `out` (`P·Q` entries, row-major).
    ///
    /// # Errors
    /// [`Error::OutputLength`] if `out.len() != P·Q`; otherwise as [`Plan::kernel_matrix`].
    pub fn cross_matrix_into(
        &self,
        rows: &Nodes,
        cols: &Nodes,
        out: &mut [f64],
    ) -> Result<(), Error> {
        self.fill_into(rows, cols, false, out)
    }

    /// The product `y = D·x` of the kernel matrix of `nodes` with `x`, without storing `D`:
    /// `yᵢ = Σⱼ φ(|vᵢ − vⱼ|)·xⱼ`. Memory O(N); time O(N²).
    ///
    /// Each `yᵢ` is the naive loop's sum, `s = 0; for j in 0..N { s = Dᵢⱼ·xⱼ + s }` (one fused
    /// multiply-add per term, `j` increasing), with the kernel matrix's entries: bitwise
    /// identical for every thread count, tile, schedule and SIMD path. The symmetric schedule
    /// (the default) computes each pair `{i, j}` once and adds it to both `yᵢ` and `yⱼ`, half the
    /// square roots, in that same order (see the module `apply.rs`). Accuracy: measured within a
    /// few ε of `Σⱼ |Dᵢⱼ·xⱼ|` (see the README).
    ///
    /// ```
    /// use pairkernel::{Nodes, Plan};
    /// let nodes = Nodes::from_points(&[[0.0, 0.0, 0.0], [0.0, 3.0, 4.0], [1.0, 1.0, 1.0]])?;
    /// let x = [1.0, -2.0, 0.5];
    /// let mut y = [0.0; 3];
    /// Plan::default().apply(&nodes, &x, &mut y)?;
    /// let d = pairkernel::kernel_matrix(&nodes)?;
    /// for i in 0..3 {
    ///     let dense: f64 = (0..3).map(|j| d[(i, j)] * x[j]).sum();
    ///     assert!((y[i] - dense).abs() <= 1e-12 * dense.abs().max(1.0));
    /// }
    /// # Ok::<(), pairkernel::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::VectorLength`] if `x` or `y` does not have N entries; [`Error::NonFiniteValue`]
    /// for a NaN or infinite entry of `x` (rejected, not propagated); [`Error::InvalidTile`],
    /// [`Error::TooManyThreads`], [`Error::ThreadPool`]; [`Error::WorkspaceAllocationFailed`] if
    /// the packed right-hand sides (as large as `x`, for up to 16 of them) cannot be had, or
    /// [`Error::NodesAllocationFailed`] for the copy of the columns of non-zero weights (where
    /// entries may overflow and a weight is zero) — then `y` is untouched, or, for k > 16,
    /// holds the first passes' columns.
    pub fn apply(&self, nodes: &Nodes, x: &[f64], y: &mut [f64]) -> Result<(), Error> {
        self.cross_apply_many(nodes, nodes, x, 1, y)
    }

    /// [`Plan::apply`] for `k` right-hand sides at once, each square root serving all of them
    /// (in passes of up to 16): `x` is `N × k` row-major (entry `j` of right-hand side `m` at
    /// `x[j·k + m]`), and so is `y`. Each column of `y` has the bits [`Plan::apply`] gives for
    /// that column of `x`.
    ///
    /// # Errors
    /// As [`Plan::apply`], with `N·k` entries expected in `x` and `y`.
    pub fn apply_many(
        &self,
        nodes: &Nodes,
        x: &[f64],
        k: usize,
        y: &mut [f64],
    ) -> Result<(), Error> {
        self.cross_apply_many(nodes, nodes, x, k, y)
    }

    /// The product `y = C·x` of the P × Q cross matrix between `rows` (P evaluation points)
    /// and `cols` (Q centres) with `x` (Q entries) into `y` (P entries): the RBF sum
    /// `yᵢ = Σⱼ φ(|pᵢ − qⱼ|)·xⱼ` at every evaluation point, without storing `C`.
    ///
    /// # Errors
    /// As [`Plan::apply`], with Q entries expected in `x` and P in `y`.
    pub fn cross_apply(
        &self,
        rows: &Nodes,
        cols: &Nodes,
        x: &[f64],
        y: &mut [f64],
    ) -> Result<(), Error> {
        self.cross_apply_many(rows, cols, x, 1, y)
    }

    /// [`Plan::cross_apply`] for `k` right-hand sides: `x` is `Q × k` and `y` is `P × k`,
    /// both row-major.
    ///
    /// # Errors
    /// As [`Plan::apply`], with `Q·k` entries expected in `x` and `P·k` in `y`.
    pub fn cross_apply_many(
        &self,
        rows: &Nodes,
        cols: &Nodes,
        x: &[f64],
        k: usize,
        y: &mut [f64],
    ) -> Result<(), Error> {
        let tile = self.tile_for(rows.len())?;
        check_dimensions(rows, cols)?;
        let check = |name: &'static str, got: usize, count: usize| match count.checked_mul(k) {
            Some(expected) if expected == got => Ok(()),
            expected => Err(Error::VectorLength {
                name,
                expected: expected.unwrap_or(usize::MAX),
                got,
                count,
                k,
            }),
        };
        check("x", x.len(), cols.len())?;
        check("y", y.len(), rows.len())?;
        if let Some(index) = x.iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFiniteValue {
                index,
                value: x[index],
            });
        }
        let isa = self.simd.resolve()?;
        self.kernel.run_apply(ApplyJob {
            isa,
            threads: &self.threads,
            accuracy: self.accuracy,
            rows,
            cols,
            x,
            k,
            y,
            shape: ApplyShape {
                row_block: tile.band_rows,
                groups_per_tile: tile.groups_per_tile,
                // One node set: each pair once (the same bits as rows, see crate::apply).
                symmetric: std::ptr::eq(rows, cols) && self.schedule != Schedule::Rows,
            },
        })
    }

    /// [`machine::fill_floor`](crate::machine::fill_floor), kept for the first round's callers.
    ///
    /// # Errors
    /// As [`machine::fill_floor`](crate::machine::fill_floor).
    #[doc(hidden)]
    pub fn fill_floor(&self, out: &mut [f64], cols: usize) -> Result<(), Error> {
        crate::machine::fill_floor(self, out, cols)
    }

    /// The floor fill behind [`machine::fill_floor`](crate::machine::fill_floor).
    pub(crate) fn fill_constant(&self, out: &mut [f64], cols: usize) -> Result<(), Error> {
        let tile = self.tile_for(out.len().checked_div(cols).unwrap_or(0))?;
        if !out.len().is_multiple_of(cols.max(1)) || (cols == 0 && !out.is_empty()) {
            return Err(Error::RaggedOutput {
                len: out.len(),
                cols,
            });
        }
        let isa = self.simd.resolve()?;
        let streaming = store::choose(self.stores, out.len(), false);
        self.threads.run(|parallelism| match streaming {
            false => fill_constant::<Plain>(isa, out, cols, tile.band_rows, parallelism, 1.0),
            true => fill_constant::<Streaming>(isa, out, cols, tile.band_rows, parallelism, 1.0),
        })
    }

    /// A new matrix of `rows × cols`, filled; `square` when `rows` and `cols` are the same nodes.
    fn new_matrix(&self, rows: &Nodes, cols: &Nodes, square: bool) -> Result<KernelMatrix, Error> {
        self.tile_for(rows.len())?;
        check_dimensions(rows, cols)?;
        let mut matrix =
            KernelMatrix::zeros_checked(rows.len(), cols.len(), !self.allow_overcommit)?;
        self.fill(rows, cols, square, true, matrix.as_mut_slice())?;
        Ok(matrix)
    }

    /// Checks `out`'s length, then fills it.
    fn fill_into(
        &self,
        rows: &Nodes,
        cols: &Nodes,
        square: bool,
        out: &mut [f64],
    ) -> Result<(), Error> {
        self.tile_for(rows.len())?;
        check_dimensions(rows, cols)?;
        let expected = entry_count(rows.len(), cols.len())?;
        if out.len() != expected {
            return Err(Error::OutputLength {
                expected,
                got: out.len(),
                rows: rows.len(),
                cols: cols.len(),
            });
        }
        self.fill(rows, cols, square, false, out)
    }

    /// Validates the plan (tile, thread count) and puts the tile in the kernel's units for a
    /// matrix with `rows` rows.
    fn tile_for(&self, rows: usize) -> Result<TileShape, Error> {
        self.threads.check()?;
        self.kernel.check()?;
        if self.tile_rows == 0 || self.tile_cols == 0 {
            return Err(Error::InvalidTile {
                tile_rows: self.tile_rows,
                tile_cols: self.tile_cols,
            });
        }
        Ok(TileShape::new(self.tile_rows, self.tile_cols, rows))
    }

    /// Fills `out` (length checked) by the schedule and stores this plan chooses: `square` when
    /// rows and cols are the same nodes, `fresh` when `out` was just allocated.
    fn fill(
        &self,
        rows: &Nodes,
        cols: &Nodes,
        square: bool,
        fresh: bool,
        out: &mut [f64],
    ) -> Result<(), Error> {
        let tile = self.tile_for(rows.len())?;
        let isa = self.simd.resolve()?;
        let (schedule, stores) = self.fill_choices(rows, square, fresh, out);
        self.kernel.run_fill(FillJob {
            isa,
            threads: &self.threads,
            accuracy: self.accuracy,
            plan_tile: (self.tile_rows, self.tile_cols),
            built_in_tile: self.tile_source == "built-in",
            rows,
            cols,
            square,
            schedule,
            fresh,
            streaming: store::choose(stores, out.len(), fresh),
            tile,
            out,
        })
    }
}

/// [`Error::DimensionMismatch`] unless both node sets have the same dimension.
fn check_dimensions(rows: &Nodes, cols: &Nodes) -> Result<(), Error> {
    if rows.dim() == cols.dim() {
        Ok(())
    } else {
        Err(Error::DimensionMismatch {
            rows: rows.dim(),
            cols: cols.dim(),
        })
    }
}

/// A dense fill, run by the kernel's dispatch with the concrete radial function; it picks the
/// dimension, the arithmetic and the stores (each a type), then the schedule.
pub(crate) struct FillJob<'a> {
    isa: Isa,
    threads: &'a Threads,
    accuracy: Accuracy,
    plan_tile: (usize, usize),
    /// The plan's tile is the crate's built-in default (no tuning file, no `Plan::tile`): the
    /// symmetric schedule then takes its band from [`defaults::symmetric_band_rows`].
    built_in_tile: bool,
    rows: &'a Nodes,
    cols: &'a Nodes,
    /// Rows and columns are the same nodes.
    square: bool,
    schedule: Schedule,
    /// `out` was just allocated (its pages are not faulted in yet).
    fresh: bool,
    streaming: bool,
    tile: TileShape,
    out: &'a mut [f64],
}

impl KernelJob for FillJob<'_> {
    type Output = Result<(), Error>;

    fn run<F: RadialFunction>(self, kernel: &F) -> Result<(), Error> {
        let FillJob {
            isa,
            threads,
            accuracy,
            plan_tile,
            built_in_tile,
            rows,
            cols,
            square,
            schedule,
            fresh,
            streaming,
            tile,
            out,
        } = self;
        // Chosen here, where the kernel is a type: whether its entries are cheap is part of
        // `Auto`'s choice, and so (below, where it is known) is the number of threads.
        let cheap = accuracy == Accuracy::Fast && F::FAST_IS_CHEAP;
        let aligned = rows_start_on_cache_lines(out, cols.len());
        let symmetric = |threads: usize| {
            square
                && match schedule {
                    Schedule::Auto => {
                        aligned && defaults::auto_choices().symmetric_on(cheap, fresh, threads)
                    }
                    Schedule::Rows => false,
                    Schedule::Symmetric => true,
                }
        };
        with_dimension!(rows.dim(), |dim| {
            let inputs = BandInputs {
                kernel,
                dim,
                rows: Columns::of(rows),
                cols: Columns::of(cols),
                col_count: cols.len(),
            };
            threads.run(|parallelism| {
                let fill = Fill {
                    isa,
                    inputs: &inputs,
                    symmetric: symmetric(parallelism.threads()),
                    tile,
                    plan_tile,
                    built_in_tile,
                };
                match (streaming, accuracy) {
                    (false, Accuracy::Compensated) => {
                        fill.run::<Plain, Compensated>(parallelism, out)
                    }
                    (false, Accuracy::Fast) => fill.run::<Plain, Fast>(parallelism, out),
                    (true, Accuracy::Compensated) => {
                        fill.run::<Streaming, Compensated>(parallelism, out)
                    }
                    (true, Accuracy::Fast) => fill.run::<Streaming, Fast>(parallelism, out),
                }
            })
        })
    }
}

/// Every row of `out` (rows of `cols` entries) starts on a 64-byte cache line. The symmetric
/// schedule needs it: its mirrored 8 × 8 blocks write eight entries per row, one whole cache
/// line when rows are aligned, parts of two when not, and then it runs at half speed and
/// loses to the rows schedule, which writes whole rows in order (Zen 3, 2 threads, into a
/// reused matrix: N = 3000 symmetric 1.05 G entries/s, N = 3001 0.47, N = 3004 0.54, rows
/// 0.63–0.71 for all three; the same 2× for an aligned N at a 16-byte offset, numpy's usual
/// alignment).
fn rows_start_on_cache_lines(out: &[f64], cols: usize) -> bool {
    const CACHE_LINE: usize = 64;
    (out.as_ptr() as usize).is_multiple_of(CACHE_LINE)
        && (cols * size_of::<f64>()).is_multiple_of(CACHE_LINE)
}

/// A dense fill with everything but the store path and arithmetic chosen.
struct Fill<'a, F, D> {
    isa: Isa,
    inputs: &'a BandInputs<'a, F, D>,
    symmetric: bool,
    tile: TileShape,
    plan_tile: (usize, usize),
    built_in_tile: bool,
}

impl<F: RadialFunction, D: Dimension> Fill<'_, F, D> {
    fn run<S: StorePath, A: EntryArithmetic>(&self, parallelism: Parallelism, out: &mut [f64]) {
        if self.symmetric {
            let (rows, cols) = self.plan_tile;
            let n = self.inputs.col_count;
            let rows = match self.built_in_tile {
                true => defaults::symmetric_band_rows(n, parallelism.threads()),
                false => rows,
            };
            let shape = SymmetricShape::new(rows, cols, n);
            fill_symmetric::<S, A, F, D>(self.isa, self.inputs, shape, parallelism, out);
        } else {
            fill_matrix::<S, A, F, D>(self.isa, self.inputs, self.tile, parallelism, out);
        }
    }
}

/// A matrix-free product, run by the kernel's dispatch with the concrete radial function.
pub(crate) struct ApplyJob<'a> {
    isa: Isa,
    threads: &'a Threads,
    accuracy: Accuracy,
    rows: &'a Nodes,
    cols: &'a Nodes,
    x: &'a [f64],
    k: usize,
    y: &'a mut [f64],
    shape: ApplyShape,
}

impl KernelJob for ApplyJob<'_> {
    type Output = Result<(), Error>;

    fn run<F: RadialFunction>(self, kernel: &F) -> Result<(), Error> {
        let ApplyJob {
            isa,
            threads,
            accuracy,
            rows,
            cols,
            x,
            k,
            y,
            shape,
        } = self;
        with_dimension!(rows.dim(), |dim| {
            let inputs = BandInputs {
                kernel,
                dim,
                rows: Columns::of(rows),
                cols: Columns::of(cols),
                col_count: cols.len(),
            };
            let nodes = (rows, cols);
            threads.run(|parallelism| match accuracy {
                Accuracy::Compensated => apply::cross_apply::<Compensated, F, _>(
                    isa,
                    &inputs,
                    nodes,
                    x,
                    k,
                    y,
                    shape,
                    parallelism,
                ),
                Accuracy::Fast => apply::cross_apply::<Fast, F, _>(
                    isa,
                    &inputs,
                    nodes,
                    x,
                    k,
                    y,
                    shape,
                    parallelism,
                ),
            })?
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_takes_the_symmetric_schedule_only_where_every_row_starts_a_cache_line() {
        let buffer = vec![0.0; 16 * 16 + 8];
        let aligned = &buffer[buffer.as_ptr().align_offset(64)..][..16 * 16];
        assert!(rows_start_on_cache_lines(aligned, 8));
        assert!(rows_start_on_cache_lines(aligned, 16));
        // Rows of 12 entries: every other row starts mid-line.
        assert!(!rows_start_on_cache_lines(aligned, 12));
        // A buffer at a 16-byte offset (numpy's usual alignment).
        assert!(!rows_start_on_cache_lines(&aligned[2..], 8));
        assert!(rows_start_on_cache_lines(&aligned[8..], 8));
    }

    #[test]
    fn a_measurement_decides_only_reused_square_fills_of_its_size_with_auto_settings() {
        use crate::measure::Candidate;
        let candidate = |schedule, stores, seconds| Candidate {
            schedule,
            stores,
            seconds,
        };
        let candidates = vec![
            candidate(Schedule::Rows, Stores::Plain, 3.0),
            candidate(Schedule::Rows, Stores::Streaming, 2.0),
            candidate(Schedule::Symmetric, Stores::Plain, 4.0),
            candidate(Schedule::Symmetric, Stores::Streaming, 1.0),
        ];
        let measurement = Measurement {
            chosen: candidates[3],
            candidates,
            nodes: (16, 3),
        };
        let plan = Plan::new().remember_measurement(measurement);
        let nodes = Nodes::from_flat(&[0.5; 48], 3).unwrap();
        let buffer = vec![0.0; 16 * 16 + 8];
        let aligned = &buffer[buffer.as_ptr().align_offset(64)..][..16 * 16];
        let auto = (Schedule::Auto, Stores::Auto);
        let symmetric = (Schedule::Symmetric, Stores::Streaming);
        assert_eq!(plan.fill_choices(&nodes, true, false, aligned), symmetric);
        // Rows not on cache lines: the fastest rows candidate, with its own stores.
        let shifted = &buffer[buffer.as_ptr().align_offset(64) + 2..][..16 * 16];
        let rows = (Schedule::Rows, Stores::Streaming);
        assert_eq!(plan.fill_choices(&nodes, true, false, shifted), rows);
        // Fresh output, cross matrices and other sizes keep Auto's rules.
        assert_eq!(plan.fill_choices(&nodes, true, true, aligned), auto);
        assert_eq!(plan.fill_choices(&nodes, false, false, aligned), auto);
        let other = Nodes::from_flat(&[0.5; 24], 3).unwrap();
        assert_eq!(plan.fill_choices(&other, true, false, &aligned[..64]), auto);
        // A setting given explicitly wins; changed settings retire the measurement.
        let explicit = plan.clone().stores(Stores::Plain);
        assert_eq!(
            explicit.fill_choices(&nodes, true, false, aligned),
            (Schedule::Auto, Stores::Plain)
        );
        let fast = plan.clone().accuracy(Accuracy::Fast);
        assert_eq!(fast.fill_choices(&nodes, true, false, aligned), auto);
        assert!(
            plan.clone()
                .simd(SimdPath::Portable)
                .measurement()
                .is_none()
        );
    }
}
