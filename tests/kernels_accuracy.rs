//! Each kernel's accuracy bound, hunted: random pairs (dimensions 1, 2, 3 and 5, mixed scales,
//! random shape parameters), then hill-climbs towards the worst case against double-double
//! values (`common::exact`). Run with `-- --nocapture` for the worst cases (the README's table).

mod common;

use common::exact;
use common::*;
use pairkernel::{Kernel, KernelChoice, Nodes, Plan};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// `kernel` with shape parameter `epsilon` (unchanged for the article's φ).
fn with_epsilon(kernel: Kernel, epsilon: f64) -> Kernel {
    match kernel {
        Kernel::Phi => Kernel::Phi,
        Kernel::Linear { .. } => Kernel::Linear { epsilon },
        Kernel::ThinPlateSpline { .. } => Kernel::ThinPlateSpline { epsilon },
        Kernel::Cubic { .. } => Kernel::Cubic { epsilon },
        Kernel::Quintic { .. } => Kernel::Quintic { epsilon },
        Kernel::Multiquadric { .. } => Kernel::Multiquadric { epsilon },
        Kernel::InverseMultiquadric { .. } => Kernel::InverseMultiquadric { epsilon },
        Kernel::InverseQuadratic { .. } => Kernel::InverseQuadratic { epsilon },
        Kernel::Gaussian { .. } => Kernel::Gaussian { epsilon },
        Kernel::Polyharmonic { degree, .. } => Kernel::Polyharmonic { degree, epsilon },
        _ => unreachable!(),
    }
}

/// A candidate: kernel (with its ε), and the pair.
#[derive(Clone, Debug)]
struct Case {
    kernel: Kernel,
    p: Vec<f64>,
    q: Vec<f64>,
}

/// The crate's entry for the case, through the public API (one thread, default accuracy).
fn entry(case: &Case) -> f64 {
    let rows = Nodes::from_flat(&case.p, case.p.len()).unwrap();
    let cols = Nodes::from_flat(&case.q, case.q.len()).unwrap();
    Plan::new()
        .threads(1)
        .kernel(case.kernel)
        .cross_matrix(&rows, &cols)
        .unwrap()[(0, 0)]
}

fn error(case: &Case) -> f64 {
    let exact = exact::kernel_value(&case.kernel, &case.p, &case.q);
    if !exact.hi().is_finite() {
        return 0.0; // beyond the range, where both overflow (checked elsewhere)
    }
    ulps_from_exact(entry(case), exact)
}

/// Coordinate scales: the decaying kernels are interesting for (εr)² up to ~750.
fn exponents(kernel: &Kernel) -> std::ops::RangeInclusive<i32> {
    match kernel {
        Kernel::Gaussian { .. }
        | Kernel::InverseQuadratic { .. }
        | Kernel::InverseMultiquadric { .. }
        | Kernel::Multiquadric { .. } => -20..=5,
        Kernel::Polyharmonic { .. } => -8..=8,
        _ => -12..=12,
    }
}

fn coordinate(kernel: &Kernel, rng: &mut StdRng) -> f64 {
    let x = rng.random_range(1.0..2.0) * 2f64.powi(rng.random_range(exponents(kernel)));
    if rng.random() { -x } else { x }
}

fn random_case(kernel: Kernel, rng: &mut StdRng) -> Case {
    let dim = [1, 2, 3, 5][rng.random_range(0..4)];
    let epsilon = 2f64.powf(rng.random_range(-3.0..3.0));
    let kernel = with_epsilon(kernel, epsilon);
    Case {
        kernel,
        p: (0..dim).map(|_| coordinate(&kernel, rng)).collect(),
        q: (0..dim).map(|_| coordinate(&kernel, rng)).collect(),
    }
}

/// A small step: one coordinate (a few ulps, a relative nudge, a factor of two, a new value,
/// or set equal to its partner, for near-zero distances) or the shape parameter.
fn step(case: &Case, rng: &mut StdRng) -> Case {
    let mut next = case.clone();
    let dim = case.p.len();
    let k = rng.random_range(0..2 * dim + 1);
    if k == 2 * dim {
        if let Some(epsilon) = case.kernel.epsilon() {
            let epsilon = epsilon * (1.0 + rng.random_range(-1e-3..1e-3));
            next.kernel = with_epsilon(case.kernel, epsilon);
        }
        return next;
    }
    let (x, partner) = if k < dim {
        (&mut next.p[k], case.q[k])
    } else {
        (&mut next.q[k - dim], case.p[k - dim])
    };
    let nudged = |x: f64, ulps: i64| f64::from_bits((x.to_bits() as i64).wrapping_add(ulps) as u64);
    *x = match rng.random_range(0..6) {
        0 => nudged(*x, rng.random_range(-3..=3)),
        1 => nudged(*x, rng.random_range(-(1 << 30)..=1 << 30)),
        2 => *x * (1.0 + rng.random_range(-1e-3..1e-3)),
        3 => partner,
        4 if rng.random_range(0..4) == 0 => coordinate(&case.kernel, rng),
        _ => *x * 2f64.powi(rng.random_range(-1..=1)),
    };
    next
}

fn climb(start: (f64, Case), steps: usize, rng: &mut StdRng) -> (f64, Case) {
    let mut current = start;
    for _ in 0..steps {
        let candidate = step(&current.1, rng);
        if candidate
            .p
            .iter()
            .chain(&candidate.q)
            .any(|x| !x.is_finite())
        {
            continue;
        }
        let e = error(&candidate);
        if e >= current.0 {
            current = (e, candidate);
        }
    }
    current
}

/// `starts` climbs from the worst of 100 random cases each, then as many from the worst.
fn hunt(kernel: Kernel, seed: u64, starts: usize, steps: usize) -> (f64, Case) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut worst = (0.0, random_case(kernel, &mut rng));
    for _ in 0..starts {
        let mut start = (0.0, random_case(kernel, &mut rng));
        for _ in 0..100 {
            let case = random_case(kernel, &mut rng);
            let e = error(&case);
            if e > start.0 {
                start = (e, case);
            }
        }
        let found = climb(start, steps, &mut rng);
        if found.0 > worst.0 {
            worst = found;
        }
    }
    for _ in 0..starts {
        let found = climb(worst.clone(), steps, &mut rng);
        if found.0 > worst.0 {
            worst = found;
        }
    }
    worst
}

#[test]
fn every_kernels_worst_case_found_stays_within_its_documented_bound() {
    let kernels = [
        Kernel::Phi,
        Kernel::Linear { epsilon: 1.0 },
        Kernel::ThinPlateSpline { epsilon: 1.0 },
        Kernel::Cubic { epsilon: 1.0 },
        Kernel::Quintic { epsilon: 1.0 },
        Kernel::Multiquadric { epsilon: 1.0 },
        Kernel::InverseMultiquadric { epsilon: 1.0 },
        Kernel::InverseQuadratic { epsilon: 1.0 },
        Kernel::Gaussian { epsilon: 1.0 },
        Kernel::Polyharmonic {
            degree: 4,
            epsilon: 1.0,
        },
        Kernel::Polyharmonic {
            degree: 7,
            epsilon: 1.0,
        },
    ];
    let mut failures = Vec::new();
    for (seed, kernel) in kernels.into_iter().enumerate() {
        let (worst, case) = hunt(kernel, seed as u64, 60, 3000);
        let bound = kernel_bound(&kernel);
        println!(
            "{:<28} worst {worst:.2} ulp (bound {bound}) at {} p = {:?}, q = {:?}",
            kernel.name(),
            case.kernel.label(),
            case.p,
            case.q
        );
        if worst > bound {
            failures.push(format!("{}: {worst} > {bound}", kernel.name()));
        }
    }
    assert!(failures.is_empty(), "{failures:?}");
}

#[test]
fn thin_plate_spline_near_r_equal_one_is_relatively_accurate() {
    // r² = 1 ± a few ulps: ln r² is then tiny and the remainder of r² decides the result.
    let kernel = Kernel::ThinPlateSpline { epsilon: 1.0 };
    let mut worst: f64 = 0.0;
    for k in -40..=40 {
        for split in [0.6, 0.8, std::f64::consts::FRAC_1_SQRT_2] {
            let x = 1f64 + f64::from(k) * 1e-16;
            let (a, b) = (x * split, x * (1.0 - split * split).sqrt());
            let case = Case {
                kernel,
                p: vec![a, 0.0],
                q: vec![0.0, b],
            };
            worst = worst.max(error(&case));
        }
    }
    println!("thin_plate_spline near r = 1: worst {worst:.2} ulp");
    assert!(worst <= kernel_bound(&kernel), "{worst}");
}
