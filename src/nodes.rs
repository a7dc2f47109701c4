//! Node sets in structure-of-arrays layout, ready for the tile kernel.
//!
//! The kernel reads four columns of the matrix at a time, so each coordinate axis is stored as
//! its own vector of [`f64x4`] lane groups: `x_soa[k]` holds the x coordinates of nodes
//! `4k .. 4k+4`. A lane group is one aligned 32-byte load, with no bounds check per node.
//!
//! When the node count is not a multiple of four, the last lane group is padded with `0.0`.
//! Why that is safe: the kernel computes padded lanes like any others and then drops them, never
//! storing them, so their value cannot reach the output; being finite, they raise no floating
//! point exception and take no slow path.

use rand::{Rng, RngExt};
use wide::f64x4;

use crate::error::{Axis, Error};

/// Lanes of one [`f64x4`]: the kernel's column granularity.
pub(crate) const LANES: usize = 4;

/// A set of nodes in 3-D, stored as padded x, y, z columns (structure of arrays).
///
/// Every coordinate is finite: the constructors reject NaN and ±∞, naming the node and axis.
///
/// ```
/// use pairkernel::Nodes;
/// let nodes = Nodes::from_points(&[[0.0, 0.0, 0.0], [3.0, 4.0, 0.0]])?;
/// assert_eq!(nodes.len(), 2);
/// assert_eq!(nodes.point(1), [3.0, 4.0, 0.0]);
/// # Ok::<(), pairkernel::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Nodes {
    len: usize,
    x_soa: Vec<f64x4>,
    y_soa: Vec<f64x4>,
    z_soa: Vec<f64x4>,
}

impl Nodes {
    /// Nodes from an array of points, `points[i] = [x, y, z]`.
    ///
    /// # Errors
    /// [`Error::NonFiniteCoordinate`] for the first point (in index order, then x, y, z) with a
    /// NaN or infinite coordinate; [`Error::NodesAllocationFailed`] if the memory for the copy
    /// cannot be had.
    pub fn from_points(points: &[[f64; 3]]) -> Result<Nodes, Error> {
        for (node, point) in points.iter().enumerate() {
            check_finite(node, point)?;
        }
        Self::from_coordinates(points.len(), |i| points[i])
    }

    /// Nodes from three coordinate columns: node `i` is `[x[i], y[i], z[i]]`.
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
        for node in 0..x.len() {
            check_finite(node, &[x[node], y[node], z[node]])?;
        }
        Self::from_coordinates(x.len(), |i| [x[i], y[i], z[i]])
    }

    /// `n` nodes drawn uniformly from the unit cube [0, 1)³, as in the article's experiment.
    ///
    /// Any `rand` generator works; a seeded one (`rand::rngs::StdRng::seed_from_u64`) gives a
    /// reproducible set. Coordinates are drawn node by node, x then y then z. (`rand`'s `Rng`
    /// is in this signature: `rand` is a public dependency of this crate, and the version you
    /// use must be the one it uses, 0.10.)
    ///
    /// # Panics
    /// If the memory for `n` nodes (`24·n` bytes, rounded up to whole lane groups) cannot be
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
        let mut nodes = Nodes::zeroed(n)?;
        for i in 0..n {
            let (group, lane) = (i / LANES, i % LANES);
            for column in [&mut nodes.x_soa, &mut nodes.y_soa, &mut nodes.z_soa] {
                column[group].as_mut_array()[lane] = rng.random();
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

    /// The coordinates `[x, y, z]` of node `i`.
    ///
    /// # Panics
    /// If `i >= self.len()`, like slice indexing; [`Nodes::get`] is the checked twin.
    pub fn point(&self, i: usize) -> [f64; 3] {
        match self.get(i) {
            Some(point) => point,
            None => panic!("node index {i} out of range for {} nodes", self.len),
        }
    }

    /// The coordinates of node `i`, or `None` if `i >= self.len()`.
    pub fn get(&self, i: usize) -> Option<[f64; 3]> {
        if i >= self.len {
            return None;
        }
        let (group, lane) = (i / LANES, i % LANES);
        Some([
            self.x_soa[group].as_array()[lane],
            self.y_soa[group].as_array()[lane],
            self.z_soa[group].as_array()[lane],
        ])
    }

    /// All nodes as an array of points, the layout [`reference`](crate::reference) takes.
    ///
    /// # Panics
    /// If the memory for the copy (24 bytes a node) cannot be had, with the size in the
    /// message (never an abort).
    pub fn to_points(&self) -> Vec<[f64; 3]> {
        let mut points = Vec::new();
        if points.try_reserve_exact(self.len).is_err() {
            panic!("Nodes::to_points: could not allocate {} points", self.len);
        }
        points.extend((0..self.len).map(|i| self.point(i)));
        points
    }

    /// `[min, max]` of each axis over the nodes (`[+∞, −∞]` for an empty set).
    pub(crate) fn axis_ranges(&self) -> [[f64; 2]; 3] {
        let mut ranges = [[f64::INFINITY, f64::NEG_INFINITY]; 3];
        for i in 0..self.len {
            for (range, value) in ranges.iter_mut().zip(self.point(i)) {
                *range = [range[0].min(value), range[1].max(value)];
            }
        }
        ranges
    }

    /// The x, y and z columns as lane groups of four nodes, zero-padded to whole groups.
    pub(crate) fn columns_soa(&self) -> (&[f64x4], &[f64x4], &[f64x4]) {
        (&self.x_soa, &self.y_soa, &self.z_soa)
    }

    /// Builds the padded columns from a getter of already-validated coordinates.
    fn from_coordinates(len: usize, point: impl Fn(usize) -> [f64; 3]) -> Result<Nodes, Error> {
        let mut nodes = Nodes::zeroed(len)?;
        for i in 0..len {
            let (group, lane) = (i / LANES, i % LANES);
            let [x, y, z] = point(i);
            nodes.x_soa[group].as_mut_array()[lane] = x;
            nodes.y_soa[group].as_mut_array()[lane] = y;
            nodes.z_soa[group].as_mut_array()[lane] = z;
        }
        Ok(nodes)
    }

    /// `len` nodes at the origin, the padding included, allocated fallibly: the request is
    /// compared with the memory available (as a matrix's is), then each column reserved.
    fn zeroed(len: usize) -> Result<Nodes, Error> {
        let groups = len.div_ceil(LANES);
        let refused = |available| Error::NodesAllocationFailed {
            nodes: len,
            bytes: groups.saturating_mul(3 * size_of::<f64x4>()),
            available,
        };
        let bytes = groups
            .checked_mul(3 * size_of::<f64x4>())
            .ok_or(refused(None))?;
        crate::memory::check_available(bytes).map_err(|available| refused(Some(available)))?;
        let column = || -> Result<Vec<f64x4>, Error> {
            let mut column = Vec::new();
            column
                .try_reserve_exact(groups)
                .map_err(|_| refused(None))?;
            column.resize(groups, f64x4::ZERO);
            Ok(column)
        };
        Ok(Nodes {
            len,
            x_soa: column()?,
            y_soa: column()?,
            z_soa: column()?,
        })
    }
}

fn check_finite(node: usize, point: &[f64; 3]) -> Result<(), Error> {
    for (axis, &value) in [Axis::X, Axis::Y, Axis::Z].into_iter().zip(point) {
        if !value.is_finite() {
            return Err(Error::NonFiniteCoordinate { node, axis, value });
        }
    }
    Ok(())
}
