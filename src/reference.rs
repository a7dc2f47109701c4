//! The plain scalar reference: the article's loops and formula, kept in one place.
//!
//! Every fast path of the crate is tested against these functions. They follow the article
//! literally, `L = sqrt(dx² + dy² + dz²)` and `L*L*L/12 + L*L/6`, with no SIMD, no tiling, no
//! threads, so a reader can check them at a glance.
//!
//! Note one numeric difference from the kernel: `L*L*L` overflows once L > 5.6e102, while
//! φ(L) itself stays below `f64::MAX` up to L ≈ 1.29e103. In that band the reference gives
//! `inf` and the kernel the finite value.

/// The dense `N × N` matrix of φ(|pᵢ − pⱼ|), row-major.
///
/// # Panics
/// If `N²` entries cannot be allocated (this oracle is not for sizes near the memory limit).
pub fn kernel_matrix(points: &[[f64; 3]]) -> Vec<f64> {
    cross_matrix(points, points)
}

/// The `P × Q` matrix of φ(|rowsᵢ − colsⱼ|), row-major.
///
/// # Panics
/// If `P·Q` entries cannot be addressed or allocated (with the sizes in the message; never an
/// abort).
pub fn cross_matrix(rows: &[[f64; 3]], cols: &[[f64; 3]]) -> Vec<f64> {
    let (p, q) = (rows.len(), cols.len());
    let mut out = Vec::new();
    let len = p.checked_mul(q);
    if len.is_none_or(|len| out.try_reserve_exact(len).is_err()) {
        panic!("reference::cross_matrix: could not allocate a {p} x {q} matrix");
    }
    for p in rows {
        for q in cols {
            out.push(entry(p, q));
        }
    }
    out
}

/// One entry, φ(|p − q|), by the article's formula: the scalar code every loop here (and the
/// naive baselines of the benches) shares.
pub fn entry(p: &[f64; 3], q: &[f64; 3]) -> f64 {
    let (dx, dy, dz) = (p[0] - q[0], p[1] - q[1], p[2] - q[2]);
    let l = (dx * dx + dy * dy + dz * dz).sqrt();
    l * l * l / 12.0 + l * l / 6.0
}
