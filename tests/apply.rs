//! Matrix-free products against the exact matrix times x, summed in double-double;
//! bitwise identity across plans, right-hand sides and entry points; errors.

mod common;

use common::*;
use pairkernel::{Accuracy, Error, Kernel, Nodes, Plan, Schedule};
use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use twofloat::TwoFloat;

/// The error bound of `y = C·x`, in units of `f64::EPSILON · Σⱼ |Cᵢⱼ·xⱼ|`, for `q` columns. The
/// q terms are summed one after another, each by one fused multiply-add that rounds once by at
/// most u = ε/2 of a partial sum (≤ Σ|terms|): q/2 ε to first order, one ε more for the
/// second-order terms; each entry is within 2 ulp of exact (the crate's accuracy bound, at
/// most 2 ε relative).
fn bound_in_eps(q: usize) -> f64 {
    (q.div_ceil(2) + 1 + ULP_BOUND as usize) as f64
}

/// `y = C·x` as the naive loop sums it, from the cross matrix's own entries: for each row and
/// right-hand side, `s = 0; for j { s = Cᵢⱼ·x[j][m] + s }`. The crate promises these bits.
fn naive_loop(c: &[f64], q: usize, x: &[f64], k: usize) -> Vec<f64> {
    let p = c.len().checked_div(q).unwrap_or(0);
    let mut y = vec![0.0; p * k];
    for i in 0..p {
        for m in 0..k {
            y[i * k + m] = (0..q).fold(0.0, |s: f64, j| c[i * q + j].mul_add(x[j * k + m], s));
        }
    }
    y
}

/// `max over i of |yᵢ − (C·x)ᵢ| / (ε · Σⱼ |Cᵢⱼ·xⱼ|)`, with `C` the exact cross matrix and the
/// products and sums in double-double.
fn worst_error_in_eps(rows: &[[f64; 3]], cols: &[[f64; 3]], x: &[f64], y: &[f64]) -> f64 {
    let mut worst = 0.0f64;
    for (i, &got) in y.iter().enumerate() {
        let mut exact = TwoFloat::from(0.0);
        let mut magnitude = TwoFloat::from(0.0);
        for (j, &xj) in x.iter().enumerate() {
            let term = exact_phi(rows[i], cols[j]) * xj;
            exact += term;
            magnitude += term.abs();
        }
        let scale = magnitude.hi() * f64::EPSILON;
        let error = (TwoFloat::from(got) - exact).abs().hi();
        if scale > 0.0 {
            worst = worst.max(error / scale);
        } else {
            assert_eq!(got, 0.0, "row {i}: every term is zero");
        }
    }
    worst
}

/// Right-hand side values of mixed sign and scale, 1e-3 … 1e3.
fn rhs_values(len: usize) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(
        (any::<bool>(), 1.0..10.0f64, -3..=2i32).prop_map(|(negative, mantissa, exponent)| {
            let v = mantissa * 10f64.powi(exponent);
            if negative { -v } else { v }
        }),
        len,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn cross_apply_is_within_the_bound_and_the_same_bits_under_every_plan(
        (rows, cols, x) in (point_set(120), point_set(120)).prop_flat_map(|(rows, cols)| {
            let q = cols.len();
            (Just(rows), Just(cols), rhs_values(q))
        }),
        plan in any_plan(),
    ) {
        let row_nodes = Nodes::from_points(&rows).unwrap();
        let col_nodes = Nodes::from_points(&cols).unwrap();
        let mut y = vec![f64::NAN; rows.len()];
        plan.cross_apply(&row_nodes, &col_nodes, &x, &mut y).unwrap();
        let worst = worst_error_in_eps(&rows, &cols, &x, &y);
        prop_assert!(worst <= bound_in_eps(cols.len()), "{worst} ε against a bound of {}", bound_in_eps(cols.len()));

        let mut default = vec![f64::NAN; rows.len()];
        pairkernel::cross_apply(&row_nodes, &col_nodes, &x, &mut default).unwrap();
        prop_assert_eq!(bits(&y), bits(&default));
    }

    #[test]
    fn apply_many_gives_each_column_the_bits_of_apply(
        (points, k, x) in (point_set(60), 0..20usize).prop_flat_map(|(points, k)| {
            let len = points.len() * k;
            (Just(points), Just(k), rhs_values(len))
        }),
        plan in any_plan(),
    ) {
        let nodes = Nodes::from_points(&points).unwrap();
        let n = points.len();
        let mut y = vec![f64::NAN; n * k];
        plan.apply_many(&nodes, &x, k, &mut y).unwrap();
        for m in 0..k {
            let column: Vec<f64> = (0..n).map(|j| x[j * k + m]).collect();
            let mut single = vec![f64::NAN; n];
            Plan::new().threads(1).apply(&nodes, &column, &mut single).unwrap();
            let got: Vec<f64> = (0..n).map(|i| y[i * k + m]).collect();
            prop_assert_eq!(bits(&got), bits(&single), "right-hand side {} of {}", m, k);
        }
    }
}

#[test]
fn every_product_is_the_naive_loop_over_the_matrix_entries_bit_for_bit() {
    let kernels = [
        Kernel::Phi,
        Kernel::Gaussian { epsilon: 0.9 },
        Kernel::ThinPlateSpline { epsilon: 1.0 },
        Kernel::InverseMultiquadric { epsilon: 1.3 },
    ];
    let mut rng = StdRng::seed_from_u64(7);
    for kernel in kernels {
        for accuracy in [Accuracy::Compensated, Accuracy::Fast] {
            for (n, dim) in [(1, 3), (5, 2), (33, 3), (67, 1), (130, 5), (301, 3)] {
                let flat: Vec<f64> = (0..n * dim).map(|_| rng.random_range(-2.0..2.0)).collect();
                let nodes = Nodes::from_flat(&flat, dim).unwrap();
                let plan = Plan::new().kernel(kernel).accuracy(accuracy);
                let d = plan.kernel_matrix(&nodes).unwrap();
                for k in [1, 3, 17] {
                    // Weights with zeros among them and of both signs.
                    let x: Vec<f64> = (0..n * k)
                        .map(|i| {
                            if i % 7 == 3 {
                                0.0
                            } else {
                                rng.random_range(-1.0..1.0)
                            }
                        })
                        .collect();
                    let expected = naive_loop(d.as_slice(), n, &x, k);
                    for threads in [1, 2] {
                        for schedule in [Schedule::Auto, Schedule::Rows, Schedule::Symmetric] {
                            for tile in [(1, 1), (13, 40), (256, 256)] {
                                let plan = plan
                                    .clone()
                                    .threads(threads)
                                    .schedule(schedule)
                                    .tile(tile.0, tile.1);
                                let mut y = vec![f64::NAN; n * k];
                                plan.apply_many(&nodes, &x, k, &mut y).unwrap();
                                assert_eq!(
                                    bits(&y),
                                    bits(&expected),
                                    "{kernel:?} {accuracy:?} n {n} d {dim} k {k} {plan:?}"
                                );
                            }
                        }
                    }
                    // A cross product: the first rows against all the nodes.
                    let rows = Nodes::from_flat(&flat[..n.div_ceil(2) * dim], dim).unwrap();
                    let c = plan.cross_matrix(&rows, &nodes).unwrap();
                    let mut y = vec![f64::NAN; rows.len() * k];
                    plan.cross_apply_many(&rows, &nodes, &x, k, &mut y).unwrap();
                    assert_eq!(bits(&y), bits(&naive_loop(c.as_slice(), n, &x, k)));
                }
            }
        }
    }
}

#[test]
fn awkward_sizes_give_the_same_bits_under_every_plan() {
    let plans = awkward_plans();
    for &n in AWKWARD_SIZES {
        let mut rng = StdRng::seed_from_u64(n as u64);
        let nodes = Nodes::random(n, &mut rng);
        let x: Vec<f64> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
        let mut expected = vec![f64::NAN; n];
        Plan::new()
            .threads(1)
            .apply(&nodes, &x, &mut expected)
            .unwrap();
        let points = nodes.to_points();
        if n <= 1031 {
            let worst = worst_error_in_eps(&points, &points, &x, &expected);
            assert!(worst <= bound_in_eps(n), "n = {n}: {worst} ε");
        }
        for plan in &plans {
            let mut y = vec![f64::NAN; n];
            plan.apply(&nodes, &x, &mut y).unwrap();
            assert_eq!(bits(&y), bits(&expected), "n = {n}, {plan:?}");
            // The kernel matrix is the cross matrix of a set with itself.
            plan.cross_apply(&nodes, &nodes, &x, &mut y).unwrap();
            assert_eq!(bits(&y), bits(&expected), "n = {n}, {plan:?}");
        }
    }
}

#[test]
fn the_measured_error_over_two_thousand_nodes_is_far_inside_the_bound() {
    let mut rng = StdRng::seed_from_u64(2000);
    let n = 2000;
    let nodes = Nodes::random(n, &mut rng);
    let points = nodes.to_points();
    for (what, x) in [
        (
            "x in [0, 1)",
            (0..n).map(|_| rng.random::<f64>()).collect::<Vec<_>>(),
        ),
        (
            "x in [-1, 1)",
            (0..n).map(|_| rng.random_range(-1.0..1.0)).collect(),
        ),
    ] {
        let mut y = vec![0.0; n];
        pairkernel::apply(&nodes, &x, &mut y).unwrap();
        let worst = worst_error_in_eps(&points, &points, &x, &y);
        println!(
            "apply, N = {n}, {what}: worst error {worst:.2} ε · Σ|Dij xj| (bound {})",
            bound_in_eps(n)
        );
        assert!(worst <= bound_in_eps(n), "{what}: {worst}");
    }
}

#[test]
fn wrong_lengths_and_non_finite_x_are_errors_that_say_which() {
    let nodes = Nodes::random(5, &mut StdRng::seed_from_u64(5));
    let three = Nodes::random(3, &mut StdRng::seed_from_u64(3));
    let mut y = vec![0.0; 5];
    assert_eq!(
        pairkernel::apply(&nodes, &[1.0; 4], &mut y),
        Err(Error::VectorLength {
            name: "x",
            expected: 5,
            got: 4,
            count: 5,
            k: 1
        })
    );
    assert_eq!(
        pairkernel::cross_apply(&nodes, &three, &[1.0; 3], &mut [0.0; 4]),
        Err(Error::VectorLength {
            name: "y",
            expected: 5,
            got: 4,
            count: 5,
            k: 1
        })
    );
    let err = pairkernel::apply_many(&nodes, &[1.0; 10], 3, &mut [0.0; 15]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "x has 10 entries, expected 15 (5 nodes x 3 right-hand sides)"
    );
    let mut x = [1.0; 5];
    x[3] = f64::NAN;
    let err = pairkernel::apply(&nodes, &x, &mut y).unwrap_err();
    assert!(matches!(err, Error::NonFiniteValue { index: 3, value } if value.is_nan()));
    assert_eq!(err.to_string(), "x[3] is not finite (NaN)");
    assert!(y.iter().all(|&v| v == 0.0), "nothing written on error");
    assert_eq!(pairkernel::apply_many(&nodes, &[], 0, &mut []), Ok(()));
    assert!(matches!(
        Plan::new().tile(0, 4).apply(&nodes, &[1.0; 5], &mut y),
        Err(Error::InvalidTile { .. })
    ));
}

#[test]
fn a_zero_weight_on_an_infinite_entry_contributes_nothing() {
    // D[0][1] = φ(1e200) overflows to +∞; x₁ = 0. The exact products are y₀ = y₂ = φ(1) = 0.25
    // and y₁ = +∞ (φ(1e200)·1 + φ(1e200 − 1)·1).
    let nodes = Nodes::from_points(&[[0.0; 3], [1e200, 0.0, 0.0], [1.0, 0.0, 0.0]]).unwrap();
    let x = [1.0, 0.0, 1.0];
    for plan in awkward_plans() {
        for accuracy in [Accuracy::Compensated, Accuracy::Fast] {
            let plan = plan.clone().accuracy(accuracy);
            let mut y = [f64::NAN; 3];
            plan.apply(&nodes, &x, &mut y).unwrap();
            assert_eq!(y, [0.25, f64::INFINITY, 0.25], "{plan:?}");
            // Three right-hand sides, all zero on node 1, of both signs elsewhere (the same
            // sign on nodes 0 and 2, so that row 1's two infinite terms agree).
            let x3 = [1.0, -2.0, 0.5, 0.0, 0.0, 0.0, 1.0, -3.0, 1.0];
            let mut y3 = [f64::NAN; 9];
            plan.apply_many(&nodes, &x3, 3, &mut y3).unwrap();
            let inf = f64::INFINITY;
            let expected = [0.25, -0.75, 0.25, inf, -inf, inf, 0.25, -0.5, 0.125];
            assert_eq!(y3, expected, "{plan:?}");
            // A right-hand side of zeros only: every term left out, the empty sum.
            let x2 = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0];
            let mut y2 = [f64::NAN; 6];
            plan.apply_many(&nodes, &x2, 2, &mut y2).unwrap();
            assert_eq!(y2, [0.25, 0.0, inf, 0.0, 0.25, 0.0], "{plan:?}");
        }
    }
    // Far-apart nodes whose entries are all finite take the same path as near ones: the bits
    // of each column equal `apply`'s, and no term is lost.
    let wide = Nodes::from_points(&[[0.0; 3], [1e102, 0.0, 0.0], [-1e102, 1.0, 0.0]]).unwrap();
    let mut y = [0.0; 3];
    pairkernel::apply(&wide, &[1.0, 0.0, 1.0], &mut y).unwrap();
    assert!(y.iter().all(|v| v.is_finite() && *v > 0.0), "{y:?}");
}

#[test]
fn the_fast_order_products_are_deterministic_and_use_its_entries() {
    let nodes = Nodes::random(131, &mut StdRng::seed_from_u64(131));
    let x: Vec<f64> = (0..131).map(|j| (j as f64 * 0.37).sin()).collect();
    let fast = Plan::new().threads(1).accuracy(Accuracy::Fast);
    let mut expected = vec![0.0; 131];
    fast.apply(&nodes, &x, &mut expected).unwrap();
    for plan in awkward_plans() {
        let mut y = vec![f64::NAN; 131];
        plan.accuracy(Accuracy::Fast)
            .apply(&nodes, &x, &mut y)
            .unwrap();
        assert_eq!(bits(&y), bits(&expected));
    }
    // The plan's accuracy reaches the products: some bits differ from the default's.
    let mut compensated = vec![0.0; 131];
    Plan::new()
        .threads(1)
        .apply(&nodes, &x, &mut compensated)
        .unwrap();
    assert_ne!(bits(&compensated), bits(&expected));
    // Against the fast dense matrix times x: close.
    let d = fast.kernel_matrix(&nodes).unwrap();
    for (i, &yi) in expected.iter().enumerate() {
        let dense: f64 = (0..131).map(|j| d[(i, j)] * x[j]).sum();
        let magnitude: f64 = (0..131).map(|j| (d[(i, j)] * x[j]).abs()).sum();
        assert!((yi - dense).abs() <= 40.0 * f64::EPSILON * magnitude);
    }
}

#[test]
fn zero_weights_on_overflowing_nodes_are_left_out_term_for_term() {
    // 101 nodes in the unit cube, one of them moved to 1e200: its entries are +∞, so every
    // product takes the path that leaves zero weights out. Expected: the naive loop over the
    // matrix's own entries with the zero-weight terms skipped, bit for bit (weights ≥ 0, so
    // the infinite terms never meet one of the other sign).
    let mut rng = StdRng::seed_from_u64(5);
    let mut points: Vec<[f64; 3]> = (0..101)
        .map(|_| [rng.random(), rng.random(), rng.random()])
        .collect();
    points[37] = [1e200, 0.0, 0.0];
    let nodes = Nodes::from_points(&points).unwrap();
    let others: Vec<[f64; 3]> = (0..45)
        .map(|_| [rng.random(), rng.random(), rng.random()])
        .collect();
    let others = Nodes::from_points(&others).unwrap();
    let skipping = |c: &[f64], q: usize, x: &[f64], k: usize| -> Vec<f64> {
        let p = c.len() / q;
        let mut y = vec![0.0; p * k];
        for i in 0..p {
            for m in 0..k {
                y[i * k + m] = (0..q)
                    .filter(|&j| x[j * k + m] != 0.0)
                    .fold(0.0, |s: f64, j| c[i * q + j].mul_add(x[j * k + m], s));
            }
        }
        y
    };
    for accuracy in [Accuracy::Compensated, Accuracy::Fast] {
        let plan = Plan::new().accuracy(accuracy);
        let d = plan.kernel_matrix(&nodes).unwrap();
        let c = plan.cross_matrix(&others, &nodes).unwrap();
        for k in [1, 3, 17] {
            // Zeros in every right-hand side (one of them on the far node), one all zeros.
            let x: Vec<f64> = (0..101 * k)
                .map(|i| {
                    if i % 5 == 1 || i % k == 2 || i == 37 * k {
                        0.0
                    } else {
                        rng.random::<f64>()
                    }
                })
                .collect();
            let expected = skipping(d.as_slice(), 101, &x, k);
            let expected_cross = skipping(c.as_slice(), 101, &x, k);
            for threads in [1, 2] {
                for schedule in [Schedule::Auto, Schedule::Rows, Schedule::Symmetric] {
                    let plan = plan.clone().threads(threads).schedule(schedule);
                    let mut y = vec![f64::NAN; 101 * k];
                    plan.apply_many(&nodes, &x, k, &mut y).unwrap();
                    assert_eq!(y, expected, "{plan:?} k = {k}");
                    let mut y = vec![f64::NAN; 45 * k];
                    plan.cross_apply_many(&others, &nodes, &x, k, &mut y)
                        .unwrap();
                    assert_eq!(y, expected_cross, "{plan:?} k = {k}");
                }
            }
        }
    }
}
