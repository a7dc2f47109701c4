//! scipy's `gaussian`, exp(−(εr)²): no square root.
//!
//! exp(−r²) is ill-conditioned in r² (a relative error δ of r² becomes r²·δ of φ: 700 ulp at
//! r² = 700 if r² were rounded), so the remainder is kept: exp(−(s + t)) = exp(−s)·(1 − t) to
//! second order in the tiny t, one FMA. The exponential is [`Lanes::exp`], `wide`'s algorithm in one generic copy (a
//! Cephes-style degree-13 polynomial after an fdlibm-style reduction); `wide` documents no
//! bound, so it was measured here: within 1 ulp of glibc's `exp` (itself within about ½ ulp)
//! on 2·10⁶ random arguments in each of [−1, 1], [−20, 0], [−700, −20], [−745, −700]
//! (subnormal results included) and [0, 709]. The kernel's bound is asserted by the
//! worst-case hunt in `tests/kernels_accuracy.rs`. Results below the smallest normal f64 (r²
//! above 708.4) are subnormal: their bound is absolute, half the smallest subnormal plus the
//! relative bound.

use crate::simd::Lanes;

use super::{RadialFunction, Scale, SquaredDistance};

/// scipy's `gaussian`, exp(−(εr)²): [`Kernel::Gaussian`](super::Kernel::Gaussian).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Gaussian {
    scale: Scale,
}

impl Gaussian {
    /// With shape parameter `epsilon`.
    pub fn new(epsilon: f64) -> Self {
        Self {
            scale: Scale::new(epsilon),
        }
    }
}

impl RadialFunction for Gaussian {
    #[inline(always)]
    fn lanes<V: Lanes>(&self, r2: SquaredDistance<V>) -> V {
        let r2 = self.scale.apply(r2);
        let value = (-r2.square).exp();
        r2.where_overflowed((-value).mul_add(r2.rest, value), 0.0)
    }

    fn reference(&self, r: f64) -> f64 {
        let r = self.scale.distance(r);
        (-(r * r)).exp()
    }
}
