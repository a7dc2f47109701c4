//! Local interpolants (`neighbors = k`): each evaluation point uses the interpolant of its k
//! nearest data points, as scipy's `RBFInterpolator` does. The neighbours come from a k-d tree
//! (`kiddo`); evaluation points whose neighbourhoods are the same set share one fit.

use std::collections::HashMap;
use std::num::NonZero;

use kiddo::SquaredEuclidean;
use kiddo::immutable::float::kdtree::ImmutableKdTree;
use rayon::prelude::*;

use crate::error::Error;
use crate::interpolate::Timings;
use crate::interpolate::fit::{Fit, FitInputs};
use crate::nodes::Nodes;

/// The data of the local interpolants, and the search structure over it.
#[derive(Clone, Debug)]
pub(crate) struct Local {
    points: Nodes,
    values: Vec<f64>,
    smoothing: Vec<f64>,
    k: usize,
    search: Search,
}

/// A k-d tree (kiddo's, whose dimension is a compile-time constant) for the dimensions up to
/// 8; beyond, where a k-d tree prunes little, a scan of every data point.
#[derive(Clone, Debug)]
enum Search {
    D1(ImmutableKdTree<f64, u64, 1, 32>),
    D2(ImmutableKdTree<f64, u64, 2, 32>),
    D3(ImmutableKdTree<f64, u64, 3, 32>),
    D4(ImmutableKdTree<f64, u64, 4, 32>),
    D5(ImmutableKdTree<f64, u64, 5, 32>),
    D6(ImmutableKdTree<f64, u64, 6, 32>),
    D7(ImmutableKdTree<f64, u64, 7, 32>),
    D8(ImmutableKdTree<f64, u64, 8, 32>),
    Scan,
}

impl Local {
    /// The local interpolants of `values` at `points`, `k` neighbours each (1 ≤ k ≤ N).
    pub(crate) fn new(points: &Nodes, values: &[f64], smoothing: Vec<f64>, k: usize) -> Local {
        macro_rules! tree {
            ($variant:ident, $d:literal) => {{
                let coordinates: Vec<[f64; $d]> = (0..points.len())
                    .map(|i| {
                        let c = points.coordinates(i);
                        std::array::from_fn(|axis| c[axis])
                    })
                    .collect();
                Search::$variant(ImmutableKdTree::new_from_slice(&coordinates))
            }};
        }
        let search = match points.dim() {
            1 => tree!(D1, 1),
            2 => tree!(D2, 2),
            3 => tree!(D3, 3),
            4 => tree!(D4, 4),
            5 => tree!(D5, 5),
            6 => tree!(D6, 6),
            7 => tree!(D7, 7),
            8 => tree!(D8, 8),
            _ => Search::Scan,
        };
        Local {
            points: points.clone(),
            values: values.to_vec(),
            smoothing,
            k,
            search,
        }
    }

    /// The data, the values, the smoothing and k (for saving).
    #[cfg(feature = "serde")]
    pub(crate) fn into_parts(self) -> (Nodes, Vec<f64>, Vec<f64>, usize) {
        (self.points, self.values, self.smoothing, self.k)
    }

    /// The indices of the k data points nearest to `x`, in increasing order.
    fn neighbours(&self, x: &[f64]) -> Vec<u32> {
        let k = NonZero::new(self.k).expect("k >= 1, checked by the builder");
        macro_rules! nearest {
            ($tree:expr, $d:literal) => {{
                let query: [f64; $d] = std::array::from_fn(|axis| x[axis]);
                $tree
                    .nearest_n::<SquaredEuclidean>(&query, k)
                    .into_iter()
                    .map(|found| found.item as u32)
                    .collect::<Vec<u32>>()
            }};
        }
        let mut found = match &self.search {
            Search::D1(tree) => nearest!(tree, 1),
            Search::D2(tree) => nearest!(tree, 2),
            Search::D3(tree) => nearest!(tree, 3),
            Search::D4(tree) => nearest!(tree, 4),
            Search::D5(tree) => nearest!(tree, 5),
            Search::D6(tree) => nearest!(tree, 6),
            Search::D7(tree) => nearest!(tree, 7),
            Search::D8(tree) => nearest!(tree, 8),
            Search::Scan => {
                // The axes as columns, borrowed once: no per-point allocation.
                let axes: Vec<&[f64]> = (0..x.len()).map(|a| self.points.axis(a)).collect();
                let mut distances: Vec<(f64, u32)> = (0..self.points.len())
                    .map(|j| {
                        let r2 = x
                            .iter()
                            .zip(&axes)
                            .map(|(a, axis)| (a - axis[j]) * (a - axis[j]))
                            .sum();
                        (r2, j as u32)
                    })
                    .collect();
                distances.select_nth_unstable_by(self.k - 1, |a, b| a.0.total_cmp(&b.0));
                distances[..self.k].iter().map(|&(_, j)| j).collect()
            }
        };
        found.sort_unstable();
        found
    }

    /// The local interpolants at `points` into `out` (`P × m`).
    pub(crate) fn evaluate_into(
        &self,
        inputs: &FitInputs<'_>,
        points: &Nodes,
        m: usize,
        out: &mut [f64],
    ) -> Result<(), Error> {
        let p = points.len();
        if Some(out.len()) != p.checked_mul(m) {
            return Err(Error::VectorLength {
                name: "out",
                expected: p.saturating_mul(m),
                got: out.len(),
                count: p,
                k: m,
            });
        }
        // Evaluation points grouped by neighbourhood (in order of first appearance, so the
        // work is the same for every run).
        let neighbourhoods: Vec<Vec<u32>> = (0..p)
            .into_par_iter()
            .map(|i| self.neighbours(&points.coordinates(i)))
            .collect();
        let mut groups: Vec<(Vec<u32>, Vec<usize>)> = Vec::new();
        let mut index: HashMap<&[u32], usize> = HashMap::new();
        for (i, neighbourhood) in neighbourhoods.iter().enumerate() {
            let g = *index.entry(neighbourhood).or_insert_with(|| {
                groups.push((neighbourhood.clone(), Vec::new()));
                groups.len() - 1
            });
            groups[g].1.push(i);
        }

        let dim = self.points.dim();
        let serial = inputs.plan.clone().threads(1);
        let local_inputs = FitInputs {
            kernel: inputs.kernel,
            degree: inputs.degree,
            plan: &serial,
            solver: inputs.solver,
        };
        let results: Vec<Result<Vec<f64>, Error>> = groups
            .par_iter()
            .map(|(neighbourhood, members)| {
                let gather = |indices: &mut dyn Iterator<Item = usize>, from: &Nodes| {
                    let flat: Vec<f64> = indices.flat_map(|i| from.coordinates(i)).collect();
                    Nodes::from_flat(&flat, dim)
                };
                let centres = gather(&mut neighbourhood.iter().map(|&j| j as usize), &self.points)?;
                let values: Vec<f64> = neighbourhood
                    .iter()
                    .flat_map(|&j| &self.values[j as usize * m..(j as usize + 1) * m])
                    .copied()
                    .collect();
                let smoothing: Vec<f64> = neighbourhood
                    .iter()
                    .map(|&j| self.smoothing[j as usize])
                    .collect();
                let mut timings = Timings::default();
                let fit = Fit::new(centres, &values, m, &smoothing, &local_inputs, &mut timings)?;
                let at = gather(&mut members.iter().copied(), points)?;
                let mut values = vec![0.0; members.len() * m];
                fit.evaluate_into(&serial, &at, m, &mut values)?;
                Ok(values)
            })
            .collect();
        for ((_, members), result) in groups.iter().zip(results) {
            let values = result?;
            for (&i, row) in members.iter().zip(values.chunks_exact(m)) {
                out[i * m..(i + 1) * m].copy_from_slice(row);
            }
        }
        Ok(())
    }
}
