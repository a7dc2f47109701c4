//! Matrix-free products against the dense reference matrix times x, summed in double-double;
//! bitwise identity across plans, right-hand sides and entry points; errors.

mod common;

use common::*;
use pairkernel::{Error, Nodes, Plan, reference};
use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use twofloat::TwoFloat;

/// The error bound of `y = C·x`, in units of `f64::EPSILON · Σⱼ |Cᵢⱼ·xⱼ|`, for `q` columns. Each
/// lane sums about q/4 terms one after another (each addition rounds once: ≤ q/4 + 1), the
/// lanes are combined in two more additions, each product rounds once in the fused multiply-add
/// (counted in the sum's rounding), and each entry is within 4 ulp of the reference's (the
/// crate's accuracy tests; at most 8 ε relative, counted as 8).
fn bound_in_eps(q: usize) -> f64 {
    (q.div_ceil(4) + 1 + 2 + 8) as f64
}

/// `max over i of |yᵢ − (C·x)ᵢ| / (ε · Σⱼ |Cᵢⱼ·xⱼ|)`, with `C` the reference's cross matrix and
/// the products and sums in double-double.
fn worst_error_in_eps(rows: &[[f64; 3]], cols: &[[f64; 3]], x: &[f64], y: &[f64]) -> f64 {
    let c = reference::cross_matrix(rows, cols);
    let mut worst = 0.0f64;
    for (i, &got) in y.iter().enumerate() {
        let mut exact = TwoFloat::from(0.0);
        let mut magnitude = TwoFloat::from(0.0);
        for (j, &xj) in x.iter().enumerate() {
            let term = TwoFloat::new_mul(c[i * cols.len() + j], xj);
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
