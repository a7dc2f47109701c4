//! Exact (double-double, ~2⁻¹⁰⁴ relative) values of every built-in kernel, the oracle of the
//! per-kernel accuracy tests. `twofloat` gives the arithmetic and the square root; its `exp` is
//! documented only to 1e-16 and its `ln` builds on it, so both are written here: `exp` by
//! reduction to |r| ≤ ln2/2, a further 2¹⁰ halving and a Taylor series, squared back; `ln` by two
//! Newton steps on that `exp`, and by its series around 1 where ln s is tiny (there Newton's
//! absolute accuracy would not be a relative one).

use pairkernel::Kernel;
use twofloat::TwoFloat;

/// ln 2 as a double-double.
fn ln2() -> TwoFloat {
    TwoFloat::new_add(std::f64::consts::LN_2, 2.319_046_813_846_299_6e-17)
}

/// e^x in double-double (0 below e^−746, ∞ above e^710).
pub fn exp(x: TwoFloat) -> TwoFloat {
    if x.hi() < -746.0 {
        return TwoFloat::from(0.0);
    }
    if x.hi() > 710.0 {
        return TwoFloat::from(f64::INFINITY);
    }
    let k = (x.hi() / std::f64::consts::LN_2).round();
    let r = (x - ln2() * k) / 1024.0;
    // Taylor series of e^r − 1 for |r| ≤ 3.4e-4: 14 terms leave < 1e-50.
    let mut term = r;
    let mut sum = r;
    for n in 2..=14 {
        term = term * r / f64::from(n);
        sum += term;
    }
    // (1 + sum)^(2^10) as e^(1024 r), squaring 1 + sum with the 1 kept apart: (1 + s)² = 1 + (2s + s²).
    for _ in 0..10 {
        sum = sum * 2.0 + sum * sum;
    }
    let value = sum + 1.0;
    // Scale by 2^k in two steps (k may be below −1022).
    let half = (k / 2.0).trunc();
    let scale = |e: f64| TwoFloat::from(2f64.powi(e as i32));
    value * scale(half) * scale(k - half)
}

/// ln x in double-double for x > 0.
pub fn ln(x: TwoFloat) -> TwoFloat {
    let t = x - 1.0;
    if t.hi().abs() < 1e-3 {
        // ln(1 + t) = t − t²/2 + t³/3 − …, 14 terms for |t| < 1e-3.
        let mut power = t;
        let mut sum = t;
        for n in 2..=14 {
            power *= t;
            let term = power / f64::from(n);
            sum = if n % 2 == 0 { sum - term } else { sum + term };
        }
        return sum;
    }
    let mut y = TwoFloat::from(x.hi().ln());
    for _ in 0..2 {
        y = y + x * exp(-y) - 1.0;
    }
    y
}

/// r² between `p` and `q` in double-double (the differences exactly, then ~2⁻¹⁰⁴).
pub fn squared_distance(p: &[f64], q: &[f64]) -> TwoFloat {
    p.iter().zip(q).fold(TwoFloat::from(0.0), |sum, (&a, &b)| {
        let d = TwoFloat::new_sub(a, b);
        sum + d * d
    })
}

/// The exact φ of `kernel` between `p` and `q` (to ~2⁻¹⁰⁰ relative).
pub fn kernel_value(kernel: &Kernel, p: &[f64], q: &[f64]) -> TwoFloat {
    let s = squared_distance(p, q);
    let s = match kernel.epsilon() {
        Some(epsilon) => s * TwoFloat::new_mul(epsilon, epsilon),
        None => s,
    };
    of_square(kernel, s)
}

/// The exact φ of `kernel` at (εr)² = `s`.
pub fn of_square(kernel: &Kernel, s: TwoFloat) -> TwoFloat {
    let zero = TwoFloat::from(0.0);
    let one = TwoFloat::from(1.0);
    let root = |s: TwoFloat| if s.hi() == 0.0 { zero } else { s.sqrt() };
    let half_power_log = |s: TwoFloat, m: u32| {
        if s.hi() == 0.0 {
            zero
        } else {
            (0..m).fold(one, |acc, _| acc * s) * ln(s) * 0.5
        }
    };
    match *kernel {
        Kernel::Phi => {
            let r = root(s);
            s * r / 12.0 + s / 6.0
        }
        Kernel::Linear { .. } => -root(s),
        Kernel::ThinPlateSpline { .. } => half_power_log(s, 1),
        Kernel::Cubic { .. } => s * root(s),
        Kernel::Quintic { .. } => -(s * s * root(s)),
        Kernel::Multiquadric { .. } => -(s + 1.0).sqrt(),
        Kernel::InverseMultiquadric { .. } => one / (s + 1.0).sqrt(),
        Kernel::InverseQuadratic { .. } => one / (s + 1.0),
        Kernel::Gaussian { .. } => exp(-s),
        Kernel::Polyharmonic { degree, .. } if degree % 2 == 1 => {
            (0..degree / 2).fold(root(s), |acc, _| acc * s)
        }
        Kernel::Polyharmonic { degree, .. } => half_power_log(s, degree / 2),
        _ => unreachable!("a kernel this oracle does not know"),
    }
}
