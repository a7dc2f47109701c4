//! Built-in tuning defaults, used by [`Plan::default`](crate::Plan::default).
//!
//! One tile serves both schedules: the symmetric one (square matrices) rounds it up to whole
//! 8×8 blocks, the row one (cross matrices) uses it as is. Measured on a 2-core Zen 4 (48 KiB
//! L1d, 1 MiB L2 per core), interleaved in one run with `pairkernel bench --tile …`:
//! - Symmetric schedule: bands of 8, 16, 32 and 64 rows × column tiles of 512 … 4096 were all
//!   within 5% of each other at N = 500 … 10000 on 1 and 2 threads, below this machine's noise;
//!   the kernel is bound by the square root and the stores, not by where the tile lives.
//! - Row schedule: [`TILE_COLS`] = 4096 won by 5–15% over 1024 and narrower (longer runs of
//!   output stores per row); bands of 4 … 32 rows measured within 2%; 64- and 256-row bands
//!   lost up to 5% at N = 3000 (too few bands to balance two cores).
//!
//! So [`TILE_ROWS`] = 32: whole blocks for the symmetric schedule, bands short enough to
//! balance, and [`TILE_COLS`] = 4096.

/// Rows per band (tile height) of the default plan.
pub const TILE_ROWS: usize = 32;
/// Columns per tile (tile width) of the default plan.
pub const TILE_COLS: usize = 4096;
