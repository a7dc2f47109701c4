//! Eight lanes as two vectors of four: the [`Vector::Pair`] of the paths whose registers hold
//! four `f64`s. Every operation is its halves' operations, so the
//! micro-kernel's paired blocks compute, instruction for instruction, what two blocks of four
//! lanes did.

use std::fmt;
use std::ops::{Add, AddAssign, Div, Mul, MulAssign, Neg, Sub, SubAssign};

use super::{Lanes, Vector, sealed};

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
        let [low, high] = self.0;
        Twice([f(low), f(high)])
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

/// The 8 × 8 transpose of eight rows of pairs, as four 4 × 4 transposes of their halves.
#[inline(always)]
pub(super) fn transpose_pairs<V: Vector>(rows: [Twice<V>; 8]) -> [Twice<V>; 8] {
    // Straight-line code, no `std::array::from_fn`: its closures are compiled apart from the
    // path's trampoline, without its target features.
    let [r0, r1, r2, r3, r4, r5, r6, r7] = rows;
    let [r0, r1, r2, r3, r4, r5, r6, r7] = [r0.0, r1.0, r2.0, r3.0, r4.0, r5.0, r6.0, r7.0];
    let [a0, a1, a2, a3] = V::transpose([r0[0], r1[0], r2[0], r3[0]]);
    let [b0, b1, b2, b3] = V::transpose([r4[0], r5[0], r6[0], r7[0]]);
    let [c0, c1, c2, c3] = V::transpose([r0[1], r1[1], r2[1], r3[1]]);
    let [d0, d1, d2, d3] = V::transpose([r4[1], r5[1], r6[1], r7[1]]);
    [
        Twice([a0, b0]),
        Twice([a1, b1]),
        Twice([a2, b2]),
        Twice([a3, b3]),
        Twice([c0, d0]),
        Twice([c1, d1]),
        Twice([c2, d2]),
        Twice([c3, d3]),
    ]
}

/// Stores both halves.
#[inline(always)]
pub(super) fn store_pair<V: Vector>(Twice([low, high]): Twice<V>, dst: &mut [f64; 8]) {
    let (lo, hi) = dst.split_at_mut(4);
    low.store(lo.try_into().expect("4 entries"));
    high.store(hi.try_into().expect("4 entries"));
}

/// Streams both halves.
///
/// # Safety
/// `dst` must be 32-byte aligned.
#[inline(always)]
pub(super) unsafe fn stream_pair_aligned<V: Vector>(
    Twice([low, high]): Twice<V>,
    dst: &mut [f64; 8],
) {
    let (lo, hi) = dst.split_at_mut(4);
    // SAFETY: `dst` is 32-byte aligned (the caller's contract), and so is `dst + 4` entries.
    unsafe {
        low.stream_aligned(lo.try_into().expect("4 entries"));
        high.stream_aligned(hi.try_into().expect("4 entries"));
    }
}
