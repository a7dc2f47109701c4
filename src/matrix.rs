//! The dense result: [`KernelMatrix`]. Where its memory comes from is [`crate::memory`]'s job.

use std::fmt;
use std::ops::Index;

use crate::error::Error;
use crate::memory::Entries;

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
///
/// # Memory
/// A matrix of 2 MiB or more (N ≥ 512) lives in its own anonymous memory mapping, 2 MiB aligned
/// and advised for transparent huge pages on Linux: page faults, not arithmetic, bound the
/// filling of fresh memory, and huge pages cut them 512-fold. Its pages are first touched by the
/// threads that compute them. The matrix owns the mapping and unmaps it on drop; it is `Send` and
/// `Sync` like a `Vec`. Smaller matrices use the global allocator.
///
/// A reused matrix is the fastest output of all: [`KernelMatrix::zeros`] once, then
/// [`Plan::kernel_matrix_into`](crate::Plan::kernel_matrix_into) with
/// [`KernelMatrix::as_mut_slice`] each time. A mapped matrix's rows start 64-byte aligned when `cols` is a
/// multiple of 8, which lets large outputs take the streaming-store path
/// (see [`Stores`](crate::Stores)).
pub struct KernelMatrix {
    rows: usize,
    cols: usize,
    entries: Entries,
}

impl KernelMatrix {
    /// A `rows × cols` matrix of zeros, in the memory described under [Memory](#memory).
    ///
    /// ```
    /// use pairkernel::{KernelMatrix, Nodes, Plan};
    /// use rand::{SeedableRng, rngs::StdRng};
    /// let nodes = Nodes::random(600, &mut StdRng::seed_from_u64(1));
    /// let mut d = KernelMatrix::zeros(600, 600)?;
    /// let plan = Plan::default();
    /// for _ in 0..2 {
    ///     plan.kernel_matrix_into(&nodes, d.as_mut_slice())?; // no allocation, no page faults
    /// }
    /// assert_eq!(d, plan.kernel_matrix(&nodes)?);
    /// # Ok::<(), pairkernel::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::SizeOverflow`] if `rows · cols · 8` bytes overflow `isize`;
    /// [`Error::AllocationFailed`] if the memory cannot be had, or if it is 256 MiB or more and
    /// more than the system can give without overcommitting (the process would be killed when
    /// the pages are touched; [`KernelMatrix::zeros_allow_overcommit`] skips that check).
    /// Never aborts.
    pub fn zeros(rows: usize, cols: usize) -> Result<KernelMatrix, Error> {
        KernelMatrix::zeros_checked(rows, cols, true)
    }

    /// [`KernelMatrix::zeros`] without comparing the request with the memory available: for
    /// matrices whose pages will not all be touched, or systems whose overcommit you trust.
    ///
    /// # Errors
    /// [`Error::SizeOverflow`]; [`Error::AllocationFailed`] if the allocator refuses.
    pub fn zeros_allow_overcommit(rows: usize, cols: usize) -> Result<KernelMatrix, Error> {
        KernelMatrix::zeros_checked(rows, cols, false)
    }

    /// [`KernelMatrix::zeros`], comparing with the available memory if `check_memory`.
    pub(crate) fn zeros_checked(
        rows: usize,
        cols: usize,
        check_memory: bool,
    ) -> Result<KernelMatrix, Error> {
        let len = entry_count(rows, cols)?;
        let entries =
            Entries::zeroed(len, check_memory).map_err(|available| Error::AllocationFailed {
                rows,
                cols,
                bytes: len * size_of::<f64>(),
                available,
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
        self.entries.as_slice()
    }

    /// All entries, row-major, writable: for reusing the matrix as the output of
    /// [`Plan::kernel_matrix_into`](crate::Plan::kernel_matrix_into).
    pub fn as_mut_slice(&mut self) -> &mut [f64] {
        self.entries.as_mut_slice()
    }

    /// Row `i` as a slice of `cols()` entries.
    ///
    /// # Panics
    /// If `i >= rows()`, like slice indexing.
    pub fn row(&self, i: usize) -> &[f64] {
        assert!(i < self.rows, "row {i} out of range for {} rows", self.rows);
        &self.as_slice()[i * self.cols..(i + 1) * self.cols]
    }

    /// Entry `(i, j)`, or `None` if it is outside the matrix.
    pub fn get(&self, i: usize, j: usize) -> Option<f64> {
        (i < self.rows && j < self.cols).then(|| self.as_slice()[i * self.cols + j])
    }

    /// The entries as a row-major `Vec`.
    ///
    /// Free for a matrix under 2 MiB. A larger one lives in a huge-page mapping (see
    /// [Memory](#memory)), which a `Vec` cannot own: its entries are copied into a new `Vec`
    /// (one more pass over 8·N² bytes, into memory with ordinary pages) and the mapping is
    /// freed. Keep the `KernelMatrix` and use [`as_slice`](KernelMatrix::as_slice) where a
    /// slice will do.
    ///
    /// # Panics
    /// If the memory for that copy cannot be had (with the sizes in the message; never an
    /// abort, and never past what the system can give, as [`KernelMatrix::zeros`] checks):
    /// [`KernelMatrix::try_into_vec`] returns that as an error instead.
    pub fn into_vec(self) -> Vec<f64> {
        self.try_into_vec()
            .unwrap_or_else(|(error, _)| panic!("KernelMatrix::into_vec: {error}"))
    }

    /// [`KernelMatrix::into_vec`], with a copy that cannot be had returned as an error,
    /// together with the matrix itself, untouched.
    ///
    /// # Errors
    /// [`Error::AllocationFailed`] (for a mapped matrix only: a small one is never copied).
    pub fn try_into_vec(self) -> Result<Vec<f64>, (Error, KernelMatrix)> {
        let (rows, cols) = (self.rows, self.cols);
        self.entries.into_vec().map_err(|(entries, available)| {
            let error = Error::AllocationFailed {
                rows,
                cols,
                bytes: rows * cols * size_of::<f64>(),
                available,
            };
            (
                error,
                KernelMatrix {
                    rows,
                    cols,
                    entries,
                },
            )
        })
    }
}

impl Clone for KernelMatrix {
    /// A copy in new memory of the same kind (huge pages for large matrices).
    ///
    /// # Panics
    /// If the memory for the copy cannot be had (where cloning a `Vec` would abort), with the
    /// sizes in the message.
    fn clone(&self) -> KernelMatrix {
        let mut copy = KernelMatrix::zeros(self.rows, self.cols)
            .unwrap_or_else(|error| panic!("KernelMatrix::clone: {error}"));
        copy.as_mut_slice().copy_from_slice(self.as_slice());
        copy
    }
}

impl PartialEq for KernelMatrix {
    /// Same shape and the same entries (compared as f64: NaN ≠ NaN, 0.0 == −0.0).
    fn eq(&self, other: &KernelMatrix) -> bool {
        self.rows == other.rows && self.cols == other.cols && self.as_slice() == other.as_slice()
    }
}

impl fmt::Debug for KernelMatrix {
    /// The shape, the kind of memory, and the entries of the top-left corner (at most
    /// 4 × 4, with `…` where rows or columns were left out), as
    /// ndarray does: a 10⁴ × 10⁴ matrix prints a few lines, not 10⁸ numbers.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Corner<'a>(&'a KernelMatrix);
        impl fmt::Debug for Corner<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let m = self.0;
                let mut rows = f.debug_list();
                for i in 0..m.rows.min(DEBUG_CORNER) {
                    let row = &m.row(i)[..m.cols.min(DEBUG_CORNER)];
                    let mut text: Vec<String> = row.iter().map(|e| format!("{e:?}")).collect();
                    if m.cols > DEBUG_CORNER {
                        text.push("…".to_string());
                    }
                    rows.entry(&format_args!("[{}]", text.join(", ")));
                }
                if m.rows > DEBUG_CORNER {
                    rows.entry(&format_args!("…"));
                }
                rows.finish()
            }
        }
        f.debug_struct("KernelMatrix")
            .field("rows", &self.rows)
            .field("cols", &self.cols)
            .field("huge_page_mapping", &self.entries.is_mapped())
            .field("entries", &Corner(self))
            .finish()
    }
}

/// Rows and columns of the corner that `Debug` prints.
const DEBUG_CORNER: usize = 4;

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
        &self.as_slice()[i * self.cols + j]
    }
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
    fn debug_prints_the_shape_and_a_corner() {
        let mut m = KernelMatrix::zeros(3, 2).unwrap();
        m.as_mut_slice()
            .copy_from_slice(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.5]);
        assert_eq!(
            format!("{m:?}"),
            "KernelMatrix { rows: 3, cols: 2, huge_page_mapping: false, \
             entries: [[0.0, 1.0], [2.0, 3.0], [4.0, 5.5]] }"
        );
        let large = KernelMatrix::zeros(1000, 1000).unwrap();
        let text = format!("{large:?}");
        assert!(text.len() < 300, "{text}");
        assert!(text.starts_with("KernelMatrix { rows: 1000, cols: 1000, huge_page_mapping: true"));
        assert!(text.ends_with("entries: [[0.0, 0.0, 0.0, 0.0, …], [0.0, 0.0, 0.0, 0.0, …], [0.0, 0.0, 0.0, 0.0, …], [0.0, 0.0, 0.0, 0.0, …], …] }"), "{text}");
    }

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
                KernelMatrix::zeros(rows, cols),
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
