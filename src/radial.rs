//! The radial function φ(r) = r³/12 + r²/6 of the cubic RBF kernel.
//!
//! There is exactly one copy of its arithmetic, [`phi_x4`], on four lanes of [`wide::f64x4`].
//! The tile kernel calls it for every entry, and the scalar [`phi`] calls it too (one lane of a
//! splat), so a scalar evaluation and a matrix entry go through the same instructions.
//!
//! # Evaluation order
//! φ = r² · (r·(1/12) + 1/6), the inner part by one `mul_add`. Compared with the article's
//! `r*r*r/12 + r*r/6` it needs no division (a `vdivpd` costs as much as the square root that
//! already bounds the kernel), and every intermediate is positive for r ≥ 0, so the relative
//! rounding errors add up instead of cancelling: at most a few ulp (see the crate docs for the
//! bound measured). φ(0) is exactly 0, since r² = 0 multiplies a finite factor.

use wide::f64x4;

/// 1/12, rounded once to f64 at compile time.
const ONE_TWELFTH: f64 = 1.0 / 12.0;
/// 1/6, rounded once to f64 at compile time.
const ONE_SIXTH: f64 = 1.0 / 6.0;

/// φ on four lanes, given each lane's distance `r` and squared distance `r_squared`.
///
/// Taking r² as an input lets the tile kernel pass the squared distance it already has (exact up
/// to the rounding of the sum of squares), instead of squaring the rounded square root.
#[inline(always)]
pub(crate) fn phi_x4(r: f64x4, r_squared: f64x4) -> f64x4 {
    r.mul_add(f64x4::splat(ONE_TWELFTH), f64x4::splat(ONE_SIXTH)) * r_squared
}

/// The cubic radial function φ(r) = r³/12 + r²/6.
///
/// Evaluated as `r² · (r/12 + 1/6)` through the same SIMD code as the matrix kernels: for two
/// nodes that differ along one axis only, by `r`, the matrix entry equals `phi(r)` bit for bit
/// (the kernel's r² is then `r * r` rounded, and its square root gives back `r` exactly).
/// For r < 0 it evaluates the same polynomial; a NaN gives NaN and +∞ gives +∞.
///
/// # Platform-specific behavior
/// Without the `fma` target feature, `wide` evaluates the `mul_add` as a multiply and an add
/// (two roundings), so the last bit may differ between builds with and without FMA.
///
/// # Example
/// ```
/// assert_eq!(pairkernel::phi(0.0), 0.0);
/// assert!((pairkernel::phi(2.0) - 4.0 / 3.0).abs() <= f64::EPSILON);
/// ```
pub fn phi(r: f64) -> f64 {
    phi_x4(f64x4::splat(r), f64x4::splat(r * r)).to_array()[0]
}
