//! The dense result: [`KernelMatrix`], and how its memory is obtained.

use std::ops::Index;

use crate::error::Error;

/// A dense `rows × cols` matrix of f64, row-major: entry `(i, j)` is at `i * cols + j`.
///
/// ```
/// use pairkernel::{Nodes, kernel_matrix};
/// let nodes = Nodes::from_points(&[[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]])?;
/// let d = kernel_matrix(&nodes)?;
/// assert_eq!((d.rows(), d.cols()), (2, 2));
/// assert_eq!(d[(0, 1)], d.row(1)[0]);
/// assert_eq!(d.as_slice().len(), 4);
/// # Ok::<(), pairkernel::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct KernelMatrix {
    rows: usize,
    cols: usize,
    entries: Vec<f64>,
}

impl KernelMatrix {
    /// A `rows × cols` matrix of zeros, its memory requested without aborting on failure.
    pub(crate) fn try_zeroed(rows: usize, cols: usize) -> Result<KernelMatrix, Error> {
        let len = entry_count(rows, cols)?;
        let entries = try_zeroed_vec(len).ok_or(Error::AllocationFailed {
            rows,
            cols,
            bytes: len * size_of::<f64>(),
        })?;
        Ok(KernelMatrix {
            rows,
            cols,
            entries,
        })
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// All entries, row-major.
    pub fn as_slice(&self) -> &[f64] {
        &self.entries
    }

    pub(crate) fn as_mut_slice(&mut self) -> &mut [f64] {
        &mut self.entries
    }

    /// Row `i` as a slice of `cols()` entries.
    ///
    /// # Panics
    /// If `i >= rows()`, like slice indexing.
    pub fn row(&self, i: usize) -> &[f64] {
        assert!(i < self.rows, "row {i} out of range for {} rows", self.rows);
        &self.entries[i * self.cols..(i + 1) * self.cols]
    }

    /// Entry `(i, j)`, or `None` if it is outside the matrix.
    pub fn get(&self, i: usize, j: usize) -> Option<f64> {
        (i < self.rows && j < self.cols).then(|| self.entries[i * self.cols + j])
    }

    /// The entries as a row-major `Vec`, without copying.
    pub fn into_vec(self) -> Vec<f64> {
        self.entries
    }
}

impl Index<(usize, usize)> for KernelMatrix {
    type Output = f64;

    /// Entry `(i, j)`.
    ///
    /// # Panics
    /// If `i >= rows()` or `j >= cols()`; [`KernelMatrix::get`] is the checked twin.
    fn index(&self, (i, j): (usize, usize)) -> &f64 {
        assert!(
            i < self.rows && j < self.cols,
            "index ({i}, {j}) out of range for a {} x {} matrix",
            self.rows,
            self.cols
        );
        &self.entries[i * self.cols + j]
    }
}

/// A `Vec` of `len` zeros from the allocator's zeroed memory, or `None` if it cannot be had.
///
/// Why not `try_reserve_exact` + `resize(len, 0.0)`: that writes every entry once on the calling
/// thread before the kernel writes it again, and takes all the page faults of a fresh buffer on
/// that one thread. Large zeroed allocations come from `mmap` as untouched zero pages, so here
/// the pages are faulted in by the threads that compute them, in parallel, and written once.
/// Measured with `cargo bench --bench kernel -- default_alloc` (2 threads, 4 KiB pages): from
/// 0.24 to 0.40 G entries/s at N = 3000 and from 0.24 to 0.42 at N = 10000 (the page-fault floor
/// of this machine is about 0.55); unchanged at N = 1000.
fn try_zeroed_vec(len: usize) -> Option<Vec<f64>> {
    if len == 0 {
        return Some(Vec::new());
    }
    // `entry_count` has checked that `len` f64 fit in isize::MAX bytes, so this cannot fail.
    let layout = std::alloc::Layout::array::<f64>(len).ok()?;
    // SAFETY: `layout` has a non-zero size (len > 0 and size_of::<f64>() == 8), as `alloc_zeroed`
    // requires.
    let ptr = unsafe { std::alloc::alloc_zeroed(layout) }.cast::<f64>();
    if ptr.is_null() {
        return None;
    }
    // SAFETY: `ptr` is non-null and was allocated by the global allocator with
    // `Layout::array::<f64>(len)`, the layout a `Vec<f64>` of capacity `len` has (same size and
    // alignment); its `len` elements are initialised, since the all-zero bit pattern is the f64
    // value +0.0; and length == capacity. The Vec takes sole ownership and frees it on drop.
    Some(unsafe { Vec::from_raw_parts(ptr, len, len) })
}

/// `rows * cols`, checked so that the matrix's size in bytes also fits in `usize`.
pub(crate) fn entry_count(rows: usize, cols: usize) -> Result<usize, Error> {
    rows.checked_mul(cols)
        .filter(|len| {
            len.checked_mul(size_of::<f64>())
                .is_some_and(|b| b <= isize::MAX as usize)
        })
        .ok_or(Error::SizeOverflow { rows, cols })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_counts_that_overflow_are_size_errors() {
        assert_eq!(entry_count(3, 4), Ok(12));
        assert_eq!(entry_count(0, usize::MAX), Ok(0));
        // 2^60 entries are 2^63 bytes, one more than isize::MAX: Rust's allocation limit.
        for (rows, cols) in [(usize::MAX, 2), (1 << 32, 1 << 32), (1 << 30, 1 << 30)] {
            assert_eq!(
                entry_count(rows, cols),
                Err(Error::SizeOverflow { rows, cols })
            );
            assert_eq!(
                KernelMatrix::try_zeroed(rows, cols),
                Err(Error::SizeOverflow { rows, cols })
            );
        }
        // Just below that, the size check passes (and the allocator decides).
        assert_eq!(
            entry_count(1 << 30, (1 << 30) - 1),
            Ok((1 << 60) - (1 << 30))
        );
        let message = Error::SizeOverflow {
            rows: usize::MAX,
            cols: 2,
        }
        .to_string();
        assert!(message.contains(&format!("{} x 2", usize::MAX)));
    }
}
