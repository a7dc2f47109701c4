//! The polyharmonic splines: scipy's `linear` (−r), `cubic` (r³), `quintic` (−r⁵) and
//! `thin_plate_spline` (r²·ln r), and the family r^k (odd k), r^k·ln r (even k).
//!
//! Odd powers: r^k = S^m·√S with S = r² = `square + rest` and m = (k − 1)/2, computed as the
//! article's φ is: r = √`square` rounded, its error corrected to first order with the residual
//! ρ = S − r·r (one FMA), √S = r + ρ/(2r), so S^m·√S = s^m·r + r·s^(m−1)·(m·t + ρ/2) with
//! s = `square`, t = `rest`, and no division ([`odd_power`]). For m ≤ 2 the power s^m is exact
//! (an FMA gives s²'s rounding error), so what is left is the last FMA's rounding: about 1 ulp.
//! For m ≥ 3 the rounded powers add up to m − 1 rounding errors.
//!
//! Even powers (the logarithmic ones) cancel at r = 1, where ln r changes sign: a relative
//! bound only holds because r² is not rounded first. With s = `square` and t = `rest`,
//! (s + t)^m·ln(s + t) = s^m·ln s + t·s^(m−1)·(m·ln s + 1) to first order in the tiny t, so
//! near r = 1 the result is as accurate as `ln s` itself, which [`Lanes::ln`], `wide`'s algorithm in one generic copy (a
//! Cephes-style rational approximation on the mantissa, accurate near 1) computes within 1 ulp
//! of glibc's `log` on 2·10⁶ random arguments in each of [0.5, 2], [0.999, 1.001],
//! [10⁻³⁰⁰, 10⁻²⁰⁰] and [1, 10³⁰⁰]. It returns −∞ for subnormal arguments, so those are scaled
//! by 2²⁰⁰ first ([`ln_any`]). The kernels' bounds are asserted by the worst-case hunt in
//! `tests/kernels_accuracy.rs`.

use crate::simd::Lanes;

use super::{RadialFunction, Scale, SquaredDistance};

/// scipy's `linear`, −εr: [`Kernel::Linear`](super::Kernel::Linear).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Linear {
    scale: Scale,
}

/// scipy's `cubic`, (εr)³: [`Kernel::Cubic`](super::Kernel::Cubic).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cubic {
    scale: Scale,
}

/// scipy's `quintic`, −(εr)⁵: [`Kernel::Quintic`](super::Kernel::Quintic).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quintic {
    scale: Scale,
}

/// scipy's `thin_plate_spline`, (εr)²·ln(εr), 0 at r = 0:
/// [`Kernel::ThinPlateSpline`](super::Kernel::ThinPlateSpline).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ThinPlateSpline {
    scale: Scale,
}

/// (εr)^k for odd k, (εr)^k·ln(εr) for even k (0 at r = 0):
/// [`Kernel::Polyharmonic`](super::Kernel::Polyharmonic).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Polyharmonic {
    degree: u32,
    scale: Scale,
}

macro_rules! with_epsilon {
    ($($kernel:ident)*) => {$(
        impl $kernel {
            /// With shape parameter `epsilon`.
            pub fn new(epsilon: f64) -> Self {
                Self { scale: Scale::new(epsilon) }
            }
        }
    )*};
}
with_epsilon!(Linear Cubic Quintic ThinPlateSpline);

impl Polyharmonic {
    /// The largest degree: r^31 overflows f64 once r > 8·10⁹ already.
    pub const MAX_DEGREE: u32 = 31;

    /// Degree `degree` (1 ..= [`Polyharmonic::MAX_DEGREE`], checked when a plan uses it) with
    /// shape parameter `epsilon`.
    pub fn new(degree: u32, epsilon: f64) -> Self {
        Self {
            degree,
            scale: Scale::new(epsilon),
        }
    }
}

/// 2²⁰⁰ and 200·ln 2: the scaling that brings a subnormal argument of `ln` into range (the
/// constant's rounding, 10⁻¹⁴, is 10⁻¹⁷ of the logarithm it corrects, which is below −690).
const TINY_SCALE: f64 = 1.606_938_044_258_990_3e60;
const TINY_SCALE_LN: f64 = 138.629_436_111_989_06;

/// ln x for any x ≥ 0 (−∞ at 0): [`Lanes::ln`], which takes subnormals for zero, with them
/// scaled into the normal range first.
#[inline(always)]
fn ln_any<V: Lanes>(x: V) -> V {
    let tiny = x.simd_lt(V::splat(f64::MIN_POSITIVE));
    let scaled = tiny.select(x * V::splat(TINY_SCALE), x);
    scaled.ln() - tiny.select(V::splat(TINY_SCALE_LN), V::ZERO)
}

/// s^m·ln(s + t)·… : ½·(s + t)^m·ln(s + t) to first order in `t`, 0 where s = 0, from
/// `power_below` = s^(m−1).
#[inline(always)]
fn half_power_log<V: Lanes>(r2: SquaredDistance<V>, m: f64, power_below: V) -> V {
    let log = ln_any(r2.square);
    let power = power_below * r2.square;
    let first_order = r2.rest * power_below * V::splat(m).mul_add(log, V::ONE);
    let value = V::splat(0.5) * power.mul_add(log, first_order);
    let value = r2.square.simd_eq(V::ZERO).select(V::ZERO, value);
    r2.where_overflowed(value, f64::INFINITY)
}

/// S^m·√S for S = `square + rest` (m ≥ 0): see the module doc.
#[inline(always)]
fn odd_power<V: Lanes>(r2: SquaredDistance<V>, m: u32) -> V {
    let (s, t) = (r2.square, r2.rest);
    let r = s.sqrt();
    let residual = (-r).mul_add(r, s) + t;
    let half_residual = V::splat(0.5) * residual;
    let value = match m {
        0 => r + half_residual * r / s,
        1 => s.mul_add(r, r * (t + half_residual)),
        2 => {
            let square = s * s;
            let square_error = s.mul_add(s, -square);
            let correction = s.mul_add(V::splat(2.0) * t + half_residual, square_error);
            square.mul_add(r, r * correction)
        }
        _ => {
            let mut below = s;
            for _ in 2..m {
                below *= s;
            }
            let power = below * s;
            let correction = V::splat(f64::from(m)).mul_add(t, half_residual);
            power.mul_add(r, r * below * correction)
        }
    };
    // s = 0: r = 0 and the first-order terms are 0·(…): the power is 0 (with m = 0, 0/0).
    let value = s.simd_eq(V::ZERO).select(V::ZERO, value);
    r2.where_overflowed(value, f64::INFINITY)
}

impl RadialFunction for Linear {
    #[inline(always)]
    fn lanes<V: Lanes>(&self, r2: SquaredDistance<V>) -> V {
        let r2 = self.scale.apply(r2);
        // 0 − r, not −r: φ(0) is +0, an exact zero like every other kernel's.
        r2.where_overflowed(V::ZERO - r2.value().sqrt(), f64::NEG_INFINITY)
    }

    fn reference(&self, r: f64) -> f64 {
        0.0 - self.scale.distance(r)
    }
}

impl RadialFunction for Cubic {
    #[inline(always)]
    fn lanes<V: Lanes>(&self, r2: SquaredDistance<V>) -> V {
        odd_power(self.scale.apply(r2), 1)
    }

    const FAST_IS_CHEAP: bool = true;

    /// (ε²·r²)·√(ε²·r²) on the rounded r²: two roundings and a square root, no compensation
    /// (the compensated formula under `Accuracy::Fast` measured 0.56× of φ's product rate).
    /// φ(0) = 0·0 = +0; an overflowing r² or ε²·r² gives +∞.
    #[inline(always)]
    fn lanes_fast<V: Lanes>(&self, r2: V) -> V {
        let s = r2 * V::splat(self.scale.high);
        s * s.sqrt()
    }

    fn reference(&self, r: f64) -> f64 {
        self.scale.distance(r).powi(3)
    }
}

impl RadialFunction for Quintic {
    #[inline(always)]
    fn lanes<V: Lanes>(&self, r2: SquaredDistance<V>) -> V {
        // 0 − r⁵, not −r⁵: φ(0) is +0.
        V::ZERO - odd_power(self.scale.apply(r2), 2)
    }

    fn reference(&self, r: f64) -> f64 {
        0.0 - self.scale.distance(r).powi(5)
    }
}

impl RadialFunction for ThinPlateSpline {
    #[inline(always)]
    fn lanes<V: Lanes>(&self, r2: SquaredDistance<V>) -> V {
        half_power_log(self.scale.apply(r2), 1.0, V::ONE)
    }

    fn reference(&self, r: f64) -> f64 {
        let r = self.scale.distance(r);
        if r == 0.0 { 0.0 } else { r * r * r.ln() }
    }
}

impl RadialFunction for Polyharmonic {
    #[inline(always)]
    fn lanes<V: Lanes>(&self, r2: SquaredDistance<V>) -> V {
        let r2 = self.scale.apply(r2);
        let m = self.degree / 2;
        if self.degree % 2 == 1 {
            odd_power(r2, m)
        } else {
            let mut power_below = V::ONE;
            for _ in 1..m {
                power_below *= r2.square;
            }
            half_power_log(r2, f64::from(m), power_below)
        }
    }

    fn reference(&self, r: f64) -> f64 {
        let r = self.scale.distance(r);
        let power = r.powi(self.degree as i32);
        match self.degree % 2 {
            1 => power,
            _ if r == 0.0 => 0.0,
            _ => power * r.ln(),
        }
    }
}
