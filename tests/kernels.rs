//! Every kernel, in every dimension, on every path: the shared harness of the kernels issue.
//!
//! For each built-in kernel (and one defined here through the public trait), dimensions
//! {1, 2, 3, 5, 8} and awkward sizes (0, 1, lanes ± 1, blocks ± 1, primes), every plan — tiles,
//! thread counts, both schedules, both store paths — must give the bits of one serial baseline;
//! the matrix must be symmetric bit for bit, its diagonal φ(0) exactly; the cross matrix of a
//! set with itself and the matrix-free products must agree; and every entry must lie within the
//! kernel's documented bound of the exact value (double-double, `common::exact`) and within the
//! scalar reference's own error of the reference.

mod common;

use common::exact;
use common::*;
use pairkernel::kernels::{RadialFunction, SquaredDistance};
use pairkernel::simd::Lanes;
use pairkernel::{Accuracy, Kernel, KernelChoice, Nodes, Plan, Schedule, Stores, reference};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// The kernels under test, with shape parameters other than 1 where they have one.
pub fn kernels() -> Vec<Kernel> {
    vec![
        Kernel::Phi,
        Kernel::Linear { epsilon: 1.0 },
        Kernel::Linear { epsilon: 0.3 },
        Kernel::ThinPlateSpline { epsilon: 1.0 },
        Kernel::ThinPlateSpline { epsilon: 2.5 },
        Kernel::Cubic { epsilon: 1.0 },
        Kernel::Quintic { epsilon: 0.9 },
        Kernel::Multiquadric { epsilon: 0.7 },
        Kernel::InverseMultiquadric { epsilon: 1.3 },
        Kernel::InverseQuadratic { epsilon: 0.5 },
        Kernel::Gaussian { epsilon: 0.9 },
        Kernel::Polyharmonic {
            degree: 4,
            epsilon: 1.0,
        },
        Kernel::Polyharmonic {
            degree: 7,
            epsilon: 1.1,
        },
    ]
}

/// How far the plain scalar formula may be from exact, in ulps: its r carries (d/2 + 1) u,
/// amplified by the kernel's condition number κ = |r·φ'(r)/φ(r)| at (εr)² = `s`, plus the
/// formula's own roundings (16 ulp covers every kernel here; the article's φ alone is 14.5).
fn reference_error(kernel: &Kernel, s: f64, dim: usize) -> f64 {
    let log = 0.5 * s.ln(); // ln(εr)
    let condition = match *kernel {
        Kernel::Phi | Kernel::Cubic { .. } => 3.0,
        Kernel::Linear { .. } => 1.0,
        Kernel::Quintic { .. } => 5.0,
        Kernel::ThinPlateSpline { .. } => 2.0 + 1.0 / log.abs(),
        Kernel::Multiquadric { .. } | Kernel::InverseMultiquadric { .. } => 1.0,
        Kernel::InverseQuadratic { .. } => 2.0,
        Kernel::Gaussian { .. } => 2.0 * s,
        Kernel::Polyharmonic { degree, .. } if degree % 2 == 1 => f64::from(degree),
        Kernel::Polyharmonic { degree, .. } => f64::from(degree) + 1.0 / log.abs(),
        _ => unreachable!(),
    };
    condition * (dim as f64 / 2.0 + 1.0) + 16.0
}

/// φ(r) = 1/(1 + r²)², a kernel of the user's, through the public trait.
#[derive(Clone, Debug)]
struct InverseQuadraticSquared;

impl RadialFunction for InverseQuadraticSquared {
    #[inline(always)]
    fn lanes<V: Lanes>(&self, r2: SquaredDistance<V>) -> V {
        let t = V::ONE / (V::ONE + r2.value());
        r2.where_overflowed(t * t, 0.0)
    }
    fn reference(&self, r: f64) -> f64 {
        1.0 / (1.0 + r * r).powi(2)
    }
}

const DIMS: [usize; 5] = [1, 2, 3, 5, 8];
const SIZES: [usize; 14] = [0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 97];

/// `n` nodes in [−2, 2)^dim, with node 1 a copy of node 0 (a zero distance off the diagonal).
fn nodes(n: usize, dim: usize, seed: u64) -> Nodes {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut flat: Vec<f64> = (0..n * dim).map(|_| rng.random_range(-2.0..2.0)).collect();
    if n >= 2 {
        flat.copy_within(0..dim, dim);
    }
    Nodes::from_flat(&flat, dim).unwrap()
}

/// Every plan shape: tiles (1 × 1, odd, past the blocks, the default), 1 and 2 threads, both
/// schedules, both store paths.
fn plans<K: KernelChoice>(kernel: &K) -> Vec<Plan<K>> {
    let mut plans = Vec::new();
    for threads in [1, 2] {
        let pool = Plan::new().threads(threads);
        for tile in [Some((1, 1)), Some((3, 5)), Some((17, 1025)), None] {
            let plan = match tile {
                Some((rows, cols)) => pool.clone().tile(rows, cols),
                None => pool.clone(),
            };
            for schedule in [Schedule::Rows, Schedule::Symmetric] {
                for stores in [Stores::Plain, Stores::Streaming] {
                    plans.push(
                        plan.clone()
                            .schedule(schedule)
                            .stores(stores)
                            .kernel(kernel.clone()),
                    );
                }
            }
        }
    }
    plans
}

/// The harness for one kernel: every dimension, size and plan, both accuracies.
fn check_every_path<K: KernelChoice>(kernel: &K, exact: Option<&Kernel>) {
    let plans = plans(kernel);
    for dim in DIMS {
        for &n in &SIZES {
            let nodes = nodes(n, dim, (dim * 1000 + n) as u64);
            for accuracy in [Accuracy::Compensated, Accuracy::Fast] {
                let serial = Plan::new()
                    .threads(1)
                    .schedule(Schedule::Rows)
                    .accuracy(accuracy)
                    .kernel(kernel.clone());
                let baseline = serial.kernel_matrix(&nodes).unwrap();
                let label = format!("{} d={dim} n={n} {accuracy:?}", kernel.label());
                for plan in &plans {
                    let plan = plan.clone().accuracy(accuracy);
                    let d = plan.kernel_matrix(&nodes).unwrap();
                    assert_eq!(
                        bits(d.as_slice()),
                        bits(baseline.as_slice()),
                        "{label} {plan:?}"
                    );
                    let c = plan.cross_matrix(&nodes, &nodes).unwrap();
                    assert_eq!(
                        bits(c.as_slice()),
                        bits(baseline.as_slice()),
                        "{label} cross"
                    );
                }
                let phi_zero = kernel.phi(0.0);
                for i in 0..n {
                    assert_eq!(
                        baseline[(i, i)].to_bits(),
                        phi_zero.to_bits(),
                        "{label} diag"
                    );
                    for j in 0..n {
                        assert_eq!(baseline[(i, j)].to_bits(), baseline[(j, i)].to_bits());
                    }
                }
                check_products(&serial, &plans, &nodes, &baseline, accuracy, &label);
                if let (Some(exact_kernel), Accuracy::Compensated) = (exact, accuracy) {
                    check_values(exact_kernel, &nodes, &baseline, &label);
                }
            }
        }
    }
}

/// The matrix-free products: the same bits on every plan, and close to the dense product.
fn check_products<K: KernelChoice>(
    serial: &Plan<K>,
    plans: &[Plan<K>],
    nodes: &Nodes,
    dense: &pairkernel::KernelMatrix,
    accuracy: Accuracy,
    label: &str,
) {
    let n = nodes.len();
    let k = 3;
    let x: Vec<f64> = (0..n * k).map(|i| ((i * 7919) % 13) as f64 - 6.0).collect();
    let mut want = vec![0.0; n * k];
    serial.apply_many(nodes, &x, k, &mut want).unwrap();
    for plan in plans.iter().step_by(3) {
        let mut y = vec![f64::NAN; n * k];
        plan.clone()
            .accuracy(accuracy)
            .apply_many(nodes, &x, k, &mut y)
            .unwrap();
        assert_eq!(bits(&y), bits(&want), "{label} apply {plan:?}");
    }
    for i in 0..n {
        for m in 0..k {
            let terms = (0..n).map(|j| dense[(i, j)] * x[j * k + m]);
            let scale: f64 = terms.clone().map(f64::abs).sum();
            let sum: f64 = terms.sum();
            let got = want[i * k + m];
            assert!(
                (got - sum).abs() <= 4.0 * n as f64 * f64::EPSILON * scale,
                "{label} apply row {i}: {got} vs dense {sum}"
            );
        }
    }
}

/// Every entry within the kernel's bound of exact, and the reference within its own error.
fn check_values(kernel: &Kernel, nodes: &Nodes, d: &pairkernel::KernelMatrix, label: &str) {
    let slow = reference::kernel_cross_matrix(kernel, nodes, nodes);
    let n = nodes.len();
    let points: Vec<Vec<f64>> = (0..n).map(|i| nodes.coordinates(i)).collect();
    for i in 0..n {
        for j in 0..n {
            let exact = exact::kernel_value(kernel, &points[i], &points[j]);
            let got = d[(i, j)];
            let error = ulps_from_exact(got, exact);
            assert!(
                error <= kernel_bound(kernel),
                "{label} ({i}, {j}): {got} is {error} ulp from exact {exact:?}"
            );
            let s = exact::squared_distance(&points[i], &points[j]).hi()
                * kernel.epsilon().map_or(1.0, |e| e * e);
            let apart = ulps_apart_of_exact(got, slow[i * n + j], exact);
            let allowed = kernel_bound(kernel) + reference_error(kernel, s, nodes.dim());
            assert!(
                apart <= allowed,
                "{label} ({i}, {j}): {got} vs reference {}: {apart} ulp > {allowed}",
                slow[i * n + j]
            );
        }
    }
}

#[test]
fn every_builtin_kernel_every_dimension_every_plan() {
    for kernel in kernels() {
        check_every_path(&kernel, Some(&kernel));
    }
}

#[test]
fn a_kernel_of_the_users_runs_on_every_path() {
    check_every_path(&InverseQuadraticSquared, None);
    let nodes = nodes(40, 3, 5);
    let d = Plan::new()
        .kernel(InverseQuadraticSquared)
        .kernel_matrix(&nodes)
        .unwrap();
    let slow = reference::kernel_cross_matrix(&InverseQuadraticSquared, &nodes, &nodes);
    for (got, want) in d.as_slice().iter().zip(&slow) {
        assert!((got - want).abs() <= 16.0 * f64::EPSILON * want);
    }
}

#[test]
fn the_article_kernel_in_3d_keeps_its_bits_in_every_constructor() {
    let mut rng = StdRng::seed_from_u64(3);
    let points: Vec<[f64; 3]> = (0..50)
        .map(|_| [(); 3].map(|_| rng.random_range(-5.0..5.0)))
        .collect();
    let a = Nodes::from_points(&points).unwrap();
    let b = Nodes::from_flat(points.as_flattened(), 3).unwrap();
    let columns: Vec<Vec<f64>> = (0..3)
        .map(|k| points.iter().map(|p| p[k]).collect())
        .collect();
    let c = Nodes::from_columns(&columns[0], &columns[1], &columns[2]).unwrap();
    assert_eq!(a, b);
    assert_eq!(a, c);
    let phi = pairkernel::kernel_matrix(&a).unwrap();
    let explicit = Plan::new().kernel(Kernel::Phi).kernel_matrix(&a).unwrap();
    assert_eq!(bits(phi.as_slice()), bits(explicit.as_slice()));
    // φ between two nodes r apart along one axis is pairkernel::phi(r), bit for bit.
    for r in [0.0, 0.5, 1.0, 3.0, 1e-3, 7e5] {
        let pair = Nodes::from_points(&[[0.0, 0.0, 0.0], [0.0, r, 0.0]]).unwrap();
        let d = pairkernel::kernel_matrix(&pair).unwrap();
        assert_eq!(d[(0, 1)].to_bits(), pairkernel::phi(r).to_bits());
    }
}

#[test]
fn the_fast_cubic_stays_within_the_fast_bound_of_the_compensated_one() {
    // Its own formula under `Accuracy::Fast` (rounded r², ε²·r², one square root): within the
    // fast order's bound of exact, so within that plus the compensated bound of the default.
    let nodes = Nodes::random(300, &mut StdRng::seed_from_u64(9));
    let mut worst = 0.0f64;
    for epsilon in [1.0, 0.37, 3.0] {
        let plan = Plan::new().kernel(Kernel::Cubic { epsilon });
        let accurate = plan.kernel_matrix(&nodes).unwrap();
        let fast = plan.accuracy(Accuracy::Fast).kernel_matrix(&nodes).unwrap();
        for (f, a) in fast.as_slice().iter().zip(accurate.as_slice()) {
            worst = worst.max(ulps_apart(*f, *a));
        }
    }
    println!("fast cubic: worst {worst:.2} ulp from the compensated entries");
    assert!(worst <= FAST_ULP_BOUND + 1.5, "{worst} ulp");
    assert!(
        worst > 0.0,
        "the fast formula is a different rounding, not the same bits"
    );
}
