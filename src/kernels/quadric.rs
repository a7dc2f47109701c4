//! The quadric family, functions of 1 + (εr)²: scipy's `multiquadric` −√(1 + r²),
//! `inverse_multiquadric` 1/√(1 + r²) and `inverse_quadratic` 1/(1 + r²).
//!
//! None of them cancels: 1 + r² ≥ 1. `1 + square` is a two-sum (exact), its error and `rest`
//! are added to it in one rounding: 1 + r² within 1 unit roundoff u = 2⁻⁵³ (relative) of exact.
//! The square root halves that and adds u, the division adds u: bounds 1.5 u (multiquadric),
//! 2.5 u (inverse multiquadric), 2 u (inverse quadratic), and an error of e·u is at most e ulp.
//! `inverse_quadratic` never takes a square root.

use crate::simd::Lanes;

use super::{RadialFunction, Scale, SquaredDistance};

/// scipy's `multiquadric`, −√(1 + (εr)²): [`Kernel::Multiquadric`](super::Kernel::Multiquadric).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Multiquadric {
    scale: Scale,
}

/// scipy's `inverse_multiquadric`, 1/√(1 + (εr)²):
/// [`Kernel::InverseMultiquadric`](super::Kernel::InverseMultiquadric).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InverseMultiquadric {
    scale: Scale,
}

/// scipy's `inverse_quadratic`, 1/(1 + (εr)²):
/// [`Kernel::InverseQuadratic`](super::Kernel::InverseQuadratic).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InverseQuadratic {
    scale: Scale,
}

/// 1 + r², rounded once from its exact value (to within the remainder's own 2⁻¹⁰⁴): the
/// argument of all three.
#[inline(always)]
fn one_plus<V: Lanes>(r2: SquaredDistance<V>) -> V {
    let sum = V::ONE + r2.square;
    let square_part = sum - V::ONE;
    let error = (V::ONE - (sum - square_part)) + (r2.square - square_part);
    sum + (error + r2.rest)
}

impl Multiquadric {
    /// With shape parameter `epsilon`.
    pub fn new(epsilon: f64) -> Self {
        Self {
            scale: Scale::new(epsilon),
        }
    }
}

impl InverseMultiquadric {
    /// With shape parameter `epsilon`.
    pub fn new(epsilon: f64) -> Self {
        Self {
            scale: Scale::new(epsilon),
        }
    }
}

impl InverseQuadratic {
    /// With shape parameter `epsilon`.
    pub fn new(epsilon: f64) -> Self {
        Self {
            scale: Scale::new(epsilon),
        }
    }
}

impl RadialFunction for Multiquadric {
    #[inline(always)]
    fn lanes<V: Lanes>(&self, r2: SquaredDistance<V>) -> V {
        let r2 = self.scale.apply(r2);
        r2.where_overflowed(-one_plus(r2).sqrt(), f64::NEG_INFINITY)
    }

    fn reference(&self, r: f64) -> f64 {
        let r = self.scale.distance(r);
        -(r * r + 1.0).sqrt()
    }
}

impl RadialFunction for InverseMultiquadric {
    #[inline(always)]
    fn lanes<V: Lanes>(&self, r2: SquaredDistance<V>) -> V {
        let r2 = self.scale.apply(r2);
        r2.where_overflowed(V::ONE / one_plus(r2).sqrt(), 0.0)
    }

    fn reference(&self, r: f64) -> f64 {
        let r = self.scale.distance(r);
        1.0 / (r * r + 1.0).sqrt()
    }
}

impl RadialFunction for InverseQuadratic {
    #[inline(always)]
    fn lanes<V: Lanes>(&self, r2: SquaredDistance<V>) -> V {
        let r2 = self.scale.apply(r2);
        r2.where_overflowed(V::ONE / one_plus(r2), 0.0)
    }

    fn reference(&self, r: f64) -> f64 {
        let r = self.scale.distance(r);
        1.0 / (r * r + 1.0)
    }
}
