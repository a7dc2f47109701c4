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

/// Bytes of a cache line: where the symmetric schedule needs output rows to start.
const CACHE_LINE: usize = 64;

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

impl Measurement {
    /// The fastest candidate of the rows schedule.
    pub(crate) fn fastest_rows(&self) -> Option<Candidate> {
        self.candidates
            .iter()
            .filter(|candidate| candidate.schedule == Schedule::Rows)
            .min_by(|a, b| a.seconds.total_cmp(&b.seconds))
            .copied()
    }
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
    /// It costs `1 + 3 ×` (the candidates: up to four) fills of the matrix, and the matrix's
    /// memory once. The symmetric schedule is a candidate only where N is a multiple of eight
    /// (elsewhere output rows cannot all start on cache lines, and it is never used).
    ///
    /// ```
    /// use pairkernel::{Nodes, Plan};
    /// use pairkernel::KernelMatrix;
    /// let nodes = Nodes::from_flat(&(0..3 * 64).map(|i| (i as f64 * 0.37).sin()).collect::<Vec<_>>(), 3)?;
    /// let plan = Plan::new().measure(&nodes)?;
    /// let measurement = plan.measurement().expect("just measured");
    /// println!("{:?} with {:?} stores", measurement.chosen.schedule, measurement.chosen.stores);
    /// let mut out = KernelMatrix::zeros(64, 64)?;
    /// plan.kernel_matrix_into(&nodes, out.as_mut_slice())?;
    /// assert_eq!(out, Plan::new().kernel_matrix(&nodes)?);
    /// # Ok::<(), pairkernel::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Plan::kernel_matrix`] (the matrix it times into), and [`Error::Cancelled`] if the
    /// plan's cancel flag is set meanwhile.
    pub fn measure(self, nodes: &Nodes) -> Result<Plan<K>, Error> {
        let plan = self.forget_measurement();
        let n = nodes.len();
        let mut matrix: KernelMatrix = plan.kernel_matrix(nodes)?;
        // Timed where the fills it serves run: rows on cache lines (a large matrix's huge
        // pages are; a small one's heap memory may not be, then an aligned copy of it is used).
        let mut aligned = Vec::new();
        let out = if matrix.as_slice().as_ptr().align_offset(CACHE_LINE) == 0 {
            matrix.as_mut_slice()
        } else {
            let entries = matrix.as_slice().len();
            aligned
                .try_reserve_exact(entries + CACHE_LINE / size_of::<f64>())
                .map_err(|_| Error::WorkspaceAllocationFailed {
                    bytes: entries.saturating_mul(size_of::<f64>()),
                    available: None,
                })?;
            aligned.resize(entries + CACHE_LINE / size_of::<f64>(), 0.0);
            let start = aligned.as_ptr().align_offset(CACHE_LINE);
            &mut aligned[start..start + entries]
        };
        let streaming = if Stores::streaming_available() {
            &[Stores::Plain, Stores::Streaming][..]
        } else {
            &[Stores::Plain][..]
        };
        // The symmetric schedule only where rows can start on cache lines (N a multiple of
        // eight): elsewhere `Auto` never takes it, and neither would a measured plan.
        let schedules = if (n * size_of::<f64>()).is_multiple_of(CACHE_LINE) {
            &[Schedule::Rows, Schedule::Symmetric][..]
        } else {
            &[Schedule::Rows][..]
        };
        let mut candidates: Vec<Candidate> = schedules
            .iter()
            .copied()
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
                timed.kernel_matrix_into(nodes, out)?;
                candidate.seconds = candidate.seconds.min(start.elapsed().as_secs_f64());
            }
        }
        let chosen = *candidates
            .iter()
            .min_by(|a, b| a.seconds.total_cmp(&b.seconds))
            .expect("at least one candidate");
        let measurement = Measurement {
            candidates,
            chosen,
            nodes: (nodes.len(), nodes.dim()),
        };
        Ok(plan.remember_measurement(measurement))
    }
}
