//! The x86-64 paths: four lanes in one `__m256d`, compiled into trampolines with AVX2 + FMA, or
//! with AVX-512F + VL, where the micro-kernel's pairs of lane groups are one `__m512d` ([`Zmm`]:
//! twice the square roots per instruction, which CPUs with 512-bit units execute at twice the
//! rate, measured on Zen 5).
//!
//! The module's invariant: [`Avx`] values exist only inside [`run_avx2`] and [`run_avx512`],
//! and [`Zmm`] values only inside [`run_avx512`], which are entered only on a CPU that has
//! their features (see [`super::Isa`]). The types are private to the crate, and the crate names
//! them as lane types in those two functions alone, so every intrinsic below runs on a CPU that
//! has it.

use std::arch::x86_64::*;
use std::fmt;
use std::ops::{Add, AddAssign, Div, Mul, MulAssign, Neg, Sub, SubAssign};

use super::{Lanes, SimdTask, Twice, Vector, sealed};
use std::marker::PhantomData;

/// Runs `task` with lanes compiled for AVX2 and FMA.
///
/// # Safety
/// The CPU must have AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn run_avx2<T: SimdTask>(task: T) -> T::Output {
    task.run::<Avx<TwoYmm>>()
}

/// Runs `task` with lanes compiled for AVX-512F and VL (32 vector registers) besides AVX2 and
/// FMA.
///
/// # Safety
/// The CPU must have AVX-512F, AVX-512VL, AVX2 and FMA.
#[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
pub(super) unsafe fn run_avx512<T: SimdTask>(task: T) -> T::Output {
    task.run::<Avx<OneZmm>>()
}

/// Four lanes in one AVX register; `P` says what a pair of them is ([`Pairing`]).
#[derive(Clone, Copy)]
#[repr(transparent)]
pub(crate) struct Avx<P>(__m256d, PhantomData<P>);

/// How a path computes a pair of four-lane vectors: its [`Vector::Pair`].
pub(crate) trait Pairing: Copy + Send + Sync + 'static {
    /// The pair's lanes.
    type Pair: Lanes;
    /// The low and high halves.
    fn split(pair: Self::Pair) -> [__m256d; 2];
    /// `low` and `high` side by side.
    fn join(low: __m256d, high: __m256d) -> Self::Pair;
    /// [`Vector::transpose_pairs`].
    fn transpose_pairs(rows: [Self::Pair; 8]) -> [Self::Pair; 8];
    /// [`Vector::store_pair`].
    fn store_pair(pair: Self::Pair, dst: &mut [f64; 8]);
    /// [`Vector::stream_pair_aligned`].
    ///
    /// # Safety
    /// `dst` must be 64-byte aligned.
    unsafe fn stream_pair_aligned(pair: Self::Pair, dst: &mut [f64; 8]);
}

/// The AVX2 path's pairs: two registers ([`Twice`]).
#[derive(Clone, Copy)]
pub(crate) struct TwoYmm;

impl Pairing for TwoYmm {
    type Pair = Twice<Avx<TwoYmm>>;
    #[inline(always)]
    fn split(pair: Self::Pair) -> [__m256d; 2] {
        let [low, high] = pair.0;
        [low.0, high.0]
    }
    #[inline(always)]
    fn join(low: __m256d, high: __m256d) -> Self::Pair {
        Twice([Avx::new(low), Avx::new(high)])
    }
    #[inline(always)]
    fn transpose_pairs(rows: [Self::Pair; 8]) -> [Self::Pair; 8] {
        super::pair::transpose_pairs(rows)
    }
    #[inline(always)]
    fn store_pair(pair: Self::Pair, dst: &mut [f64; 8]) {
        super::pair::store_pair(pair, dst)
    }
    #[inline(always)]
    unsafe fn stream_pair_aligned(pair: Self::Pair, dst: &mut [f64; 8]) {
        // SAFETY: 64-byte aligned (the caller's contract) is 32-byte aligned.
        unsafe { super::pair::stream_pair_aligned(pair, dst) }
    }
}

/// The AVX-512 path's pairs: one 512-bit register ([`Zmm`]).
#[derive(Clone, Copy)]
pub(crate) struct OneZmm;

impl Pairing for OneZmm {
    type Pair = Zmm;
    #[inline(always)]
    fn split(pair: Zmm) -> [__m256d; 2] {
        // SAFETY: a `Zmm` exists only under `run_avx512` (the module's invariant), so AVX-512F
        // is present; no memory is touched.
        unsafe {
            [
                _mm512_castpd512_pd256(pair.0),
                _mm512_extractf64x4_pd::<1>(pair.0),
            ]
        }
    }
    #[inline(always)]
    fn join(low: __m256d, high: __m256d) -> Zmm {
        // SAFETY: `OneZmm` pairs only `Avx<OneZmm>` values, which exist only under
        // `run_avx512` (the module's invariant), so AVX-512F is present; no memory is touched.
        Zmm(unsafe { _mm512_insertf64x4::<1>(_mm512_castpd256_pd512(low), high) })
    }
    #[inline(always)]
    fn transpose_pairs(rows: [Zmm; 8]) -> [Zmm; 8] {
        // In registers, in three rounds of eight shuffles: pairs of rows interleaved, then
        // 128-bit lanes gathered (0x88: lanes 0 and 2 of each source, 0xDD: lanes 1 and 3).
        // SAFETY: a `Zmm` exists only under `run_avx512` (the module's invariant), so AVX-512F
        // is present; no memory is touched.
        unsafe {
            // Straight-line code, no closures: a closure is not inlined into the trampoline
            // through every caller, and compiled apart it lacks AVX-512.
            let [r0, r1, r2, r3, r4, r5, r6, r7] = rows;
            let t = [
                _mm512_unpacklo_pd(r0.0, r1.0), // a0 b0 a2 b2 a4 b4 a6 b6
                _mm512_unpackhi_pd(r0.0, r1.0), // a1 b1 a3 b3 a5 b5 a7 b7
                _mm512_unpacklo_pd(r2.0, r3.0),
                _mm512_unpackhi_pd(r2.0, r3.0),
                _mm512_unpacklo_pd(r4.0, r5.0),
                _mm512_unpackhi_pd(r4.0, r5.0),
                _mm512_unpacklo_pd(r6.0, r7.0),
                _mm512_unpackhi_pd(r6.0, r7.0),
            ];
            // u0: columns 0, 4 of rows 0–3; u1: 2, 6; u2: 1, 5; u3: 3, 7 (rows 4–7: u4..u7).
            macro_rules! gather {
                ($a:expr, $b:expr) => {
                    [
                        _mm512_shuffle_f64x2::<0x88>($a, $b),
                        _mm512_shuffle_f64x2::<0xDD>($a, $b),
                    ]
                };
            }
            let [u0, u1] = gather!(t[0], t[2]);
            let [u2, u3] = gather!(t[1], t[3]);
            let [u4, u5] = gather!(t[4], t[6]);
            let [u6, u7] = gather!(t[5], t[7]);
            let [c0, c4] = gather!(u0, u4);
            let [c2, c6] = gather!(u1, u5);
            let [c1, c5] = gather!(u2, u6);
            let [c3, c7] = gather!(u3, u7);
            [
                Zmm(c0),
                Zmm(c1),
                Zmm(c2),
                Zmm(c3),
                Zmm(c4),
                Zmm(c5),
                Zmm(c6),
                Zmm(c7),
            ]
        }
    }
    #[inline(always)]
    fn store_pair(pair: Zmm, dst: &mut [f64; 8]) {
        // SAFETY: `dst` is valid for writes of 64 bytes and not aliased (a `&mut [f64; 8]`);
        // an unaligned store. AVX-512F is present (a `Zmm` exists only under `run_avx512`).
        unsafe { _mm512_storeu_pd(dst.as_mut_ptr(), pair.0) }
    }
    #[inline(always)]
    unsafe fn stream_pair_aligned(pair: Zmm, dst: &mut [f64; 8]) {
        // SAFETY: `dst` is valid for writes of 64 bytes and not aliased, 64-byte aligned (the
        // caller's contract); AVX-512F is present (as above). Weakly ordered: the schedules
        // fence it before the output is handed back.
        unsafe { _mm512_stream_pd(dst.as_mut_ptr(), pair.0) }
    }
}

/// Evaluates an intrinsic call.
macro_rules! avx {
    ($e:expr) => {
        // SAFETY: the module's invariant: an `Avx` value, which every caller of this macro
        // receives or returns, exists only on a CPU with AVX2 and FMA (the features of every
        // intrinsic used here). Pointer arguments come from references of 32 bytes.
        unsafe { $e }
    };
}

impl<P: Pairing> fmt::Debug for Avx<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_array().fmt(f)
    }
}

impl<P: Pairing> sealed::Sealed for Avx<P> {}

const fn constant<P>(value: f64) -> Avx<P> {
    // SAFETY: `__m256d` is four `f64`s, 32 bytes, any bit pattern valid (no instruction runs).
    Avx(
        unsafe { std::mem::transmute::<[f64; 4], __m256d>([value; 4]) },
        PhantomData,
    )
}

impl<P> Avx<P> {
    /// The lanes of `value`.
    #[inline(always)]
    fn new(value: __m256d) -> Self {
        Avx(value, PhantomData)
    }
}

impl<P: Pairing> Lanes for Avx<P> {
    const ZERO: Self = constant(0.0);
    const ONE: Self = constant(1.0);

    #[inline(always)]
    fn splat(value: f64) -> Self {
        avx!(Avx::new(_mm256_set1_pd(value)))
    }
    #[inline(always)]
    fn mul_add(self, a: Self, b: Self) -> Self {
        avx!(Avx::new(_mm256_fmadd_pd(self.0, a.0, b.0)))
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        avx!(Avx::new(_mm256_sqrt_pd(self.0)))
    }
    #[inline(always)]
    fn abs(self) -> Self {
        avx!(Avx::new(_mm256_andnot_pd(_mm256_set1_pd(-0.0), self.0)))
    }
    #[inline(always)]
    fn max(self, other: Self) -> Self {
        // vmaxpd: the first operand where it is greater, else the second.
        avx!(Avx::new(_mm256_max_pd(self.0, other.0)))
    }
    #[inline(always)]
    fn min(self, other: Self) -> Self {
        avx!(Avx::new(_mm256_min_pd(self.0, other.0)))
    }
    #[inline(always)]
    fn simd_eq(self, other: Self) -> Self {
        avx!(Avx::new(_mm256_cmp_pd::<_CMP_EQ_OQ>(self.0, other.0)))
    }
    #[inline(always)]
    fn simd_ne(self, other: Self) -> Self {
        avx!(Avx::new(_mm256_cmp_pd::<_CMP_NEQ_UQ>(self.0, other.0)))
    }
    #[inline(always)]
    fn simd_lt(self, other: Self) -> Self {
        avx!(Avx::new(_mm256_cmp_pd::<_CMP_LT_OQ>(self.0, other.0)))
    }
    #[inline(always)]
    fn simd_gt(self, other: Self) -> Self {
        avx!(Avx::new(_mm256_cmp_pd::<_CMP_GT_OQ>(self.0, other.0)))
    }
    #[inline(always)]
    fn select(self, if_true: Self, if_false: Self) -> Self {
        avx!(Avx::new(_mm256_blendv_pd(if_false.0, if_true.0, self.0)))
    }
    #[inline(always)]
    fn round_ties_even(self) -> Self {
        avx!(Avx::new(_mm256_round_pd::<
            { _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC },
        >(self.0)))
    }
    #[inline(always)]
    fn pow2n(self) -> Self {
        // 2ⁿ = the bits of (n + 1023) in the exponent field: n + (1023 + 2⁵²) puts n + 1023 in
        // the low mantissa bits, exactly, and a shift by 52 moves it into place.
        let biased = self + Self::splat(1023.0 + 4_503_599_627_370_496.0);
        let normal = avx!(Avx::new(_mm256_castsi256_pd(_mm256_slli_epi64::<52>(
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
        let float = avx!(Avx::new(_mm256_castsi256_pd(_mm256_or_si256(field, magic))));
        float - Self::splat(4_503_599_627_370_496.0 + 1023.0)
    }
    #[inline(always)]
    fn fraction_2(self) -> Self {
        let bits = avx!(_mm256_castpd_si256(self.0));
        let mantissa = avx!(_mm256_and_si256(
            bits,
            _mm256_set1_epi64x(0x000F_FFFF_FFFF_FFFF)
        ));
        avx!(Avx::new(_mm256_castsi256_pd(_mm256_or_si256(
            mantissa,
            _mm256_set1_epi64x(0x3FE0_0000_0000_0000)
        ))))
    }
}

impl<P: Pairing> Vector for Avx<P> {
    type Pair = P::Pair;

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
    fn split(pair: P::Pair) -> [Self; 2] {
        let [low, high] = P::split(pair);
        [Avx::new(low), Avx::new(high)]
    }
    #[inline(always)]
    fn join(low: Self, high: Self) -> P::Pair {
        P::join(low.0, high.0)
    }
    #[inline(always)]
    fn transpose_pairs(rows: [P::Pair; 8]) -> [P::Pair; 8] {
        P::transpose_pairs(rows)
    }
    #[inline(always)]
    fn store_pair(pair: P::Pair, dst: &mut [f64; 8]) {
        P::store_pair(pair, dst)
    }
    #[inline(always)]
    unsafe fn stream_pair_aligned(pair: P::Pair, dst: &mut [f64; 8]) {
        // SAFETY: the caller's contract, passed on.
        unsafe { P::stream_pair_aligned(pair, dst) }
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
                Avx::new(_mm256_permute2f128_pd::<0x20>(ab_lo, cd_lo)), // a0 b0 c0 d0
                Avx::new(_mm256_permute2f128_pd::<0x20>(ab_hi, cd_hi)), // a1 b1 c1 d1
                Avx::new(_mm256_permute2f128_pd::<0x31>(ab_lo, cd_lo)), // a2 b2 c2 d2
                Avx::new(_mm256_permute2f128_pd::<0x31>(ab_hi, cd_hi)), // a3 b3 c3 d3
            ]
        })
    }
    #[inline(always)]
    fn load(src: &[f64; 4]) -> Self {
        avx!(Avx::new(_mm256_loadu_pd(src.as_ptr())))
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
        impl<P: Pairing> $trait for Avx<P> {
            type Output = Avx<P>;
            #[inline(always)]
            fn $method(self, other: Avx<P>) -> Avx<P> {
                avx!(Avx::new($intrinsic(self.0, other.0)))
            }
        }
        impl<P: Pairing> $assign for Avx<P> {
            #[inline(always)]
            fn $assign_method(&mut self, other: Avx<P>) {
                *self = $trait::$method(*self, other);
            }
        }
    };
}
binary!(Add add AddAssign add_assign _mm256_add_pd);
binary!(Sub sub SubAssign sub_assign _mm256_sub_pd);
binary!(Mul mul MulAssign mul_assign _mm256_mul_pd);

impl<P: Pairing> Div for Avx<P> {
    type Output = Avx<P>;
    #[inline(always)]
    fn div(self, other: Avx<P>) -> Avx<P> {
        avx!(Avx::new(_mm256_div_pd(self.0, other.0)))
    }
}

impl<P: Pairing> Neg for Avx<P> {
    type Output = Avx<P>;
    /// The sign flipped (`−0` for `+0`), as `wide`'s.
    #[inline(always)]
    fn neg(self) -> Avx<P> {
        avx!(Avx::new(_mm256_xor_pd(self.0, _mm256_set1_pd(-0.0))))
    }
}

/// Eight lanes in one AVX-512 register: the AVX-512 path's [`Vector::Pair`]. Masks are lanes
/// with every bit set, as on the four-lane paths, and [`Lanes::select`] reads their sign bits,
/// as `vblendvpd` does, so a pair computes exactly what its two halves compute on the AVX2
/// path. Only AVX-512F instructions (no DQ: the integer forms of `and`, `or` and `xor`).
#[derive(Clone, Copy)]
#[repr(transparent)]
pub(crate) struct Zmm(__m512d);

/// Evaluates an AVX-512 intrinsic call.
macro_rules! zmm {
    ($e:expr) => {
        // SAFETY: the module's invariant: a `Zmm` value, which every caller of this macro
        // receives or returns, exists only under `run_avx512`, on a CPU with AVX-512F (the
        // feature of every intrinsic used here). No intrinsic here touches memory.
        unsafe { $e }
    };
}

impl Zmm {
    /// The eight lanes.
    #[inline(always)]
    fn to_array(self) -> [f64; 8] {
        // SAFETY: `__m512d` is eight `f64`s, any bit pattern valid.
        unsafe { std::mem::transmute::<__m512d, [f64; 8]>(self.0) }
    }

    /// The lanes of `values`.
    #[inline(always)]
    fn from_array(values: [f64; 8]) -> Zmm {
        // SAFETY: as above.
        Zmm(unsafe { std::mem::transmute::<[f64; 8], __m512d>(values) })
    }

    /// A mask register as lanes: every bit set where `mask` is.
    #[inline(always)]
    fn from_mask(mask: __mmask8) -> Zmm {
        zmm!(Zmm(_mm512_castsi512_pd(_mm512_maskz_set1_epi64(mask, -1))))
    }

    /// The sign bits of the lanes, as a mask register (what `vblendvpd` reads).
    #[inline(always)]
    fn sign_mask(self) -> __mmask8 {
        zmm!(_mm512_cmplt_epi64_mask(
            _mm512_castpd_si512(self.0),
            _mm512_setzero_si512()
        ))
    }

    /// `f` on the lanes' bits.
    #[inline(always)]
    fn bits(self, f: impl Fn(__m512i) -> __m512i) -> Zmm {
        zmm!(Zmm(_mm512_castsi512_pd(f(_mm512_castpd_si512(self.0)))))
    }
}

impl fmt::Debug for Zmm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_array().fmt(f)
    }
}

impl sealed::Sealed for Zmm {}

impl Lanes for Zmm {
    const ZERO: Self = Zmm::constant(0.0);
    const ONE: Self = Zmm::constant(1.0);

    #[inline(always)]
    fn splat(value: f64) -> Self {
        zmm!(Zmm(_mm512_set1_pd(value)))
    }
    #[inline(always)]
    fn mul_add(self, a: Self, b: Self) -> Self {
        zmm!(Zmm(_mm512_fmadd_pd(self.0, a.0, b.0)))
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        zmm!(Zmm(_mm512_sqrt_pd(self.0)))
    }
    #[inline(always)]
    fn abs(self) -> Self {
        self.bits(|x| zmm!(_mm512_and_si512(x, _mm512_set1_epi64(i64::MAX))))
    }
    #[inline(always)]
    fn max(self, other: Self) -> Self {
        // vmaxpd: the first operand where it is greater, else the second (as on AVX2).
        zmm!(Zmm(_mm512_max_pd(self.0, other.0)))
    }
    #[inline(always)]
    fn min(self, other: Self) -> Self {
        zmm!(Zmm(_mm512_min_pd(self.0, other.0)))
    }
    #[inline(always)]
    fn simd_eq(self, other: Self) -> Self {
        Zmm::from_mask(zmm!(_mm512_cmp_pd_mask::<_CMP_EQ_OQ>(self.0, other.0)))
    }
    #[inline(always)]
    fn simd_ne(self, other: Self) -> Self {
        Zmm::from_mask(zmm!(_mm512_cmp_pd_mask::<_CMP_NEQ_UQ>(self.0, other.0)))
    }
    #[inline(always)]
    fn simd_lt(self, other: Self) -> Self {
        Zmm::from_mask(zmm!(_mm512_cmp_pd_mask::<_CMP_LT_OQ>(self.0, other.0)))
    }
    #[inline(always)]
    fn simd_gt(self, other: Self) -> Self {
        Zmm::from_mask(zmm!(_mm512_cmp_pd_mask::<_CMP_GT_OQ>(self.0, other.0)))
    }
    #[inline(always)]
    fn select(self, if_true: Self, if_false: Self) -> Self {
        zmm!(Zmm(_mm512_mask_blend_pd(
            self.sign_mask(),
            if_false.0,
            if_true.0
        )))
    }
    #[inline(always)]
    fn round_ties_even(self) -> Self {
        zmm!(Zmm(_mm512_roundscale_pd::<
            { _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC },
        >(self.0)))
    }
    #[inline(always)]
    fn pow2n(self) -> Self {
        // As the four-lane path's: n + (1023 + 2⁵²), shifted into the exponent field.
        let biased = self + Self::splat(1023.0 + 4_503_599_627_370_496.0);
        let normal = biased.bits(|x| zmm!(_mm512_slli_epi64::<52>(x)));
        let subnormal = zmm!(_mm512_cmp_pd_mask::<_CMP_LT_OQ>(
            self.0,
            _mm512_set1_pd(-1022.0)
        ));
        if subnormal == 0 {
            return normal;
        }
        Zmm::from_array(self.to_array().map(super::portable::pow2n_scalar))
    }
    #[inline(always)]
    fn exponent(self) -> Self {
        let magic = 4_503_599_627_370_496.0f64.to_bits() as i64;
        let float = self.bits(|x| {
            zmm!(_mm512_or_si512(
                _mm512_srli_epi64::<52>(x),
                _mm512_set1_epi64(magic)
            ))
        });
        float - Self::splat(4_503_599_627_370_496.0 + 1023.0)
    }
    #[inline(always)]
    fn fraction_2(self) -> Self {
        self.bits(|x| {
            zmm!(_mm512_or_si512(
                _mm512_and_si512(x, _mm512_set1_epi64(0x000F_FFFF_FFFF_FFFF)),
                _mm512_set1_epi64(0x3FE0_0000_0000_0000)
            ))
        })
    }
}

impl Zmm {
    const fn constant(value: f64) -> Zmm {
        // SAFETY: `__m512d` is eight `f64`s, 64 bytes, any bit pattern valid.
        Zmm(unsafe { std::mem::transmute::<[f64; 8], __m512d>([value; 8]) })
    }
}

macro_rules! binary_zmm {
    ($trait:ident $method:ident $assign:ident $assign_method:ident $intrinsic:ident) => {
        impl $trait for Zmm {
            type Output = Zmm;
            #[inline(always)]
            fn $method(self, other: Zmm) -> Zmm {
                zmm!(Zmm($intrinsic(self.0, other.0)))
            }
        }
        impl $assign for Zmm {
            #[inline(always)]
            fn $assign_method(&mut self, other: Zmm) {
                *self = $trait::$method(*self, other);
            }
        }
    };
}
binary_zmm!(Add add AddAssign add_assign _mm512_add_pd);
binary_zmm!(Sub sub SubAssign sub_assign _mm512_sub_pd);
binary_zmm!(Mul mul MulAssign mul_assign _mm512_mul_pd);

impl Div for Zmm {
    type Output = Zmm;
    #[inline(always)]
    fn div(self, other: Zmm) -> Zmm {
        zmm!(Zmm(_mm512_div_pd(self.0, other.0)))
    }
}

impl Neg for Zmm {
    type Output = Zmm;
    /// The sign flipped (`−0` for `+0`).
    #[inline(always)]
    fn neg(self) -> Zmm {
        self.bits(|x| zmm!(_mm512_xor_si512(x, _mm512_set1_epi64(i64::MIN))))
    }
}
