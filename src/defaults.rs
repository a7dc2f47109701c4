//! Built-in tuning defaults, used by [`Plan::default`](crate::Plan::default).
//!
//! Measured on a 2-core Zen 4 (48 KiB L1d, 1 MiB L2 per core) with `cargo bench -- tile_sweep`
//! and at N = 1000 and 10000 (see the README):
//! - [`TILE_COLS`] = 4096: wide tiles won by 5–15% over 1024 and narrower. The kernel is bound
//!   by the square root (about 9 cycles per four entries), during which it loads 3 × 32 bytes of
//!   column coordinates: L2 delivers that with room to spare, so the column tile need not fit in
//!   L1 (4096 columns are 96 KiB); what a wider tile buys is fewer, longer runs of output stores
//!   per row, which the store path and prefetchers handle better.
//! - [`TILE_ROWS`] = 4: a band of 4 rows is the unit of parallel work, and one register-blocked
//!   step of the tile kernel. Bands of 4, 8 and 16 rows measured within 2% of each other at
//!   N = 500 … 10000 (interleaved A/B, 2 threads); 64- and 256-row bands lost up to 5% at
//!   N = 3000 (too few bands to balance two cores). The smallest keeps the finest balance.

/// Rows per band (tile height) of the default plan.
pub const TILE_ROWS: usize = 4;
/// Columns per tile (tile width) of the default plan.
pub const TILE_COLS: usize = 4096;
