//! One fit: the saddle-point system `[[K + S, P], [Pᵀ, 0]] [c; a] = [d; 0]` on a set of data
//! points, assembled from the crate's symmetric kernel matrix and solved by faer, and its
//! evaluation by the matrix-free cross products.

use std::time::Instant;

use faer::Mat;
use faer::linalg::solvers::Solve;
use rayon::prelude::*;

use crate::error::Error;
use crate::interpolate::polynomial::Polynomial;
use crate::interpolate::{Solver, Timings};
use crate::kernels::Kernel;
use crate::memory::check_available;
use crate::nodes::Nodes;
use crate::plan::Plan;

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
        let mut p = Mat::<f64>::zeros(n, monomials);
        let mut row = vec![0.0; monomials];
        for i in 0..n {
            polynomial.monomials_at(&points.coordinates(i), &mut row);
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

        // K: the crate's symmetric schedule, then the system around it.
        let bytes = size.saturating_mul(size).saturating_mul(size_of::<f64>());
        check_available(bytes.saturating_mul(2)).map_err(|available| Error::AllocationFailed {
            rows: size,
            cols: size,
            bytes,
            available: Some(available),
        })?;
        let started = Instant::now();
        let k = inputs.plan.kernel_matrix(&points)?;
        timings.kernel_matrix += started.elapsed();

        let started = Instant::now();
        let kernel = k.as_slice();
        let system = Mat::<f64>::from_fn(size, size, |i, j| match (i < n, j < n) {
            (true, true) => kernel[i * n + j] + if i == j { smoothing[i] } else { 0.0 },
            (true, false) => p[(i, j - n)],
            (false, true) => p[(j, i - n)],
            (false, false) => 0.0,
        });
        drop(k);
        let rhs = Mat::<f64>::from_fn(size, m, |i, c| if i < n { values[i * m + c] } else { 0.0 });
        timings.assembly += started.elapsed();

        let started = Instant::now();
        let solution = match inputs.solver {
            Solver::Lu => system.partial_piv_lu().solve(&rhs),
            Solver::Lblt => system.lblt(faer::Side::Lower).solve(&rhs),
        };
        timings.factorization += started.elapsed();
        drop(system);

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
        let add = |(i, values): (usize, &mut [f64])| {
            let mut row = vec![0.0; monomials];
            self.polynomial
                .monomials_at(&points.coordinates(i), &mut row);
            for (c, value) in values.iter_mut().enumerate() {
                *value += row
                    .iter()
                    .zip(self.polynomial_coefficients.iter().skip(c).step_by(m))
                    .map(|(x, a)| x * a)
                    .sum::<f64>();
            }
        };
        if plan.thread_count() == 1 {
            out.chunks_exact_mut(m).enumerate().for_each(add);
        } else {
            out.par_chunks_exact_mut(m).enumerate().for_each(add);
        }
        Ok(())
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
