//! [`Plan::measure`]: the schedule and stores of a kernel matrix chosen by timing them on this
//! machine, for this size, the way FFTW's `FFTW_MEASURE` plans do.
//!
//! The built-in rules ([`Schedule::Auto`], [`Stores::Auto`]) and a tuning file baked into the
//! build are good guesses from cache sizes and earlier runs; which combination wins really
//! depends on the CPU, N, the kernel's cost and the threads (on Zen 3 and Zen 4 the winners
//! differ). A plan that will fill the same size many times can afford to try each once.

use std::sync::Arc;
use std::time::Instant;

use crate::arithmetic::Accuracy;
use crate::error::Error;
use crate::kernels::KernelChoice;
use crate::matrix::KernelMatrix;
use crate::nodes::Nodes;
use crate::plan::Plan;
use crate::schedule::Schedule;
use crate::simd::SimdPath;
use crate::store::Stores;

/// Timed rounds: each candidate runs once per round, the rounds interleaved so that a slow
/// minute of a shared machine hits every candidate alike; the fastest round counts.
const ROUNDS: usize = 3;

/// One schedule × stores combination and its time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Candidate {
    /// [`Schedule::Rows`] or [`Schedule::Symmetric`].
    pub schedule: Schedule,
    /// [`Stores::Plain`] or [`Stores::Streaming`] (where the CPU has streaming stores).
    pub stores: Stores,
    /// The fastest of its timed fills, in seconds.
    pub seconds: f64,
}

/// What [`Plan::measure`] timed, and the problem it applies to.
#[derive(Clone, Debug, PartialEq)]
pub struct Measurement {
    /// Every candidate, in the order they were timed.
    pub candidates: Vec<Candidate>,
    /// The fastest candidate: what the plan's kernel-matrix fills of this size use.
    pub chosen: Candidate,
    /// The node count and dimension measured.
    pub nodes: (usize, usize),
}

/// A measurement and the plan's settings it was taken with: it is used only while they are
/// unchanged.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct MeasuredFor {
    pub measurement: Arc<Measurement>,
    pub settings: PlanSettings,
}

/// What a measurement depends on besides the nodes: `(accuracy, threads, tile, SIMD path)`.
pub(crate) type PlanSettings = (Accuracy, usize, (usize, usize), SimdPath);

impl<K: KernelChoice> Plan<K> {
    /// Times every schedule × stores combination on `nodes` (a new `N × N` matrix, filled
    /// once to fault it in, then each candidate three times, interleaved, the fastest counted) and returns
    /// this plan with the fastest remembered: from then on its kernel-matrix fills of `N`
    /// nodes in this dimension into reused output — [`Plan::kernel_matrix_into`], the case a
    /// plan is measured for — use it wherever the schedule and stores are `Auto`. Everything
    /// else (other sizes, new matrices, cross matrices, the matrix-free products) keeps the
    /// `Auto` rules, and changing the plan's accuracy, threads, tile or SIMD path retires the
    /// measurement. The bits are the same whatever is chosen: only the speed differs.
    ///
    /// It costs about `1 + 3 × 4` fills of the matrix, and the matrix's memory once.
    ///
    /// ```
    /// use pairkernel::{Nodes, Plan};
    /// let nodes = Nodes::from_flat(&(0..3 * 64).map(|i| (i as f64 * 0.37).sin()).collect::<Vec<_>>(), 3)?;
    /// let plan = Plan::new().measure(&nodes)?;
    /// let measurement = plan.measurement().expect("just measured");
    /// println!("{:?} with {:?} stores", measurement.chosen.schedule, measurement.chosen.stores);
    /// let mut out = vec![0.0; 64 * 64];
    /// plan.kernel_matrix_into(&nodes, &mut out)?;
    /// assert_eq!(out, Plan::new().kernel_matrix(&nodes)?.as_slice());
    /// # Ok::<(), pairkernel::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Plan::kernel_matrix`] (the matrix it times into), and [`Error::Cancelled`] if the
    /// plan's cancel flag is set meanwhile.
    pub fn measure(self, nodes: &Nodes) -> Result<Plan<K>, Error> {
        let plan = self.forget_measurement();
        let mut out: KernelMatrix = plan.kernel_matrix(nodes)?;
        let streaming = if Stores::streaming_available() {
            &[Stores::Plain, Stores::Streaming][..]
        } else {
            &[Stores::Plain][..]
        };
        let mut candidates: Vec<Candidate> = [Schedule::Rows, Schedule::Symmetric]
            .into_iter()
            .flat_map(|schedule| {
                streaming.iter().map(move |&stores| Candidate {
                    schedule,
                    stores,
                    seconds: f64::INFINITY,
                })
            })
            .collect();
        for _ in 0..ROUNDS {
            for candidate in &mut candidates {
                let timed = plan
                    .clone()
                    .schedule(candidate.schedule)
                    .stores(candidate.stores);
                let start = Instant::now();
                timed.kernel_matrix_into(nodes, out.as_mut_slice())?;
                candidate.seconds = candidate.seconds.min(start.elapsed().as_secs_f64());
            }
        }
        let chosen = *candidates
            .iter()
            .min_by(|a, b| a.seconds.total_cmp(&b.seconds))
            .expect("at least two candidates");
        let measurement = Measurement {
            candidates,
            chosen,
            nodes: (nodes.len(), nodes.dim()),
        };
        Ok(plan.remember_measurement(measurement))
    }
}
