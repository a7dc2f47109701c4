//! RBF interpolation against an independent, straightforward implementation (the kernel's
//! scalar reference formula, a dense matrix, plain Gaussian elimination with partial pivoting,
//! the monomials written out), and the properties scipy's `RBFInterpolator` has.
#![cfg(feature = "interpolate")]

use pairkernel::interpolate::{Diagnostic, RbfInterpolator, Solver};
use pairkernel::{Error, Kernel, KernelChoice, Nodes};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// scipy's eight, with the ε each is tested at (3 keeps the Gaussian-like systems well
/// conditioned on the unit box).
const KERNELS: [(&str, f64); 8] = [
    ("linear", 1.0),
    ("thin_plate_spline", 1.0),
    ("cubic", 1.0),
    ("quintic", 1.0),
    ("multiquadric", 3.0),
    ("inverse_multiquadric", 3.0),
    ("inverse_quadratic", 3.0),
    ("gaussian", 3.0),
];

fn random_flat(n: usize, dim: usize, rng: &mut StdRng) -> Vec<f64> {
    (0..n * dim).map(|_| rng.random::<f64>()).collect()
}

/// The independent interpolant: returns its values at `x` (P × m).
#[allow(clippy::too_many_arguments)]
fn straightforward(
    kernel: &Kernel,
    degree: i32,
    y: &[f64],
    d: &[f64],
    m: usize,
    smoothing: &[f64],
    x: &[f64],
    dim: usize,
) -> Vec<f64> {
    let n = y.len() / dim;
    // Monomials by brute force: every exponent vector with total ≤ degree.
    let mut powers: Vec<Vec<i32>> = Vec::new();
    if degree >= 0 {
        let mut e = vec![0i32; dim];
        loop {
            if e.iter().sum::<i32>() <= degree {
                powers.push(e.clone());
            }
            let mut axis = 0;
            while axis < dim {
                e[axis] += 1;
                if e[axis] <= degree {
                    break;
                }
                e[axis] = 0;
                axis += 1;
            }
            if axis == dim {
                break;
            }
        }
    }
    let q = powers.len();
    let lo: Vec<f64> = (0..dim)
        .map(|a| (0..n).map(|i| y[i * dim + a]).fold(f64::INFINITY, f64::min))
        .collect();
    let hi: Vec<f64> = (0..dim)
        .map(|a| {
            (0..n)
                .map(|i| y[i * dim + a])
                .fold(f64::NEG_INFINITY, f64::max)
        })
        .collect();
    let mono = |p: &[f64], e: &[i32]| -> f64 {
        (0..dim)
            .map(|a| {
                let half = (hi[a] - lo[a]) / 2.0;
                let t = (p[a] - (hi[a] + lo[a]) / 2.0) / if half > 0.0 { half } else { 1.0 };
                t.powi(e[a])
            })
            .product()
    };
    let dist = |a: &[f64], b: &[f64]| {
        a.iter()
            .zip(b)
            .map(|(u, v)| (u - v) * (u - v))
            .sum::<f64>()
            .sqrt()
    };
    let size = n + q;
    let mut a = vec![vec![0.0; size + m]; size];
    for i in 0..n {
        for j in 0..n {
            a[i][j] =
                kernel.phi_reference(dist(&y[i * dim..(i + 1) * dim], &y[j * dim..(j + 1) * dim]));
        }
        a[i][i] += smoothing[i];
        for (k, e) in powers.iter().enumerate() {
            let v = mono(&y[i * dim..(i + 1) * dim], e);
            a[i][n + k] = v;
            a[n + k][i] = v;
        }
        for c in 0..m {
            a[i][size + c] = d[i * m + c];
        }
    }
    // Gaussian elimination with partial pivoting on the augmented matrix.
    for col in 0..size {
        let pivot = (col..size)
            .max_by(|&r, &s| a[r][col].abs().total_cmp(&a[s][col].abs()))
            .unwrap();
        a.swap(col, pivot);
        let (upper, lower) = a.split_at_mut(col + 1);
        let pivot_row = &upper[col];
        for row in lower {
            let f = row[col] / pivot_row[col];
            for (x, p) in row[col..].iter_mut().zip(&pivot_row[col..]) {
                *x -= f * p;
            }
        }
    }
    let mut sol = vec![vec![0.0; m]; size];
    for r in (0..size).rev() {
        for c in 0..m {
            let s: f64 = (r + 1..size).map(|k| a[r][k] * sol[k][c]).sum();
            sol[r][c] = (a[r][size + c] - s) / a[r][r];
        }
    }
    let p = x.len() / dim;
    let mut out = vec![0.0; p * m];
    for i in 0..p {
        let xi = &x[i * dim..(i + 1) * dim];
        for c in 0..m {
            let mut v = 0.0;
            for j in 0..n {
                v += kernel.phi_reference(dist(xi, &y[j * dim..(j + 1) * dim])) * sol[j][c];
            }
            for (k, e) in powers.iter().enumerate() {
                v += mono(xi, e) * sol[n + k][c];
            }
            out[i * m + c] = v;
        }
    }
    out
}

/// The largest difference relative to the largest magnitude of `expected`.
fn relative_difference(got: &[f64], expected: &[f64]) -> f64 {
    let scale = expected
        .iter()
        .fold(0.0f64, |s, v| s.max(v.abs()))
        .max(f64::MIN_POSITIVE);
    got.iter()
        .zip(expected)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max)
        / scale
}

#[test]
fn matches_a_straightforward_implementation_for_every_kernel_in_1_to_5_d() {
    let mut rng = StdRng::seed_from_u64(13);
    for (name, epsilon) in KERNELS {
        for dim in 1..=5 {
            let n = 12 + 6 * dim;
            let m = 2;
            let y = random_flat(n, dim, &mut rng);
            let d: Vec<f64> = (0..n * m)
                .map(|_| rng.random::<f64>() * 2.0 - 1.0)
                .collect();
            let smoothing: Vec<f64> = (0..n).map(|_| rng.random::<f64>() * 1e-3).collect();
            let x = random_flat(40, dim, &mut rng);
            let nodes = Nodes::from_flat(&y, dim).unwrap();
            let rbf = RbfInterpolator::builder()
                .kernel(name)
                .epsilon(epsilon)
                .smoothing_per_point(smoothing.clone())
                .fit(&nodes, &d, m)
                .unwrap();
            let got = rbf.evaluate(&Nodes::from_flat(&x, dim).unwrap()).unwrap();
            let expected =
                straightforward(&rbf.kernel(), rbf.degree(), &y, &d, m, &smoothing, &x, dim);
            let difference = relative_difference(&got, &expected);
            assert!(difference < 1e-8, "{name} in {dim}-D: {difference:e}");
        }
    }
}

#[test]
fn interpolates_its_data_and_both_solvers_agree() {
    let mut rng = StdRng::seed_from_u64(7);
    for (name, epsilon) in KERNELS {
        let (n, dim) = (60, 3);
        let y = random_flat(n, dim, &mut rng);
        let d: Vec<f64> = (0..n).map(|_| rng.random::<f64>()).collect();
        let nodes = Nodes::from_flat(&y, dim).unwrap();
        let builder = RbfInterpolator::builder().kernel(name).epsilon(epsilon);
        let lu = builder.clone().fit(&nodes, &d, 1).unwrap();
        let lblt = builder.solver(Solver::Lblt).fit(&nodes, &d, 1).unwrap();
        let at_data = lu.evaluate(&nodes).unwrap();
        assert!(
            relative_difference(&at_data, &d) < 1e-9,
            "{name}: {:e}",
            relative_difference(&at_data, &d)
        );
        let x = Nodes::from_flat(&random_flat(50, dim, &mut rng), dim).unwrap();
        let (a, b) = (lu.evaluate(&x).unwrap(), lblt.evaluate(&x).unwrap());
        assert!(
            relative_difference(&b, &a) < 1e-8,
            "{name}: LU vs LBLT {:e}",
            relative_difference(&b, &a)
        );
    }
}

#[test]
fn reproduces_polynomials_of_its_degree() {
    let mut rng = StdRng::seed_from_u64(3);
    let dim = 2;
    let y = random_flat(50, dim, &mut rng);
    let x = random_flat(30, dim, &mut rng);
    let quadratic = |p: &[f64]| 1.0 - 2.0 * p[0] + 0.5 * p[1] + 3.0 * p[0] * p[1] - p[1] * p[1];
    let d: Vec<f64> = y.chunks(dim).map(quadratic).collect();
    let expected: Vec<f64> = x.chunks(dim).map(quadratic).collect();
    for (name, epsilon) in KERNELS {
        let rbf = RbfInterpolator::builder()
            .kernel(name)
            .epsilon(epsilon)
            .degree(2)
            .fit(&Nodes::from_flat(&y, dim).unwrap(), &d, 1)
            .unwrap();
        let got = rbf.evaluate(&Nodes::from_flat(&x, dim).unwrap()).unwrap();
        assert!(relative_difference(&got, &expected) < 1e-8, "{name}");
    }
}

#[test]
fn vector_values_equal_componentwise_fits() {
    let mut rng = StdRng::seed_from_u64(5);
    let (n, dim, m) = (40, 2, 3);
    let y = Nodes::from_flat(&random_flat(n, dim, &mut rng), dim).unwrap();
    let x = Nodes::from_flat(&random_flat(25, dim, &mut rng), dim).unwrap();
    let d: Vec<f64> = (0..n * m).map(|_| rng.random::<f64>()).collect();
    let together = RbfInterpolator::builder()
        .fit(&y, &d, m)
        .unwrap()
        .evaluate(&x)
        .unwrap();
    for c in 0..m {
        let column: Vec<f64> = (0..n).map(|i| d[i * m + c]).collect();
        let alone = RbfInterpolator::builder()
            .fit(&y, &column, 1)
            .unwrap()
            .evaluate(&x)
            .unwrap();
        let picked: Vec<f64> = (0..25).map(|i| together[i * m + c]).collect();
        assert!(relative_difference(&picked, &alone) < 1e-12);
    }
}

#[test]
fn scale_invariant_kernels_do_not_depend_on_epsilon() {
    let mut rng = StdRng::seed_from_u64(11);
    let (n, dim) = (40, 3);
    let y = Nodes::from_flat(&random_flat(n, dim, &mut rng), dim).unwrap();
    let x = Nodes::from_flat(&random_flat(20, dim, &mut rng), dim).unwrap();
    let d: Vec<f64> = (0..n).map(|_| rng.random::<f64>()).collect();
    for name in ["linear", "thin_plate_spline", "cubic", "quintic"] {
        let at = |epsilon| {
            RbfInterpolator::builder()
                .kernel(name)
                .epsilon(epsilon)
                .fit(&y, &d, 1)
                .unwrap()
                .evaluate(&x)
                .unwrap()
        };
        let difference = relative_difference(&at(4.0), &at(1.0));
        assert!(difference < 1e-8, "{name}: {difference:e}");
    }
}

#[test]
fn huge_scale_and_shift_give_the_unit_box_interpolant() {
    let mut rng = StdRng::seed_from_u64(17);
    let (n, dim) = (50, 2);
    let (scale, shift) = (1e50, 1e55);
    let unit = random_flat(n, dim, &mut rng);
    let at_unit = random_flat(20, dim, &mut rng);
    let d: Vec<f64> = unit
        .chunks(dim)
        .map(|p| (3.0 * p[0]).sin() + p[1] * p[1])
        .collect();
    let moved = |v: &[f64]| v.iter().map(|c| c * scale + shift).collect::<Vec<f64>>();
    for name in ["thin_plate_spline", "cubic", "linear"] {
        let fit = |y: &[f64], x: &[f64]| {
            RbfInterpolator::builder()
                .kernel(name)
                .fit(&Nodes::from_flat(y, dim).unwrap(), &d, 1)
                .unwrap()
                .evaluate(&Nodes::from_flat(x, dim).unwrap())
                .unwrap()
        };
        let difference =
            relative_difference(&fit(&moved(&unit), &moved(&at_unit)), &fit(&unit, &at_unit));
        assert!(difference < 1e-6, "{name}: {difference:e}");
    }
}

#[test]
fn large_smoothing_tends_to_the_least_squares_polynomial() {
    let mut rng = StdRng::seed_from_u64(19);
    let n = 60;
    let y = random_flat(n, 1, &mut rng);
    let d: Vec<f64> = y.iter().map(|t| (5.0 * t).sin()).collect();
    // The least-squares line through (y, d), by the normal equations.
    let (sy, sd) = (y.iter().sum::<f64>(), d.iter().sum::<f64>());
    let syy: f64 = y.iter().map(|t| t * t).sum();
    let syd: f64 = y.iter().zip(&d).map(|(t, v)| t * v).sum();
    let slope = (n as f64 * syd - sy * sd) / (n as f64 * syy - sy * sy);
    let intercept = (sd - slope * sy) / n as f64;
    let x: Vec<f64> = (0..11).map(|i| i as f64 / 10.0).collect();
    let line: Vec<f64> = x.iter().map(|t| intercept + slope * t).collect();
    let rbf = RbfInterpolator::builder()
        .kernel("cubic")
        .smoothing(1e10)
        .fit(&Nodes::from_flat(&y, 1).unwrap(), &d, 1)
        .unwrap();
    let got = rbf.evaluate(&Nodes::from_flat(&x, 1).unwrap()).unwrap();
    assert!(
        relative_difference(&got, &line) < 1e-6,
        "{:e}",
        relative_difference(&got, &line)
    );
}

#[test]
fn neighbors_n_is_the_global_interpolant_and_local_fits_are_fits_of_the_nearest() {
    let mut rng = StdRng::seed_from_u64(23);
    for dim in [2, 3, 9] {
        let n = 80;
        let flat = random_flat(n, dim, &mut rng);
        let y = Nodes::from_flat(&flat, dim).unwrap();
        let d: Vec<f64> = (0..n).map(|_| rng.random::<f64>()).collect();
        let xs = random_flat(30, dim, &mut rng);
        let x = Nodes::from_flat(&xs, dim).unwrap();
        let global = RbfInterpolator::builder()
            .fit(&y, &d, 1)
            .unwrap()
            .evaluate(&x)
            .unwrap();
        let all = RbfInterpolator::builder()
            .neighbors(Some(n + 5))
            .fit(&y, &d, 1)
            .unwrap()
            .evaluate(&x)
            .unwrap();
        assert!(relative_difference(&all, &global) < 1e-9, "{dim}-D");

        let k = 12;
        let local = RbfInterpolator::builder()
            .neighbors(Some(k))
            .fit(&y, &d, 1)
            .unwrap()
            .evaluate(&x)
            .unwrap();
        for (i, point) in xs.chunks(dim).enumerate() {
            let mut order: Vec<usize> = (0..n).collect();
            let r2 = |j: usize| -> f64 {
                (0..dim)
                    .map(|a| (point[a] - flat[j * dim + a]).powi(2))
                    .sum()
            };
            order.sort_by(|&a, &b| r2(a).total_cmp(&r2(b)));
            let near: Vec<usize> = order[..k].to_vec();
            let sub: Vec<f64> = near
                .iter()
                .flat_map(|&j| flat[j * dim..(j + 1) * dim].to_vec())
                .collect();
            let sub_d: Vec<f64> = near.iter().map(|&j| d[j]).collect();
            let one = RbfInterpolator::builder()
                .fit(&Nodes::from_flat(&sub, dim).unwrap(), &sub_d, 1)
                .unwrap()
                .evaluate(&Nodes::from_flat(point, dim).unwrap())
                .unwrap();
            assert!(
                (one[0] - local[i]).abs() < 1e-9,
                "{dim}-D point {i}: {} vs {}",
                one[0],
                local[i]
            );
        }
    }
}

#[test]
fn every_error_is_produced_by_its_input() {
    let y = Nodes::from_flat(&[0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0], 2).unwrap();
    let d = [1.0, 2.0, 3.0, 4.0];
    let b = RbfInterpolator::builder;
    assert!(matches!(
        b().kernel("bessel").fit(&y, &d, 1),
        Err(Error::UnknownKernel { .. })
    ));
    assert!(matches!(
        b().kernel("gaussian").fit(&y, &d, 1),
        Err(Error::EpsilonRequired { .. })
    ));
    assert!(matches!(
        b().kernel("gaussian").epsilon(-1.0).fit(&y, &d, 1),
        Err(Error::InvalidKernel { .. })
    ));
    assert!(matches!(
        b().degree(-2).fit(&y, &d, 1),
        Err(Error::InvalidDegree { degree: -2 })
    ));
    assert!(matches!(
        b().fit(&y, &d[..3], 1),
        Err(Error::ValuesLength {
            expected: 4,
            got: 3,
            ..
        })
    ));
    assert!(matches!(
        b().fit(&y, &d, 0),
        Err(Error::ValuesLength { .. })
    ));
    assert!(matches!(
        b().fit(&y, &[1.0, f64::NAN, 3.0, 4.0], 1),
        Err(Error::NonFiniteData {
            point: 1,
            column: 0,
            ..
        })
    ));
    assert!(matches!(
        b().smoothing_per_point(vec![0.0; 3]).fit(&y, &d, 1),
        Err(Error::InvalidSmoothing { .. })
    ));
    assert!(matches!(
        b().smoothing(f64::INFINITY).fit(&y, &d, 1),
        Err(Error::InvalidSmoothing { .. })
    ));
    assert!(matches!(
        b().neighbors(Some(0)).fit(&y, &d, 1),
        Err(Error::InvalidNeighbors { .. })
    ));
    // Quintic needs degree 2: 6 monomials in 2-D, from 4 points.
    assert!(matches!(
        b().kernel("quintic").fit(&y, &d, 1),
        Err(Error::TooFewDataPoints {
            required: 6,
            got: 4,
            degree: 2,
            dim: 2
        })
    ));
    // Collinear points in the plane with a thin-plate spline (degree 1): scipy raises.
    let line = Nodes::from_flat(&[0.0, 0.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0], 2).unwrap();
    let err = b().fit(&line, &d, 1).unwrap_err();
    assert_eq!(
        err,
        Error::PolynomialRankDeficient {
            rank: 2,
            monomials: 3
        }
    );
    assert!(err.to_string().contains("full column rank (2/3)"));
    // A repeated data point without smoothing.
    let twice = Nodes::from_flat(&[0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0], 2).unwrap();
    assert!(matches!(
        b().kernel("cubic").fit(&twice, &d, 1),
        Err(Error::SingularSystem { .. })
    ));
    // Evaluation in another dimension.
    let rbf = b().fit(&y, &d, 1).unwrap();
    let three = Nodes::from_flat(&[0.0, 0.0, 0.0], 3).unwrap();
    assert!(matches!(
        rbf.evaluate(&three),
        Err(Error::EvaluationDimension {
            expected: 2,
            got: 3
        })
    ));
}

#[test]
fn a_degree_below_the_minimum_is_a_diagnostic_not_an_error() {
    let y = Nodes::from_flat(&[0.0, 0.5, 1.0, 2.0], 1).unwrap();
    let rbf = RbfInterpolator::builder()
        .kernel("cubic")
        .degree(0)
        .fit(&y, &[1.0, 0.0, 2.0, 1.0], 1)
        .unwrap();
    assert!(matches!(
        rbf.diagnostics(),
        [Diagnostic::DegreeBelowMinimum {
            degree: 0,
            minimum: 1,
            ..
        }]
    ));
    assert!(
        rbf.diagnostics()[0]
            .to_string()
            .contains("should not be below 1")
    );
    let fine = RbfInterpolator::builder()
        .kernel("cubic")
        .fit(&y, &[1.0, 0.0, 2.0, 1.0], 1)
        .unwrap();
    assert!(fine.diagnostics().is_empty());
}

#[cfg(feature = "serde")]
#[test]
fn a_saved_interpolant_loads_and_gives_the_same_bits() {
    let mut rng = StdRng::seed_from_u64(29);
    let (n, dim, m) = (40, 3, 2);
    let y = Nodes::from_flat(&random_flat(n, dim, &mut rng), dim).unwrap();
    let x = Nodes::from_flat(&random_flat(30, dim, &mut rng), dim).unwrap();
    let d: Vec<f64> = (0..n * m).map(|_| rng.random::<f64>()).collect();
    for builder in [
        RbfInterpolator::builder()
            .kernel("gaussian")
            .epsilon(2.5)
            .smoothing(1e-6),
        RbfInterpolator::builder()
            .kernel("quintic")
            .neighbors(Some(25)),
        RbfInterpolator::builder().kernel("cubic").degree(0),
    ] {
        let rbf = builder.fit(&y, &d, m).unwrap();
        let json = serde_json::to_string(&rbf).unwrap();
        let loaded: RbfInterpolator = serde_json::from_str(&json).unwrap();
        assert_eq!(loaded.evaluate(&x).unwrap(), rbf.evaluate(&x).unwrap());
        assert_eq!(loaded.diagnostics(), rbf.diagnostics());
        assert_eq!(
            (loaded.kernel(), loaded.degree()),
            (rbf.kernel(), rbf.degree())
        );
    }
    // A tampered file is an error, not a panic.
    let rbf = RbfInterpolator::builder().fit(&y, &d, m).unwrap();
    let json = serde_json::to_string(&rbf).unwrap();
    let broken = json.replacen("\"values_per_point\":2", "\"values_per_point\":3", 1);
    assert!(
        serde_json::from_str::<RbfInterpolator>(&broken)
            .unwrap_err()
            .to_string()
            .contains("wrong size")
    );
    let unknown = json.replacen("thin_plate_spline", "bessel", 1);
    assert!(serde_json::from_str::<RbfInterpolator>(&unknown).is_err());
}

#[test]
fn one_interpolant_evaluates_from_several_threads_at_once() {
    fn shareable<T: Send + Sync>() {}
    shareable::<RbfInterpolator>();
    let mut rng = StdRng::seed_from_u64(31);
    let (n, dim) = (200, 3);
    let y = Nodes::from_flat(&random_flat(n, dim, &mut rng), dim).unwrap();
    let d: Vec<f64> = (0..n).map(|_| rng.random::<f64>()).collect();
    let x = Nodes::from_flat(&random_flat(500, dim, &mut rng), dim).unwrap();
    for builder in [
        RbfInterpolator::builder(),
        RbfInterpolator::builder().neighbors(Some(20)),
    ] {
        let rbf = builder.fit(&y, &d, 1).unwrap();
        let alone = rbf.evaluate(&x).unwrap();
        std::thread::scope(|scope| {
            let runs: Vec<_> = (0..4)
                .map(|_| scope.spawn(|| rbf.evaluate(&x).unwrap()))
                .collect();
            for run in runs {
                assert_eq!(run.join().unwrap(), alone);
            }
        });
    }
}

#[test]
fn evaluating_with_another_plan_changes_only_how_it_runs() {
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;

    use pairkernel::{Accuracy, Plan};

    let mut rng = StdRng::seed_from_u64(11);
    let data = Nodes::from_flat(&random_flat(300, 3, &mut rng), 3).unwrap();
    let values: Vec<f64> = (0..300).map(|i| (i as f64 * 0.1).sin()).collect();
    let at = Nodes::from_flat(&random_flat(517, 3, &mut rng), 3).unwrap();
    for neighbors in [None, Some(20)] {
        let rbf = RbfInterpolator::builder()
            .kernel("cubic")
            .neighbors(neighbors)
            .fit(&data, &values, 1)
            .unwrap();
        let expected = rbf.evaluate(&at).unwrap();
        for threads in [1, 2] {
            // The fit's accuracy (the builder's default), other threads, a plan of another
            // kernel: the interpolant's kernel is used, and the bits are the same.
            let plan = Plan::new()
                .threads(threads)
                .accuracy(Accuracy::Fast)
                .kernel(Kernel::Gaussian { epsilon: 2.0 });
            assert_eq!(rbf.evaluate_with(&plan, &at).unwrap(), expected);
        }
        // Its accuracy setting is used (the products' entries change, not the fit), as
        // `with_plan` would use it.
        let compensated = Plan::new().accuracy(Accuracy::Compensated);
        let values = rbf.evaluate_with(&compensated, &at).unwrap();
        assert_ne!(values, expected);
        assert_eq!(
            values,
            rbf.clone().with_plan(compensated).evaluate(&at).unwrap()
        );
        let cancelled = Plan::new().cancel_on(Arc::new(AtomicBool::new(true)));
        assert_eq!(rbf.evaluate_with(&cancelled, &at), Err(Error::Cancelled));
    }
}
