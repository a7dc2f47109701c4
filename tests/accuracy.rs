//! The accuracy bound, measured over large node sets and at the edges of the f64 range.

mod common;

use common::*;
use pairkernel::{Nodes, reference};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use twofloat::TwoFloat;

/// Largest ulp distance of the kernel from the exact values and from the reference.
fn worst_ulps(points: &[[f64; 3]]) -> (f64, f64) {
    let nodes = Nodes::from_points(points).unwrap();
    let d = pairkernel::kernel_matrix(&nodes).unwrap();
    let expected = reference::kernel_matrix(points);
    let mut worst = (0.0f64, 0.0f64);
    for (i, p) in points.iter().enumerate() {
        for (j, q) in points.iter().enumerate() {
            let entry = d[(i, j)];
            worst.0 = worst.0.max(ulps_from_exact(entry, exact_phi(*p, *q)));
            worst.1 = worst
                .1
                .max(ulps_apart(entry, expected[i * points.len() + j]));
        }
    }
    worst
}

#[test]
fn bound_holds_over_four_million_pairs() {
    let mut rng = StdRng::seed_from_u64(7);
    let unit_cube = Nodes::random(1500, &mut rng).to_points();
    let mixed: Vec<[f64; 3]> = (0..1500)
        .map(|_| {
            [(); 3].map(|_| {
                let x = rng.random_range(1.0..10.0) * 10f64.powi(rng.random_range(-3..=3));
                if rng.random() { -x } else { x }
            })
        })
        .collect();
    for (name, points) in [("unit cube", unit_cube), ("mixed scales", mixed)] {
        let (from_exact, from_reference) = worst_ulps(&points);
        println!(
            "{name}: worst {from_exact:.2} ulp from exact, {from_reference:.2} ulp from reference"
        );
        assert!(from_exact <= ULP_BOUND && from_reference <= ULP_BOUND);
    }
}

/// φ(d) = d³/12 + d²/6 for d far outside the range where double-double products stay finite
/// and normal: d = m·2^k with m of moderate size, φ = φ_scaled·2^(3k), the powers of two applied
/// exactly. Returns φ_scaled and the exact φ (the latter only meaningful if it is finite).
fn exact_phi_of_distance(d: f64, k: i32) -> (TwoFloat, TwoFloat) {
    let m = TwoFloat::from(d * 2f64.powi(-k));
    let scaled = m * m * m / 12.0 + m * m / 6.0 * 2f64.powi(-k);
    let half_scale = 2f64.powi(3 * k / 2);
    let rest = 2f64.powi(3 * k - 2 * (3 * k / 2));
    (scaled, scaled * half_scale * half_scale * rest)
}

fn entry_for_distance(d: f64) -> f64 {
    let nodes = Nodes::from_points(&[[0.0, 0.0, 0.0], [0.0, d, 0.0]]).unwrap();
    pairkernel::kernel_matrix(&nodes).unwrap()[(0, 1)]
}

#[test]
fn phi_is_finite_and_accurate_just_below_f64_max() {
    // φ(1.2e103) ≈ 1.44e308 < f64::MAX ≈ 1.80e308.
    for d in [6e102, 1e103, 1.2e103, 1.25e103] {
        let (_, exact) = exact_phi_of_distance(d, 300);
        let got = entry_for_distance(d);
        assert!(
            got.is_finite(),
            "φ({d:e}) = {got:e}, exact {:e}",
            exact.hi()
        );
        let ulps = ulps_from_exact(got, exact);
        assert!(ulps <= ULP_BOUND, "φ({d:e}): {ulps} ulp");
    }
    // The article's formula overflows in L*L*L there: the documented difference.
    let reference = reference::kernel_matrix(&[[0.0; 3], [0.0, 1.2e103, 0.0]]);
    assert_eq!(reference[1], f64::INFINITY);
}

#[test]
fn phi_is_infinite_exactly_where_it_exceeds_f64_max() {
    // φ(1.3e103) ≈ 1.83e308 > f64::MAX; beyond, r² or even the difference overflows.
    for d in [1.3e103, 1e104, 1e160, 1e300, f64::MAX] {
        let k = (d.log2() as i32) - 40;
        let (scaled, _) = exact_phi_of_distance(d, k);
        assert!(
            scaled.hi() > f64::MAX * 2f64.powi(-3 * k),
            "d = {d:e}: exact φ <= f64::MAX"
        );
        assert_eq!(entry_for_distance(d), f64::INFINITY, "d = {d:e}");
    }
    // Coordinates of opposite sign near f64::MAX: the difference itself is +-inf.
    let nodes = Nodes::from_points(&[[f64::MAX, 0.0, 0.0], [-f64::MAX, 0.0, 0.0]]).unwrap();
    let d = pairkernel::kernel_matrix(&nodes).unwrap();
    assert_eq!(d.as_slice(), &[0.0, f64::INFINITY, f64::INFINITY, 0.0]);
}

#[test]
fn tiny_distances_stay_accurate_down_to_the_normal_range() {
    // φ(d) ≈ d²/6 is normal for d >= 3.7e-154.
    for d in [1e-100, 1e-150, 4e-154] {
        let got = entry_for_distance(d);
        let ulps = ulps_from_exact(got, exact_phi_of_distance(d, -520).1);
        assert!(ulps <= ULP_BOUND, "φ({d:e}) = {got:e}: {ulps} ulp");
    }
    // Below, φ is subnormal or zero: an absolute error of a few subnormal steps.
    for d in [1e-160, 1e-170, 1e-200] {
        let got = entry_for_distance(d);
        let exact = exact_phi_of_distance(d, -560).1.hi();
        assert!(
            (got - exact).abs() <= 8.0 * f64::from_bits(1),
            "φ({d:e}) = {got:e}, exact {exact:e}"
        );
    }
}
