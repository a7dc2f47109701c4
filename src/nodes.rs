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
    /// NaN or infinite coordinate.
    pub fn from_points(points: &[[f64; 3]]) -> Result<Nodes, Error> {
        for (node, point) in points.iter().enumerate() {
            check_finite(node, point)?;
        }
        Ok(Self::from_coordinates(points.len(), |i| points[i]))
    }

    /// Nodes from three coordinate columns: node `i` is `[x[i], y[i], z[i]]`.
    ///
    /// # Errors
    /// [`Error::ColumnLengthMismatch`] if the columns differ in length;
    /// [`Error::NonFiniteCoordinate`] for the first node with a NaN or infinite coordinate.
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
        Ok(Self::from_coordinates(x.len(), |i| [x[i], y[i], z[i]]))
    }

    /// `n` nodes drawn uniformly from the unit cube [0, 1)³, as in the article's experiment.
    ///
    /// Any `rand` generator works; a seeded one (`rand::rngs::StdRng::seed_from_u64`) gives a
    /// reproducible set. Coordinates are drawn node by node, x then y then z.
    ///
    /// # Panics
    /// Only if memory for `n` nodes (`24·n` bytes) cannot be allocated.
    pub fn random<R: Rng + ?Sized>(n: usize, rng: &mut R) -> Nodes {
        let points: Vec<[f64; 3]> = (0..n)
            .map(|_| [rng.random(), rng.random(), rng.random()])
            .collect();
        Self::from_coordinates(n, |i| points[i])
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
    pub fn to_points(&self) -> Vec<[f64; 3]> {
        (0..self.len).map(|i| self.point(i)).collect()
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
    fn from_coordinates(len: usize, point: impl Fn(usize) -> [f64; 3]) -> Nodes {
        let column_soa = |axis: usize| -> Vec<f64x4> {
            (0..len.div_ceil(LANES))
                .map(|group| {
                    f64x4::new(std::array::from_fn(|lane| {
                        let node = group * LANES + lane;
                        if node < len { point(node)[axis] } else { 0.0 }
                    }))
                })
                .collect()
        };
        Nodes {
            len,
            x_soa: column_soa(0),
            y_soa: column_soa(1),
            z_soa: column_soa(2),
        }
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
