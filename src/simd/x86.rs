//! The x86-64 paths: four lanes in one `__m256d`, compiled into trampolines with AVX2 + FMA (and
//! AVX-512F + VL for its 32 registers).
//!
//! The module's invariant: [`Avx`] values exist only inside [`run_avx2`] and [`run_avx512`],
//! which are entered only on a CPU that has their features (see [`super::Isa`]). The type is
//! private to the crate, and the crate names it as a lane type in those two functions alone, so
//! every intrinsic below runs on a CPU that has it.

use std::arch::x86_64::*;
use std::fmt;
use std::ops::{Add, AddAssign, Div, Mul, MulAssign, Neg, Sub, SubAssign};

use super::{Lanes, SimdTask, sealed};

/// Runs `task` with lanes compiled for AVX2 and FMA.
///
/// # Safety
/// The CPU must have AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn run_avx2<T: SimdTask>(task: T) -> T::Output {
    task.run::<Avx>()
}

/// Runs `task` with lanes compiled for AVX-512F and VL (32 vector registers) besides AVX2 and
/// FMA.
///
/// # Safety
/// The CPU must have AVX-512F, AVX-512VL, AVX2 and FMA.
#[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
pub(super) unsafe fn run_avx512<T: SimdTask>(task: T) -> T::Output {
    task.run::<Avx>()
}

/// Four lanes in one AVX register.
#[derive(Clone, Copy)]
#[repr(transparent)]
pub(crate) struct Avx(__m256d);

/// Evaluates an intrinsic call.
macro_rules! avx {
    ($e:expr) => {
        // SAFETY: the module's invariant: an `Avx` value, which every caller of this macro
        // receives or returns, exists only on a CPU with AVX2 and FMA (the features of every
        // intrinsic used here). Pointer arguments come from references of 32 bytes.
        unsafe { $e }
    };
}

impl fmt::Debug for Avx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_array().fmt(f)
    }
}

impl sealed::Sealed for Avx {}

const fn constant(value: f64) -> Avx {
    // SAFETY: `__m256d` is four `f64`s, 32 bytes, any bit pattern valid (no instruction runs).
    Avx(unsafe { std::mem::transmute::<[f64; 4], __m256d>([value; 4]) })
}

impl Lanes for Avx {
    const ZERO: Self = constant(0.0);
    const ONE: Self = constant(1.0);

    #[inline(always)]
    fn splat(value: f64) -> Self {
        avx!(Avx(_mm256_set1_pd(value)))
    }
    #[inline(always)]
    fn from_array(values: [f64; 4]) -> Self {
        Self::load(&values)
    }
    #[inline(always)]
    fn to_array(self) -> [f64; 4] {
        let mut out = [0.0; 4];
        self.store(&mut out);
        out
    }
    #[inline(always)]
    fn mul_add(self, a: Self, b: Self) -> Self {
        avx!(Avx(_mm256_fmadd_pd(self.0, a.0, b.0)))
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        avx!(Avx(_mm256_sqrt_pd(self.0)))
    }
    #[inline(always)]
    fn abs(self) -> Self {
        avx!(Avx(_mm256_andnot_pd(_mm256_set1_pd(-0.0), self.0)))
    }
    #[inline(always)]
    fn max(self, other: Self) -> Self {
        // vmaxpd: the first operand where it is greater, else the second.
        avx!(Avx(_mm256_max_pd(self.0, other.0)))
    }
    #[inline(always)]
    fn min(self, other: Self) -> Self {
        avx!(Avx(_mm256_min_pd(self.0, other.0)))
    }
    #[inline(always)]
    fn simd_eq(self, other: Self) -> Self {
        avx!(Avx(_mm256_cmp_pd::<_CMP_EQ_OQ>(self.0, other.0)))
    }
    #[inline(always)]
    fn simd_ne(self, other: Self) -> Self {
        avx!(Avx(_mm256_cmp_pd::<_CMP_NEQ_UQ>(self.0, other.0)))
    }
    #[inline(always)]
    fn simd_lt(self, other: Self) -> Self {
        avx!(Avx(_mm256_cmp_pd::<_CMP_LT_OQ>(self.0, other.0)))
    }
    #[inline(always)]
    fn simd_gt(self, other: Self) -> Self {
        avx!(Avx(_mm256_cmp_pd::<_CMP_GT_OQ>(self.0, other.0)))
    }
    #[inline(always)]
    fn select(self, if_true: Self, if_false: Self) -> Self {
        avx!(Avx(_mm256_blendv_pd(if_false.0, if_true.0, self.0)))
    }
    #[inline(always)]
    fn round_ties_even(self) -> Self {
        avx!(Avx(_mm256_round_pd::<
            { _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC },
        >(self.0)))
    }
    #[inline(always)]
    fn pow2n(self) -> Self {
        // 2ⁿ = the bits of (n + 1023) in the exponent field: n + (1023 + 2⁵²) puts n + 1023 in
        // the low mantissa bits, exactly, and a shift by 52 moves it into place.
        let biased = self + Self::splat(1023.0 + 4_503_599_627_370_496.0);
        let normal = avx!(Avx(_mm256_castsi256_pd(_mm256_slli_epi64::<52>(
            _mm256_castpd_si256(biased.0)
        ))));
        let subnormal = self.simd_lt(Self::splat(-1022.0));
        if avx!(_mm256_movemask_pd(subnormal.0)) == 0 {
            return normal;
        }
        // Rare (results below 2⁻¹⁰²²): lane by lane, the same rule as the portable path's.
        Avx::from_array(self.to_array().map(super::portable::pow2n_scalar))
    }
    #[inline(always)]
    fn exponent(self) -> Self {
        // The exponent field as the low bits of 2⁵², minus 2⁵² + 1023.
        let field = avx!(_mm256_srli_epi64::<52>(_mm256_castpd_si256(self.0)));
        let magic = avx!(_mm256_castpd_si256(_mm256_set1_pd(4_503_599_627_370_496.0)));
        let float = avx!(Avx(_mm256_castsi256_pd(_mm256_or_si256(field, magic))));
        float - Self::splat(4_503_599_627_370_496.0 + 1023.0)
    }
    #[inline(always)]
    fn fraction_2(self) -> Self {
        let bits = avx!(_mm256_castpd_si256(self.0));
        let mantissa = avx!(_mm256_and_si256(
            bits,
            _mm256_set1_epi64x(0x000F_FFFF_FFFF_FFFF)
        ));
        avx!(Avx(_mm256_castsi256_pd(_mm256_or_si256(
            mantissa,
            _mm256_set1_epi64x(0x3FE0_0000_0000_0000)
        ))))
    }
    #[inline(always)]
    fn transpose([a, b, c, d]: [Self; 4]) -> [Self; 4] {
        // In registers: unpack pairs within 128-bit halves, then swap halves.
        avx!({
            let ab_lo = _mm256_unpacklo_pd(a.0, b.0); // a0 b0 a2 b2
            let ab_hi = _mm256_unpackhi_pd(a.0, b.0); // a1 b1 a3 b3
            let cd_lo = _mm256_unpacklo_pd(c.0, d.0); // c0 d0 c2 d2
            let cd_hi = _mm256_unpackhi_pd(c.0, d.0); // c1 d1 c3 d3
            [
                Avx(_mm256_permute2f128_pd::<0x20>(ab_lo, cd_lo)), // a0 b0 c0 d0
                Avx(_mm256_permute2f128_pd::<0x20>(ab_hi, cd_hi)), // a1 b1 c1 d1
                Avx(_mm256_permute2f128_pd::<0x31>(ab_lo, cd_lo)), // a2 b2 c2 d2
                Avx(_mm256_permute2f128_pd::<0x31>(ab_hi, cd_hi)), // a3 b3 c3 d3
            ]
        })
    }
    #[inline(always)]
    fn load(src: &[f64; 4]) -> Self {
        avx!(Avx(_mm256_loadu_pd(src.as_ptr())))
    }
    #[inline(always)]
    fn store(self, dst: &mut [f64; 4]) {
        avx!(_mm256_storeu_pd(dst.as_mut_ptr(), self.0))
    }
    #[inline(always)]
    fn stream(self, dst: &mut [f64; 4]) {
        if dst.as_ptr().align_offset(32) == 0 {
            // SAFETY: `_mm256_stream_pd` writes 32 bytes to a 32-byte aligned address: `dst` is
            // valid for writes of exactly 32 bytes, not aliased, and aligned (checked just
            // above); AVX is present (the module's invariant). The store is weakly ordered:
            // the schedules fence it (`fence_streaming_stores`) before handing the output back.
            unsafe { _mm256_stream_pd(dst.as_mut_ptr(), self.0) };
        } else {
            self.store(dst);
        }
    }
    #[inline(always)]
    unsafe fn stream_aligned(self, dst: &mut [f64; 4]) {
        // SAFETY: `dst` is valid for writes of 32 bytes and not aliased (a `&mut [f64; 4]`),
        // 32-byte aligned (the caller's contract), and AVX is present (the module's invariant).
        // Weakly ordered: fenced by the schedules before the output is handed back.
        unsafe { _mm256_stream_pd(dst.as_mut_ptr(), self.0) };
    }
}

macro_rules! binary {
    ($trait:ident $method:ident $assign:ident $assign_method:ident $intrinsic:ident) => {
        impl $trait for Avx {
            type Output = Avx;
            #[inline(always)]
            fn $method(self, other: Avx) -> Avx {
                avx!(Avx($intrinsic(self.0, other.0)))
            }
        }
        impl $assign for Avx {
            #[inline(always)]
            fn $assign_method(&mut self, other: Avx) {
                *self = $trait::$method(*self, other);
            }
        }
    };
}
binary!(Add add AddAssign add_assign _mm256_add_pd);
binary!(Sub sub SubAssign sub_assign _mm256_sub_pd);
binary!(Mul mul MulAssign mul_assign _mm256_mul_pd);

impl Div for Avx {
    type Output = Avx;
    #[inline(always)]
    fn div(self, other: Avx) -> Avx {
        avx!(Avx(_mm256_div_pd(self.0, other.0)))
    }
}

impl Neg for Avx {
    type Output = Avx;
    /// The sign flipped (`−0` for `+0`), as `wide`'s.
    #[inline(always)]
    fn neg(self) -> Avx {
        avx!(Avx(_mm256_xor_pd(self.0, _mm256_set1_pd(-0.0))))
    }
}
