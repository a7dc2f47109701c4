//! The entry arithmetic: φ(|p − q|) for one row node against four column nodes, in the two
//! orders a [`Plan`](crate::Plan) can choose between ([`Accuracy`]).
//!
//! Every schedule and the matrix-free products call [`EntryArithmetic::entries_x4`] for every
//! entry they compute; there is no other copy of this arithmetic. Each entry is a lane-wise
//! function of its two nodes alone, so its bits cannot depend on the tile shape, the band, the
//! thread or its neighbours.
//!
//! # The compensated order (the default), and its error budget
//! Measured against exact arithmetic, the plain order's error came almost all from r²: each
//! coordinate difference is rounded (relative error up to u = 2⁻⁵³), then squared and summed
//! (three more roundings), and φ carries r²'s relative error 1.5-fold. So r² is computed
//! (nearly) exactly, as an unevaluated sum `square + rest`, with error-free transformations, and
//! the square root's rounding is corrected to first order instead of carried:
//!
//! | step | how | error left |
//! |---|---|---|
//! | differences `dx, dy, dz` | two-sum: `d = h + l` exactly | none |
//! | squares `h²` | `h·h` and its exact rounding error, by one FMA | none |
//! | cross terms `2hl` | one FMA chain (they are ≤ 2u of `h²`) | ≤ 2⁻¹⁰⁴ of r², with `l²` dropped |
//! | the sum of the squares | two-sum twice | none |
//! | r² | `square` (the rounded sum) + `rest` (all the error terms) | ~2⁻¹⁰⁴ relative |
//! | `r = √square` | one square root, off the compensation's path | corrected: see below |
//! | √ correction | ρ = r² − r·r by one FMA; φ gains ρ·r/24 | second order, ~(5u)² |
//! | `g = r/12 + 1/6` | one FMA with the f64 constants | its rounding: < 1 ulp of φ |
//! | the constants | both are exactly (1 − 2⁻⁵⁴) of 1/12 and 1/6 | compensated exactly, in `rest` |
//! | `φ = square·g + (rest·g + ρr/24)` | one FMA | ½ ulp |
//!
//! So φ is within 1 + ½ ulp of the exact value, plus terms of order u² (each a rounding of a
//! quantity a few ulp in size): **at most 2 ulp**, documented with that margin. The worst-case
//! hunt in `tests/accuracy.rs` (random pairs at mixed scales, then a hill-climb against
//! double-double arithmetic) finds 1.3. The price is about 45 more floating-point operations
//! per four entries next to one square root: the README gives the throughput of both orders,
//! measured side by side.
//!
//! # The fast order (opt-in)
//! The first round's arithmetic: `r² = (dx·dx + dy·dy) + dz·dz` with rounded differences,
//! `φ = r²·(√r²·(1/12) + 1/6)`. Eleven operations; a worst-case analysis allows about 11 ulp,
//! the hunt finds more than 8. For users who trade accuracy for speed.
//!
//! # Both orders
//! `D[i][j] == D[j][i]` bit for bit: `q − p` is `−(p − q)` exactly (round-to-nearest is
//! symmetric), so is the two-sum's error term (it is the exact remainder), every later step sees
//! only squares and products of two negated values, and the axes are summed in the same order.
//! `D[i][i] == 0`: every term is zero. An entry whose r² overflows is `+∞`; near `f64::MAX`
//! the bound holds with `+∞` standing for 2¹⁰²⁴ (an exact value less than 2 ulp above `MAX`
//! may come out as `MAX`, one less than 1 ulp below it as `+∞`).
//!
//! # Platform-specific behavior
//! On x86-64 without the `fma` target feature `wide`'s `mul_add` is a multiply and an add. The square's
//! rounding error is then taken by Dekker's split instead (exact as well, so the same bits),
//! but the other fused steps round twice: the last bit may differ from an FMA build, and the
//! bound is then 3 ulp (the last product's extra rounding, and the residual ρ's, which is no
//! longer small next to the rounding it corrects). The same hunt in a `-C target-cpu=x86-64`
//! build found 2.44 ulp (8.52 for the fast order); the tests assert 3 in such builds. CI builds
//! for the CPU it runs on, with FMA.

use wide::f64x4;

/// Which arithmetic computes the entries: a [`Plan`](crate::Plan) setting.
///
/// Both are deterministic (the same bits for every plan, `D[i][j] == D[j][i]`, `D[i][i] == 0`);
/// they differ in how close the bits are to the exact φ(|vᵢ − vⱼ|) of the given coordinates,
/// and in speed. The bounds are in ulp of the exact value, for every finite input.
///
/// ```
/// use pairkernel::{Accuracy, Nodes, Plan};
/// let nodes = Nodes::from_points(&[[512.0320230295504, 2.4032680271310127, -0.009795234677227427],
///                                  [0.026168665981742837, -0.07901331527813071, -275.6275534371252]])?;
/// let accurate = Plan::new().kernel_matrix(&nodes)?;
/// let fast = Plan::new().accuracy(Accuracy::Fast).kernel_matrix(&nodes)?;
/// // The exact value is 16440641.01822993491… (the f64 nearest to it is within ½ ulp), and an
/// // ulp here is 2^-29: the default is within 2 ulp, the fast order 8.78 ulp away.
/// let (exact, ulp) = (16440641.018229934911, 2f64.powi(-29));
/// assert!((accurate[(0, 1)] - exact).abs() <= 2.5 * ulp);
/// assert!((fast[(0, 1)] - exact).abs() >= 8.0 * ulp);
/// # Ok::<(), pairkernel::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Accuracy {
    /// Within **2 ulp** of exact (3 in builds without the `fma` target feature): differences
    /// and r² carried exactly by error-free transformations (two-sum, FMA products), the square
    /// root and the cubic's constants compensated. The default.
    #[default]
    Compensated,
    /// Within **11 ulp** of exact: the first round's plain order, rounded differences and r².
    Fast,
}

/// The arithmetic of one order, on lanes: what every schedule is generic over.
pub(crate) trait EntryArithmetic {
    /// φ(|p − q|) for the splatted row node `p` against the four column nodes `(qx, qy, qz)`.
    fn entries_x4(p: [f64x4; 3], qx: f64x4, qy: f64x4, qz: f64x4) -> f64x4;
}

/// [`Accuracy::Compensated`].
pub(crate) struct Compensated;

/// [`Accuracy::Fast`].
pub(crate) struct Fast;

/// 1/12, rounded once to f64: exactly (1 − 2⁻⁵⁴)/12 (1/3 = 0.0101…₂ rounds down by a third of
/// its last place).
const ONE_TWELFTH: f64 = 1.0 / 12.0;
/// 1/6, rounded once to f64: exactly (1 − 2⁻⁵⁴)/6, the same relative error as [`ONE_TWELFTH`].
const ONE_SIXTH: f64 = 1.0 / 6.0;
/// The constants' common relative shortfall, 2⁻⁵⁴: multiplying r² by (1 + 2⁻⁵⁴) undoes it to
/// within 2⁻¹⁰⁸.
const CONSTANTS_SHORTFALL: f64 = 1.0 / (1u64 << 54) as f64;
/// 1/24, for the square root's correction term (its rounding is 2⁻⁵³ of a term of a few ulp).
const ONE_TWENTY_FOURTH: f64 = 1.0 / 24.0;

impl EntryArithmetic for Compensated {
    #[inline(always)]
    fn entries_x4(p: [f64x4; 3], qx: f64x4, qy: f64x4, qz: f64x4) -> f64x4 {
        let (hx, lx) = two_difference(p[0], qx);
        let (hy, ly) = two_difference(p[1], qy);
        let (hz, lz) = two_difference(p[2], qz);
        let (sx, sy, sz) = (hx * hx, hy * hy, hz * hz);
        let square_errors = (square_error(hx, sx) + square_error(hy, sy)) + square_error(hz, sz);
        // Σ h·l: each term is at most 2⁻⁵³ of its h², so one rounding per term is 2⁻¹⁰⁶ of r².
        let cross = hz.mul_add(lz, hy.mul_add(ly, hx * lx));
        let (sum_xy, error_xy) = two_sum(sx, sy);
        let (sum, error_xyz) = two_sum(sum_xy, sz);
        let rest = f64x4::splat(2.0).mul_add(cross, square_errors + (error_xy + error_xyz));
        let entries = phi_of_square(sum.sqrt(), sum, rest);
        // Only an overflowing r² (difference or square past f64::MAX) makes the compensation
        // terms ∞ − ∞; the exact φ is then far above f64::MAX.
        sum.simd_eq(f64x4::splat(f64::INFINITY))
            .select(f64x4::splat(f64::INFINITY), entries)
    }
}

impl EntryArithmetic for Fast {
    /// r² summed as `(dx·dx + dy·dy) + dz·dz` with separate multiplies and adds, the order of
    /// [`reference`](crate::reference): its rounding is then shared with the reference's.
    #[inline(always)]
    fn entries_x4(p: [f64x4; 3], qx: f64x4, qy: f64x4, qz: f64x4) -> f64x4 {
        let dx = p[0] - qx;
        let dy = p[1] - qy;
        let dz = p[2] - qz;
        let r_squared = dx * dx + dy * dy + dz * dz;
        r_squared
            .sqrt()
            .mul_add(f64x4::splat(ONE_TWELFTH), f64x4::splat(ONE_SIXTH))
            * r_squared
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
pub(crate) fn phi_of_square(r: f64x4, square: f64x4, rest: f64x4) -> f64x4 {
    let residual = (-r).mul_add(r, square) + rest;
    let root_correction = residual * r * f64x4::splat(ONE_TWENTY_FOURTH);
    let inner = r.mul_add(f64x4::splat(ONE_TWELFTH), f64x4::splat(ONE_SIXTH));
    let rest = square.mul_add(f64x4::splat(CONSTANTS_SHORTFALL), rest);
    square.mul_add(inner, rest.mul_add(inner, root_correction))
}

/// `(h, l)` with `h = a − b` rounded and `h + l = a − b` exactly (Knuth's two-sum, six
/// operations, for any magnitudes).
#[inline(always)]
fn two_difference(a: f64x4, b: f64x4) -> (f64x4, f64x4) {
    let h = a - b;
    let b_part = h - a;
    (h, (a - (h - b_part)) - (b + b_part))
}

/// `(s, e)` with `s = a + b` rounded and `s + e = a + b` exactly (two-sum).
#[inline(always)]
fn two_sum(a: f64x4, b: f64x4) -> (f64x4, f64x4) {
    let s = a + b;
    let b_part = s - a;
    (s, (a - (s - b_part)) + (b - b_part))
}

/// The exact rounding error `h·h − square` of `square = h·h` (for squares that neither
/// overflow nor underflow): one FMA, or Dekker's split where the build has no FMA.
#[inline(always)]
pub(crate) fn square_error(h: f64x4, square: f64x4) -> f64x4 {
    if cfg!(target_feature = "fma") {
        h.mul_add(h, -square)
    } else {
        // Veltkamp's split into two 26-bit halves, whose products are exact.
        let scaled = h * f64x4::splat(134_217_729.0); // 2^27 + 1
        let high = scaled - (scaled - h);
        let low = h - high;
        ((high * high - square) + (high + high) * low) + low * low
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_constants_share_one_relative_error_of_exactly_two_to_the_minus_54() {
        // c6 = (1 − 2⁻⁵⁴)/6 means 6·c6 − 1 = −2⁻⁵⁴, a representable number: one FMA computes
        // it exactly (`f64::mul_add` is fused in every build, in software where needed).
        let residual = 6f64.mul_add(ONE_SIXTH, -1.0);
        assert_eq!(residual, -CONSTANTS_SHORTFALL);
        let residual = 12f64.mul_add(ONE_TWELFTH, -1.0);
        assert_eq!(residual, -CONSTANTS_SHORTFALL);
    }

    #[test]
    fn two_sums_are_exact_and_antisymmetric() {
        let cases = [
            (1.0, 1e-30),
            (512.03, -0.0261),
            (-3.0e10, 7.1e-5),
            (0.1, 0.3),
        ];
        for (a, b) in cases {
            let (h, l) = two_difference(f64x4::splat(a), f64x4::splat(b));
            let (h2, l2) = two_difference(f64x4::splat(b), f64x4::splat(a));
            assert_eq!(
                (h2.to_array()[0], l2.to_array()[0]),
                (-h.to_array()[0], -l.to_array()[0])
            );
            let exact = twofloat::TwoFloat::new_sub(a, b);
            assert_eq!((h.to_array()[0], l.to_array()[0]), (exact.hi(), exact.lo()));
        }
    }
}
