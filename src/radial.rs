//! The radial function φ(r) = r³/12 + r²/6 of the cubic RBF kernel, for one scalar.
//!
//! It goes through the compensated order's own last steps ([`phi_of_square`]): r² as the
//! rounded square plus its exact rounding error, then the inner factor and the product. For two
//! nodes that differ along one axis only, by `r`, the matrix entry of the default
//! [`Accuracy`](crate::Accuracy) equals `phi(r)` bit for bit (the kernel's r² is then `r·r` plus
//! the same rounding error, and the square root of a rounded square gives back `r` exactly).

use crate::arithmetic::square_error;
use crate::kernels::article::phi_of_square;
use crate::simd::{Lanes, Portable, Vector};

/// The cubic radial function φ(r) = r³/12 + r²/6.
///
/// Evaluated as `r² · (r/12 + 1/6)` with r² carried exactly, through the same SIMD code as the
/// matrix kernels: within 2 ulp of the exact value (see [`Accuracy`](crate::Accuracy)).
/// For r < 0 it evaluates the same polynomial; a NaN gives NaN and +∞ gives +∞.
///
/// # Example
/// ```
/// assert_eq!(pairkernel::phi(0.0), 0.0);
/// assert!((pairkernel::phi(2.0) - 4.0 / 3.0).abs() <= f64::EPSILON);
/// ```
pub fn phi(r: f64) -> f64 {
    if (r * r).is_infinite() {
        // r² overflowed (or r is ±∞): |φ| is far above f64::MAX, with r³'s sign.
        return f64::INFINITY.copysign(r);
    }
    // The portable path: every path gives the same bits.
    let r = Portable::splat(r);
    let square = r * r;
    phi_of_square(r, square, square_error(r, square)).to_array()[0]
}
