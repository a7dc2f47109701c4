//! Node sets in structure-of-arrays layout: one plain column of coordinates per axis.
//!
//! The micro-kernel ([`crate::block`]) reads the coordinates of several consecutive column
//! nodes along one axis at a time, so each axis is stored as its own column, `axis(a)[i]` the
//! coordinate `a` of node `i`. Columns are 64-byte aligned and padded with `0.0` to a multiple of
//! [`PAD`] nodes, the widest block any lane width reads (eight f64, one cache line): a block is
//! then always whole, aligned loads with no bounds check per node, and nothing here names a lane
//! type.
//!
//! Why the zero padding is safe: the kernel computes padded nodes like any others and then
//! drops their entries (never stored, masked to zero in the products), so their value cannot
//! reach the output; being finite, they raise no floating point exception and take no slow path.

use rand::{Rng, RngExt};

use crate::error::{Axis, Error};

/// Nodes per padded run of a column: every column length is a multiple of it.
pub(crate) const PAD: usize = 8;

/// Eight coordinates of one axis on one cache line: the unit the columns are allocated in, so
/// that they are 64-byte aligned.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C, align(64))]
struct Line([f64; PAD]);

// SAFETY: `Line` is `repr(C)` around `[f64; 8]`, 64 bytes with alignment 64: no padding bytes,
// and every bit pattern (all zeros included) is a valid `[f64; 8]`.
unsafe impl bytemuck::Zeroable for Line {}
// SAFETY: as above; `Line` is `Copy` and `'static`.
unsafe impl bytemuck::Pod for Line {}

/// A set of nodes in `d` dimensions (1 ≤ d ≤ [`Nodes::MAX_DIM`]), stored as padded coordinate
/// columns (structure of arrays).
///
/// Every coordinate is finite: the constructors reject NaN and ±∞, naming the node and axis.
/// Build them from points (`&[[f64; D]]`, [`Nodes::from_arrays`]), from a flat row-major array with its dimension (what
/// numpy and `ndarray` hold), or from one column per axis:
///
/// ```
/// use pairkernel::Nodes;
/// let nodes = Nodes::from_points(&[[0.0, 0.0, 0.0], [3.0, 4.0, 0.0]])?;
/// assert_eq!((nodes.len(), nodes.dim()), (2, 3));
/// assert_eq!(nodes.point(1), [3.0, 4.0, 0.0]);
///
/// let plane = Nodes::from_flat(&[0.0, 0.0, 3.0, 4.0, 1.0, 1.0], 2)?; // three points in 2-D
/// assert_eq!(plane.coordinates(1), vec![3.0, 4.0]);
/// let same = Nodes::from_axis_columns(&[&[0.0, 3.0, 1.0], &[0.0, 4.0, 1.0]])?;
/// assert_eq!(plane, same);
/// # Ok::<(), pairkernel::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Nodes {
    len: usize,
    dim: usize,
    /// Lines per axis column: `len` rounded up to whole lines.
    lines_per_axis: usize,
    /// The columns one after another: axis `a` is lines `a·lines_per_axis ..`.
    lines: Vec<Line>,
}

impl Nodes {
    /// The largest dimension nodes may have. Nothing in the kernels is sized by the dimension
    /// (the axes are a loop), so the limit only catches a transposed or garbled input early.
    pub const MAX_DIM: usize = 1024;

    /// Nodes in 3-D from an array of points, `points[i] = [x, y, z]` (the first round's
    /// constructor; [`Nodes::from_arrays`] takes any dimension).
    ///
    /// # Errors
    /// [`Error::NonFiniteCoordinate`] for the first point (in index order, then x, y, z) with a
    /// NaN or infinite coordinate; [`Error::NodesAllocationFailed`] if the memory for the copy
    /// cannot be had.
    pub fn from_points(points: &[[f64; 3]]) -> Result<Nodes, Error> {
        Self::from_arrays(points)
    }

    /// Nodes from an array of points of any dimension `D` (1 ..= [`Nodes::MAX_DIM`]),
    /// `points[i] = [x₀, x₁, …]`.
    ///
    /// ```
    /// use pairkernel::Nodes;
    /// let line = Nodes::from_arrays(&[[0.5], [2.0], [-1.0]])?;
    /// assert_eq!((line.len(), line.dim()), (3, 1));
    /// # Ok::<(), pairkernel::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidDimension`] for `D` = 0 or above [`Nodes::MAX_DIM`]; otherwise as
    /// [`Nodes::from_points`].
    pub fn from_arrays<const D: usize>(points: &[[f64; D]]) -> Result<Nodes, Error> {
        Self::from_flat(points.as_flattened(), D)
    }

    /// Nodes from a flat row-major array of `N·dim` coordinates: node `i` is
    /// `flat[i·dim .. (i + 1)·dim]`, the layout of a C-ordered `(N, dim)` numpy or `ndarray`
    /// array.
    ///
    /// # Errors
    /// [`Error::InvalidDimension`]; [`Error::FlatLength`] if `flat.len()` is not a multiple of
    /// `dim`; otherwise as [`Nodes::from_points`].
    pub fn from_flat(flat: &[f64], dim: usize) -> Result<Nodes, Error> {
        check_dim(dim)?;
        if !flat.len().is_multiple_of(dim) {
            return Err(Error::FlatLength {
                len: flat.len(),
                dim,
            });
        }
        if let Some(at) = flat.iter().position(|v| !v.is_finite()) {
            return Err(non_finite(at / dim, at % dim, flat[at]));
        }
        let len = flat.len() / dim;
        Self::from_coordinates(len, dim, |i, axis| flat[i * dim + axis])
    }

    /// Nodes from one coordinate column per axis: node `i` is `[columns[0][i], columns[1][i], …]`.
    ///
    /// # Errors
    /// [`Error::InvalidDimension`] for no columns or more than [`Nodes::MAX_DIM`];
    /// [`Error::AxisLengthMismatch`] for the first column whose length differs from the first's;
    /// [`Error::NonFiniteCoordinate`] for the first node (then axis) with a NaN or infinite
    /// coordinate; [`Error::NodesAllocationFailed`].
    pub fn from_axis_columns(columns: &[&[f64]]) -> Result<Nodes, Error> {
        check_dim(columns.len())?;
        let len = columns[0].len();
        if let Some(axis) = columns.iter().position(|column| column.len() != len) {
            return Err(Error::AxisLengthMismatch {
                axis: Axis(axis),
                expected: len,
                got: columns[axis].len(),
            });
        }
        for node in 0..len {
            for (axis, column) in columns.iter().enumerate() {
                if !column[node].is_finite() {
                    return Err(non_finite(node, axis, column[node]));
                }
            }
        }
        Self::from_coordinates(len, columns.len(), |i, axis| columns[axis][i])
    }

    /// Nodes in 3-D from three coordinate columns: node `i` is `[x[i], y[i], z[i]]`.
    ///
    /// # Errors
    /// [`Error::ColumnLengthMismatch`] if the columns differ in length;
    /// [`Error::NonFiniteCoordinate`] for the first node with a NaN or infinite coordinate;
    /// [`Error::NodesAllocationFailed`] if the memory for the copy cannot be had.
    pub fn from_columns(x: &[f64], y: &[f64], z: &[f64]) -> Result<Nodes, Error> {
        if x.len() != y.len() || x.len() != z.len() {
            return Err(Error::ColumnLengthMismatch {
                x: x.len(),
                y: y.len(),
                z: z.len(),
            });
        }
        Self::from_axis_columns(&[x, y, z])
    }

    /// `n` nodes drawn uniformly from the unit cube [0, 1)³, as in the article's experiment.
    ///
    /// Any `rand` generator works; a seeded one (`rand::rngs::StdRng::seed_from_u64`) gives a
    /// reproducible set. Coordinates are drawn node by node, x then y then z. (`rand`'s `Rng`
    /// is in this signature: `rand` is a public dependency of this crate, and the version you
    /// use must be the one it uses, 0.10.)
    ///
    /// # Panics
    /// If the memory for `n` nodes (`24·n` bytes, rounded up to whole cache lines) cannot be
    /// had, with the size in the message; [`Nodes::try_random`] returns that as an error.
    pub fn random<R: Rng + ?Sized>(n: usize, rng: &mut R) -> Nodes {
        match Self::try_random(n, rng) {
            Ok(nodes) => nodes,
            Err(error) => panic!("Nodes::random({n}): {error}"),
        }
    }

    /// [`Nodes::random`], with a failed allocation returned as an error.
    ///
    /// ```
    /// use pairkernel::{Error, Nodes};
    /// use rand::{SeedableRng, rngs::StdRng};
    /// let mut rng = StdRng::seed_from_u64(1);
    /// assert_eq!(Nodes::try_random(5, &mut rng)?.len(), 5);
    /// let err = Nodes::try_random(usize::MAX, &mut rng).unwrap_err(); // more bytes than usize holds
    /// assert!(matches!(err, Error::NodesAllocationFailed { nodes: usize::MAX, .. }));
    /// # Ok::<(), Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::NodesAllocationFailed`] if the memory cannot be had, or is 256 MiB or more
    /// and more than the system can give.
    pub fn try_random<R: Rng + ?Sized>(n: usize, rng: &mut R) -> Result<Nodes, Error> {
        Self::try_random_in(n, 3, rng)
    }

    /// `n` nodes drawn uniformly from the unit cube [0, 1)^`dim`, node by node, axis by axis
    /// (for `dim` = 3 the same nodes as [`Nodes::random`] from the same generator state).
    ///
    /// ```
    /// use pairkernel::Nodes;
    /// use rand::{SeedableRng, rngs::StdRng};
    /// let nodes = Nodes::try_random_in(100, 8, &mut StdRng::seed_from_u64(7))?;
    /// assert_eq!((nodes.len(), nodes.dim()), (100, 8));
    /// # Ok::<(), pairkernel::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidDimension`]; [`Error::NodesAllocationFailed`] as [`Nodes::try_random`].
    pub fn try_random_in<R: Rng + ?Sized>(
        n: usize,
        dim: usize,
        rng: &mut R,
    ) -> Result<Nodes, Error> {
        check_dim(dim)?;
        let mut nodes = Nodes::zeroed(n, dim)?;
        let stride = nodes.lines_per_axis * PAD;
        let columns: &mut [f64] = bytemuck::cast_slice_mut(&mut nodes.lines);
        for i in 0..n {
            for axis in 0..dim {
                columns[axis * stride + i] = rng.random();
            }
        }
        Ok(nodes)
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// `true` if there are no nodes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The dimension: coordinates per node.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The coordinates `[x, y, z]` of node `i` of a 3-D node set.
    ///
    /// # Panics
    /// If `i >= self.len()`, like slice indexing ([`Nodes::get`] is the checked twin), or if the
    /// nodes are not 3-D ([`Nodes::coordinates`] takes any dimension).
    pub fn point(&self, i: usize) -> [f64; 3] {
        assert!(
            self.dim == 3,
            "Nodes::point needs 3-D nodes, these have dimension {}; use Nodes::coordinates",
            self.dim
        );
        match self.get(i) {
            Some(point) => point,
            None => panic!("node index {i} out of range for {} nodes", self.len),
        }
    }

    /// The coordinates of node `i` of a 3-D node set, or `None` if `i >= self.len()` or the
    /// nodes are not 3-D.
    pub fn get(&self, i: usize) -> Option<[f64; 3]> {
        (i < self.len && self.dim == 3).then(|| std::array::from_fn(|axis| self.axis(axis)[i]))
    }

    /// The `dim` coordinates of node `i`, in axis order.
    ///
    /// # Panics
    /// If `i >= self.len()`.
    pub fn coordinates(&self, i: usize) -> Vec<f64> {
        assert!(
            i < self.len,
            "node index {i} out of range for {} nodes",
            self.len
        );
        (0..self.dim).map(|axis| self.axis(axis)[i]).collect()
    }

    /// The column of axis `axis`: coordinate `axis` of every node, in node order, followed by
    /// the zero padding up to a multiple of eight nodes.
    ///
    /// # Panics
    /// If `axis >= self.dim()`.
    pub fn axis(&self, axis: usize) -> &[f64] {
        assert!(
            axis < self.dim,
            "axis {axis} out of range for dimension {}",
            self.dim
        );
        let lines = &self.lines[axis * self.lines_per_axis..(axis + 1) * self.lines_per_axis];
        bytemuck::cast_slice(lines)
    }

    /// All nodes of a 3-D node set as an array of points, the layout
    /// [`reference`](crate::reference) takes.
    ///
    /// # Panics
    /// If the nodes are not 3-D ([`Nodes::to_flat`] takes any dimension), or if the memory for
    /// the copy (24 bytes a node) cannot be had, with the size in the message (never an abort).
    pub fn to_points(&self) -> Vec<[f64; 3]> {
        let mut points = Vec::new();
        if points.try_reserve_exact(self.len).is_err() {
            panic!("Nodes::to_points: could not allocate {} points", self.len);
        }
        points.extend((0..self.len).map(|i| self.point(i)));
        points
    }

    /// All coordinates, row-major (`N·dim`, node after node), the layout [`Nodes::from_flat`]
    /// takes.
    ///
    /// # Panics
    /// If the memory for the copy cannot be had, with the size in the message.
    pub fn to_flat(&self) -> Vec<f64> {
        let mut flat = Vec::new();
        let len = self.len.saturating_mul(self.dim);
        if flat.try_reserve_exact(len).is_err() {
            panic!("Nodes::to_flat: could not allocate {len} coordinates");
        }
        flat.extend((0..self.len).flat_map(|i| (0..self.dim).map(move |a| self.axis(a)[i])));
        flat
    }

    /// Every axis column, one after another (each [`Nodes::stride`] entries, padding included).
    pub(crate) fn storage(&self) -> &[f64] {
        bytemuck::cast_slice(&self.lines)
    }

    /// Entries per axis column in [`Nodes::storage`]: the node count rounded up to a multiple of
    /// [`PAD`].
    pub(crate) fn stride(&self) -> usize {
        self.lines_per_axis * PAD
    }

    /// `[min, max]` of each axis over the nodes (`[+∞, −∞]` for an empty set).
    pub(crate) fn axis_ranges(&self) -> Vec<[f64; 2]> {
        (0..self.dim)
            .map(|axis| {
                let column = &self.axis(axis)[..self.len];
                column
                    .iter()
                    .fold([f64::INFINITY, f64::NEG_INFINITY], |[low, high], &v| {
                        [low.min(v), high.max(v)]
                    })
            })
            .collect()
    }

    /// The nodes `indices` (in that order), copied fallibly like any node set.
    pub(crate) fn select(&self, indices: &[usize]) -> Result<Nodes, Error> {
        let (storage, stride) = (self.storage(), self.stride());
        Self::from_coordinates(indices.len(), self.dim(), |i, axis| {
            storage[axis * stride + indices[i]]
        })
    }

    /// Builds the padded columns from a getter of already-validated coordinates.
    fn from_coordinates(
        len: usize,
        dim: usize,
        coordinate: impl Fn(usize, usize) -> f64,
    ) -> Result<Nodes, Error> {
        let mut nodes = Nodes::zeroed(len, dim)?;
        let stride = nodes.lines_per_axis * PAD;
        let columns: &mut [f64] = bytemuck::cast_slice_mut(&mut nodes.lines);
        for (axis, column) in columns.chunks_exact_mut(stride.max(1)).enumerate() {
            for (i, value) in column[..len].iter_mut().enumerate() {
                *value = coordinate(i, axis);
            }
        }
        Ok(nodes)
    }

    /// `len` nodes of dimension `dim` at the origin, the padding included, allocated fallibly:
    /// the request is compared with the memory available (as a matrix's is), then reserved.
    fn zeroed(len: usize, dim: usize) -> Result<Nodes, Error> {
        let lines_per_axis = len.div_ceil(PAD);
        let line_count = lines_per_axis.checked_mul(dim);
        let refused = |available| Error::NodesAllocationFailed {
            nodes: len,
            bytes: line_count.map_or(usize::MAX, |lines| lines.saturating_mul(size_of::<Line>())),
            available,
        };
        let line_count = line_count.ok_or(refused(None))?;
        let bytes = line_count
            .checked_mul(size_of::<Line>())
            .ok_or(refused(None))?;
        crate::memory::check_available(bytes).map_err(|available| refused(Some(available)))?;
        let mut lines = Vec::new();
        lines
            .try_reserve_exact(line_count)
            .map_err(|_| refused(None))?;
        lines.resize(line_count, Line([0.0; PAD]));
        Ok(Nodes {
            len,
            dim,
            lines_per_axis,
            lines,
        })
    }
}

fn check_dim(dim: usize) -> Result<(), Error> {
    if (1..=Nodes::MAX_DIM).contains(&dim) {
        Ok(())
    } else {
        Err(Error::InvalidDimension {
            dim,
            max: Nodes::MAX_DIM,
        })
    }
}

fn non_finite(node: usize, axis: usize, value: f64) -> Error {
    Error::NonFiniteCoordinate {
        node,
        axis: Axis(axis),
        value,
    }
}
