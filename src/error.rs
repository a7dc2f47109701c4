//! The one error type of the crate.
//!
//! Every fallible entry point returns [`Error`]; nothing in the library panics on user input.
//! Each variant carries the values needed to say exactly what was wrong (which node, which axis,
//! which size), so the `Display` message can be shown to an end user as it is.

use std::fmt;

/// A coordinate axis of a node, by index (0 is the first coordinate), named in
/// [`Error::NonFiniteCoordinate`] and [`Error::AxisLengthMismatch`].
///
/// The first three have names, [`Axis::X`], [`Axis::Y`] and [`Axis::Z`], usable in patterns:
///
/// ```
/// use pairkernel::{Axis, Error, Nodes};
/// let err = Nodes::from_points(&[[0.0, 1.0, f64::NAN]]).unwrap_err();
/// assert!(matches!(err, Error::NonFiniteCoordinate { node: 0, axis: Axis::Z, .. }));
/// let err = Nodes::from_flat(&[0.0, 1.0, 2.0, 3.0, f64::INFINITY, 5.0], 6).unwrap_err();
/// assert!(matches!(err, Error::NonFiniteCoordinate { axis: Axis(4), .. }));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Axis(pub usize);

impl Axis {
    /// The first coordinate (axis 0).
    pub const X: Axis = Axis(0);
    /// The second coordinate (axis 1).
    pub const Y: Axis = Axis(1);
    /// The third coordinate (axis 2).
    pub const Z: Axis = Axis(2);
}

impl fmt::Display for Axis {
    /// `x`, `y`, `z` for the first three axes, `axis 3`, `axis 4`, … after them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            0 => f.write_str("x"),
            1 => f.write_str("y"),
            2 => f.write_str("z"),
            index => write!(f, "axis {index}"),
        }
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

    /// The axis columns given to [`Nodes::from_axis_columns`](crate::Nodes::from_axis_columns)
    /// do not have the same length: `axis` has `got` entries where axis 0 has `expected`.
    #[error("coordinate columns differ in length: axis 0 has {expected} entries, {axis} has {got}")]
    AxisLengthMismatch {
        /// The first axis whose column differs from axis 0's.
        axis: Axis,
        /// Length of axis 0's column.
        expected: usize,
        /// Length of this axis' column.
        got: usize,
    },

    /// Nodes need between 1 and [`Nodes::MAX_DIM`](crate::Nodes::MAX_DIM) coordinates.
    #[error("nodes of dimension {dim}: the dimension must be 1 ..= {max}")]
    InvalidDimension {
        /// The dimension asked for.
        dim: usize,
        /// The largest dimension supported.
        max: usize,
    },

    /// A flat row-major coordinate array whose length is not a multiple of the dimension.
    #[error("{len} coordinates do not make whole points of dimension {dim}")]
    FlatLength {
        /// Length of the flat array.
        len: usize,
        /// The dimension given.
        dim: usize,
    },

    /// Two node sets of different dimensions were paired in a cross matrix or product.
    #[error("row nodes have dimension {rows}, column nodes dimension {cols}: they must agree")]
    DimensionMismatch {
        /// Dimension of the row nodes.
        rows: usize,
        /// Dimension of the column nodes.
        cols: usize,
    },

    /// A kernel's parameters are out of range: a shape parameter ε that is not finite and
    /// positive, or a polyharmonic degree outside 1 ..= 31.
    #[error("invalid kernel {kernel}: {reason}")]
    InvalidKernel {
        /// The kernel, by its name.
        kernel: String,
        /// What is wrong with its parameters.
        reason: String,
    },

    /// The plan (or the `PAIRKERNEL_SIMD` environment variable) asked for a SIMD path this CPU
    /// does not have, or one that does not exist.
    #[error("SIMD path {requested} is not available on this CPU; available: {available}")]
    SimdUnavailable {
        /// The path asked for (with the variable, if it came from the environment).
        requested: String,
        /// The paths this CPU has, widest first.
        available: String,
    },

    /// [`Kernel::from_name`](crate::Kernel::from_name) was given a name it does not know.
    #[error("unknown kernel {name:?}; known: {known}")]
    UnknownKernel {
        /// The name given.
        name: String,
        /// The names it knows, comma-separated.
        known: String,
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

    /// The memory for the matrix cannot be had: the allocator refused it, or (with
    /// `available` set) it is more than the system can give, checked before anything is mapped
    /// so that the process is not killed by the kernel's out-of-memory killer halfway through
    /// the fill. [`Plan::allow_overcommit`](crate::Plan::allow_overcommit) skips that check.
    #[error(
        "could not allocate a {rows} x {cols} matrix ({bytes} bytes){}",
        available_note(*available)
    )]
    AllocationFailed {
        /// Rows of the requested matrix.
        rows: usize,
        /// Columns of the requested matrix.
        cols: usize,
        /// Bytes requested.
        bytes: usize,
        /// The memory the system could give (available plus free swap), when that is why the
        /// request was refused; `None` when the allocator refused it.
        available: Option<u64>,
    },

    /// The memory for a node set cannot be had (see [`Error::AllocationFailed`] for
    /// `available`).
    #[error("could not allocate {nodes} nodes ({bytes} bytes){}", available_note(*available))]
    NodesAllocationFailed {
        /// Nodes requested.
        nodes: usize,
        /// Bytes requested.
        bytes: usize,
        /// The memory the system could give, when that is why the request was refused.
        available: Option<u64>,
    },

    /// The workspace of a matrix-free product (the right-hand sides of a pass, packed for SIMD:
    /// as large as `x` for up to 16 right-hand sides) cannot be had (see
    /// [`Error::AllocationFailed`] for `available`).
    #[error(
        "could not allocate {bytes} bytes of workspace for a matrix-free product{}",
        available_note(*available)
    )]
    WorkspaceAllocationFailed {
        /// Bytes requested.
        bytes: usize,
        /// The memory the system could give, when that is why the request was refused.
        available: Option<u64>,
    },

    /// [`Plan::threads`](crate::Plan::threads) asked for more threads than
    /// [`Plan::MAX_THREADS`](crate::Plan::MAX_THREADS).
    #[error("a plan of {requested} threads: at most {max} are allowed")]
    TooManyThreads {
        /// Threads requested.
        requested: usize,
        /// The limit.
        max: usize,
    },

    /// The output of [`machine::fill_floor`](crate::machine::fill_floor) is not a whole number of
    /// rows.
    #[error(
        "output buffer has {len} entries, which is not a whole number of rows of {cols} columns"
    )]
    RaggedOutput {
        /// Entries of the buffer.
        len: usize,
        /// Columns a row was to have.
        cols: usize,
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

    /// Interpolation: `values` does not hold `m` values for each data point (m ≥ 1).
    #[error("values has {got} entries, expected {expected} ({points} data points x {m} values)")]
    ValuesLength {
        /// Entries it needs (`points * m`).
        expected: usize,
        /// Entries it has.
        got: usize,
        /// Data points.
        points: usize,
        /// Values per point.
        m: usize,
    },

    /// Interpolation: a data value is NaN or infinite.
    #[error("the value at data point {point}, column {column}, is not finite ({value})")]
    NonFiniteData {
        /// The data point.
        point: usize,
        /// Which of its values.
        column: usize,
        /// The value found there.
        value: f64,
    },

    /// Interpolation: the kernel is not scale-invariant and no shape parameter was given
    /// (scipy requires one for `multiquadric`, `inverse_multiquadric`, `inverse_quadratic` and
    /// `gaussian`).
    #[error(
        "epsilon must be specified for kernel {kernel:?}: only linear, thin_plate_spline, \
         cubic, quintic, phi and polyharmonic<k> do not depend on it"
    )]
    EpsilonRequired {
        /// The kernel's name.
        kernel: String,
    },

    /// Interpolation: a polynomial degree below −1.
    #[error("degree {degree}: the degree must be -1 (no polynomial) or more")]
    InvalidDegree {
        /// The degree given.
        degree: i32,
    },

    /// Interpolation: smoothing of the wrong length, or not finite.
    #[error("invalid smoothing: {reason}")]
    InvalidSmoothing {
        /// What is wrong with it.
        reason: String,
    },

    /// Interpolation: `neighbors` of 0.
    #[error("neighbors = {neighbors}: at least 1 is needed")]
    InvalidNeighbors {
        /// The count given.
        neighbors: usize,
    },

    /// Interpolation: fewer data points (or neighbours) than the polynomial has monomials.
    #[error(
        "at least {required} data points are required when the degree is {degree} and the \
         number of dimensions is {dim} (got {got})"
    )]
    TooFewDataPoints {
        /// Monomials of the polynomial.
        required: usize,
        /// Data points (or neighbours per local fit).
        got: usize,
        /// The polynomial's degree.
        degree: i32,
        /// The dimension.
        dim: usize,
    },

    /// Interpolation: the monomials evaluated at the data points are linearly dependent (e.g.
    /// collinear points in the plane with a degree-1 polynomial), so the system is singular
    /// whatever the smoothing.
    #[error(
        "singular matrix: the matrix of monomials evaluated at the data point coordinates does \
         not have full column rank ({rank}/{monomials})"
    )]
    PolynomialRankDeficient {
        /// Its numerical rank.
        rank: usize,
        /// Its columns.
        monomials: usize,
    },

    /// Interpolation: the interpolation system is singular (e.g. repeated data points
    /// without smoothing).
    #[error("singular matrix: the {size} x {size} interpolation system has no unique solution")]
    SingularSystem {
        /// The system's order (data points plus monomials).
        size: usize,
    },

    /// Interpolation: evaluation points of another dimension than the data points'.
    #[error("evaluation points have dimension {got}, the data points {expected}: they must agree")]
    EvaluationDimension {
        /// The data points' dimension.
        expected: usize,
        /// The evaluation points' dimension.
        got: usize,
    },

    /// A saved interpolant whose parts do not fit together (sizes that disagree).
    #[error("invalid saved interpolant: {reason}")]
    InvalidSaved {
        /// What does not fit.
        reason: String,
    },

    /// A thread pool could not be started: the dedicated pool of
    /// [`Plan::threads`](crate::Plan::threads), or rayon's global pool that `threads(0)` (the
    /// default) runs in when the call is made outside any pool (`threads` is then the count
    /// rayon was asked for: `RAYON_NUM_THREADS`, else the number of logical CPUs).
    #[error("could not start a pool of {threads} threads: {reason}")]
    ThreadPool {
        /// Threads requested.
        threads: usize,
        /// What the operating system or rayon reported.
        reason: String,
    },

    /// The plan's cancel flag ([`Plan::cancel_on`](crate::Plan::cancel_on)) was set while
    /// the call ran: it stopped early, and its output is incomplete.
    #[error("cancelled: the plan's cancel flag was set while the call ran")]
    Cancelled,
}

/// The end of an allocation message: why, when the request was compared with what the system
/// could give.
fn available_note(available: Option<u64>) -> String {
    match available {
        Some(bytes) => format!(
            ": only {bytes} bytes of memory are available (MemAvailable plus free swap, or the memory cgroup's room if less); \
             Plan::allow_overcommit(true) skips this check"
        ),
        None => String::new(),
    }
}
