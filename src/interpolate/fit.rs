//! One fit: the saddle-point system `[[K + S, P], [Pᵀ, 0]] [c; a] = [d; 0]` on a set of data
//! points, assembled from the crate's symmetric kernel matrix and solved by faer, and its
//! evaluation by the matrix-free cross products.

use std::time::Instant;

use faer::dyn_stack::{MemBuffer, MemStack, StackReq};
use faer::linalg::solvers::Solve;
use faer::prelude::{Reborrow, ReborrowMut};
use faer::{Mat, MatMut, Par};
use rayon::prelude::*;

use crate::error::Error;
use crate::interpolate::polynomial::Polynomial;
use crate::interpolate::{Solver, Timings};
use crate::kernels::Kernel;
use crate::matrix::KernelMatrix;
use crate::nodes::Nodes;
use crate::plan::Plan;

/// Evaluation points per task of the polynomial part.
const POLYNOMIAL_CHUNK: usize = 1024;

/// The interpolant of one set of data points: the kernel coefficients and the polynomial.
#[derive(Clone, Debug)]
pub(crate) struct Fit {
    /// The data points (the kernel's centres).
    pub(crate) centres: Nodes,
    /// `N × m` row-major: the kernel coefficients of each value column.
    pub(crate) coefficients: Vec<f64>,
    /// The monomials and their affine map.
    pub(crate) polynomial: Polynomial,
    /// `M × m` row-major: the polynomial coefficients.
    pub(crate) polynomial_coefficients: Vec<f64>,
}

/// What a fit needs besides the data.
pub(crate) struct FitInputs<'a> {
    pub(crate) kernel: Kernel,
    pub(crate) degree: i32,
    pub(crate) plan: &'a Plan<Kernel>,
    pub(crate) solver: Solver,
}

impl Fit {
    /// Fits `values` (`N × m` row-major) at `points` with per-point `smoothing`.
    ///
    /// # Errors
    /// [`Error::PolynomialRankDeficient`], [`Error::SingularSystem`], allocation errors.
    pub(crate) fn new(
        points: Nodes,
        values: &[f64],
        m: usize,
        smoothing: &[f64],
        inputs: &FitInputs<'_>,
        timings: &mut Timings,
    ) -> Result<Fit, Error> {
        let n = points.len();
        let polynomial = Polynomial::new(&points, inputs.degree);
        let monomials = polynomial.len();
        let size = n + monomials;

        // The polynomial block, N × M, and its rank (scipy raises on a rank-deficient one: the
        // system is then singular whatever the smoothing).
        let started = Instant::now();
        let mut p = Mat::<f64>::zeros(n, monomials);
        let (mut scaled, mut row) = (vec![0.0; points.dim()], vec![0.0; monomials]);
        for i in 0..n {
            polynomial.monomials_at(&points, i, &mut scaled, &mut row);
            for (k, &value) in row.iter().enumerate() {
                p[(i, k)] = value;
            }
        }
        if monomials > 0 {
            let rank = rank(&p)?;
            if rank < monomials {
                return Err(Error::PolynomialRankDeficient { rank, monomials });
            }
        }
        timings.assembly += started.elapsed();

        // The system in one buffer, size × size: K computed by the crate's symmetric schedule
        // into its first n² entries, its rows then moved (from the last) to their places at
        // stride `size`, and the polynomial block and smoothing written around them. The
        // system is symmetric, so the row-major buffer is also its column-major storage (faer's
        // preferred layout), and faer factorizes it in place: no second copy of the matrix.
        // A KernelMatrix's memory: checked against what the system can give, huge pages,
        // zero until first touched (by the threads that compute K).
        let mut storage = KernelMatrix::zeros(size, size)?;
        let buffer = storage.as_mut_slice();

        let started = Instant::now();
        inputs
            .plan
            .kernel_matrix_into(&points, &mut buffer[..n * n])?;
        timings.kernel_matrix += started.elapsed();

        let started = Instant::now();
        // Row i moves from i·n to i·size ≥ i·n: from the last row down, no row is overwritten
        // before it has moved. The rest of the buffer (rows n.., past n·size) is still zero.
        for i in (1..n).rev() {
            buffer.copy_within(i * n..(i + 1) * n, i * size);
        }
        for i in 0..n {
            buffer[i * size + i] += smoothing[i];
            for k in 0..monomials {
                buffer[i * size + n + k] = p[(i, k)];
                buffer[(n + k) * size + i] = p[(i, k)];
            }
        }
        let mut rhs =
            Mat::<f64>::from_fn(size, m, |i, c| if i < n { values[i * m + c] } else { 0.0 });
        timings.assembly += started.elapsed();

        let started = Instant::now();
        let system = MatMut::from_column_major_slice_mut(buffer, size, size);
        solve_in_place(
            system,
            inputs.solver,
            inputs.plan.thread_count(),
            rhs.as_mut(),
        );
        timings.factorization += started.elapsed();
        drop(storage);
        let solution = rhs;

        // faer does not report a zero pivot: a singular system shows as non-finite
        // coefficients (the data are finite, so nothing else can make them so).
        let finite = (0..m).all(|c| (0..size).all(|i| solution[(i, c)].is_finite()));
        if !finite {
            return Err(Error::SingularSystem { size });
        }
        let coefficients = (0..n)
            .flat_map(|i| (0..m).map(move |c| (i, c)))
            .map(|(i, c)| solution[(i, c)])
            .collect();
        let polynomial_coefficients = (0..monomials)
            .flat_map(|k| (0..m).map(move |c| (k, c)))
            .map(|(k, c)| solution[(n + k, c)])
            .collect();
        Ok(Fit {
            centres: points,
            coefficients,
            polynomial,
            polynomial_coefficients,
        })
    }

    /// The interpolant at `points` into `out` (`P × m` row-major): the kernel sum by the
    /// matrix-free cross product, then the polynomial.
    pub(crate) fn evaluate_into(
        &self,
        plan: &Plan<Kernel>,
        points: &Nodes,
        m: usize,
        out: &mut [f64],
    ) -> Result<(), Error> {
        plan.cross_apply_many(points, &self.centres, &self.coefficients, m, out)?;
        let monomials = self.polynomial.len();
        if monomials == 0 {
            return Ok(());
        }
        let dim = points.dim();
        let add = |(chunk, rows): (usize, &mut [f64])| {
            let (mut scaled, mut row) = (vec![0.0; dim], vec![0.0; monomials]);
            for (r, values) in rows.chunks_exact_mut(m).enumerate() {
                let i = chunk * POLYNOMIAL_CHUNK + r;
                self.polynomial
                    .monomials_at(points, i, &mut scaled, &mut row);
                for (c, value) in values.iter_mut().enumerate() {
                    *value += row
                        .iter()
                        .zip(self.polynomial_coefficients.iter().skip(c).step_by(m))
                        .map(|(x, a)| x * a)
                        .sum::<f64>();
                }
            }
        };
        if plan.thread_count() == 1 {
            out.chunks_mut(POLYNOMIAL_CHUNK * m)
                .enumerate()
                .for_each(add);
        } else {
            out.par_chunks_mut(POLYNOMIAL_CHUNK * m)
                .enumerate()
                .for_each(add);
        }
        Ok(())
    }
}

/// Solves `system · x = rhs` in place (the system overwritten by its factors, `rhs` by the
/// solution) with faer, on `threads` threads (0: rayon's pool).
fn solve_in_place(
    mut system: MatMut<'_, f64>,
    solver: Solver,
    threads: usize,
    mut rhs: MatMut<'_, f64>,
) {
    let size = system.nrows();
    let par = if threads == 1 {
        Par::Seq
    } else {
        Par::rayon(threads)
    };
    match solver {
        Solver::Lu => {
            use faer::linalg::lu::partial_pivoting::{factor, solve};
            let scratch = StackReq::any_of(&[
                factor::lu_in_place_scratch::<usize, f64>(size, size, par, Default::default()),
                solve::solve_in_place_scratch::<usize, f64>(size, rhs.ncols(), par),
            ]);
            let mut memory = MemBuffer::new(scratch);
            let stack = MemStack::new(&mut memory);
            let (mut perm, mut perm_inv) = (vec![0usize; size], vec![0usize; size]);
            let (_, row_perm) = factor::lu_in_place(
                system.rb_mut(),
                &mut perm,
                &mut perm_inv,
                par,
                stack,
                Default::default(),
            );
            solve::solve_in_place(system.rb(), system.rb(), row_perm, rhs.rb_mut(), par, stack);
        }
        Solver::Lblt => {
            let factors = system.rb().lblt(faer::Side::Lower);
            factors.solve_in_place(rhs.rb_mut());
        }
    }
}

/// The numerical rank of `p` as numpy's `matrix_rank` counts it: singular values above
/// `σ_max · max(rows, cols) · ε`.
fn rank(p: &Mat<f64>) -> Result<usize, Error> {
    let singular = p
        .singular_values()
        .map_err(|_| Error::SingularSystem { size: p.ncols() })?;
    let largest = singular.iter().copied().fold(0.0, f64::max);
    let tolerance = largest * p.nrows().max(p.ncols()) as f64 * f64::EPSILON;
    Ok(singular.iter().filter(|&&s| s > tolerance).count())
}
