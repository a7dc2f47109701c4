//! Shared output: disjoint rectangles of one row-major matrix, written by different threads.
//!
//! The symmetric schedule (see [`crate::symmetric`]) computes each off-diagonal block once and
//! writes it twice, at `(I, J)` and mirrored at `(J, I)`. The set one task writes is therefore
//! not a run of whole rows, so it cannot be carved out with `chunks_mut`: it is two rectangles,
//! its band's rows right of the diagonal and the column strip below them. [`SharedOutput`] hands
//! out such rectangles as [`Window`]s; creating one is `unsafe`, because only the schedule can
//! prove that no two live windows overlap. Writing through a window is safe and bounds-checked.
//!
//! This is the crate's one use of shared raw pointers. It pays: the symmetric schedule computes
//! half the square roots. Measured against the row schedule in one interleaved run (`pairkernel
//! bench --schedule rows,symmetric`, 2-core Zen 4, reused output): one thread +30% at N = 1000
//! and 3000, +20% at N = 10000; two threads +25–30% at N = 1000 and 3000, +3% at N = 10000,
//! where both are held by the memory's store bandwidth.

use std::marker::PhantomData;
use std::ops::Range;

/// A `rows × cols` row-major output that windows are cut from. Borrows the output mutably for
/// its whole life, so nothing else can read or write it meanwhile.
pub(crate) struct SharedOutput<'a> {
    base: *mut f64,
    rows: usize,
    cols: usize,
    _output: PhantomData<&'a mut [f64]>,
}

// SAFETY: a `SharedOutput` is a `&mut [f64]` in disguise; sending it to another thread is as safe
// as sending that. Sharing it (`Sync`) lets several threads call `window`, which is `unsafe` and
// requires the windows alive at one time to be disjoint: then no entry is reached from two
// threads, and there is no data race.
unsafe impl Send for SharedOutput<'_> {}
// SAFETY: see `Send` above.
unsafe impl Sync for SharedOutput<'_> {}

impl<'a> SharedOutput<'a> {
    /// Wraps `out`, which holds `rows × cols` entries.
    ///
    /// # Panics
    /// If `out.len() != rows * cols` (an internal error: callers have checked the length).
    pub(crate) fn new(out: &'a mut [f64], rows: usize, cols: usize) -> SharedOutput<'a> {
        assert_eq!(
            Some(out.len()),
            rows.checked_mul(cols),
            "output is rows × cols"
        );
        SharedOutput {
            base: out.as_mut_ptr(),
            rows,
            cols,
            _output: PhantomData,
        }
    }

    /// The rectangle `rows × cols` (matrix coordinates) of the output.
    ///
    /// # Panics
    /// If the rectangle is not inside the matrix.
    ///
    /// # Safety
    /// No two windows alive at the same time, on any threads, may share an entry.
    pub(crate) unsafe fn window(&self, rows: Range<usize>, cols: Range<usize>) -> Window<'a> {
        assert!(
            rows.start <= rows.end && rows.end <= self.rows,
            "window rows in the matrix"
        );
        assert!(
            cols.start <= cols.end && cols.end <= self.cols,
            "window cols in the matrix"
        );
        Window {
            base: self.base,
            row_stride: self.cols,
            rows,
            cols,
            _output: PhantomData,
        }
    }
}

/// A rectangle of a [`SharedOutput`] that one task writes, a row segment at a time.
pub(crate) struct Window<'a> {
    base: *mut f64,
    row_stride: usize,
    rows: Range<usize>,
    cols: Range<usize>,
    _output: PhantomData<&'a mut [f64]>,
}

// SAFETY: a window is exclusive access to its entries (the contract of `SharedOutput::window`),
// like a `&mut` to them, which may be sent to another thread.
unsafe impl Send for Window<'_> {}

impl Window<'_> {
    /// Row `row` of the matrix (which must be one of the window's rows), restricted to the
    /// window's columns: `cols.len()` entries, the first being column `cols.start`.
    ///
    /// # Panics
    /// If `row` is not one of the window's rows.
    #[inline(always)]
    pub(crate) fn row_mut(&mut self, row: usize) -> &mut [f64] {
        assert!(self.rows.contains(&row), "row {row} in the window");
        let start = row * self.row_stride + self.cols.start;
        // SAFETY: `row < rows.end <= matrix rows` (checked here) and `cols.end <= row_stride`
        // (checked in `window`), so `start .. start + cols.len()` lies inside the output, which
        // `SharedOutput` borrows mutably for 'a, outliving `self`. No other window alive has an
        // entry of this rectangle (contract of `window`), and `&mut self` keeps this slice the
        // only one from this window until it is dropped.
        unsafe { std::slice::from_raw_parts_mut(self.base.add(start), self.cols.len()) }
    }
}

impl Window<'_> {
    /// The `N × N` block of rows `first_row .. first_row + N` and the window's columns
    /// `col .. col + N` (counted from the window's first column), as `N` row segments: the
    /// bounds checked once for the whole block.
    #[inline(always)]
    pub(crate) fn block_mut<const N: usize>(
        &mut self,
        first_row: usize,
        col: usize,
    ) -> [&mut [f64; N]; N] {
        assert!(
            first_row >= self.rows.start
                && first_row <= self.rows.end
                && N <= self.rows.end - first_row
                && col <= self.cols.len()
                && N <= self.cols.len() - col,
            "block at row {first_row}, column {col} in the window"
        );
        let start = first_row * self.row_stride + self.cols.start + col;
        std::array::from_fn(|k| {
            // SAFETY: rows `first_row + k` (k < N) lie in the window's rows and columns
            // `cols.start + col .. + N` in its columns (checked above; the window lies in the
            // output, checked in `window`), so each segment is inside the output, which
            // `SharedOutput` borrows mutably for 'a. The segments are in distinct rows, so
            // disjoint; no other live window reaches them (contract of `window`), and `&mut self`
            // keeps these the only references from this window while they live.
            unsafe {
                &mut *self
                    .base
                    .add(start + k * self.row_stride)
                    .cast::<[f64; N]>()
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_write_their_rectangle_and_nothing_else() {
        let mut out = vec![0.0; 5 * 7];
        let shared = SharedOutput::new(&mut out, 5, 7);
        // SAFETY: the two windows are disjoint (rows 1..3 × cols 2..7, rows 3..5 × cols 0..2).
        let (mut upper, mut lower) =
            unsafe { (shared.window(1..3, 2..7), shared.window(3..5, 0..2)) };
        upper.row_mut(2).fill(1.0);
        lower.row_mut(4).copy_from_slice(&[2.0, 3.0]);
        assert_eq!(upper.row_mut(1).len(), 5);
        let mut expected = vec![0.0; 5 * 7];
        expected[2 * 7 + 2..3 * 7].fill(1.0);
        expected[4 * 7..4 * 7 + 2].copy_from_slice(&[2.0, 3.0]);
        assert_eq!(out, expected);
    }

    #[test]
    fn a_block_is_its_rows_segments() {
        let mut out = vec![0.0; 6 * 9];
        let shared = SharedOutput::new(&mut out, 6, 9);
        // SAFETY: the only window.
        let mut window = unsafe { shared.window(1..5, 3..9) };
        for (k, segment) in window.block_mut::<2>(2, 4).into_iter().enumerate() {
            *segment = [k as f64 + 1.0; 2];
        }
        let mut expected = vec![0.0; 6 * 9];
        expected[2 * 9 + 7..2 * 9 + 9].fill(1.0);
        expected[3 * 9 + 7..3 * 9 + 9].fill(2.0);
        assert_eq!(out, expected);
    }

    #[test]
    #[should_panic(expected = "block at row 4, column 0 in the window")]
    fn a_block_past_the_window_is_refused() {
        let mut out = vec![0.0; 36];
        let shared = SharedOutput::new(&mut out, 6, 6);
        // SAFETY: the only window.
        let _ = unsafe { shared.window(1..5, 0..6) }.block_mut::<2>(4, 0);
    }

    #[test]
    #[should_panic(expected = "row 0 in the window")]
    fn a_row_outside_the_window_is_refused() {
        let mut out = vec![0.0; 4];
        let shared = SharedOutput::new(&mut out, 2, 2);
        // SAFETY: the only window.
        unsafe { shared.window(1..2, 0..2) }.row_mut(0);
    }

    #[test]
    #[should_panic(expected = "window cols in the matrix")]
    fn a_window_outside_the_matrix_is_refused() {
        let mut out = vec![0.0; 4];
        let shared = SharedOutput::new(&mut out, 2, 2);
        // SAFETY: the only window (were it inside).
        let _ = unsafe { shared.window(0..2, 1..3) };
    }
}
