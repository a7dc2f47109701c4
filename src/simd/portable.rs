//! The portable path: `wide::f64x4` as this build compiled it (two SSE2 halves on a plain
//! x86-64 build, NEON pairs on AArch64, one AVX register with `-C target-cpu=native`), with the
//! multiply-add fused by `f64::mul_add` so that its bits are every other path's.

use std::ops::{Add, AddAssign, Div, Mul, MulAssign, Neg, Sub, SubAssign};

use wide::f64x4;

use super::{Lanes, Twice, Vector, sealed};

/// Four lanes on any CPU.
#[derive(Clone, Copy, Debug)]
#[repr(transparent)]
pub(crate) struct Portable(f64x4);

impl sealed::Sealed for Portable {}

/// Lane by lane.
#[inline(always)]
fn each(a: Portable, f: impl Fn(f64) -> f64) -> Portable {
    Portable(f64x4::new(a.0.to_array().map(f)))
}

/// 2ⁿ for an integer-valued n, exactly as the x86 path computes it (subnormal below −1022,
/// 0 below −1074).
#[inline(always)]
pub(super) fn pow2n_scalar(n: f64) -> f64 {
    if n < -1022.0 {
        if n >= -1074.0 {
            f64::from_bits(1u64 << ((n + 1074.0) as u32))
        } else {
            0.0
        }
    } else {
        let biased = n + (1023.0 + 4_503_599_627_370_496.0);
        f64::from_bits(biased.to_bits() << 52)
    }
}

impl Lanes for Portable {
    const ZERO: Self = Portable(f64x4::ZERO);
    const ONE: Self = Portable(f64x4::ONE);

    #[inline(always)]
    fn splat(value: f64) -> Self {
        Portable(f64x4::splat(value))
    }
    #[inline(always)]
    fn mul_add(self, a: Self, b: Self) -> Self {
        let (x, a, b) = (self.to_array(), a.to_array(), b.to_array());
        Portable::from_array(std::array::from_fn(|i| x[i].mul_add(a[i], b[i])))
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        Portable(self.0.sqrt())
    }
    #[inline(always)]
    fn abs(self) -> Self {
        each(self, f64::abs)
    }
    #[inline(always)]
    fn max(self, other: Self) -> Self {
        let (a, b) = (self.to_array(), other.to_array());
        Portable::from_array(std::array::from_fn(
            |i| if a[i] > b[i] { a[i] } else { b[i] },
        ))
    }
    #[inline(always)]
    fn min(self, other: Self) -> Self {
        let (a, b) = (self.to_array(), other.to_array());
        Portable::from_array(std::array::from_fn(
            |i| if a[i] < b[i] { a[i] } else { b[i] },
        ))
    }
    #[inline(always)]
    fn simd_eq(self, other: Self) -> Self {
        Portable(self.0.simd_eq(other.0))
    }
    #[inline(always)]
    fn simd_ne(self, other: Self) -> Self {
        // Unordered: true where either is NaN.
        Portable(!self.0.simd_eq(other.0))
    }
    #[inline(always)]
    fn simd_lt(self, other: Self) -> Self {
        Portable(self.0.simd_lt(other.0))
    }
    #[inline(always)]
    fn simd_gt(self, other: Self) -> Self {
        Portable(self.0.simd_gt(other.0))
    }
    #[inline(always)]
    fn select(self, if_true: Self, if_false: Self) -> Self {
        Portable(self.0.select(if_true.0, if_false.0))
    }
    #[inline(always)]
    fn round_ties_even(self) -> Self {
        each(self, f64::round_ties_even)
    }
    #[inline(always)]
    fn pow2n(self) -> Self {
        each(self, pow2n_scalar)
    }
    #[inline(always)]
    fn exponent(self) -> Self {
        // The whole top 12 bits, sign included, as the x86 path's shift takes them.
        each(self, |x| (x.to_bits() >> 52) as f64 - 1023.0)
    }
    #[inline(always)]
    fn fraction_2(self) -> Self {
        each(self, |x| {
            f64::from_bits((x.to_bits() & 0x000F_FFFF_FFFF_FFFF) | 0x3FE0_0000_0000_0000)
        })
    }
}

impl Vector for Portable {
    type Pair = Twice<Portable>;

    #[inline(always)]
    fn from_array(values: [f64; 4]) -> Self {
        Portable(f64x4::new(values))
    }
    #[inline(always)]
    fn to_array(self) -> [f64; 4] {
        self.0.to_array()
    }
    #[inline(always)]
    fn split(pair: Twice<Portable>) -> [Portable; 2] {
        pair.0
    }
    #[inline(always)]
    fn join(low: Portable, high: Portable) -> Twice<Portable> {
        Twice([low, high])
    }
    #[inline(always)]
    fn transpose_pairs(rows: [Twice<Portable>; 8]) -> [Twice<Portable>; 8] {
        super::pair::transpose_pairs(rows)
    }
    #[inline(always)]
    fn store_pair(pair: Twice<Portable>, dst: &mut [f64; 8]) {
        super::pair::store_pair(pair, dst)
    }
    #[inline(always)]
    unsafe fn stream_pair_aligned(pair: Twice<Portable>, dst: &mut [f64; 8]) {
        // SAFETY: the caller's 64-byte alignment holds for both halves' 32.
        unsafe { super::pair::stream_pair_aligned(pair, dst) }
    }
    #[inline(always)]
    fn transpose(rows: [Self; 4]) -> [Self; 4] {
        f64x4::transpose(rows.map(|r| r.0)).map(Portable)
    }
    #[inline(always)]
    fn load(src: &[f64; 4]) -> Self {
        Portable(f64x4::new(*src))
    }
    #[inline(always)]
    fn store(self, dst: &mut [f64; 4]) {
        *dst = self.0.to_array();
    }
    #[inline(always)]
    fn stream(self, dst: &mut [f64; 4]) {
        #[cfg(target_arch = "x86_64")]
        if dst.as_ptr().align_offset(16) == 0 {
            use std::arch::x86_64::{_mm_set_pd, _mm_stream_pd};
            let [a, b, c, d] = self.to_array();
            // SAFETY: `_mm_stream_pd` writes 16 bytes to a 16-byte aligned address: `dst` is
            // valid for writes of 32 bytes, not aliased, and aligned to 16 (checked above), so
            // are `dst + 2` and its 16 bytes. SSE2 is part of the x86-64 baseline. The stores
            // are weakly ordered: the schedules fence them before handing the output back.
            unsafe {
                _mm_stream_pd(dst.as_mut_ptr(), _mm_set_pd(b, a));
                _mm_stream_pd(dst.as_mut_ptr().add(2), _mm_set_pd(d, c));
            }
            return;
        }
        self.store(dst);
    }
    #[inline(always)]
    unsafe fn stream_aligned(self, dst: &mut [f64; 4]) {
        // Aligned to 32 means aligned to 16: `stream` takes its streaming branch.
        self.stream(dst);
    }
}

macro_rules! binary {
    ($trait:ident $method:ident $assign:ident $assign_method:ident) => {
        impl $trait for Portable {
            type Output = Portable;
            #[inline(always)]
            fn $method(self, other: Portable) -> Portable {
                Portable($trait::$method(self.0, other.0))
            }
        }
        impl $assign for Portable {
            #[inline(always)]
            fn $assign_method(&mut self, other: Portable) {
                *self = $trait::$method(*self, other);
            }
        }
    };
}
binary!(Add add AddAssign add_assign);
binary!(Sub sub SubAssign sub_assign);
binary!(Mul mul MulAssign mul_assign);

impl Div for Portable {
    type Output = Portable;
    #[inline(always)]
    fn div(self, other: Portable) -> Portable {
        Portable(self.0 / other.0)
    }
}

impl Neg for Portable {
    type Output = Portable;
    /// The sign flipped (`−0` for `+0`).
    #[inline(always)]
    fn neg(self) -> Portable {
        each(self, |x| -x)
    }
}
