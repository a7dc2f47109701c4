//! A fitted interpolant as data (the `serde` feature): the kernel by name and ε, the
//! coefficients, the polynomial, or — with `neighbors` — the data the local fits are made from.
//! Loading validates what it reads (the kernel's name and ε, the sizes, finite coordinates) and
//! rebuilds the k-d tree; the plan is not saved (a loaded interpolant uses the builder's
//! default plan, [`RbfInterpolator::with_plan`] changes it).

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::interpolate::fit::Fit;
use crate::interpolate::local::Local;
use crate::interpolate::polynomial::Polynomial;
use crate::interpolate::{Diagnostic, Model, RbfBuilder, RbfInterpolator, Solver};
use crate::kernels::Kernel;
use crate::nodes::Nodes;

/// What is saved of an [`RbfInterpolator`].
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct Saved {
    kernel: String,
    epsilon: Option<f64>,
    degree: i32,
    values_per_point: usize,
    dim: usize,
    solver: Solver,
    diagnostics: Vec<Diagnostic>,
    model: SavedModel,
}

/// The global interpolant's coefficients, or the local interpolants' data.
#[derive(Clone, Serialize, Deserialize)]
enum SavedModel {
    Global {
        /// The centres, row-major `N × dim`.
        centres: Vec<f64>,
        coefficients: Vec<f64>,
        polynomial: Polynomial,
        polynomial_coefficients: Vec<f64>,
    },
    Local {
        /// The data points, row-major `N × dim`.
        points: Vec<f64>,
        values: Vec<f64>,
        smoothing: Vec<f64>,
        neighbors: usize,
    },
}

impl From<RbfInterpolator> for Saved {
    fn from(rbf: RbfInterpolator) -> Saved {
        let model = match rbf.model {
            Model::Global(fit) => SavedModel::Global {
                centres: fit.centres.to_flat(),
                coefficients: fit.coefficients,
                polynomial: fit.polynomial,
                polynomial_coefficients: fit.polynomial_coefficients,
            },
            Model::Local(local) => {
                let (points, values, smoothing, neighbors) = local.into_parts();
                SavedModel::Local {
                    points: points.to_flat(),
                    values,
                    smoothing,
                    neighbors,
                }
            }
        };
        Saved {
            kernel: rbf.kernel.name(),
            epsilon: rbf.kernel.epsilon(),
            degree: rbf.degree,
            values_per_point: rbf.m,
            dim: rbf.dim,
            solver: rbf.solver,
            diagnostics: rbf.diagnostics,
            model,
        }
    }
}

impl TryFrom<Saved> for RbfInterpolator {
    type Error = Error;

    fn try_from(saved: Saved) -> Result<RbfInterpolator, Error> {
        let kernel = Kernel::from_name(&saved.kernel, saved.epsilon)?;
        let (dim, m) = (saved.dim, saved.values_per_point);
        let inconsistent = |what: &str| Error::InvalidSaved {
            reason: what.to_string(),
        };
        let model = match saved.model {
            SavedModel::Global {
                centres,
                coefficients,
                polynomial,
                polynomial_coefficients,
            } => {
                let centres = Nodes::from_flat(&centres, dim)?;
                if Some(coefficients.len()) != centres.len().checked_mul(m)
                    || !polynomial.is_consistent(dim)
                    || Some(polynomial_coefficients.len()) != polynomial.len().checked_mul(m)
                {
                    return Err(inconsistent("coefficients of the wrong size"));
                }
                Model::Global(Fit {
                    centres,
                    coefficients,
                    polynomial,
                    polynomial_coefficients,
                })
            }
            SavedModel::Local {
                points,
                values,
                smoothing,
                neighbors,
            } => {
                let points = Nodes::from_flat(&points, dim)?;
                if Some(values.len()) != points.len().checked_mul(m)
                    || smoothing.len() != points.len()
                    || neighbors == 0
                    || neighbors > points.len()
                {
                    return Err(inconsistent("local data of the wrong size"));
                }
                Model::Local(Local::new(&points, &values, smoothing, neighbors))
            }
        };
        Ok(RbfInterpolator {
            kernel,
            degree: saved.degree,
            m,
            dim,
            solver: saved.solver,
            plan: RbfBuilder::default().plan.kernel(kernel),
            model,
            diagnostics: saved.diagnostics,
        })
    }
}
