//! SIMD paths chosen at run time: one copy of the arithmetic, generic over the lane type
//! ([`Lanes`]), compiled once per instruction set and picked once per process from what the CPU
//! has ([`SimdPath`]).
//!
//! `wide` chooses its code path when it is compiled, from the target features the compiler is
//! given: a crate that depends on this one without `-C target-cpu=…` got SSE2 halves and an
//! unfused `mul_add` (0.44–0.62× of a native build, measured, with different last bits). Here
//! every schedule's inner work is a `SimdTask`, run through a trampoline compiled with the
//! path's target features (`#[target_feature(enable = "avx2,fma")]`), into which the whole task
//! is inlined. The schedules move four `f64`s at a time (the crate's `Vector`); the
//! micro-kernel computes two such vectors at once, as one pair of eight lanes:
//!
//! | path | four lanes | a pair (eight lanes) | compiled with | where |
//! |---|---|---|---|---|
//! | [`SimdPath::Avx512`] | `__m256d` | one `__m512d` | `avx512f, avx512vl, avx2, fma` | x86-64 with AVX-512F/VL |
//! | [`SimdPath::Avx2`] | `__m256d` | two `__m256d` | `avx2, fma` | x86-64 with AVX2 and FMA |
//! | [`SimdPath::Portable`] | `wide::f64x4`, `f64::mul_add` | two of them | the build's own flags | everywhere |
//!
//! On CPUs whose vector units are 512 bits wide (Zen 5) one 512-bit square root costs what a
//! 256-bit one does, so the AVX-512 path's pairs compute twice the entries per second of the
//! AVX2 path (measured; on Zen 4, which splits 512-bit operations in two, they are even).
//!
//! **Every path gives the same bits.** The entry arithmetic uses only IEEE operations that
//! are correctly rounded (add, subtract, multiply, divide, square root, fused multiply-add),
//! comparisons, blends and exact bit manipulation; the multiply-add is fused on every path
//! (on the portable path by `f64::mul_add`, in software where the CPU has no FMA), and the
//! exponential and logarithm are one generic copy ([`Lanes::exp`], [`Lanes::ln`]). The
//! matrix-free products sum in the naive loop's order whatever the lane width. `tests/simd_paths.rs` checks every path the CPU has against every other, bitwise.

mod math;
mod pair;
mod portable;
#[cfg(target_arch = "x86_64")]
mod x86;

use std::fmt;
use std::ops::{Add, AddAssign, Div, Mul, MulAssign, Neg, Sub, SubAssign};
use std::sync::OnceLock;

use crate::error::Error;

pub(crate) use pair::Twice;
pub(crate) use portable::Portable;

/// The environment variable that forces a path for every [`SimdPath::Auto`] plan: `avx512`,
/// `avx2` or `portable` (for comparing paths on one machine; an unavailable or unknown value
/// makes every call fail with [`Error::SimdUnavailable`]).
pub const ENV_SIMD: &str = "PAIRKERNEL_SIMD";

mod sealed {
    pub trait Sealed {}
}

/// A vector of `f64` lanes: what a kernel's [`lanes`](crate::RadialFunction::lanes) computes
/// on (four or eight lanes, depending on the path and the block; a kernel never needs to know).
///
/// Implemented by this crate only, once per SIMD path and lane width; a kernel is generic over it, so one
/// copy of its arithmetic serves every path. Every operation is IEEE and lane-wise, and gives
/// the same bits on every path. Comparisons return masks (all bits set where true) as lanes,
/// which [`Lanes::select`] consumes, like `wide`'s.
pub trait Lanes:
    Copy
    + Send
    + Sync
    + fmt::Debug
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + sealed::Sealed
{
    /// Zero in every lane.
    const ZERO: Self;
    /// One in every lane.
    const ONE: Self;
    /// `value` in every lane.
    fn splat(value: f64) -> Self;
    /// `self · a + b` with one rounding (fused on every path).
    fn mul_add(self, a: Self, b: Self) -> Self;
    /// The correctly rounded square root.
    fn sqrt(self) -> Self;
    /// |self| (the sign bit cleared).
    fn abs(self) -> Self;
    /// `self > other ? self : other`, lane by lane (so `other` where either is NaN).
    fn max(self, other: Self) -> Self;
    /// `self < other ? self : other`, lane by lane (so `other` where either is NaN).
    fn min(self, other: Self) -> Self;
    /// Mask of `self == other` (ordered: false for NaN).
    fn simd_eq(self, other: Self) -> Self;
    /// Mask of `self != other` (unordered: true for NaN).
    fn simd_ne(self, other: Self) -> Self;
    /// Mask of `self < other` (ordered).
    fn simd_lt(self, other: Self) -> Self;
    /// Mask of `self > other` (ordered).
    fn simd_gt(self, other: Self) -> Self;
    /// With `self` a mask: `if_true` where it is set, `if_false` elsewhere.
    fn select(self, if_true: Self, if_false: Self) -> Self;
    /// Rounded to the nearest integer, ties to even.
    fn round_ties_even(self) -> Self;
    /// eˣ: a Cephes-style degree-13 polynomial after an fdlibm-style reduction (`wide`'s
    /// algorithm, one generic copy); within 1 ulp of glibc's `exp`, measured.
    #[inline(always)]
    fn exp(self) -> Self {
        math::exp(self)
    }
    /// ln x: a Cephes-style rational approximation on the mantissa (`wide`'s algorithm, one
    /// generic copy); within 1 ulp of glibc's `log` for normal x, measured. Subnormal x gives
    /// −∞ (as `wide`'s does).
    #[inline(always)]
    fn ln(self) -> Self {
        math::ln(self)
    }

    /// 2ⁿ for integer-valued lanes n (subnormal results for n < −1022, 0 below −1074).
    #[doc(hidden)]
    fn pow2n(self) -> Self;
    /// The unbiased binary exponent of normal lanes, as a float.
    #[doc(hidden)]
    fn exponent(self) -> Self;
    /// The mantissa scaled into [0.5, 1).
    #[doc(hidden)]
    fn fraction_2(self) -> Self;
}

/// A [`Lanes`] vector of four lanes as the schedules move it through memory, and the pair of
/// two such vectors the micro-kernel computes on where a path has wider registers
/// ([`Vector::Pair`]): the crate's side of the lane type, which kernels never see.
pub(crate) trait Vector: Lanes {
    /// Eight lanes: two of these vectors side by side (one 512-bit register on the AVX-512
    /// path, two of these vectors elsewhere), lane for lane the same arithmetic.
    type Pair: Lanes;
    /// The lanes `values[0..4]`.
    fn from_array(values: [f64; 4]) -> Self;
    /// The four lanes.
    fn to_array(self) -> [f64; 4];
    /// A pair's low and high four lanes.
    fn split(pair: Self::Pair) -> [Self; 2];
    /// `low` and `high` side by side.
    fn join(low: Self, high: Self) -> Self::Pair;
    /// The 8 × 8 transpose of eight rows of pairs.
    fn transpose_pairs(rows: [Self::Pair; 8]) -> [Self::Pair; 8];
    /// Stores eight entries.
    fn store_pair(pair: Self::Pair, dst: &mut [f64; 8]);
    /// Stores eight entries past the cache where the platform can (on x86-64; elsewhere plain
    /// stores), ordered by [`fence_streaming_stores`].
    ///
    /// # Safety
    /// `dst` must be 64-byte aligned.
    unsafe fn stream_pair_aligned(pair: Self::Pair, dst: &mut [f64; 8]);
    /// The 4 × 4 transpose of four rows.
    fn transpose(rows: [Self; 4]) -> [Self; 4];
    /// Loads four entries.
    fn load(src: &[f64; 4]) -> Self;
    /// Stores four entries.
    fn store(self, dst: &mut [f64; 4]);
    /// Stores four entries past the cache (non-temporal) where the platform can, else
    /// [`Vector::store`]; [`fence_streaming_stores`] orders them before the output is handed back.
    fn stream(self, dst: &mut [f64; 4]);
    /// [`Vector::stream`] without the alignment check (on x86-64; elsewhere a plain store).
    ///
    /// # Safety
    /// `dst` must be 32-byte aligned.
    unsafe fn stream_aligned(self, dst: &mut [f64; 4]);
}

/// Orders this thread's streaming stores before its later stores (`sfence` on x86-64).
#[inline(always)]
pub(crate) fn fence_streaming_stores() {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `_mm_sfence` reads and writes no memory, it only orders this thread's stores; its
    // target feature, SSE, is part of the x86-64 baseline.
    unsafe {
        std::arch::x86_64::_mm_sfence()
    };
}

/// Whether [`Vector::stream`] writes past the cache on this platform.
pub(crate) const STREAMING_AVAILABLE: bool = cfg!(target_arch = "x86_64");

/// Which SIMD path computes the entries: a [`Plan`](crate::Plan) setting and what
/// [`SimdPath::detected`] reports. Every path gives the same bits; they differ in speed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SimdPath {
    /// The path named by the `PAIRKERNEL_SIMD` environment variable ([`ENV_SIMD`]) if it is
    /// set, else the widest the CPU has: the default.
    #[default]
    Auto,
    /// x86-64 with AVX-512F and AVX-512VL: the micro-kernel's pairs of four-lane vectors in
    /// one 512-bit register, 32 registers.
    Avx512,
    /// x86-64 with AVX2 and FMA.
    Avx2,
    /// Any CPU: `wide`'s lanes as this build compiled them, multiply-adds fused by
    /// `f64::mul_add` (in software where the CPU has no FMA: correct, slow).
    Portable,
}

impl SimdPath {
    /// Every path, widest first.
    pub const ALL: [SimdPath; 3] = [SimdPath::Avx512, SimdPath::Avx2, SimdPath::Portable];

    /// The path's name: `auto`, `avx512`, `avx2` or `portable`.
    pub fn name(self) -> &'static str {
        match self {
            SimdPath::Auto => "auto",
            SimdPath::Avx512 => "avx512",
            SimdPath::Avx2 => "avx2",
            SimdPath::Portable => "portable",
        }
    }

    /// The path of `name` (as [`SimdPath::name`] gives it).
    pub fn from_name(name: &str) -> Option<SimdPath> {
        [SimdPath::Auto]
            .into_iter()
            .chain(SimdPath::ALL)
            .find(|path| path.name() == name)
    }

    /// Whether this CPU can run the path (detected once; `Auto` always can).
    pub fn available(self) -> bool {
        match self {
            SimdPath::Auto | SimdPath::Portable => true,
            SimdPath::Avx2 => cpu().avx2_fma,
            SimdPath::Avx512 => cpu().avx512,
        }
    }

    /// The paths this CPU can run, widest first.
    pub fn available_paths() -> Vec<SimdPath> {
        SimdPath::ALL
            .into_iter()
            .filter(|p| p.available())
            .collect()
    }

    /// The widest path this CPU has, ignoring the environment.
    pub fn widest() -> SimdPath {
        SimdPath::available_paths()[0]
    }

    /// The path [`SimdPath::Auto`] takes in this process: the environment's choice if
    /// `PAIRKERNEL_SIMD` is set, else [`SimdPath::widest`].
    ///
    /// # Errors
    /// [`Error::SimdUnavailable`] if the variable names an unknown path or one this CPU lacks.
    pub fn detected() -> Result<SimdPath, Error> {
        SimdPath::Auto.resolve().map(Isa::path)
    }

    /// The instruction set this path runs on here.
    pub(crate) fn resolve(self) -> Result<Isa, Error> {
        let path = match self {
            SimdPath::Auto => {
                static FROM_ENV: OnceLock<Result<SimdPath, String>> = OnceLock::new();
                let chosen = FROM_ENV.get_or_init(|| match std::env::var(ENV_SIMD) {
                    Err(_) => Ok(SimdPath::widest()),
                    Ok(name) => SimdPath::from_name(name.trim())
                        .filter(|path| *path != SimdPath::Auto)
                        .ok_or(name),
                });
                match chosen {
                    Ok(path) => *path,
                    Err(name) => {
                        return Err(Error::SimdUnavailable {
                            requested: format!("{ENV_SIMD}={name}"),
                            available: names(&SimdPath::available_paths()),
                        });
                    }
                }
            }
            path => path,
        };
        if !path.available() {
            return Err(Error::SimdUnavailable {
                requested: path.name().to_string(),
                available: names(&SimdPath::available_paths()),
            });
        }
        Ok(match path {
            #[cfg(target_arch = "x86_64")]
            SimdPath::Avx512 => Isa::Avx512,
            #[cfg(target_arch = "x86_64")]
            SimdPath::Avx2 => Isa::Avx2,
            _ => Isa::Portable,
        })
    }
}

impl fmt::Display for SimdPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

fn names(paths: &[SimdPath]) -> String {
    paths
        .iter()
        .map(|p| p.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the CPU has, detected once.
struct Cpu {
    avx2_fma: bool,
    avx512: bool,
}

fn cpu() -> &'static Cpu {
    static CPU: OnceLock<Cpu> = OnceLock::new();
    CPU.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        {
            let avx2_fma =
                std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma");
            Cpu {
                avx2_fma,
                avx512: avx2_fma
                    && std::is_x86_feature_detected!("avx512f")
                    && std::is_x86_feature_detected!("avx512vl"),
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        Cpu {
            avx2_fma: false,
            avx512: false,
        }
    })
}

/// A resolved path: only constructed by [`SimdPath::resolve`], after detection, so holding an
/// x86 variant proves the CPU has its features.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Isa {
    #[cfg(target_arch = "x86_64")]
    Avx512,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    Portable,
}

/// Work compiled once per path: `run` is generic over the lane type and must be
/// `#[inline(always)]`, with everything it calls, so that it is compiled into the path's
/// trampoline with the path's target features.
pub(crate) trait SimdTask {
    /// What the work returns.
    type Output;
    /// The work, on lanes `V`.
    fn run<V: Vector>(self) -> Self::Output;
}

impl Isa {
    /// The public name of this path.
    pub(crate) fn path(self) -> SimdPath {
        match self {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => SimdPath::Avx512,
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => SimdPath::Avx2,
            Isa::Portable => SimdPath::Portable,
        }
    }

    /// Runs `task` on this path.
    #[inline]
    pub(crate) fn run<T: SimdTask>(self, task: T) -> T::Output {
        match self {
            // SAFETY: an `Isa::Avx512` exists only where `resolve` found AVX-512F, AVX-512VL,
            // AVX2 and FMA on this CPU (and an `Isa::Avx2` where it found AVX2 and FMA).
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => unsafe { x86::run_avx512(task) },
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => unsafe { x86::run_avx2(task) },
            Isa::Portable => task.run::<Portable>(),
        }
    }
}
