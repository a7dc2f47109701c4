//! The article's cubic, φ(r) = r³/12 + r²/6: the default kernel, bit for bit the first
//! rounds' entries.
//!
//! Compensated order: φ = r²·(r/12 + 1/6) with r² = `square + rest` and the square root's
//! rounding corrected to first order (see [`phi_of_square`]); the error budget is in
//! [`Accuracy`](crate::Accuracy)'s module, ≤ 2 ulp. Fast order: the first round's eleven
//! operations.

use crate::simd::Lanes;

use super::{RadialFunction, SquaredDistance};

/// The article's φ(r) = r³/12 + r²/6 (no shape parameter): [`Kernel::Phi`](super::Kernel::Phi).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Phi;

/// 1/12, rounded once to f64: exactly (1 − 2⁻⁵⁴)/12 (1/3 = 0.0101…₂ rounds down by a third of
/// its last place).
pub(crate) const ONE_TWELFTH: f64 = 1.0 / 12.0;
/// 1/6, rounded once to f64: exactly (1 − 2⁻⁵⁴)/6, the same relative error as [`ONE_TWELFTH`].
pub(crate) const ONE_SIXTH: f64 = 1.0 / 6.0;
/// The constants' common relative shortfall, 2⁻⁵⁴: multiplying r² by (1 + 2⁻⁵⁴) undoes it to
/// within 2⁻¹⁰⁸.
pub(crate) const CONSTANTS_SHORTFALL: f64 = 1.0 / (1u64 << 54) as f64;
/// 1/24, for the square root's correction term (its rounding is 2⁻⁵³ of a term of a few ulp).
const ONE_TWENTY_FOURTH: f64 = 1.0 / 24.0;

impl RadialFunction for Phi {
    #[inline(always)]
    fn lanes<V: Lanes>(&self, r2: SquaredDistance<V>) -> V {
        let entries = phi_of_square(r2.square.sqrt(), r2.square, r2.rest);
        // Only an overflowing r² (difference or square past f64::MAX) makes the compensation
        // terms ∞ − ∞; the exact φ is then far above f64::MAX.
        r2.where_overflowed(entries, f64::INFINITY)
    }

    const FAST_IS_CHEAP: bool = true;

    /// The first round's order, `r²·(√r²·(1/12) + 1/6)`: eleven operations with the rounded r².
    #[inline(always)]
    fn lanes_fast<V: Lanes>(&self, r_squared: V) -> V {
        r_squared
            .sqrt()
            .mul_add(V::splat(ONE_TWELFTH), V::splat(ONE_SIXTH))
            * r_squared
    }

    /// The article's formula, `L·L·L/12 + L·L/6`.
    fn reference(&self, r: f64) -> f64 {
        r * r * r / 12.0 + r * r / 6.0
    }

    fn at(&self, r: f64) -> f64 {
        crate::radial::phi(r)
    }
}

/// φ = r²·(r/12 + 1/6) for r² = `square + rest` (`rest` the small remainder of the rounded
/// `square`), given `r`, the square root of `square` (or of anything within a few ulp of r²).
///
/// Why `r`'s own error does not matter: with ρ = r² − r·r (computed by one FMA, nearly exactly),
/// √(r²) = r + ρ/(2r) to second order, so
/// φ = r²·(r/12 + 1/6) + r²·ρ/(24r) = r²·(r/12 + 1/6) + ρ·r/24 (as r² = r·r to first order),
/// with no division. The terms beyond `square·inner` are a few ulp of φ, so their own roundings
/// are negligible; what is left is the rounding of `inner` (≤ 1 ulp) and of the last FMA (½ ulp).
/// The constants' common shortfall is folded into `rest`. (Correcting `r` this way also takes
/// the square root off the path of the compensation terms: it starts as soon as the rounded
/// square is known.)
#[inline(always)]
pub(crate) fn phi_of_square<V: Lanes>(r: V, square: V, rest: V) -> V {
    let residual = (-r).mul_add(r, square) + rest;
    let root_correction = residual * r * V::splat(ONE_TWENTY_FOURTH);
    let inner = r.mul_add(V::splat(ONE_TWELFTH), V::splat(ONE_SIXTH));
    let rest = square.mul_add(V::splat(CONSTANTS_SHORTFALL), rest);
    square.mul_add(inner, rest.mul_add(inner, root_correction))
}
