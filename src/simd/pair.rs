//! Eight lanes as two vectors of four: the [`Vector::Pair`](super::Vector::Pair) of the paths
//! whose registers hold four `f64`s. Every operation is its halves' operations, so the
//! micro-kernel's paired blocks compute, instruction for instruction, what two blocks of four
//! lanes did.

use std::fmt;
use std::ops::{Add, AddAssign, Div, Mul, MulAssign, Neg, Sub, SubAssign};

use super::{Lanes, sealed};

/// Two vectors of lanes, low lanes first.
#[derive(Clone, Copy)]
pub(crate) struct Twice<V>(pub(crate) [V; 2]);

impl<V: Lanes> fmt::Debug for Twice<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<V: Lanes> sealed::Sealed for Twice<V> {}

impl<V: Lanes> Twice<V> {
    /// `f` on each half.
    #[inline(always)]
    fn each(self, f: impl Fn(V) -> V) -> Self {
        Twice(self.0.map(f))
    }

    /// `f` on the halves of `self` and `other`.
    #[inline(always)]
    fn zip(self, other: Self, f: impl Fn(V, V) -> V) -> Self {
        let ([a, b], [c, d]) = (self.0, other.0);
        Twice([f(a, c), f(b, d)])
    }
}

impl<V: Lanes> Lanes for Twice<V> {
    const ZERO: Self = Twice([V::ZERO; 2]);
    const ONE: Self = Twice([V::ONE; 2]);

    #[inline(always)]
    fn splat(value: f64) -> Self {
        Twice([V::splat(value); 2])
    }
    #[inline(always)]
    fn mul_add(self, a: Self, b: Self) -> Self {
        let ([x0, x1], [a0, a1], [b0, b1]) = (self.0, a.0, b.0);
        Twice([x0.mul_add(a0, b0), x1.mul_add(a1, b1)])
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        self.each(V::sqrt)
    }
    #[inline(always)]
    fn abs(self) -> Self {
        self.each(V::abs)
    }
    #[inline(always)]
    fn max(self, other: Self) -> Self {
        self.zip(other, V::max)
    }
    #[inline(always)]
    fn min(self, other: Self) -> Self {
        self.zip(other, V::min)
    }
    #[inline(always)]
    fn simd_eq(self, other: Self) -> Self {
        self.zip(other, V::simd_eq)
    }
    #[inline(always)]
    fn simd_ne(self, other: Self) -> Self {
        self.zip(other, V::simd_ne)
    }
    #[inline(always)]
    fn simd_lt(self, other: Self) -> Self {
        self.zip(other, V::simd_lt)
    }
    #[inline(always)]
    fn simd_gt(self, other: Self) -> Self {
        self.zip(other, V::simd_gt)
    }
    #[inline(always)]
    fn select(self, if_true: Self, if_false: Self) -> Self {
        let ([m0, m1], [t0, t1], [f0, f1]) = (self.0, if_true.0, if_false.0);
        Twice([m0.select(t0, f0), m1.select(t1, f1)])
    }
    #[inline(always)]
    fn round_ties_even(self) -> Self {
        self.each(V::round_ties_even)
    }
    #[inline(always)]
    fn pow2n(self) -> Self {
        self.each(V::pow2n)
    }
    #[inline(always)]
    fn exponent(self) -> Self {
        self.each(V::exponent)
    }
    #[inline(always)]
    fn fraction_2(self) -> Self {
        self.each(V::fraction_2)
    }
}

macro_rules! binary {
    ($trait:ident $method:ident $assign:ident $assign_method:ident) => {
        impl<V: Lanes> $trait for Twice<V> {
            type Output = Twice<V>;
            #[inline(always)]
            fn $method(self, other: Twice<V>) -> Twice<V> {
                self.zip(other, $trait::$method)
            }
        }
        impl<V: Lanes> $assign for Twice<V> {
            #[inline(always)]
            fn $assign_method(&mut self, other: Twice<V>) {
                *self = $trait::$method(*self, other);
            }
        }
    };
}
binary!(Add add AddAssign add_assign);
binary!(Sub sub SubAssign sub_assign);
binary!(Mul mul MulAssign mul_assign);

impl<V: Lanes> Div for Twice<V> {
    type Output = Twice<V>;
    #[inline(always)]
    fn div(self, other: Twice<V>) -> Twice<V> {
        self.zip(other, Div::div)
    }
}

impl<V: Lanes> Neg for Twice<V> {
    type Output = Twice<V>;
    #[inline(always)]
    fn neg(self) -> Twice<V> {
        self.each(Neg::neg)
    }
}
