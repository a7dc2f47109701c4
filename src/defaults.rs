//! Built-in tuning defaults, used by [`Plan::default`](crate::Plan::default).
//!
//! Chosen from typical cache sizes, and measured with `cargo bench -- tile_sweep`:
//! - [`TILE_COLS`]: 1024 columns × 24 bytes of coordinates = 24 KiB, half of a 48 KiB L1d (Zen 4)
//!   and within a 32 KiB one, leaving room for the output lines being written.
//! - [`TILE_ROWS`]: a band of 16 rows is the unit of parallel work: small enough that N = 500
//!   gives 32 bands to balance over the cores, large enough that a band's output (16 × 8·N bytes)
//!   amortises the task overhead.

/// Rows per band (tile height) of the default plan.
pub const TILE_ROWS: usize = 16;
/// Columns per tile (tile width) of the default plan.
pub const TILE_COLS: usize = 1024;
