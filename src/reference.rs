//! The plain scalar reference: the article's loops and formula, kept in one place.
//!
//! Every fast path of the crate is tested against these functions. They follow the article
//! literally, `L = sqrt(dx² + dy² + dz²)` and `L*L*L/12 + L*L/6`, with no SIMD, no tiling, no
//! threads, so a reader can check them at a glance.
//!
//! For every other kernel and dimension, [`kernel_entry`] and [`kernel_cross_matrix`] do the
//! same: `r = sqrt(Σ dₐ²)` summed in axis order, then the kernel's plain scalar formula
//! ([`RadialFunction::reference`](crate::RadialFunction::reference)).
//!
//! Note one numeric difference from the kernel: `L*L*L` overflows once L > 5.6e102, while
//! φ(L) itself stays below `f64::MAX` up to L ≈ 1.29e103. In that band the reference gives
//! `inf` and the kernel the finite value.

use crate::kernels::KernelChoice;
use crate::nodes::Nodes;

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

/// One entry of any kernel in any dimension: `r = sqrt(Σ (pₐ − qₐ)²)` (axes in order), then the
/// kernel's scalar formula.
///
/// # Panics
/// If `p` and `q` differ in length.
pub fn kernel_entry<K: KernelChoice>(kernel: &K, p: &[f64], q: &[f64]) -> f64 {
    assert_eq!(p.len(), q.len(), "points of different dimensions");
    let r_squared = p
        .iter()
        .zip(q)
        .fold(0.0, |sum, (a, b)| sum + (a - b) * (a - b));
    kernel.phi_reference(r_squared.sqrt())
}

/// The `P × Q` matrix of any kernel between two node sets of one dimension, row-major, by
/// [`kernel_entry`].
///
/// # Panics
/// If the dimensions differ, or `P·Q` entries cannot be allocated.
pub fn kernel_cross_matrix<K: KernelChoice>(kernel: &K, rows: &Nodes, cols: &Nodes) -> Vec<f64> {
    let (p, q) = (rows.len(), cols.len());
    let mut out = Vec::new();
    let len = p.checked_mul(q);
    if len.is_none_or(|len| out.try_reserve_exact(len).is_err()) {
        panic!("reference::kernel_cross_matrix: could not allocate a {p} x {q} matrix");
    }
    let cols: Vec<Vec<f64>> = (0..q).map(|j| cols.coordinates(j)).collect();
    for i in 0..p {
        let row = rows.coordinates(i);
        out.extend(cols.iter().map(|col| kernel_entry(kernel, &row, col)));
    }
    out
}
