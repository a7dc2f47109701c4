//! The radial functions: what an entry is, given the squared distance of its two nodes.
//!
//! Every kernel implements one trait, [`RadialFunction`]: φ on lanes of r² (four or eight), plus its plain
//! scalar formula, the reference it is tested against. The micro-kernel (`block.rs`)
//! computes r² in the plan's [`Accuracy`](crate::Accuracy) and hands it over; the kernel decides
//! what it needs (a Gaussian never takes a square root). Schedules never name a kernel: they are
//! generic over it, and [`KernelChoice`] turns a run-time choice ([`Kernel`]) into that type once
//! per call, outside every loop.
//!
//! One file per family: `article.rs` (the article's φ, the default), `polyharmonic.rs`
//! (scipy's `linear`, `cubic`, `quintic`, `thin_plate_spline`, and r^k / r^k·ln r),
//! `quadric.rs` (`multiquadric`, `inverse_multiquadric`, `inverse_quadratic`), `gaussian.rs`.
//! Adding a kernel is a file (or a type in one) and a line in [`Kernel`]'s dispatch.
//!
//! # Shape parameter
//! scipy's kernels are evaluated at ε·r. Here ε² multiplies r² as a double-double product
//! ([`Scale`]), so the scaling adds no rounding that a kernel would have to carry: the kernels
//! see (ε·r)² as accurately as r².

pub(crate) mod article;
mod gaussian;
mod polyharmonic;
mod quadric;

use std::fmt;

use crate::error::Error;
use crate::simd::{Lanes, Portable, Vector};

pub use article::Phi;
pub use gaussian::Gaussian;
pub use polyharmonic::{Cubic, Linear, Polyharmonic, Quintic, ThinPlateSpline};
pub use quadric::{InverseMultiquadric, InverseQuadratic, Multiquadric};

/// Four squared distances as unevaluated sums `square + rest`: `square` is the rounded r², `rest`
/// the small remainder that [`Accuracy::Compensated`](crate::Accuracy::Compensated) carries
/// (about 2⁻¹⁰⁴ of r² from the exact value; zero in [`Accuracy::Fast`](crate::Accuracy::Fast)).
///
/// Where r² overflows, `square` is `+∞` and `rest` is unspecified (it may be NaN): a kernel
/// must give φ(∞) there ([`SquaredDistance::where_overflowed`] does it in one step).
#[derive(Clone, Copy, Debug)]
pub struct SquaredDistance<V> {
    /// r², rounded to f64.
    pub square: V,
    /// The remainder: r² = `square + rest` to about 2⁻¹⁰⁴ relative (compensated order).
    pub rest: V,
}

impl<V: Lanes> SquaredDistance<V> {
    /// A rounded r² with no remainder.
    #[inline(always)]
    pub fn rounded(square: V) -> SquaredDistance<V> {
        SquaredDistance {
            square,
            rest: V::ZERO,
        }
    }

    /// The exact square of `r` (lane by lane), as `r·r` and its rounding error.
    #[inline(always)]
    pub fn of_distance(r: V) -> SquaredDistance<V> {
        let square = r * r;
        SquaredDistance {
            square,
            rest: crate::arithmetic::square_error(r, square),
        }
    }

    /// r² rounded once: `square + rest`.
    #[inline(always)]
    pub fn value(self) -> V {
        self.square + self.rest
    }

    /// `φ` where r² is finite, `at_infinity` where it overflowed.
    #[inline(always)]
    pub fn where_overflowed(self, phi: V, at_infinity: f64) -> V {
        self.square
            .simd_eq(V::splat(f64::INFINITY))
            .select(V::splat(at_infinity), phi)
    }
}

/// ε², the square of a shape parameter, as a double-double (`high + low` exactly ε·ε), and
/// the product with it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scale {
    epsilon: f64,
    high: f64,
    low: f64,
}

impl Scale {
    /// The scale of shape parameter `epsilon` (finite and positive; see [`Scale::check`]).
    pub fn new(epsilon: f64) -> Scale {
        let high = epsilon * epsilon;
        Scale {
            epsilon,
            high,
            low: epsilon.mul_add(epsilon, -high),
        }
    }

    /// The shape parameter ε.
    pub fn epsilon(&self) -> f64 {
        self.epsilon
    }

    /// [`Error::InvalidKernel`] unless ε is finite and positive.
    pub fn check(&self, kernel: &str) -> Result<(), Error> {
        if self.epsilon.is_finite() && self.epsilon > 0.0 {
            Ok(())
        } else {
            Err(Error::InvalidKernel {
                kernel: kernel.to_string(),
                reason: format!("epsilon must be finite and positive, got {}", self.epsilon),
            })
        }
    }

    /// (ε·r)² from r²: `square·ε²` by an exact product (one FMA for its rounding error), the
    /// cross terms folded into the remainder. Four operations; for ε = 1 the same bits as `r2`.
    #[inline(always)]
    pub fn apply<V: Lanes>(&self, r2: SquaredDistance<V>) -> SquaredDistance<V> {
        let high = V::splat(self.high);
        let square = r2.square * high;
        let error = r2.square.mul_add(high, -square);
        let rest = r2
            .square
            .mul_add(V::splat(self.low), r2.rest.mul_add(high, error));
        SquaredDistance { square, rest }
    }

    /// (ε·r) for the scalar references.
    pub fn distance(&self, r: f64) -> f64 {
        self.epsilon * r
    }
}

/// A radial function on SIMD lanes, with its plain scalar reference: implement it once and
/// every schedule (dense, symmetric, cross, matrix-free) computes your kernel, on every SIMD
/// path ([`crate::simd`]).
///
/// `lanes` is generic over the lane type ([`Lanes`]): the crate compiles it once per path,
/// with that path's instructions. Mark it `#[inline(always)]`, as the built-in kernels are:
/// it is then compiled into each path's loops (without it, it still gives the same bits, but
/// may be called out of line with every operation a function call).
///
/// ```
/// use pairkernel::kernels::{RadialFunction, SquaredDistance};
/// use pairkernel::simd::Lanes;
/// use pairkernel::{Nodes, Plan};
///
/// /// φ(r) = 1 / (1 + r²)², a kernel scipy does not have.
/// #[derive(Clone, Debug)]
/// struct InverseQuadraticSquared;
///
/// impl RadialFunction for InverseQuadraticSquared {
///     #[inline(always)]
///     fn lanes<V: Lanes>(&self, r2: SquaredDistance<V>) -> V {
///         let t = V::ONE / (V::ONE + r2.value());
///         r2.where_overflowed(t * t, 0.0)
///     }
///     fn reference(&self, r: f64) -> f64 {
///         1.0 / (1.0 + r * r).powi(2)
///     }
/// }
///
/// let nodes = Nodes::from_flat(&[0.0, 0.0, 1.0, 0.0, 0.0, 2.0], 2)?;
/// let d = Plan::new().kernel(InverseQuadraticSquared).kernel_matrix(&nodes)?;
/// assert_eq!(d[(0, 1)], 0.25);
/// assert_eq!(d[(1, 2)], d[(2, 1)]); // symmetric, bit for bit, like every kernel's
/// # Ok::<(), pairkernel::Error>(())
/// ```
pub trait RadialFunction: Send + Sync {
    /// φ at four squared distances. `r2.square` is `+∞` where r² overflowed (then `r2.rest` may
    /// be NaN): return φ(∞) there (see [`SquaredDistance::where_overflowed`]).
    fn lanes<V: Lanes>(&self, r2: SquaredDistance<V>) -> V;

    /// φ for [`Accuracy::Fast`](crate::Accuracy::Fast): r² rounded, no remainder. By default
    /// [`RadialFunction::lanes`] with a zero remainder; override it with a cheaper formula.
    #[inline(always)]
    fn lanes_fast<V: Lanes>(&self, r2: V) -> V {
        self.lanes(SquaredDistance::rounded(r2))
    }

    /// Whether [`RadialFunction::lanes_fast`] is a formula of a few operations (the article's φ
    /// and the cubic: a square root and two or three more), so that an
    /// [`Accuracy::Fast`](crate::Accuracy::Fast) entry costs less than its stores. It steers
    /// [`Schedule::Auto`](crate::Schedule::Auto) only: such entries fill a new square matrix
    /// fastest by rows, whose in-order page faults cost less than the half of the arithmetic
    /// the symmetric schedule saves (see
    /// [`machine::auto_choices`](crate::machine::auto_choices)). `false` by default; set it
    /// when you override `lanes_fast` with a cheap formula.
    const FAST_IS_CHEAP: bool = false;

    /// The plain scalar formula φ(r): the reference the fast paths are tested against.
    fn reference(&self, r: f64) -> f64;

    /// φ(r) for one distance, through [`RadialFunction::lanes`] with r² carried exactly: the
    /// entry of two nodes `r` apart along one axis.
    fn at(&self, r: f64) -> f64 {
        // The portable path: every path gives the same bits.
        self.lanes(SquaredDistance::of_distance(Portable::splat(r)))
            .to_array()[0]
    }
}

/// A kernel a [`Plan`](crate::Plan) can compute with: every [`RadialFunction`] (your own
/// included) and the run-time choice among the built-in ones, [`Kernel`].
///
/// It turns the choice into one concrete type once per call (outside every loop), so a
/// schedule is compiled for each kernel it runs.
pub trait KernelChoice: Clone + fmt::Debug + Send + Sync {
    /// Runs `job` with the concrete radial function.
    #[doc(hidden)]
    #[allow(private_bounds, private_interfaces)]
    fn dispatch<J: KernelJob>(&self, job: J) -> J::Output;

    /// Runs a dense fill with the concrete radial function. Not generic, so that for
    /// [`Kernel`] the schedules of every kernel are compiled once, in this crate, not again in
    /// every crate that calls a plan (optimised builds do not share generic code between
    /// crates: each test binary compiled all of them, minutes each).
    #[doc(hidden)]
    #[allow(private_interfaces)]
    fn run_fill(&self, job: crate::plan::FillJob<'_>) -> Result<(), Error>;

    /// Runs a matrix-free product with the concrete radial function (see
    /// [`KernelChoice::run_fill`]).
    #[doc(hidden)]
    #[allow(private_interfaces)]
    fn run_apply(&self, job: crate::plan::ApplyJob<'_>) -> Result<(), Error>;

    /// Checks the kernel's parameters; called before any work.
    ///
    /// # Errors
    /// [`Error::InvalidKernel`] where a parameter is out of range.
    fn check(&self) -> Result<(), Error> {
        Ok(())
    }

    /// The name shown in bench output and errors.
    fn label(&self) -> String {
        format!("{self:?}")
    }

    /// φ(r) through the kernel's lane code, as an entry of two nodes `r` apart along one axis
    /// ([`RadialFunction::at`]).
    ///
    /// ```
    /// use pairkernel::{Kernel, KernelChoice};
    /// assert_eq!(Kernel::Gaussian { epsilon: 1.0 }.phi(0.0), 1.0);
    /// assert_eq!(Kernel::Phi.phi(2.0), pairkernel::phi(2.0));
    /// ```
    fn phi(&self, r: f64) -> f64 {
        self.dispatch(At(r))
    }

    /// φ(r) by the kernel's plain scalar formula ([`RadialFunction::reference`]).
    fn phi_reference(&self, r: f64) -> f64 {
        self.dispatch(Reference(r))
    }
}

/// Work generic over the radial function: what [`KernelChoice::dispatch`] runs.
pub(crate) trait KernelJob {
    /// What the work returns.
    type Output;
    /// Does it, with `kernel`.
    fn run<F: RadialFunction>(self, kernel: &F) -> Self::Output;
}

impl<F: RadialFunction + Clone + fmt::Debug> KernelChoice for F {
    #[allow(private_bounds, private_interfaces)]
    fn dispatch<J: KernelJob>(&self, job: J) -> J::Output {
        job.run(self)
    }

    #[allow(private_interfaces)]
    fn run_fill(&self, job: crate::plan::FillJob<'_>) -> Result<(), Error> {
        job.run(self)
    }

    #[allow(private_interfaces)]
    fn run_apply(&self, job: crate::plan::ApplyJob<'_>) -> Result<(), Error> {
        job.run(self)
    }
}

/// The built-in kernels, chosen at run time: the article's φ (the default) and scipy's
/// `RBFInterpolator` kernels with the same names and definitions, evaluated at ε·r as scipy
/// does, plus the polyharmonic family.
///
/// | kernel | φ(r) at ε·r | [`Kernel::from_name`] | bound from exact (ulp) |
/// |---|---|---|---|
/// | [`Kernel::Phi`] | r³/12 + r²/6 (no ε) | `phi` | 2 |
/// | [`Kernel::Linear`] | −r | `linear` | 1.5 |
/// | [`Kernel::ThinPlateSpline`] | r²·ln r (0 at 0) | `thin_plate_spline` | 4 |
/// | [`Kernel::Cubic`] | r³ | `cubic` | 1.5 |
/// | [`Kernel::Quintic`] | −r⁵ | `quintic` | 1.5 |
/// | [`Kernel::Multiquadric`] | −√(1 + r²) | `multiquadric` | 1.5 |
/// | [`Kernel::InverseMultiquadric`] | 1/√(1 + r²) | `inverse_multiquadric` | 2.5 |
/// | [`Kernel::InverseQuadratic`] | 1/(1 + r²) | `inverse_quadratic` | 2 |
/// | [`Kernel::Gaussian`] | exp(−r²) | `gaussian` | 3 |
/// | [`Kernel::Polyharmonic`] | r^k (odd k), r^k·ln r (even k) | `polyharmonic<k>` | ⌊k/2⌋ + 2.5, at least 4 |
///
/// Relative bounds, in ulp of the exact value of the given f64 coordinates and ε, for results
/// in the normal range (a subnormal Gaussian value is within the same bound in units of the
/// smallest subnormal). `thin_plate_spline` keeps its relative bound where it cancels, at
/// r = 1: r² is carried exactly there, so ln r² comes out relatively accurate. The same on
/// every SIMD path and in every build.
/// The bounds are those of the default [`Accuracy`](crate::Accuracy), from each family's error
/// analysis (in its module) and asserted by a worst-case hunt in `tests/kernels_accuracy.rs`;
/// the README has the worst cases found.
///
/// ```
/// use pairkernel::{Kernel, Nodes, Plan};
/// let nodes = Nodes::from_flat(&[0.0, 0.0, 3.0, 4.0], 2)?;
/// let gaussian = Kernel::from_name("gaussian", Some(0.5))?;
/// let d = Plan::new().kernel(gaussian).kernel_matrix(&nodes)?;
/// assert!((d[(0, 1)] - (-6.25f64).exp()).abs() <= 2.0 * f64::EPSILON * d[(0, 1)]);
/// assert_eq!(d[(0, 0)], 1.0);
/// # Ok::<(), pairkernel::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[non_exhaustive]
pub enum Kernel {
    /// The article's cubic, φ(r) = r³/12 + r²/6 (no shape parameter). The default.
    #[default]
    Phi,
    /// −εr.
    Linear {
        /// The shape parameter ε.
        epsilon: f64,
    },
    /// (εr)²·ln(εr), 0 at r = 0.
    ThinPlateSpline {
        /// The shape parameter ε.
        epsilon: f64,
    },
    /// (εr)³.
    Cubic {
        /// The shape parameter ε.
        epsilon: f64,
    },
    /// −(εr)⁵.
    Quintic {
        /// The shape parameter ε.
        epsilon: f64,
    },
    /// −√(1 + (εr)²).
    Multiquadric {
        /// The shape parameter ε.
        epsilon: f64,
    },
    /// 1/√(1 + (εr)²).
    InverseMultiquadric {
        /// The shape parameter ε.
        epsilon: f64,
    },
    /// 1/(1 + (εr)²).
    InverseQuadratic {
        /// The shape parameter ε.
        epsilon: f64,
    },
    /// exp(−(εr)²).
    Gaussian {
        /// The shape parameter ε.
        epsilon: f64,
    },
    /// (εr)^k for odd k, (εr)^k·ln(εr) for even k (0 at r = 0), 1 ≤ k ≤ 31.
    Polyharmonic {
        /// The degree k.
        degree: u32,
        /// The shape parameter ε.
        epsilon: f64,
    },
}

impl Kernel {
    /// The names [`Kernel::from_name`] knows (`polyharmonic<k>` stands for `polyharmonic1`,
    /// `polyharmonic2`, …).
    pub const NAMES: [&'static str; 10] = [
        "phi",
        "linear",
        "thin_plate_spline",
        "cubic",
        "quintic",
        "multiquadric",
        "inverse_multiquadric",
        "inverse_quadratic",
        "gaussian",
        "polyharmonic<k>",
    ];

    /// The kernel of scipy's name `name` (or `phi`, or `polyharmonic<k>`) with shape parameter
    /// `epsilon` (1 when `None`, scipy's default for the scale-invariant kernels; ignored by
    /// `phi`).
    ///
    /// # Errors
    /// [`Error::UnknownKernel`] for a name it does not know; [`Error::InvalidKernel`] for an ε
    /// that is not finite and positive or a degree outside 1 ..= 31.
    pub fn from_name(name: &str, epsilon: Option<f64>) -> Result<Kernel, Error> {
        let epsilon = epsilon.unwrap_or(1.0);
        let kernel = match name {
            "phi" => Kernel::Phi,
            "linear" => Kernel::Linear { epsilon },
            "thin_plate_spline" => Kernel::ThinPlateSpline { epsilon },
            "cubic" => Kernel::Cubic { epsilon },
            "quintic" => Kernel::Quintic { epsilon },
            "multiquadric" => Kernel::Multiquadric { epsilon },
            "inverse_multiquadric" => Kernel::InverseMultiquadric { epsilon },
            "inverse_quadratic" => Kernel::InverseQuadratic { epsilon },
            "gaussian" => Kernel::Gaussian { epsilon },
            _ => match name.strip_prefix("polyharmonic").map(str::parse::<u32>) {
                Some(Ok(degree)) => Kernel::Polyharmonic { degree, epsilon },
                _ => {
                    return Err(Error::UnknownKernel {
                        name: name.to_string(),
                        known: Kernel::NAMES.join(", "),
                    });
                }
            },
        };
        kernel.check()?;
        Ok(kernel)
    }

    /// The name [`Kernel::from_name`] takes for it (scipy's, where scipy has it).
    pub fn name(&self) -> String {
        match self {
            Kernel::Phi => "phi".into(),
            Kernel::Linear { .. } => "linear".into(),
            Kernel::ThinPlateSpline { .. } => "thin_plate_spline".into(),
            Kernel::Cubic { .. } => "cubic".into(),
            Kernel::Quintic { .. } => "quintic".into(),
            Kernel::Multiquadric { .. } => "multiquadric".into(),
            Kernel::InverseMultiquadric { .. } => "inverse_multiquadric".into(),
            Kernel::InverseQuadratic { .. } => "inverse_quadratic".into(),
            Kernel::Gaussian { .. } => "gaussian".into(),
            Kernel::Polyharmonic { degree, .. } => format!("polyharmonic{degree}"),
        }
    }

    /// The shape parameter ε (`None` for [`Kernel::Phi`]).
    pub fn epsilon(&self) -> Option<f64> {
        match *self {
            Kernel::Phi => None,
            Kernel::Linear { epsilon }
            | Kernel::ThinPlateSpline { epsilon }
            | Kernel::Cubic { epsilon }
            | Kernel::Quintic { epsilon }
            | Kernel::Multiquadric { epsilon }
            | Kernel::InverseMultiquadric { epsilon }
            | Kernel::InverseQuadratic { epsilon }
            | Kernel::Gaussian { epsilon }
            | Kernel::Polyharmonic { epsilon, .. } => Some(epsilon),
        }
    }
}

impl fmt::Display for Kernel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.epsilon() {
            None => f.write_str(&self.name()),
            Some(epsilon) => write!(f, "{} (epsilon {epsilon})", self.name()),
        }
    }
}

impl KernelChoice for Kernel {
    #[allow(private_bounds, private_interfaces)]
    fn dispatch<J: KernelJob>(&self, job: J) -> J::Output {
        // One line per kernel: the registration.
        match *self {
            Kernel::Phi => job.run(&Phi),
            Kernel::Linear { epsilon } => job.run(&Linear::new(epsilon)),
            Kernel::ThinPlateSpline { epsilon } => job.run(&ThinPlateSpline::new(epsilon)),
            Kernel::Cubic { epsilon } => job.run(&Cubic::new(epsilon)),
            Kernel::Quintic { epsilon } => job.run(&Quintic::new(epsilon)),
            Kernel::Multiquadric { epsilon } => job.run(&Multiquadric::new(epsilon)),
            Kernel::InverseMultiquadric { epsilon } => job.run(&InverseMultiquadric::new(epsilon)),
            Kernel::InverseQuadratic { epsilon } => job.run(&InverseQuadratic::new(epsilon)),
            Kernel::Gaussian { epsilon } => job.run(&Gaussian::new(epsilon)),
            Kernel::Polyharmonic { degree, epsilon } => {
                job.run(&Polyharmonic::new(degree, epsilon))
            }
        }
    }

    #[allow(private_interfaces)]
    fn run_fill(&self, job: crate::plan::FillJob<'_>) -> Result<(), Error> {
        self.dispatch(job)
    }

    #[allow(private_interfaces)]
    fn run_apply(&self, job: crate::plan::ApplyJob<'_>) -> Result<(), Error> {
        self.dispatch(job)
    }

    fn check(&self) -> Result<(), Error> {
        if let Some(epsilon) = self.epsilon() {
            Scale::new(epsilon).check(&self.name())?;
        }
        if let Kernel::Polyharmonic { degree, .. } = *self
            && !(1..=Polyharmonic::MAX_DEGREE).contains(&degree)
        {
            return Err(Error::InvalidKernel {
                kernel: self.name(),
                reason: format!(
                    "the degree must be 1 ..= {}, got {degree}",
                    Polyharmonic::MAX_DEGREE
                ),
            });
        }
        Ok(())
    }

    fn label(&self) -> String {
        self.to_string()
    }
}

struct Reference(f64);
impl KernelJob for Reference {
    type Output = f64;
    fn run<F: RadialFunction>(self, kernel: &F) -> f64 {
        kernel.reference(self.0)
    }
}

struct At(f64);
impl KernelJob for At {
    type Output = f64;
    fn run<F: RadialFunction>(self, kernel: &F) -> f64 {
        kernel.at(self.0)
    }
}
