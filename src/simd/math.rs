//! eˣ and ln x on any [`Lanes`]: `wide`'s algorithms (Cephes polynomials, fdlibm reductions),
//! one generic copy, so that every path computes them with the same operations in the same
//! order, and so gives the same bits. The operation order of the polynomials is `wide`'s
//! (Estrin's scheme), so a build of `wide` with AVX and FMA gives these bits too.

// The constants as Cephes and fdlibm publish them: the literals round to the f64s `wide` uses.
#![allow(clippy::excessive_precision)]

use super::Lanes;

/// eˣ. NaN gives NaN, x > 709.783 gives +∞, x < −744.79 gives 0.
#[inline(always)]
pub(super) fn exp<V: Lanes>(x: V) -> V {
    let c = V::splat;
    // The Taylor coefficients 1/k!, k = 2 ..= 13.
    let p = [
        1.0 / 2.0,
        1.0 / 6.0,
        1.0 / 24.0,
        1.0 / 120.0,
        1.0 / 720.0,
        1.0 / 5040.0,
        1.0 / 40320.0,
        1.0 / 362880.0,
        1.0 / 3628800.0,
        1.0 / 39916800.0,
        1.0 / 479001600.0,
        1.0 / 6227020800.0,
    ]
    .map(c);
    // ln 2 as a double-double (fdlibm's e_exp.c split).
    let (ln2_hi, ln2_lo) = (c(0.693145751953125), c(1.42860682030941723212e-6));
    let max_r = c(1023.0);
    let r = (x * c(std::f64::consts::LOG2_E)).round_ties_even();
    // r above 1023 (x just below the overflow bound): 2^r as 2^1023 · 2^(r − 1023).
    let big = r.simd_gt(max_r);
    let r_safe = big.select(max_r, r);
    let scale = big.select(r - max_r, V::ZERO).pow2n();
    let reduced = (-r).mul_add(ln2_hi, x);
    let reduced = (-r).mul_add(ln2_lo, reduced);
    let z = polynomial_13(reduced, p);
    let z = (z + V::ONE) * scale * r_safe.pow2n();
    let overflow = x.simd_gt(c(709.783));
    let underflow = x.simd_lt(c(-744.79));
    underflow.select(V::ZERO, overflow.select(c(f64::INFINITY), z))
}

/// x + c₂x² + … + c₁₃x¹³ by Estrin's scheme, in `wide`'s order.
#[inline(always)]
fn polynomial_13<V: Lanes>(
    x: V,
    [c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13]: [V; 12],
) -> V {
    let x2 = x * x;
    let x4 = x2 * x2;
    let x8 = x4 * x4;
    x8.mul_add(
        x4.mul_add(
            x.mul_add(c13, c12),
            x2.mul_add(x.mul_add(c11, c10), x.mul_add(c9, c8)),
        ),
        x4.mul_add(
            x2.mul_add(x.mul_add(c7, c6), x.mul_add(c5, c4)),
            x2.mul_add(x.mul_add(c3, c2), x),
        ),
    )
}

/// ln x. Zero and subnormal x give −∞, negative x and −∞ give NaN, +∞ gives +∞, NaN gives NaN.
#[inline(always)]
pub(super) fn ln<V: Lanes>(x: V) -> V {
    let c = V::splat;
    let [p0, p1, p2, p3, p4, p5] = [
        7.70838733755885391666e0,
        1.79368678507819816313e1,
        1.44989225341610930846e1,
        4.70579119878881725854e0,
        4.97494994976747001425e-1,
        1.01875663804580931796e-4,
    ]
    .map(c);
    let [q0, q1, q2, q3, q4] = [
        2.31251620126765340583e1,
        7.11544750618563894466e1,
        8.29875266912776603211e1,
        4.52279145837532221105e1,
        1.12873587189167450590e1,
    ]
    .map(c);
    // ln 2 as a double-double (fdlibm's e_log.c split).
    let ln2_hi = c(f64::from_bits(0x3FE6_2E42_FEE0_0000));
    let ln2_lo = c(f64::from_bits(0x3DEA_39EF_3579_3C76));
    let half = c(0.5);
    let m = x.fraction_2();
    let e = x.exponent();
    // The mantissa into [√2/2, √2): below √2/2 doubled, and the exponent one less.
    let upper = m.simd_gt(c(std::f64::consts::SQRT_2) * half);
    let m = upper.select(m, m + m);
    let e = upper.select(e + V::ONE, e);
    let m = m - V::ONE;
    let m2 = m * m;
    let m4 = m2 * m2;
    let px = p3
        .mul_add(m, p2)
        .mul_add(m2, p5.mul_add(m, p4).mul_add(m4, p1.mul_add(m, p0)));
    let px = m2 * m * px;
    let qx = m2.mul_add(m.mul_add(q3, q2), m4.mul_add(q4 + m, m.mul_add(q1, q0)));
    let res = px / qx;
    let res = e.mul_add(ln2_lo, res);
    let res = res + (-m2).mul_add(half, m);
    let res = e.mul_add(ln2_hi, res);
    let below_normal = x.simd_lt(c(f64::MIN_POSITIVE));
    let res = below_normal.select(c(f64::NAN), res);
    let zero_or_subnormal = x.abs().simd_lt(c(f64::MIN_POSITIVE));
    let res = zero_or_subnormal.select(c(f64::NEG_INFINITY), res);
    let res = x.simd_eq(c(f64::INFINITY)).select(x, res);
    // NaN stays NaN.
    x.simd_ne(x).select(x, res)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::{SimdPath, SimdTask, Vector};

    /// exp and ln of `args` on a path, four lanes at a time, then eight (the micro-kernel's
    /// pairs, one 512-bit register on the AVX-512 path): both as `[four lanes, pairs]`.
    struct ExpLn<'a>(&'a [f64]);

    impl SimdTask for ExpLn<'_> {
        type Output = [Vec<(u64, u64)>; 2];
        #[inline(always)]
        fn run<V: Vector>(self) -> [Vec<(u64, u64)>; 2] {
            let bits = |e: [V; 2], l: [V; 2]| {
                let (e, l) = (e.map(V::to_array).concat(), l.map(V::to_array).concat());
                (0..8).map(move |i| (e[i].to_bits(), l[i].to_bits()))
            };
            let lanes = |x: &[f64]| -> [V; 2] {
                let (x, _) = x.as_chunks::<4>();
                [V::from_array(x[0]), V::from_array(x[1])]
            };
            let four = self
                .0
                .chunks_exact(8)
                .flat_map(|x| bits(lanes(x).map(exp), lanes(x).map(ln)))
                .collect();
            let paired = self
                .0
                .chunks_exact(8)
                .flat_map(|x| {
                    let [low, high] = lanes(x);
                    let x = V::join(low, high);
                    bits(V::split(exp(x)), V::split(ln(x)))
                })
                .collect();
            [four, paired]
        }
    }

    fn arguments() -> Vec<f64> {
        // A deterministic spread over every range the kernels reach, and the special values.
        let mut args = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            1e-310,
            5e-324,
            f64::MIN_POSITIVE,
            709.78,
            709.79,
            -744.7,
            -744.8,
            -745.2,
            -708.5,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            1e308,
            -1e308,
        ];
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut uniform = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for (low, high) in [
            (-1.0, 1.0),
            (-20.0, 0.0),
            (-745.0, -700.0),
            (0.0, 709.0),
            (0.5, 2.0),
        ] {
            args.extend((0..4000).map(|_| low + (high - low) * uniform()));
        }
        args.extend((0..4000).map(|_| 10f64.powf(-300.0 + 600.0 * uniform())));
        args.truncate(args.len() / 8 * 8);
        args
    }

    fn ulps(got: f64, want: f64) -> f64 {
        if got == want || (got.is_nan() && want.is_nan()) {
            return 0.0;
        }
        let scale = if want == 0.0 || want.abs() < f64::MIN_POSITIVE {
            // Subnormal results: their ulp is the smallest subnormal.
            f64::from_bits(1)
        } else {
            let exponent = want.abs().log2().floor();
            2f64.powf(exponent - 52.0)
        };
        (got - want).abs() / scale
    }

    #[test]
    fn exp_and_ln_are_within_one_ulp_of_the_system_library() {
        let args = arguments();
        let [got, _] = SimdPath::Portable.resolve().unwrap().run(ExpLn(&args));
        assert_eq!(got.len(), args.len());
        let (mut worst_exp, mut worst_ln) = (0.0f64, 0.0f64);
        for (&x, &(e, l)) in args.iter().zip(&got) {
            worst_exp = worst_exp.max(ulps(f64::from_bits(e), x.exp()));
            // ln of subnormals is −∞ by design (the kernels scale them first).
            if !(x > 0.0 && x < f64::MIN_POSITIVE) {
                worst_ln = worst_ln.max(ulps(f64::from_bits(l), x.ln()));
            }
        }
        assert!(worst_exp <= 1.0, "exp: {worst_exp} ulp");
        assert!(worst_ln <= 1.0, "ln: {worst_ln} ulp");
    }

    #[test]
    fn exp_and_ln_give_the_same_bits_on_every_path() {
        let args = arguments();
        let [portable, _] = SimdPath::Portable.resolve().unwrap().run(ExpLn(&args));
        for path in SimdPath::available_paths() {
            let [four, paired] = path.resolve().unwrap().run(ExpLn(&args));
            assert!(four == portable, "{path}, four lanes");
            assert!(paired == portable, "{path}, pairs");
        }
    }
}
