//! Every SIMD path the CPU has gives the same bits as the portable path: every kernel, both
//! accuracies, every schedule and store path, dense and matrix-free, in several dimensions and
//! at sizes with every tail, on inputs that reach the kernels' special cases (zero and
//! subnormal distances, exponentials with subnormal results, overflowing r²).

mod common;

use common::bits;
use pairkernel::kernels::{RadialFunction, SquaredDistance};
use pairkernel::simd::{Lanes, SimdPath};
use pairkernel::{Accuracy, Error, Kernel, KernelChoice, Nodes, Plan, Schedule, Stores};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// A user's kernel using every lane operation a kernel can reach.
#[derive(Clone, Debug)]
struct EveryOperation;

impl RadialFunction for EveryOperation {
    #[inline(always)]
    fn lanes<V: Lanes>(&self, r2: SquaredDistance<V>) -> V {
        let s = r2.value();
        let r = s.sqrt();
        let wendland = (V::ONE - r).max(V::ZERO).min(V::splat(0.75));
        let rounded = (r * V::splat(3.0)).round_ties_even();
        let log = (s + V::splat(1e-300)).ln();
        let bump = (-s).exp().abs();
        let picked = s.simd_gt(V::ONE).select(log, bump);
        let picked = s.simd_lt(V::splat(0.25)).select(-wendland, picked);
        let picked = s.simd_ne(s).select(V::ZERO, picked);
        r2.where_overflowed(picked.mul_add(rounded, wendland) / (V::ONE + s), 0.0)
    }
    fn reference(&self, r: f64) -> f64 {
        r
    }
}

fn kernels() -> Vec<Kernel> {
    let mut kernels: Vec<Kernel> = Kernel::NAMES[..9]
        .iter()
        .map(|name| Kernel::from_name(name, Some(0.7)).unwrap())
        .collect();
    kernels.push(Kernel::Polyharmonic {
        degree: 4,
        epsilon: 1.3,
    });
    kernels.push(Kernel::Polyharmonic {
        degree: 7,
        epsilon: 1.0,
    });
    kernels
}

/// `n` nodes in `dim` dimensions at mixed scales: a cluster at unit scale, repeated nodes,
/// nodes 10⁻¹⁶⁰ apart (subnormal r²), nodes ~27 apart (exp(−r²) subnormal), and, if `huge`,
/// nodes 10¹⁶⁰ apart (r² overflows).
fn awkward_nodes(n: usize, dim: usize, seed: u64, huge: bool) -> Nodes {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut flat = Vec::with_capacity(n * dim);
    for i in 0..n {
        let base: f64 = match i % 5 {
            0 => 1.0,
            1 => 1e-160,
            2 => 27.0 / (dim as f64).sqrt(),
            3 if huge => 1e160,
            _ => 3.0,
        };
        for _ in 0..dim {
            flat.push(base * rng.random_range(-1.0..1.0));
        }
    }
    if n >= 2 {
        flat.copy_within(0..dim, dim);
    }
    Nodes::from_flat(&flat, dim).unwrap()
}

/// Every output of one plan on one node set, as bits: the dense matrix by both schedules and
/// store paths, the cross matrix, and the products with 1 and 3 right-hand sides.
fn outputs<K: KernelChoice>(plan: &Plan<K>, nodes: &Nodes, others: &Nodes) -> Vec<Vec<u64>> {
    let mut out = Vec::new();
    for schedule in [Schedule::Rows, Schedule::Symmetric] {
        for stores in [Stores::Plain, Stores::Streaming] {
            let plan = plan.clone().schedule(schedule).stores(stores);
            out.push(bits(plan.kernel_matrix(nodes).unwrap().as_slice()));
        }
    }
    out.push(bits(plan.cross_matrix(others, nodes).unwrap().as_slice()));
    let n = nodes.len();
    for k in [1, 3] {
        let x: Vec<f64> = (0..n * k).map(|i| ((i * 7919) % 13) as f64 - 6.0).collect();
        let mut y = vec![0.0; n * k];
        plan.apply_many(nodes, &x, k, &mut y).unwrap();
        out.push(bits(&y));
        let mut y = vec![0.0; others.len() * k];
        plan.cross_apply_many(others, nodes, &x, k, &mut y).unwrap();
        out.push(bits(&y));
    }
    out
}

fn check_every_path<K: KernelChoice>(plan: Plan<K>, nodes: &Nodes, others: &Nodes) {
    let portable = outputs(&plan.clone().simd(SimdPath::Portable), nodes, others);
    for path in SimdPath::available_paths() {
        let got = outputs(&plan.clone().simd(path), nodes, others);
        assert!(
            got == portable,
            "{path} differs from portable: kernel {:?}, accuracy {:?}, dim {}, n {}",
            plan.kernel_setting(),
            plan.accuracy_setting(),
            nodes.dim(),
            nodes.len()
        );
    }
}

#[test]
fn every_path_gives_the_portable_bits_for_every_kernel() {
    for (seed, (n, dim)) in [(1, 3), (9, 1), (17, 2), (33, 3), (13, 5), (23, 9)]
        .into_iter()
        .enumerate()
    {
        let seed = seed as u64;
        let nodes = awkward_nodes(n, dim, seed, false);
        let others = awkward_nodes(n / 2 + 3, dim, seed + 100, false);
        for kernel in kernels() {
            for accuracy in [Accuracy::Compensated, Accuracy::Fast] {
                let plan = Plan::new().kernel(kernel).accuracy(accuracy).tile(5, 8);
                check_every_path(plan, &nodes, &others);
            }
        }
        check_every_path(Plan::new().kernel(EveryOperation), &nodes, &others);
    }
}

#[test]
fn every_path_gives_the_portable_bits_where_entries_overflow() {
    // Products skip zero weights where an entry may be infinite: the other branch.
    let nodes = awkward_nodes(29, 3, 7, true);
    let others = awkward_nodes(11, 3, 8, true);
    for kernel in [
        Kernel::Phi,
        Kernel::Quintic { epsilon: 1.0 },
        Kernel::Gaussian { epsilon: 1.0 },
    ] {
        check_every_path(Plan::new().kernel(kernel), &nodes, &others);
    }
}

#[test]
fn every_path_gives_the_portable_bits_on_a_larger_problem_with_threads() {
    let nodes = awkward_nodes(301, 3, 3, false);
    let others = awkward_nodes(77, 3, 4, false);
    check_every_path(Plan::new().threads(2), &nodes, &others);
    check_every_path(
        Plan::new()
            .threads(2)
            .kernel(Kernel::ThinPlateSpline { epsilon: 1.0 }),
        &nodes,
        &others,
    );
}

#[test]
fn a_path_the_cpu_lacks_is_a_typed_error() {
    let nodes = Nodes::from_points(&[[0.0; 3], [1.0, 2.0, 3.0]]).unwrap();
    for path in SimdPath::ALL {
        let result = Plan::new().simd(path).kernel_matrix(&nodes);
        if path.available() {
            assert!(result.is_ok());
        } else {
            let error = result.unwrap_err();
            assert!(matches!(error, Error::SimdUnavailable { .. }), "{error}");
            assert!(error.to_string().contains(path.name()), "{error}");
        }
    }
    assert!(SimdPath::Portable.available());
    assert_eq!(SimdPath::widest(), SimdPath::available_paths()[0]);
}

#[test]
fn the_one_value_functions_match_the_matrix_on_every_path() {
    // `phi` and `RadialFunction::at` run on the portable path; an entry of two nodes `r` apart
    // along one axis is the same bits on every path.
    for r in [0.0, 1e-160, 0.37, 1.0, 3.5, 1e100] {
        let nodes = Nodes::from_points(&[[0.0; 3], [r, 0.0, 0.0]]).unwrap();
        for path in SimdPath::available_paths() {
            let d = Plan::new().simd(path).kernel_matrix(&nodes).unwrap();
            assert_eq!(
                d[(0, 1)].to_bits(),
                pairkernel::phi(r).to_bits(),
                "{path}, r = {r}"
            );
        }
    }
}
