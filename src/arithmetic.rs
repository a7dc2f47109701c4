//! The entry arithmetic: φ(|p − q|) for one row node against four column nodes, in the two
//! orders a [`Plan`](crate::Plan) can choose between ([`Accuracy`]).
//!
//! Every schedule and the matrix-free products compute every entry through the micro-kernel
//! ([`crate::block`]), which sums r² by [`EntryArithmetic`] and hands it to the kernel
//! ([`crate::kernels`]); there is no other copy of this arithmetic. Each entry is a lane-wise
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
//! # Every path, every build
//! Every step is an IEEE operation with one rounding (the multiply-adds fused on every SIMD
//! path, see [`crate::simd`]), so the bits, and the bound, are the same on every machine and in
//! every build.

use crate::kernels::{RadialFunction, SquaredDistance};
use crate::simd::Lanes;

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
    /// Within **2 ulp** of exact: differences
    /// and r² carried exactly by error-free transformations (two-sum, FMA products), the square
    /// root and the cubic's constants compensated. The default.
    #[default]
    Compensated,
    /// Within **11 ulp** of exact: the first round's plain order, rounded differences and r².
    Fast,
}

/// The arithmetic of one order, on lanes: how r² is summed over the axes, what every schedule
/// is generic over (through [`crate::block`]). An entry is
/// `finish(kernel, next(…next(second(first(axis 0), axis 1), axis 2)…))`: the axes in order,
/// the same operations for every entry whichever block computes it.
pub(crate) trait EntryArithmetic {
    /// r² of four entries, summed over the axes so far.
    type Partial<V: Lanes>: Copy;
    /// The first axis' term, for the splatted row coordinate `p` and the column lanes `q`.
    fn first<V: Lanes>(p: V, q: V) -> Self::Partial<V>;
    /// Adds the second axis (the first that needs a sum).
    fn second<V: Lanes>(partial: Self::Partial<V>, p: V, q: V) -> Self::Partial<V>;
    /// Adds a third or later axis.
    fn next<V: Lanes>(partial: Self::Partial<V>, p: V, q: V) -> Self::Partial<V>;
    /// φ of the finished r².
    fn finish<V: Lanes, F: RadialFunction>(kernel: &F, partial: Self::Partial<V>) -> V;
}

/// [`Accuracy::Compensated`].
pub(crate) struct Compensated;

/// [`Accuracy::Fast`].
pub(crate) struct Fast;

/// The compensated order's running r²: `sum` (rounded), and the error terms kept apart so that
/// they are summed in axis order, the 3-D grouping of the first rounds for any dimension.
#[derive(Clone, Copy)]
pub(crate) struct CompensatedPartial<V> {
    /// The rounded sum of the rounded squares `h²`.
    sum: V,
    /// The squares' exact rounding errors, summed in axis order.
    square_errors: V,
    /// The two-sums' errors, summed in axis order (from the second axis on).
    sum_errors: V,
    /// Σ h·l, the cross terms (each at most 2⁻⁵³ of its h², so one rounding per term is 2⁻¹⁰⁶
    /// of r²).
    cross: V,
}

impl EntryArithmetic for Compensated {
    type Partial<V: Lanes> = CompensatedPartial<V>;

    #[inline(always)]
    fn first<V: Lanes>(p: V, q: V) -> CompensatedPartial<V> {
        let (h, l) = two_difference(p, q);
        let square = h * h;
        CompensatedPartial {
            sum: square,
            square_errors: square_error(h, square),
            sum_errors: V::ZERO,
            cross: h * l,
        }
    }

    #[inline(always)]
    fn second<V: Lanes>(partial: CompensatedPartial<V>, p: V, q: V) -> CompensatedPartial<V> {
        let (h, l) = two_difference(p, q);
        let square = h * h;
        let (sum, sum_error) = two_sum(partial.sum, square);
        CompensatedPartial {
            sum,
            square_errors: partial.square_errors + square_error(h, square),
            sum_errors: sum_error,
            cross: h.mul_add(l, partial.cross),
        }
    }

    #[inline(always)]
    fn next<V: Lanes>(partial: CompensatedPartial<V>, p: V, q: V) -> CompensatedPartial<V> {
        let (h, l) = two_difference(p, q);
        let square = h * h;
        let (sum, sum_error) = two_sum(partial.sum, square);
        CompensatedPartial {
            sum,
            square_errors: partial.square_errors + square_error(h, square),
            sum_errors: partial.sum_errors + sum_error,
            cross: h.mul_add(l, partial.cross),
        }
    }

    #[inline(always)]
    fn finish<V: Lanes, F: RadialFunction>(kernel: &F, partial: CompensatedPartial<V>) -> V {
        let rest = V::splat(2.0).mul_add(partial.cross, partial.square_errors + partial.sum_errors);
        kernel.lanes(SquaredDistance {
            square: partial.sum,
            rest,
        })
    }
}

/// r² summed as `(d₀·d₀ + d₁·d₁) + d₂·d₂ + …` with separate multiplies and adds: in 3-D the
/// order of [`reference`](crate::reference), whose rounding it then shares.
impl EntryArithmetic for Fast {
    type Partial<V: Lanes> = V;

    #[inline(always)]
    fn first<V: Lanes>(p: V, q: V) -> V {
        let d = p - q;
        d * d
    }

    #[inline(always)]
    fn second<V: Lanes>(partial: V, p: V, q: V) -> V {
        Self::next(partial, p, q)
    }

    #[inline(always)]
    fn next<V: Lanes>(partial: V, p: V, q: V) -> V {
        let d = p - q;
        partial + d * d
    }

    #[inline(always)]
    fn finish<V: Lanes, F: RadialFunction>(kernel: &F, partial: V) -> V {
        kernel.lanes_fast(partial)
    }
}

/// `(h, l)` with `h = a − b` rounded and `h + l = a − b` exactly (Knuth's two-sum, six
/// operations, for any magnitudes).
#[inline(always)]
fn two_difference<V: Lanes>(a: V, b: V) -> (V, V) {
    let h = a - b;
    let b_part = h - a;
    (h, (a - (h - b_part)) - (b + b_part))
}

/// `(s, e)` with `s = a + b` rounded and `s + e = a + b` exactly (two-sum).
#[inline(always)]
fn two_sum<V: Lanes>(a: V, b: V) -> (V, V) {
    let s = a + b;
    let b_part = s - a;
    (s, (a - (s - b_part)) + (b - b_part))
}

/// The exact rounding error `h·h − square` of `square = h·h` (for squares that neither
/// overflow nor underflow): one FMA.
#[inline(always)]
pub(crate) fn square_error<V: Lanes>(h: V, square: V) -> V {
    h.mul_add(h, -square)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::kernels::article::{CONSTANTS_SHORTFALL, ONE_SIXTH, ONE_TWELFTH};
    use crate::simd::{Portable, Vector};

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
            let (h, l) = two_difference(Portable::splat(a), Portable::splat(b));
            let (h2, l2) = two_difference(Portable::splat(b), Portable::splat(a));
            assert_eq!(
                (h2.to_array()[0], l2.to_array()[0]),
                (-h.to_array()[0], -l.to_array()[0])
            );
            let exact = twofloat::TwoFloat::new_sub(a, b);
            assert_eq!((h.to_array()[0], l.to_array()[0]), (exact.hi(), exact.lo()));
        }
    }
}
