//! The one error type of the crate.
//!
//! Every fallible entry point returns [`Error`]; nothing in the library panics on user input.
//! Each variant carries the values needed to say exactly what was wrong (which node, which axis,
//! which size), so the `Display` message can be shown to an end user as it is.

use std::fmt;

/// A coordinate axis of a node, named in [`Error::NonFiniteCoordinate`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Axis {
    /// The first coordinate.
    X,
    /// The second coordinate.
    Y,
    /// The third coordinate.
    Z,
}

impl fmt::Display for Axis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Axis::X => "x",
            Axis::Y => "y",
            Axis::Z => "z",
        })
    }
}

/// Why a `pairkernel` call could not be carried out.
///
/// The enum is `#[non_exhaustive]`: match it with a wildcard arm, new causes may be added.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A node coordinate is NaN or infinite. The kernel needs finite coordinates: a NaN would
    /// silently poison a whole row and column of the matrix.
    #[error("node {node} has a non-finite {axis} coordinate ({value})")]
    NonFiniteCoordinate {
        /// Index of the offending node.
        node: usize,
        /// Which of its coordinates.
        axis: Axis,
        /// The value found there.
        value: f64,
    },

    /// The x, y and z columns given to [`Nodes::from_columns`](crate::Nodes::from_columns) do not
    /// have the same length.
    #[error("coordinate columns differ in length: x has {x}, y has {y}, z has {z} entries")]
    ColumnLengthMismatch {
        /// Length of the x column.
        x: usize,
        /// Length of the y column.
        y: usize,
        /// Length of the z column.
        z: usize,
    },

    /// The output buffer of an `*_into` call does not have `rows * cols` entries.
    #[error("output buffer has {got} entries, expected {expected} ({rows} rows x {cols} columns)")]
    OutputLength {
        /// Entries the matrix needs (`rows * cols`).
        expected: usize,
        /// Entries the buffer has.
        got: usize,
        /// Rows of the requested matrix.
        rows: usize,
        /// Columns of the requested matrix.
        cols: usize,
    },

    /// A [`Plan`](crate::Plan) was given a tile size of zero.
    #[error("invalid plan: tile of {tile_rows} rows x {tile_cols} columns (both must be >= 1)")]
    InvalidTile {
        /// Rows per tile requested.
        tile_rows: usize,
        /// Columns per tile requested.
        tile_cols: usize,
    },

    /// `rows * cols` entries (or their size in bytes) does not fit in `usize`.
    #[error("a {rows} x {cols} matrix of f64 is too large to address on this platform")]
    SizeOverflow {
        /// Rows of the requested matrix.
        rows: usize,
        /// Columns of the requested matrix.
        cols: usize,
    },

    /// The allocator could not provide memory for the matrix.
    #[error("could not allocate a {rows} x {cols} matrix ({bytes} bytes)")]
    AllocationFailed {
        /// Rows of the requested matrix.
        rows: usize,
        /// Columns of the requested matrix.
        cols: usize,
        /// Bytes requested.
        bytes: usize,
    },

    /// A vector given to (or filled by) a matrix-free product has the wrong length.
    #[error("{name} has {got} entries, expected {expected} ({count} nodes x {k} right-hand sides)")]
    VectorLength {
        /// Which argument: `"x"` or `"y"`.
        name: &'static str,
        /// Entries it needs (`count * k`).
        expected: usize,
        /// Entries it has.
        got: usize,
        /// Nodes it runs over (columns for `x`, rows for `y`).
        count: usize,
        /// Right-hand sides (1 for `apply`).
        k: usize,
    },

    /// An entry of the vector `x` of a matrix-free product is NaN or infinite. It is rejected,
    /// not propagated: one such entry would make every entry of `y` NaN or infinite.
    #[error("x[{index}] is not finite ({value})")]
    NonFiniteValue {
        /// Index of the entry in `x`.
        index: usize,
        /// The value found there.
        value: f64,
    },

    /// A dedicated thread pool for [`Plan::threads`](crate::Plan::threads) could not be started.
    #[error("could not start a pool of {threads} threads: {reason}")]
    ThreadPool {
        /// Threads requested.
        threads: usize,
        /// What the operating system or rayon reported.
        reason: String,
    },
}
