//! Shared output: disjoint parts of one square row-major matrix, written by different threads.
//!
//! The symmetric schedule (see [`crate::symmetric`]) computes each off-diagonal block once and
//! writes it twice, at `(I, J)` and mirrored at `(J, I)`. The set one task writes is therefore
//! not a run of whole rows, so it cannot be carved out with `chunks_mut`: it is an L, its band's
//! rows right of the diagonal and the column strip below them. [`SharedOutput`] hands out such
//! Ls as [`BandWindow`]s; creating one is `unsafe`, because only the schedule can prove that no
//! two live windows overlap. Writing through a window is safe and bounds-checked, a whole block
//! at a time.
//!
//! This is the crate's one use of shared raw pointers. It pays: the symmetric schedule computes
//! half the square roots. Measured against the row schedule in one interleaved run (`pairkernel
//! bench --schedule rows,symmetric`, 2-core Zen 4, reused output): one thread +30% at N = 1000
//! and 3000, +20% at N = 10000; two threads +25–30% at N = 1000 and 3000, +3% at N = 10000,
//! where both are held by the memory's store bandwidth.

use std::marker::PhantomData;
use std::ops::Range;

/// An `n × n` row-major output that windows are cut from. Borrows the output mutably for its
/// whole life, so nothing else can read or write it meanwhile.
pub(crate) struct SharedOutput<'a> {
    base: *mut f64,
    n: usize,
    _output: PhantomData<&'a mut [f64]>,
}

// SAFETY: a `SharedOutput` is a `&mut [f64]` in disguise; sending it to another thread is as safe
// as sending that. Sharing it (`Sync`) lets several threads call `band`, which is `unsafe` and
// requires the windows alive at one time to be disjoint: then no entry is reached from two
// threads, and there is no data race.
unsafe impl Send for SharedOutput<'_> {}
// SAFETY: see `Send` above.
unsafe impl Sync for SharedOutput<'_> {}

impl<'a> SharedOutput<'a> {
    /// Wraps `out`, which holds `n × n` entries.
    ///
    /// # Panics
    /// If `out.len() != n * n` (an internal error: callers have checked the length).
    pub(crate) fn new(out: &'a mut [f64], n: usize) -> SharedOutput<'a> {
        assert_eq!(Some(out.len()), n.checked_mul(n), "output is n × n");
        SharedOutput {
            base: out.as_mut_ptr(),
            n,
            _output: PhantomData,
        }
    }

    /// The part of the output that band `rows` of the symmetric schedule writes: the band's
    /// rows right of its first column, `rows × rows.start..n`, and the column strip below them,
    /// `rows.end..n × rows` — an L.
    ///
    /// # Panics
    /// If the band is not inside the matrix.
    ///
    /// # Safety
    /// No two windows alive at the same time, on any threads, may share an entry.
    pub(crate) unsafe fn band(&self, rows: Range<usize>) -> BandWindow<'a> {
        assert!(
            rows.start <= rows.end && rows.end <= self.n,
            "band rows in the matrix"
        );
        BandWindow {
            base: self.base,
            n: self.n,
            band: rows,
            _output: PhantomData,
        }
    }
}

/// The L of a square [`SharedOutput`] that one band of the symmetric schedule writes
/// ([`SharedOutput::band`]): entries `(r, c)` with `r, c ≥ band.start` and `r` or `c` in the
/// band. A block computed at `(a, b)`, `a` in the band and `b ≥ a`, and its mirror at `(b, a)`
/// both lie in it: one window, one base pointer, for the direct and the mirrored stores.
pub(crate) struct BandWindow<'a> {
    base: *mut f64,
    /// The matrix's order: rows, columns, and the row stride.
    n: usize,
    band: Range<usize>,
    _output: PhantomData<&'a mut [f64]>,
}

// SAFETY: a window is exclusive access to its entries (the contract of `SharedOutput::band`),
// like a `&mut` to them, which may be sent to another thread.
unsafe impl Send for BandWindow<'_> {}

impl BandWindow<'_> {
    /// The band's rows. The first is also the window's first column: where every row
    /// [`row_mut`](Self::row_mut) gives starts.
    #[inline(always)]
    pub(crate) fn rows(&self) -> Range<usize> {
        self.band.clone()
    }

    /// Row `row` of the matrix from column `band.start` to the L's edge: to the matrix's last
    /// column for a row of the band, to the band's last column for a row below it.
    ///
    /// # Panics
    /// If `row` is above the band or past the matrix.
    #[inline(always)]
    pub(crate) fn row_mut(&mut self, row: usize) -> &mut [f64] {
        assert!(
            row >= self.band.start && row < self.n,
            "row {row} in the window"
        );
        let end = if row < self.band.end {
            self.n
        } else {
            self.band.end
        };
        let start = row * self.n + self.band.start;
        // SAFETY: `band.start <= row < n` (checked here) and `band.start <= end <= n` (the band
        // lies in the matrix, checked in `band`), so `start .. start + (end - band.start)` lies in
        // row `row` of the output, which `SharedOutput` borrows mutably for 'a, outliving `self`.
        // Every entry of it is in the L (a row of the band up to the last column, or a row below
        // it within the band's columns), which no other live window shares (contract of `band`);
        // `&mut self` keeps this slice the only one from this window until it is dropped.
        unsafe { std::slice::from_raw_parts_mut(self.base.add(start), end - self.band.start) }
    }

    /// The `N × N` block of rows `first_row ..` (in the band) and columns `first_col ..`
    /// (matrix coordinates, from the band's first row on), as `N` row segments: a block of the
    /// band's rows right of the diagonal, bounds checked once for the whole block.
    ///
    /// # Panics
    /// If the block's rows are not in the band or its columns not from `band.start` to `n`.
    #[inline(always)]
    pub(crate) fn block_mut<const N: usize>(
        &mut self,
        first_row: usize,
        first_col: usize,
    ) -> [&mut [f64; N]; N] {
        assert!(
            self.in_band(first_row, N) && self.in_l_span(first_col, N),
            "direct block at row {first_row}, column {first_col} in the window"
        );
        // SAFETY: rows in the band, columns from band.start to n (checked above): the band's
        // rectangle, in the L.
        unsafe { self.segments(first_row, first_col) }
    }

    /// The `N × N` block of rows `first_row ..` (from the band's first row to `n`) and columns
    /// `first_col ..` (in the band), as `N` row segments: a mirrored block, bounds checked once
    /// for the whole block.
    ///
    /// # Panics
    /// If the block's columns are not in the band or its rows not from `band.start` to `n`.
    #[inline(always)]
    pub(crate) fn mirror_block_mut<const N: usize>(
        &mut self,
        first_row: usize,
        first_col: usize,
    ) -> [&mut [f64; N]; N] {
        assert!(
            self.in_l_span(first_row, N) && self.in_band(first_col, N),
            "mirrored block at row {first_row}, column {first_col} in the window"
        );
        // SAFETY: columns in the band, rows from band.start to n (checked above): in the band's
        // rectangle for rows of the band, in its strip for rows below it; in the L either way.
        unsafe { self.segments(first_row, first_col) }
    }

    /// Whether `first .. first + len` lies in the band.
    #[inline(always)]
    fn in_band(&self, first: usize, len: usize) -> bool {
        first >= self.band.start && first <= self.band.end && len <= self.band.end - first
    }

    /// Whether `first .. first + len` lies from the band's first row to the matrix's edge.
    #[inline(always)]
    fn in_l_span(&self, first: usize, len: usize) -> bool {
        first >= self.band.start && first <= self.n && len <= self.n - first
    }

    /// The `N × N` block at `(first_row, first_col)` as `N` row segments.
    ///
    /// # Safety
    /// The block lies in the L: every entry's row and column at or past `band.start` and below
    /// `n`, and its rows or its columns in the band.
    #[inline(always)]
    unsafe fn segments<const N: usize>(
        &mut self,
        first_row: usize,
        first_col: usize,
    ) -> [&mut [f64; N]; N] {
        let start = first_row * self.n + first_col;
        std::array::from_fn(|k| {
            // SAFETY: row `first_row + k` (k < N), columns `first_col .. + N` lie in the matrix
            // and in the L (the caller's contract), so each segment is inside the output, which
            // `SharedOutput` borrows mutably for 'a. The segments are in distinct rows, so
            // disjoint; no other live window reaches them (contract of `band`), and `&mut self`
            // keeps these the only references from this window while they live.
            unsafe { &mut *self.base.add(start + k * self.n).cast::<[f64; N]>() }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The entries of a 7 × 7 matrix in band 2..4's L: rows 2..4 from column 2, and columns
    /// 2..4 of rows 4..7.
    fn in_band_2_4(r: usize, c: usize) -> bool {
        r >= 2 && c >= 2 && (r < 4 || c < 4)
    }

    #[test]
    fn a_band_window_writes_its_l_and_nothing_else() {
        let mut out = vec![0.0; 7 * 7];
        let shared = SharedOutput::new(&mut out, 7);
        // SAFETY: the only window.
        let mut band = unsafe { shared.band(2..4) };
        for row in 2..7 {
            band.row_mut(row).fill(row as f64);
        }
        assert_eq!(
            band.row_mut(3).len(),
            5,
            "a band row runs to the last column"
        );
        assert_eq!(
            band.row_mut(6).len(),
            2,
            "a row below runs to the band's last column"
        );
        for r in 0..7 {
            for c in 0..7 {
                let expected = if in_band_2_4(r, c) { r as f64 } else { 0.0 };
                assert_eq!(out[r * 7 + c], expected, "entry ({r}, {c})");
            }
        }
    }

    #[test]
    fn blocks_of_the_band_and_of_its_strip_are_their_rows_segments() {
        let mut out = vec![0.0; 7 * 7];
        let shared = SharedOutput::new(&mut out, 7);
        // SAFETY: the only window.
        let mut band = unsafe { shared.band(2..4) };
        // A block of the band's rows right of the diagonal, and a mirrored one below the band.
        for segment in band.block_mut::<2>(2, 5) {
            *segment = [1.0; 2];
        }
        for segment in band.mirror_block_mut::<2>(5, 2) {
            *segment = [2.0; 2];
        }
        for r in 0..7 {
            for c in 0..7 {
                let expected = if (2..4).contains(&r) && c >= 5 {
                    1.0
                } else if r >= 5 && (2..4).contains(&c) {
                    2.0
                } else {
                    0.0
                };
                assert_eq!(out[r * 7 + c], expected, "entry ({r}, {c})");
            }
        }
    }

    #[test]
    fn every_block_the_window_gives_lies_in_its_l() {
        // Every 2 × 2 block position of a 7 × 7 matrix: a block is given when its entries are in
        // the band's rectangle (block_mut) or have their columns in the band (mirror_block_mut),
        // and those are in the L.
        let rectangle = |r: usize, c: usize| (2..4).contains(&r) && c >= 2;
        let columns_in_band = |r: usize, c: usize| r >= 2 && (2..4).contains(&c);
        for first_row in 0..7 {
            for first_col in 0..7 {
                for mirror in [false, true] {
                    let mut out = vec![0.0; 49];
                    let shared = SharedOutput::new(&mut out, 7);
                    let expected = first_row + 2 <= 7
                        && first_col + 2 <= 7
                        && (first_row..first_row + 2).all(|r| {
                            (first_col..first_col + 2).all(|c| match mirror {
                                false => rectangle(r, c),
                                true => columns_in_band(r, c),
                            })
                        });
                    let given = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        // SAFETY: the only window.
                        let mut band = unsafe { shared.band(2..4) };
                        match mirror {
                            false => drop(band.block_mut::<2>(first_row, first_col)),
                            true => drop(band.mirror_block_mut::<2>(first_row, first_col)),
                        }
                    }))
                    .is_ok();
                    assert_eq!(
                        given, expected,
                        "block at ({first_row}, {first_col}), {mirror}"
                    );
                    if given {
                        assert!(
                            (first_row..first_row + 2)
                                .all(|r| (first_col..first_col + 2).all(|c| in_band_2_4(r, c))),
                            "a block given lies in the L"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn the_bands_windows_tile_the_matrix() {
        // Bands of 1, 3 and 8 rows (the last one shorter) over matrices of 0 to 19 rows: every
        // entry written exactly once through the bands' windows, row by row.
        for n in 0..20 {
            for band_rows in [1, 3, 8] {
                let mut out = vec![0.0; n * n];
                let shared = SharedOutput::new(&mut out, n);
                for start in (0..n).step_by(band_rows) {
                    // SAFETY: the bands' windows are disjoint (what this test checks: a second
                    // write would show as a 2); one is alive at a time.
                    let mut band = unsafe { shared.band(start..n.min(start + band_rows)) };
                    for row in start..n {
                        band.row_mut(row).iter_mut().for_each(|entry| *entry += 1.0);
                    }
                }
                assert!(
                    out.iter().all(|&e| e == 1.0),
                    "n = {n}, bands of {band_rows}"
                );
            }
        }
    }

    #[test]
    #[should_panic(expected = "direct block at row 4, column 4 in the window")]
    fn a_block_below_the_band_is_refused() {
        let mut out = vec![0.0; 49];
        let shared = SharedOutput::new(&mut out, 7);
        // SAFETY: the only window.
        let _ = unsafe { shared.band(2..4) }.block_mut::<2>(4, 4);
    }

    #[test]
    #[should_panic(expected = "mirrored block at row 4, column 4 in the window")]
    fn a_mirrored_block_right_of_the_band_is_refused() {
        let mut out = vec![0.0; 49];
        let shared = SharedOutput::new(&mut out, 7);
        // SAFETY: the only window.
        let _ = unsafe { shared.band(2..4) }.mirror_block_mut::<2>(4, 4);
    }

    #[test]
    #[should_panic(expected = "row 1 in the window")]
    fn a_row_above_the_band_is_refused() {
        let mut out = vec![0.0; 16];
        let shared = SharedOutput::new(&mut out, 4);
        // SAFETY: the only window.
        unsafe { shared.band(2..4) }.row_mut(1);
    }

    #[test]
    #[should_panic(expected = "band rows in the matrix")]
    fn a_band_outside_the_matrix_is_refused() {
        let mut out = vec![0.0; 4];
        let shared = SharedOutput::new(&mut out, 2);
        // SAFETY: the only window (were it inside).
        let _ = unsafe { shared.band(1..3) };
    }
}
