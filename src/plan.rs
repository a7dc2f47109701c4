//! The plan: tile shape and thread count, and the entry points that use them.
//!
//! Parallelism is a value the caller passes, not a global: `threads(1)` runs on the calling
//! thread without touching rayon, `threads(0)` runs in the rayon pool the call is made from (the
//! global pool unless the caller `install`ed another), and `threads(n)` for n ≥ 2 runs in a pool
//! of exactly n threads that the plan starts on first use and its clones share.

use std::sync::{Arc, OnceLock};

use crate::defaults;
use crate::error::Error;
use crate::matrix::{KernelMatrix, entry_count};
use crate::nodes::Nodes;
use crate::schedule::{Parallelism, TileShape, fill_matrix};

/// How to compute a kernel matrix: the tile shape and the number of threads.
///
/// The result does not depend on the plan: every tile shape and thread count gives the same
/// bits. The plan only changes how fast they come.
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
pub struct Plan {
    tile_rows: usize,
    tile_cols: usize,
    threads: usize,
    /// The dedicated pool for `threads >= 2`, started on first use; shared by clones.
    pool: Arc<OnceLock<Result<rayon::ThreadPool, String>>>,
}

impl Default for Plan {
    /// The built-in tile shape (4 rows × 4096 columns, measured best on a 2-core Zen 4; see
    /// [`Plan::tile_shape`]) on all the threads of the current rayon pool.
    fn default() -> Plan {
        Plan {
            tile_rows: defaults::TILE_ROWS,
            tile_cols: defaults::TILE_COLS,
            threads: 0,
            pool: Arc::default(),
        }
    }
}

impl Plan {
    /// The default plan, same as [`Plan::default`].
    pub fn new() -> Plan {
        Plan::default()
    }

    /// Tiles of `rows` rows × `cols` columns. Any sizes ≥ 1 are valid; zero is reported as
    /// [`Error::InvalidTile`] when the plan is used.
    ///
    /// `rows` is also the band height each parallel task fills. `cols` is rounded up to a multiple
    /// of 4, the SIMD width the kernel reads columns in.
    pub fn tile(self, rows: usize, cols: usize) -> Plan {
        Plan {
            tile_rows: rows,
            tile_cols: cols,
            ..self
        }
    }

    /// Number of threads: 1 computes on the calling thread without rayon; 0 uses every thread
    /// of the current rayon pool; n ≥ 2 uses a pool of n threads, started on first use.
    ///
    /// That pool lives as long as the plan and its clones: build a `threads(n)` plan once and
    /// reuse it, rather than once per call, which would start and stop n threads each time.
    pub fn threads(self, n: usize) -> Plan {
        Plan {
            threads: n,
            pool: Arc::default(),
            ..self
        }
    }

    /// The tile shape `(rows, cols)` as set.
    pub fn tile_shape(&self) -> (usize, usize) {
        (self.tile_rows, self.tile_cols)
    }

    /// The thread count as set (0 meaning all threads of the current rayon pool).
    pub fn thread_count(&self) -> usize {
        self.threads
    }

    /// The `N × N` kernel matrix `D[i][j] = φ(|vᵢ − vⱼ|)` of `nodes`, in new memory.
    ///
    /// # Errors
    /// [`Error::InvalidTile`], [`Error::SizeOverflow`], [`Error::AllocationFailed`],
    /// [`Error::ThreadPool`].
    pub fn kernel_matrix(&self, nodes: &Nodes) -> Result<KernelMatrix, Error> {
        self.cross_matrix(nodes, nodes)
    }

    /// The kernel matrix of `nodes` written into `out` (`N·N` entries, row-major). Every entry
    /// is overwritten; `out` need not be initialised to anything in particular.
    ///
    /// # Errors
    /// [`Error::OutputLength`] if `out.len() != N·N`; otherwise as [`Plan::kernel_matrix`].
    pub fn kernel_matrix_into(&self, nodes: &Nodes, out: &mut [f64]) -> Result<(), Error> {
        self.cross_matrix_into(nodes, nodes, out)
    }

    /// The `P × Q` cross matrix `C[i][j] = φ(|pᵢ − qⱼ|)` between `rows` (P nodes) and `cols`
    /// (Q nodes), in new memory: what evaluating an RBF at new points needs.
    ///
    /// # Errors
    /// As [`Plan::kernel_matrix`].
    pub fn cross_matrix(&self, rows: &Nodes, cols: &Nodes) -> Result<KernelMatrix, Error> {
        let tile = self.tile_for(rows)?;
        let mut matrix = KernelMatrix::zeros(rows.len(), cols.len())?;
        self.run(rows, cols, tile, matrix.as_mut_slice())?;
        Ok(matrix)
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
        let tile = self.tile_for(rows)?;
        let expected = entry_count(rows.len(), cols.len())?;
        if out.len() != expected {
            return Err(Error::OutputLength {
                expected,
                got: out.len(),
                rows: rows.len(),
                cols: cols.len(),
            });
        }
        self.run(rows, cols, tile, out)
    }

    /// Validates the tile and puts it in the kernel's units for a matrix with `rows` rows.
    fn tile_for(&self, rows: &Nodes) -> Result<TileShape, Error> {
        if self.tile_rows == 0 || self.tile_cols == 0 {
            return Err(Error::InvalidTile {
                tile_rows: self.tile_rows,
                tile_cols: self.tile_cols,
            });
        }
        Ok(TileShape::new(self.tile_rows, self.tile_cols, rows.len()))
    }

    fn run(
        &self,
        rows: &Nodes,
        cols: &Nodes,
        tile: TileShape,
        out: &mut [f64],
    ) -> Result<(), Error> {
        match self.threads {
            1 => fill_matrix(rows, cols, tile, Parallelism::Serial, out),
            0 => fill_matrix(rows, cols, tile, Parallelism::Rayon, out),
            n => self
                .pool(n)?
                .install(|| fill_matrix(rows, cols, tile, Parallelism::Rayon, out)),
        }
        Ok(())
    }

    fn pool(&self, threads: usize) -> Result<&rayon::ThreadPool, Error> {
        let pool = self.pool.get_or_init(|| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .thread_name(|i| format!("pairkernel-{i}"))
                .build()
                .map_err(|e| e.to_string())
        });
        pool.as_ref().map_err(|reason| Error::ThreadPool {
            threads,
            reason: reason.clone(),
        })
    }
}
