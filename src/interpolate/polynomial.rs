//! The polynomial part of an interpolant: the monomials up to a degree in d variables, on
//! coordinates shifted to the centre of the data's bounding box and scaled by its half-widths,
//! as scipy's `RBFInterpolator` does — so that data at 10⁵⁰ scale and 10⁵⁵ shift gives the
//! same (well-conditioned) polynomial block as data in the unit box.

use crate::nodes::Nodes;

/// The monomials of total degree ≤ `degree` in `dim` variables, and the affine map that puts
/// the data in [−1, 1]^d.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct Polynomial {
    /// `powers[k * dim + axis]`: the exponent of `axis` in monomial k (scipy's order:
    /// by degree, then `combinations_with_replacement` of the axes).
    powers: Vec<u32>,
    /// Coordinates per point.
    dim: usize,
    /// The centre of the data's bounding box, per axis.
    shift: Vec<f64>,
    /// Half the box's width per axis (1 where the data has no extent along it).
    scale: Vec<f64>,
}

impl Polynomial {
    /// The monomials up to `degree` (none for −1) for data `points`.
    pub(crate) fn new(points: &Nodes, degree: i32) -> Polynomial {
        let dim = points.dim();
        let powers = monomial_powers(dim, degree);
        let (shift, scale) = points
            .axis_ranges()
            .iter()
            .map(|&[min, max]| {
                // Halves first: (max + min) / 2 would overflow for data near f64::MAX.
                let shift = min / 2.0 + max / 2.0;
                let half_width = max / 2.0 - min / 2.0;
                (shift, if half_width > 0.0 { half_width } else { 1.0 })
            })
            .unzip();
        Polynomial {
            powers,
            dim,
            shift,
            scale,
        }
    }

    /// Whether a loaded polynomial is one [`Polynomial::new`] could have made for `dim`.
    #[cfg(feature = "serde")]
    pub(crate) fn is_consistent(&self, dim: usize) -> bool {
        self.dim == dim
            && dim > 0
            && self.powers.len().is_multiple_of(dim)
            && self.shift.len() == dim
            && self.scale.len() == dim
            && self.shift.iter().chain(&self.scale).all(|v| v.is_finite())
            && self.scale.iter().all(|&s| s > 0.0)
    }

    /// Number of monomials.
    pub(crate) fn len(&self) -> usize {
        self.powers.len() / self.dim
    }

    /// The values of every monomial at node `i` of `points` into `out`, with `scaled` (`dim`
    /// entries) as scratch: no allocation, for evaluation at millions of points.
    pub(crate) fn monomials_at(
        &self,
        points: &Nodes,
        i: usize,
        scaled: &mut [f64],
        out: &mut [f64],
    ) {
        for (axis, x) in scaled.iter_mut().enumerate() {
            *x = (points.axis(axis)[i] - self.shift[axis]) / self.scale[axis];
        }
        for (value, powers) in out.iter_mut().zip(self.powers.chunks_exact(self.dim)) {
            *value = powers
                .iter()
                .zip(scaled.iter())
                .map(|(&power, &x)| x.powi(power as i32))
                .product();
        }
    }
}

/// The exponents of the monomials of total degree ≤ `degree` in `dim` variables, flattened
/// (`dim` per monomial), in scipy's order: degree by degree, each degree's monomials as the
/// multisets of axes in lexicographic order.
pub(crate) fn monomial_powers(dim: usize, degree: i32) -> Vec<u32> {
    let mut powers = Vec::new();
    for total in 0..=degree.max(-1) {
        // Every non-decreasing sequence of `total` axes (combinations with replacement).
        let mut axes = vec![0usize; total as usize];
        loop {
            let mut monomial = vec![0u32; dim];
            for &axis in &axes {
                monomial[axis] += 1;
            }
            powers.extend(monomial);
            // The next non-decreasing sequence: raise the last axis that can be raised.
            let Some(last) = axes.iter().rposition(|&axis| axis + 1 < dim) else {
                break;
            };
            let next = axes[last] + 1;
            axes[last..].fill(next);
        }
    }
    powers
}

/// The number of monomials of total degree ≤ `degree` in `dim` variables: C(dim + degree,
/// degree), or 0 for −1 (saturating: only compared with point counts).
pub(crate) fn monomial_count(dim: usize, degree: i32) -> usize {
    if degree < 0 {
        return 0;
    }
    let mut count: usize = 1;
    for i in 1..=degree as usize {
        count = count.saturating_mul(dim + i) / i;
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powers_follow_scipys_order() {
        // scipy: _monomial_powers(2, 2) = [[0,0],[1,0],[0,1],[2,0],[1,1],[0,2]].
        assert_eq!(
            monomial_powers(2, 2),
            vec![0, 0, 1, 0, 0, 1, 2, 0, 1, 1, 0, 2]
        );
        assert_eq!(monomial_powers(3, -1), Vec::<u32>::new());
        assert_eq!(monomial_powers(1, 0), vec![0]);
        for dim in 1..6 {
            for degree in -1..5 {
                assert_eq!(
                    monomial_powers(dim, degree).len() / dim,
                    monomial_count(dim, degree)
                );
            }
        }
    }
}
