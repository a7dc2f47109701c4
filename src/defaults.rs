//! Built-in tuning defaults, used by [`Plan::default`](crate::Plan::default).
//!
//! One tile serves both schedules: the symmetric one (square matrices) rounds it up to whole
//! 8×8 blocks and narrows its columns so that their mirrored stores span at most 64 MiB
//! (`symmetric::MIRROR_SPAN_BYTES`: on Zen 3, 4096 columns were clearly slower at N = 10000
//! and 20000), the row one (cross matrices) uses it as is. Measured on a 2-core Zen 4 (48 KiB
//! L1d, 1 MiB L2 per core), interleaved in one run with `pairkernel bench --tile …`:
//! - Symmetric schedule: bands of 8, 16, 32 and 64 rows × column tiles of 512 … 4096 were all
//!   within 5% of each other at N = 500 … 10000 on 1 and 2 threads, below this machine's noise;
//!   the kernel is bound by the square root and the stores, not by where the tile lives.
//! - Row schedule: [`TILE_COLS`] = 4096 won by 5–15% over 1024 and narrower (longer runs of
//!   output stores per row); bands of 4 … 32 rows measured within 2%; 64- and 256-row bands
//!   lost up to 5% at N = 3000 (too few bands to balance two cores).
//!
//! So the built-in tile is 32 × 4096: whole blocks for the symmetric schedule, bands short
//! enough to balance, and column nodes (96 KiB) that live in L2.
//!
//! A build can override it (`PAIRKERNEL_TILE_ROWS` / `PAIRKERNEL_TILE_COLS`, or a tuning file
//! written by `pairkernel tune`): `build.rs` resolves the tile and generates [`TILE_ROWS`],
//! [`TILE_COLS`] and [`TILE_SOURCE`] into `OUT_DIR`; the built-in values themselves live in
//! `src/tuning_config.rs`, which `build.rs` shares.
//!
//! What the `Auto` settings choose comes from the same place: a tuning file's `[choices]`
//! (measured by `tune` on the machine that built the crate), else the built-in rules below
//! ([`auto_choices`] reports them).

include!(concat!(env!("OUT_DIR"), "/tuned_tiles.rs"));

/// What [`Schedule::Auto`](crate::Schedule::Auto) and [`Stores::Auto`](crate::Stores::Auto)
/// choose in this build on this machine: [`auto_choices`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AutoChoices {
    /// A square kernel matrix whose entries cost what the default accuracy's do is filled by
    /// the symmetric schedule (`true`) or by rows: into a reused output (`*_into`).
    pub symmetric_square: bool,
    /// The same into a freshly allocated output.
    pub symmetric_square_fresh: bool,
    /// The same for cheap entries ([`Accuracy::Fast`](crate::Accuracy::Fast) with a kernel
    /// whose fast formula is a few operations:
    /// [`FAST_IS_CHEAP`](crate::kernels::RadialFunction::FAST_IS_CHEAP), as the article's φ
    /// and the cubic), into a reused output.
    pub symmetric_square_cheap: bool,
    /// The same for cheap entries into a freshly allocated output, filled on more than one
    /// thread.
    pub symmetric_square_cheap_fresh: bool,
    /// The same for cheap entries into a freshly allocated output filled on one thread (always
    /// the built-in rule: `tune` decides the case above from its runs on more than one thread).
    pub symmetric_square_cheap_fresh_one_thread: bool,
    /// Streaming stores for a reused output (`*_into`) of more than this many bytes.
    pub stream_reused_above_bytes: usize,
    /// Streaming stores for a freshly allocated output of more than this many bytes.
    pub stream_fresh_above_bytes: usize,
    /// `"built-in"` (the rules, from this machine's cache sizes) or `"tuning file PATH"`.
    pub source: &'static str,
}

impl AutoChoices {
    /// Whether a square matrix is filled by the symmetric schedule: `cheap` entries or not, a
    /// `fresh` output or a reused one (without the one-thread rule of
    /// [`symmetric_on`](Self::symmetric_on)).
    pub fn symmetric(&self, cheap: bool, fresh: bool) -> bool {
        match (cheap, fresh) {
            (false, false) => self.symmetric_square,
            (false, true) => self.symmetric_square_fresh,
            (true, false) => self.symmetric_square_cheap,
            (true, true) => self.symmetric_square_cheap_fresh,
        }
    }

    /// Whether a square matrix is filled by the symmetric schedule on `threads` threads (the
    /// threads the fill actually runs on: for `Plan::threads(0)` the pool's size, not 0): as
    /// [`symmetric`](Self::symmetric), except cheap entries into a fresh output on one thread
    /// ([`symmetric_square_cheap_fresh_one_thread`](Self::symmetric_square_cheap_fresh_one_thread)).
    pub fn symmetric_on(&self, cheap: bool, fresh: bool, threads: usize) -> bool {
        match (cheap && fresh, threads) {
            (true, 1) => self.symmetric_square_cheap_fresh_one_thread,
            _ => self.symmetric(cheap, fresh),
        }
    }
}

/// What the `Auto` settings choose here: a tuning file's measured `[choices]` where the build
/// had one (each key it has), else the built-in rules:
///
/// - **Schedule of a square matrix**: symmetric (half the arithmetic, for mirrored stores),
///   except cheap entries into a fresh output on more than one thread, which go by rows.
///   Cheap entries are `Accuracy::Fast` with φ or the cubic, eleven operations per four
///   entries: the stores and the page faults bound such a fill, and the row schedule touches
///   the new pages in order, each written while the kernel's zeroing of it is still in cache,
///   where the mirrored stores fault pages in far ahead of the rest of their writes. On a
///   Zen 3, 2 threads: rows 0.77 G entries/s against 0.63–0.68 at N = 1000, 3000 and 10000
///   (`tune`'s run). On one thread
///   the symmetric schedule wins that case: on Zen 5, `Fast` φ into fresh output, each
///   schedule in the same place of `bench`'s rounds, 2.19–2.22 against 1.65–1.67 G entries/s at
///   N = 1000, 1.92–1.97 against 1.61–1.63 at N = 3000, 1.85–1.87 against 1.61–1.62 at
///   N = 10000 (on two threads there rows won at N = 3000, 2.72–2.86 against 2.33–2.36, and
///   tied at 10000). With one thread nothing overlaps: the fill's page faults and its
///   arithmetic run in series, and the symmetric schedule halves the arithmetic. Into reused
///   output the two schedules measured within noise with such entries there (the first round's
///   Zen 4 had the symmetric one 20–35% ahead); with the default entries (≈ 55 operations per
///   four) the symmetric schedule wins by 1.4–1.6×, reused, and by 1.05–1.4× fresh.
/// - **Stores**: streaming for outputs larger than eight L2 caches (the crossover measured on
///   Zen 4, 8 MiB; on Zen 3, 512 KiB L2, streaming already won at 8 MB).
///
/// `pairkernel tune` measures all of these on the machine that builds the crate (see the
/// README); `pairkernel info` prints them.
///
/// ```
/// let choices = pairkernel::machine::auto_choices();
/// assert!(choices.stream_reused_above_bytes > 0 || choices.source != "built-in");
/// if choices.source == "built-in" {
///     assert!(choices.symmetric(false, true) && !choices.symmetric(true, true));
/// }
/// // One thread: cheap entries into fresh output go by the symmetric schedule too.
/// assert!(choices.symmetric_on(true, true, 1));
/// assert_eq!(choices.symmetric_on(true, true, 2), choices.symmetric(true, true));
/// println!("{choices:?}");
/// ```
pub fn auto_choices() -> AutoChoices {
    let rule = crate::store::streaming_min_bytes();
    let [square, square_fresh, cheap, cheap_fresh] = TUNED_SYMMETRIC;
    AutoChoices {
        symmetric_square: square.unwrap_or(true),
        symmetric_square_fresh: square_fresh.unwrap_or(true),
        symmetric_square_cheap: cheap.unwrap_or(true),
        symmetric_square_cheap_fresh: cheap_fresh.unwrap_or(false),
        symmetric_square_cheap_fresh_one_thread: true,
        stream_reused_above_bytes: TUNED_STREAM_REUSED_ABOVE.unwrap_or(rule),
        stream_fresh_above_bytes: TUNED_STREAM_FRESH_ABOVE.unwrap_or(rule),
        source: CHOICES_SOURCE,
    }
}

/// The most rows a band of the symmetric schedule has under the built-in tile: where a plan's
/// tile is the built-in default (no tuning file, no [`Plan::tile`](crate::Plan::tile)), square
/// matrices are filled in bands of up to this many rows, four or more per thread, never fewer
/// rows than the tile's; any other tile is taken as it is. `pairkernel info` prints it.
///
/// Why wider than the rows schedule's band: a band of the symmetric schedule writes its
/// mirrored blocks into each row below it as one run of the band's width, 16 lines at 128
/// rows against 4 at 32 (on Zen 3, going from one line to four measured 1.3–1.5×), and its
/// pairs of bands are fewer, longer tasks. Measured on Zen 5 (2 cores, AVX-512), the binary
/// before and after side by side, 3 rounds, `Auto` everything: default accuracy into reused
/// output 1.11–1.18× at N = 3000 and 10000 (1 and 2 threads), 1.00–1.10× at N = 1000; into
/// fresh output 0.98–1.12×; `Fast` entries 0.99–1.19× (fresh `Fast` output goes by rows,
/// unchanged). `tune`'s grid agrees (its best tiles there have 128 or 256 rows; 256 lost at
/// N = 1000 on two threads, four bands). The rows schedule keeps 32: 128-row bands cost its
/// fresh N = 1000 fill on two threads 16–23%. The first round's Zen 4 measured symmetric
/// bands of 8 to 64 rows within 5% of each other, with that round's kernel.
pub const SYMMETRIC_BAND_ROWS: usize = 128;

/// The symmetric schedule's band, in rows, for an `n × n` matrix on `threads` threads where
/// the plan's tile is the built-in default ([`SYMMETRIC_BAND_ROWS`]): four bands per thread
/// (two of the schedule's band pairs) where that is fewer rows, never below [`TILE_ROWS`].
pub(crate) fn symmetric_band_rows(n: usize, threads: usize) -> usize {
    let four_bands_per_thread = n / (4 * threads.max(1));
    four_bands_per_thread.clamp(TILE_ROWS.min(SYMMETRIC_BAND_ROWS), SYMMETRIC_BAND_ROWS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symmetric_bands_widen_to_128_rows_and_keep_four_per_thread() {
        assert_eq!(symmetric_band_rows(10_000, 2), 128);
        assert_eq!(symmetric_band_rows(1000, 1), 128);
        // 1000 rows on two threads: 125 (whole 8-row blocks make it 128, eight bands).
        assert_eq!(symmetric_band_rows(1000, 2), 125.max(TILE_ROWS.min(128)));
        assert_eq!(symmetric_band_rows(500, 2), 62.max(TILE_ROWS.min(128)));
        // Never below the build's tile rows (the built-in 32 where this rule applies),
        // whatever the matrix or the thread count.
        let floor = TILE_ROWS.min(SYMMETRIC_BAND_ROWS);
        assert_eq!(symmetric_band_rows(100, 2), floor);
        assert_eq!(symmetric_band_rows(10_000, 1024), floor);
        assert_eq!(symmetric_band_rows(0, 0), floor);
    }
    use crate::tuning_config::{BUILT_IN, TILE_COLS_RANGE, TILE_ROWS_RANGE};

    #[test]
    fn the_baked_in_tile_is_valid_and_says_where_it_came_from() {
        assert!(TILE_ROWS_RANGE.contains(&TILE_ROWS) && TILE_COLS_RANGE.contains(&TILE_COLS));
        assert!(
            TILE_SOURCE == "built-in"
                || TILE_SOURCE.starts_with("env ")
                || TILE_SOURCE.starts_with("tuning file "),
            "{TILE_SOURCE}"
        );
        if TILE_SOURCE == "built-in" {
            assert_eq!((TILE_ROWS, TILE_COLS), (BUILT_IN.rows, BUILT_IN.cols));
        }
    }
}
