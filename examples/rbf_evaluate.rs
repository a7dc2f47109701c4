//! Fit a cubic RBF interpolant on a few thousand nodes with the dense kernel matrix, then
//! evaluate it at 10⁵ new points without ever forming the 10⁵ × N evaluation matrix.
//!
//! ```sh
//! cargo run --release --example rbf_evaluate            # N = 2000 centres, 100000 points
//! cargo run --release --example rbf_evaluate -- 4000 200000
//! ```
//!
//! The interpolant is `s(p) = Σⱼ wⱼ φ(|p − vⱼ|) + c₀ + c₁x + c₂y + c₃z`: the cubic kernel is only
//! conditionally positive definite, so it needs the degree-1 polynomial terms and the side
//! conditions `Σⱼ wⱼ = Σⱼ wⱼ vⱼ = 0`. The weights solve the (N + 4)² saddle-point system
//! `[[D, P], [Pᵀ, 0]] [w; c] = [f; 0]` (`D` from `pairkernel::kernel_matrix`, solved by
//! nalgebra's LU). Evaluation is `pairkernel::cross_apply(points, centres, w)` plus the
//! polynomial, O(N + M) memory.

use std::time::Instant;

use nalgebra::{DMatrix, DVector};
use pairkernel::Nodes;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// The smooth function interpolated.
fn f([x, y, z]: [f64; 3]) -> f64 {
    (-(x * x + y * y)).exp() * (3.0 * z).sin() + 0.5 * x * y
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(Ok(2000), |a| a.parse())?;
    let m: usize = args.next().map_or(Ok(100_000), |a| a.parse())?;
    let mut rng = StdRng::seed_from_u64(7);
    let mut random_points = |count: usize| -> Vec<[f64; 3]> {
        (0..count)
            .map(|_| [rng.random(), rng.random(), rng.random()])
            .collect()
    };
    let centre_points = random_points(n);
    let eval_points = random_points(m);
    let centres = Nodes::from_points(&centre_points)?;
    let targets = Nodes::from_points(&eval_points)?;

    // Fit: the dense N × N kernel matrix, bordered by the linear polynomial block.
    let started = Instant::now();
    let d = pairkernel::kernel_matrix(&centres)?;
    let matrix_s = started.elapsed().as_secs_f64();
    let size = n + 4;
    let mut system = DMatrix::<f64>::zeros(size, size);
    for i in 0..n {
        system
            .row_mut(i)
            .columns_mut(0, n)
            .copy_from_slice(d.row(i));
        let [x, y, z] = centre_points[i];
        for (c, value) in [1.0, x, y, z].into_iter().enumerate() {
            system[(i, n + c)] = value;
            system[(n + c, i)] = value;
        }
    }
    let mut rhs = DVector::<f64>::zeros(size);
    for (i, &p) in centre_points.iter().enumerate() {
        rhs[i] = f(p);
    }
    let solved = system
        .lu()
        .solve(&rhs)
        .ok_or("the interpolation system is singular")?;
    let fit_s = started.elapsed().as_secs_f64();
    let weights: Vec<f64> = solved.rows(0, n).iter().copied().collect();
    let poly: Vec<f64> = solved.rows(n, 4).iter().copied().collect();

    // Evaluate at M points: the RBF sum without the M × N matrix, then the polynomial.
    let started = Instant::now();
    let mut values = vec![0.0; m];
    pairkernel::cross_apply(&targets, &centres, &weights, &mut values)?;
    let evaluate_s = started.elapsed().as_secs_f64();
    let mut max_error = 0.0f64;
    let mut squared = 0.0;
    for (value, &p) in values.iter_mut().zip(&eval_points) {
        *value += poly[0] + poly[1] * p[0] + poly[2] * p[1] + poly[3] * p[2];
        let error = (*value - f(p)).abs();
        max_error = max_error.max(error);
        squared += error * error;
    }
    let rms_error = (squared / m as f64).sqrt();

    println!("cubic RBF interpolant of f(x,y,z) = exp(-(x²+y²))·sin(3z) + xy/2 on [0,1)³");
    println!("simd: {}", pairkernel::simd_features().join(" "));
    println!(
        "fit: {n} centres, kernel matrix {:.1} ms, whole fit (matrix + LU of {size}²) {:.2} s",
        matrix_s * 1e3,
        fit_s
    );
    println!(
        "evaluate at {m} points with cross_apply: {:.1} ms ({:.2} G pair evaluations/s), \
         memory O(N + M)",
        evaluate_s * 1e3,
        (n * m) as f64 / 1e9 / evaluate_s
    );
    println!("interpolation error: max {max_error:.3e}, rms {rms_error:.3e}");
    Ok(())
}
