//! Fit an RBF interpolant (the article's cubic φ, with scipy's defaults otherwise) on a few
//! thousand nodes, then evaluate it at 10⁵ new points without ever forming the 10⁵ × N
//! evaluation matrix.
//!
//! ```sh
//! cargo run --release --example rbf_evaluate            # N = 2000 centres, 100000 points
//! cargo run --release --example rbf_evaluate -- 4000 200000
//! ```
//!
//! `pairkernel::interpolate` does what this example did by hand in the first round: the
//! saddle-point system with the degree-1 polynomial that φ needs (on shifted and scaled
//! coordinates), its dense solve, and evaluation by the matrix-free cross product.

use std::time::Instant;

use pairkernel::Nodes;
use pairkernel::interpolate::RbfInterpolator;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// The smooth function interpolated.
fn f(p: &[f64]) -> f64 {
    (-(p[0] * p[0] + p[1] * p[1])).exp() * (3.0 * p[2]).sin() + 0.5 * p[0] * p[1]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(Ok(2000), |a| a.parse())?;
    let m: usize = args.next().map_or(Ok(100_000), |a| a.parse())?;
    let mut rng = StdRng::seed_from_u64(7);
    let mut random_points =
        |count: usize| -> Vec<f64> { (0..3 * count).map(|_| rng.random()).collect() };
    let (centres, targets) = (random_points(n), random_points(m));
    let values: Vec<f64> = centres.chunks(3).map(f).collect();

    let started = Instant::now();
    let (rbf, timings) = RbfInterpolator::builder().kernel("phi").fit_timed(
        &Nodes::from_flat(&centres, 3)?,
        &values,
        1,
    )?;
    let fit_s = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let interpolated = rbf.evaluate(&Nodes::from_flat(&targets, 3)?)?;
    let evaluate_s = started.elapsed().as_secs_f64();

    let errors: Vec<f64> = interpolated
        .iter()
        .zip(targets.chunks(3))
        .map(|(v, p)| (v - f(p)).abs())
        .collect();
    let max_error = errors.iter().copied().fold(0.0, f64::max);
    let rms_error = (errors.iter().map(|e| e * e).sum::<f64>() / m as f64).sqrt();
    println!("cubic RBF interpolant of f(x,y,z) = exp(-(x²+y²))·sin(3z) + xy/2 on [0,1)³");
    println!("simd: {}", pairkernel::simd_features().join(" "));
    println!(
        "fit: {n} centres in {fit_s:.2} s (kernel matrix {:.1} ms, factorization {:.1} ms)",
        timings.kernel_matrix.as_secs_f64() * 1e3,
        timings.factorization.as_secs_f64() * 1e3
    );
    println!(
        "evaluate at {m} points: {:.1} ms ({:.2} G pair evaluations/s), memory O(N + M)",
        evaluate_s * 1e3,
        (n * m) as f64 / 1e9 / evaluate_s
    );
    println!("interpolation error: max {max_error:.3e}, rms {rms_error:.3e}");
    Ok(())
}
