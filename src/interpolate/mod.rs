//! RBF interpolation on the crate's kernel engine: scipy's `RBFInterpolator` model — the same
//! kernels, options, defaults and errors — fitted with the symmetric kernel-matrix schedule and
//! a dense solver (faer), evaluated by the matrix-free cross products (never a P × N matrix).
//!
//! ```
//! use pairkernel::Nodes;
//! use pairkernel::interpolate::RbfInterpolator;
//!
//! // f(x, y) = x + 2y sampled at five points in the plane.
//! let points = Nodes::from_arrays(&[[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.3, 0.6]])?;
//! let values: Vec<f64> = (0..points.len()).map(|i| {
//!     let p = points.coordinates(i);
//!     p[0] + 2.0 * p[1]
//! }).collect();
//!
//! // scipy's defaults: thin-plate spline, a degree-1 polynomial, no smoothing, global.
//! let rbf = RbfInterpolator::builder().fit(&points, &values, 1)?;
//! let at = Nodes::from_arrays(&[[0.5, 0.5], [0.25, 0.75]])?;
//! let f = rbf.evaluate(&at)?;
//! assert!((f[0] - 1.5).abs() < 1e-12 && (f[1] - 1.75).abs() < 1e-12); // degree-1 exact
//!
//! // Other kernels by scipy's names; epsilon is required where scipy requires it.
//! let gaussian = RbfInterpolator::builder().kernel("gaussian").epsilon(2.0).fit(&points, &values, 1)?;
//! assert!((gaussian.evaluate(&points)?[4] - values[4]).abs() < 1e-9); // interpolates its data
//! assert!(RbfInterpolator::builder().kernel("gaussian").fit(&points, &values, 1).is_err());
//! # Ok::<(), pairkernel::Error>(())
//! ```
//!
//! The fit solves `[[K + S, P], [Pᵀ, 0]] [c; a] = [d; 0]`: K the kernel matrix of the data
//! points (at ε·r), S the smoothing on its diagonal, P the monomials up to the degree on
//! coordinates shifted to the data's bounding-box centre and scaled by its half-widths (scipy's
//! map: data at 10⁵⁰ scale and 10⁵⁵ shift fit as the unit box does). Evaluation computes
//! `Σⱼ φ(ε|x − yⱼ|)·cⱼ` with [`Plan::cross_apply_many`] (the m value columns as right-hand
//! sides, O((P + N)·m) memory) and adds the polynomial.
//!
//! With `neighbors(k)`, each evaluation point uses the interpolant of its k nearest data
//! points (a k-d tree from `kiddo`); evaluation points that share a neighbourhood share one
//! local fit.

mod fit;
mod local;
mod polynomial;
#[cfg(feature = "serde")]
mod saved;

use std::time::Duration;

use crate::arithmetic::Accuracy;
use crate::error::Error;
use crate::kernels::Kernel;
use crate::nodes::Nodes;
use crate::plan::Plan;
use fit::{Fit, FitInputs};

/// The smallest polynomial degree that makes the kernel's interpolation problem uniquely
/// solvable (the kernel's order of conditional positive definiteness minus one), as scipy
/// defines it; −1 where none is needed.
///
/// ```
/// use pairkernel::{Kernel, interpolate::min_degree};
/// assert_eq!(min_degree(&Kernel::ThinPlateSpline { epsilon: 1.0 }), 1);
/// assert_eq!(min_degree(&Kernel::Quintic { epsilon: 1.0 }), 2);
/// assert_eq!(min_degree(&Kernel::Gaussian { epsilon: 1.0 }), -1);
/// ```
pub fn min_degree(kernel: &Kernel) -> i32 {
    match *kernel {
        Kernel::Linear { .. } | Kernel::Multiquadric { .. } => 0,
        Kernel::Phi | Kernel::ThinPlateSpline { .. } | Kernel::Cubic { .. } => 1,
        Kernel::Quintic { .. } => 2,
        // r^k for odd k: (k − 1)/2; r^k ln r for even k: k/2.
        Kernel::Polyharmonic { degree, .. } => (degree / 2) as i32,
        _ => -1,
    }
}

/// The dense solver of the fit's saddle-point system (both faer's).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Solver {
    /// LU with partial pivoting (LAPACK's `dgesv`, as scipy uses).
    #[default]
    Lu,
    /// The symmetric indefinite factorization `LBLᵀ` (Bunch–Kaufman): the system is
    /// symmetric, so half the arithmetic of an LU.
    Lblt,
}

/// Smoothing: one value for every data point, or one per data point.
#[derive(Clone, Debug, PartialEq)]
pub enum Smoothing {
    /// The same smoothing for every data point (scipy's scalar `smoothing`).
    Uniform(f64),
    /// One value per data point.
    PerPoint(Vec<f64>),
}

/// Something about a fit that is allowed but that the caller should know (scipy warns).
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Diagnostic {
    /// The degree is below the kernel's minimum ([`min_degree`]): the interpolant may not be
    /// uniquely solvable, and smoothing may have an unintuitive effect.
    DegreeBelowMinimum {
        /// The degree asked for.
        degree: i32,
        /// The kernel's minimum.
        minimum: i32,
        /// The kernel's name.
        kernel: String,
    },
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Diagnostic::DegreeBelowMinimum {
                degree,
                minimum,
                kernel,
            } => write!(
                f,
                "`degree` should not be below {minimum} except -1 when `kernel` is '{kernel}' \
                 (it is {degree}). The interpolant may not be uniquely solvable, and the \
                 smoothing parameter may have an unintuitive effect."
            ),
        }
    }
}

/// Where a fit's time went (summed over the local fits with `neighbors`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Timings {
    /// Computing the kernel matrix (the crate's symmetric schedule).
    pub kernel_matrix: Duration,
    /// Building the system around it (copies into faer's matrix, the polynomial block).
    pub assembly: Duration,
    /// Factorizing and solving (faer).
    pub factorization: Duration,
}

/// The options of a fit, with scipy's defaults: [`RbfInterpolator::builder`].
#[derive(Clone, Debug)]
pub struct RbfBuilder {
    kernel: String,
    epsilon: Option<f64>,
    degree: Option<i32>,
    smoothing: Smoothing,
    neighbors: Option<usize>,
    solver: Solver,
    plan: Plan,
}

impl Default for RbfBuilder {
    fn default() -> Self {
        RbfBuilder {
            kernel: "thin_plate_spline".into(),
            epsilon: None,
            degree: None,
            smoothing: Smoothing::Uniform(0.0),
            neighbors: None,
            solver: Solver::default(),
            // The first round's entry arithmetic (within 11 ulp, deterministic like the
            // default): the solve's error, κ·ε, dwarfs either, and evaluation runs about 2×
            // faster (measured on Zen 3: 0.91–1.16 against 0.51–0.60 G pair evaluations/s).
            plan: Plan::default().accuracy(Accuracy::Fast),
        }
    }
}

impl RbfBuilder {
    /// The kernel, by scipy's name (`linear`, `thin_plate_spline` — the default —, `cubic`,
    /// `quintic`, `multiquadric`, `inverse_multiquadric`, `inverse_quadratic`, `gaussian`), or
    /// this crate's `phi` and `polyharmonic<k>`.
    pub fn kernel(mut self, name: &str) -> Self {
        self.kernel = name.into();
        self
    }

    /// The shape parameter ε: required for `multiquadric`, `inverse_multiquadric`,
    /// `inverse_quadratic` and `gaussian`; 1 by default for the others, which do not depend on
    /// it (up to a constant factor that the coefficients absorb).
    pub fn epsilon(mut self, epsilon: f64) -> Self {
        self.epsilon = Some(epsilon);
        self
    }

    /// The degree of the added polynomial; −1 for none. By default the kernel's
    /// [`min_degree`], or 0 if it has none.
    pub fn degree(mut self, degree: i32) -> Self {
        self.degree = Some(degree);
        self
    }

    /// The same smoothing at every data point (0, the default, interpolates).
    pub fn smoothing(mut self, smoothing: f64) -> Self {
        self.smoothing = Smoothing::Uniform(smoothing);
        self
    }

    /// One smoothing value per data point.
    pub fn smoothing_per_point(mut self, smoothing: Vec<f64>) -> Self {
        self.smoothing = Smoothing::PerPoint(smoothing);
        self
    }

    /// Each evaluation point uses the interpolant of its `k` nearest data points (at most all
    /// of them); `None` (the default) for the global interpolant.
    pub fn neighbors(mut self, k: Option<usize>) -> Self {
        self.neighbors = k;
        self
    }

    /// The dense solver ([`Solver::Lu`] by default).
    pub fn solver(mut self, solver: Solver) -> Self {
        self.solver = solver;
        self
    }

    /// The plan (threads, accuracy, tiles) for the kernel matrices and products; its kernel
    /// is replaced by the interpolator's. By default all threads and [`Accuracy::Fast`]
    /// entries: an interpolant's accuracy is bounded by the solve (κ·ε), not by the entries'
    /// last ulps, and the fast arithmetic evaluates about twice as fast.
    pub fn plan(mut self, plan: Plan) -> Self {
        self.plan = plan;
        self
    }

    /// Fits the interpolant to `values` at `points`: `values` is `N × m` row-major (m values
    /// per point, m ≥ 1).
    ///
    /// # Errors
    /// [`Error::UnknownKernel`], [`Error::EpsilonRequired`], [`Error::InvalidKernel`],
    /// [`Error::InvalidDegree`], [`Error::ValuesLength`], [`Error::NonFiniteData`],
    /// [`Error::InvalidSmoothing`], [`Error::InvalidNeighbors`], [`Error::TooFewDataPoints`],
    /// [`Error::PolynomialRankDeficient`], [`Error::SingularSystem`], and the kernel
    /// matrix's allocation errors.
    pub fn fit(&self, points: &Nodes, values: &[f64], m: usize) -> Result<RbfInterpolator, Error> {
        self.fit_timed(points, values, m).map(|(rbf, _)| rbf)
    }

    /// [`RbfBuilder::fit`], with where the time went.
    ///
    /// # Errors
    /// As [`RbfBuilder::fit`].
    pub fn fit_timed(
        &self,
        points: &Nodes,
        values: &[f64],
        m: usize,
    ) -> Result<(RbfInterpolator, Timings), Error> {
        let kernel = self.resolve_kernel()?;
        let minimum = min_degree(&kernel);
        let degree = self.degree.unwrap_or(minimum.max(0));
        let mut diagnostics = Vec::new();
        if degree < -1 {
            return Err(Error::InvalidDegree { degree });
        }
        if degree < minimum {
            diagnostics.push(Diagnostic::DegreeBelowMinimum {
                degree,
                minimum,
                kernel: kernel.name(),
            });
        }
        let n = points.len();
        if m == 0 || Some(values.len()) != n.checked_mul(m) {
            return Err(Error::ValuesLength {
                expected: n.saturating_mul(m),
                got: values.len(),
                points: n,
                m,
            });
        }
        if let Some(index) = values.iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFiniteData {
                point: index / m,
                column: index % m,
                value: values[index],
            });
        }
        let smoothing = match &self.smoothing {
            Smoothing::Uniform(s) => vec![*s; n],
            Smoothing::PerPoint(s) if s.len() == n => s.clone(),
            Smoothing::PerPoint(s) => {
                return Err(Error::InvalidSmoothing {
                    reason: format!("expected one value per data point ({n}), got {}", s.len()),
                });
            }
        };
        if let Some(i) = smoothing.iter().position(|s| !s.is_finite()) {
            return Err(Error::InvalidSmoothing {
                reason: format!("smoothing[{i}] is not finite ({})", smoothing[i]),
            });
        }
        let neighbors = match self.neighbors {
            Some(0) => return Err(Error::InvalidNeighbors { neighbors: 0 }),
            Some(k) => Some(k.min(n)),
            None => None,
        };
        let monomials = polynomial::monomial_count(points.dim(), degree);
        let observed = neighbors.unwrap_or(n);
        if observed < monomials {
            return Err(Error::TooFewDataPoints {
                required: monomials,
                got: observed,
                degree,
                dim: points.dim(),
            });
        }

        let plan = self.plan.clone().kernel(kernel);
        let mut timings = Timings::default();
        let model = match neighbors {
            None => {
                let inputs = FitInputs {
                    kernel,
                    degree,
                    plan: &plan,
                    solver: self.solver,
                };
                Model::Global(Fit::new(
                    points.clone(),
                    values,
                    m,
                    &smoothing,
                    &inputs,
                    &mut timings,
                )?)
            }
            Some(k) => Model::Local(local::Local::new(points, values, smoothing, k)),
        };
        Ok((
            RbfInterpolator {
                kernel,
                degree,
                m,
                dim: points.dim(),
                solver: self.solver,
                plan,
                model,
                diagnostics,
            },
            timings,
        ))
    }

    /// The kernel of the name and ε, with scipy's rule for ε.
    fn resolve_kernel(&self) -> Result<Kernel, Error> {
        let scale_invariant = matches!(
            self.kernel.as_str(),
            "phi" | "linear" | "thin_plate_spline" | "cubic" | "quintic"
        ) || self.kernel.starts_with("polyharmonic");
        // An unknown name is reported as such, before any complaint about ε.
        let kernel = Kernel::from_name(&self.kernel, Some(self.epsilon.unwrap_or(1.0)))?;
        if self.epsilon.is_none() && !scale_invariant {
            return Err(Error::EpsilonRequired {
                kernel: self.kernel.clone(),
            });
        }
        Ok(kernel)
    }
}

/// A fitted RBF interpolant (scipy's `RBFInterpolator`): [`RbfInterpolator::builder`] fits
/// one, [`RbfInterpolator::evaluate`] evaluates it. Safe to share between threads:
/// evaluation takes `&self`.
///
/// With the `serde` feature (on by default) it can be saved and loaded: the kernel by name
/// and ε, the coefficients and the polynomial (or, with `neighbors`, the data); loading checks
/// what it reads and returns [`Error::InvalidSaved`] or the node and kernel errors. The plan
/// is not saved: a loaded interpolant evaluates with the builder's default plan.
#[derive(Clone, Debug)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(into = "saved::Saved", try_from = "saved::Saved")
)]
pub struct RbfInterpolator {
    kernel: Kernel,
    degree: i32,
    m: usize,
    dim: usize,
    solver: Solver,
    plan: Plan,
    model: Model,
    diagnostics: Vec<Diagnostic>,
}

/// The global interpolant, or the data for local ones.
#[derive(Clone, Debug)]
enum Model {
    Global(Fit),
    Local(local::Local),
}

impl RbfInterpolator {
    /// The options, with scipy's defaults.
    pub fn builder() -> RbfBuilder {
        RbfBuilder::default()
    }

    /// The interpolant at `points`: `P × m` values, row-major.
    ///
    /// # Errors
    /// [`Error::EvaluationDimension`] if `points` do not have the data's dimension; the
    /// products' allocation errors; with `neighbors`, a local fit's errors.
    pub fn evaluate(&self, points: &Nodes) -> Result<Vec<f64>, Error> {
        let mut out = vec![0.0; points.len().saturating_mul(self.m)];
        self.evaluate_into(points, &mut out)?;
        Ok(out)
    }

    /// [`RbfInterpolator::evaluate`] into `out` (`P × m` entries).
    ///
    /// # Errors
    /// As [`RbfInterpolator::evaluate`], and [`Error::VectorLength`] for an `out` of the
    /// wrong length.
    pub fn evaluate_into(&self, points: &Nodes, out: &mut [f64]) -> Result<(), Error> {
        self.evaluate_planned(&self.plan, points, out)
    }

    /// [`RbfInterpolator::evaluate`] run by `plan` — its threads, tiles, accuracy, SIMD path
    /// and cancel flag; the kernel stays the interpolant's — without copying the interpolant
    /// (what [`RbfInterpolator::with_plan`] does): for a caller that gives each evaluation
    /// settings of its own, e.g. its own cancel flag. The plan's accuracy replaces the
    /// interpolant's (the builder's default is [`Accuracy::Fast`]):
    /// keep it for the same bits.
    ///
    /// ```
    /// use pairkernel::{Accuracy, Nodes, Plan};
    /// use pairkernel::interpolate::RbfInterpolator;
    /// let data = Nodes::from_flat(&[0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0], 2)?;
    /// let rbf = RbfInterpolator::builder().fit(&data, &[0.0, 1.0, 1.0, 2.0], 1)?;
    /// let at = Nodes::from_flat(&[0.5, 0.5], 2)?;
    /// let serial = rbf.evaluate_with(&Plan::new().accuracy(Accuracy::Fast).threads(1), &at)?;
    /// assert_eq!(serial, rbf.evaluate(&at)?);
    /// # Ok::<(), pairkernel::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`RbfInterpolator::evaluate`], and the plan's own (an invalid tile, too many
    /// threads, [`Error::Cancelled`]).
    pub fn evaluate_with(&self, plan: &Plan, points: &Nodes) -> Result<Vec<f64>, Error> {
        let mut out = vec![0.0; points.len().saturating_mul(self.m)];
        self.evaluate_planned(&plan.clone().kernel(self.kernel), points, &mut out)?;
        Ok(out)
    }

    /// The evaluation by `plan`, whose kernel is the interpolant's.
    fn evaluate_planned(&self, plan: &Plan, points: &Nodes, out: &mut [f64]) -> Result<(), Error> {
        if points.dim() != self.dim {
            return Err(Error::EvaluationDimension {
                expected: self.dim,
                got: points.dim(),
            });
        }
        match &self.model {
            Model::Global(fit) => fit.evaluate_into(plan, points, self.m, out),
            Model::Local(local) => {
                let inputs = FitInputs {
                    kernel: self.kernel,
                    degree: self.degree,
                    plan,
                    solver: self.solver,
                };
                local.evaluate_into(&inputs, points, self.m, out)
            }
        }
    }

    /// The same interpolant evaluated with another plan (threads, accuracy, tiles); its
    /// kernel stays the interpolator's.
    pub fn with_plan(self, plan: Plan) -> RbfInterpolator {
        let plan = plan.kernel(self.kernel);
        RbfInterpolator { plan, ..self }
    }

    /// What the fit reported without failing (e.g. a degree below the kernel's minimum).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The kernel (with its ε).
    pub fn kernel(&self) -> Kernel {
        self.kernel
    }

    /// The degree of the polynomial (−1 for none).
    pub fn degree(&self) -> i32 {
        self.degree
    }

    /// Values per point.
    pub fn value_count(&self) -> usize {
        self.m
    }

    /// Coordinates per point.
    pub fn dim(&self) -> usize {
        self.dim
    }
}
