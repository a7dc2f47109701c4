//! The binary's measurement engine: variants, pinned pools, reused buffers, and `measure`,
//! which times every variant of one N beside the store floor of the same memory. The `bench`,
//! `scaling` and `tune` subcommands are front ends to it.
//!
//! The floor is the time to write N² f64 into the same kind of memory, on the same threads,
//! with no arithmetic (`pairkernel::machine::fill_floor`), by plain stores and by streaming stores, the faster
//! counting. One warm-up round first; then `reps` rounds, each running every variant and floor
//! once, so drift hits all alike. Medians are reported. A reused output (`into`) is timed on the
//! second of two back-to-back calls, so that it starts as its own previous call left it.

use std::sync::atomic::{AtomicBool, Ordering};

use pairkernel::{Accuracy, Kernel, KernelMatrix, Nodes, Plan, Schedule, Stores, reference};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::Serialize;

use crate::bench::{AccuracyArg, Mode, ScheduleArg, StoresArg};
use crate::{Failure, median, pinned_pool, time};

/// The kernel and dimension options of the experiment and `scaling` (`bench` takes lists).
#[derive(clap::Args, Debug, Clone)]
pub struct KernelArgs {
    /// The kernel: `phi` (the article's), scipy's `linear`, `thin_plate_spline`, `cubic`,
    /// `quintic`, `multiquadric`, `inverse_multiquadric`, `inverse_quadratic`, `gaussian`, or
    /// `polyharmonic<k>`.
    #[arg(long, default_value = "phi")]
    pub kernel: String,
    /// The kernel's shape parameter ε (1 by default; `phi` has none).
    #[arg(long)]
    pub epsilon: Option<f64>,
    /// Dimension of the random nodes (uniform in the unit cube).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub dim: u64,
}

impl KernelArgs {
    /// The kernel named, with its ε.
    pub fn kernel(&self) -> Result<Kernel, Failure> {
        Ok(Kernel::from_name(self.kernel.trim(), self.epsilon)?)
    }
}

/// One kernel variant to time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Variant {
    pub threads: usize,
    /// The kernel and the dimension of the random nodes.
    pub kernel: Kernel,
    pub dim: usize,
    pub mode: Mode,
    pub schedule: ScheduleArg,
    pub stores: StoresArg,
    pub accuracy: AccuracyArg,
    /// `Plan::tile`'s shape, or `None` for the build's default (which the symmetric schedule
    /// treats by its own rule where it is the built-in one: `Plan::default`).
    pub tile: Option<(usize, usize)>,
    /// Right-hand sides (the `apply` mode; 1 otherwise).
    pub k: usize,
}

impl Variant {
    /// The tile shape the plan is given: [`Variant::tile`], or the build's default.
    pub fn tile_shape(&self) -> (usize, usize) {
        self.tile.unwrap_or_else(|| Plan::default().tile_shape())
    }

    fn plan(&self) -> Plan {
        let plan = match self.tile {
            Some((rows, cols)) => Plan::new().tile(rows, cols),
            None => Plan::new(),
        };
        plan
            // Inside a pinned pool, threads(0) runs on that pool's threads.
            .threads(if self.threads == 1 { 1 } else { 0 })
            .schedule(match self.schedule {
                ScheduleArg::Auto => Schedule::Auto,
                ScheduleArg::Rows => Schedule::Rows,
                ScheduleArg::Symmetric => Schedule::Symmetric,
            })
            .stores(match self.stores {
                StoresArg::Auto => Stores::Auto,
                StoresArg::Plain => Stores::Plain,
                StoresArg::Streaming => Stores::Streaming,
            })
            .accuracy(match self.accuracy {
                AccuracyArg::Compensated => Accuracy::Compensated,
                AccuracyArg::Fast => Accuracy::Fast,
            })
            .kernel(self.kernel)
    }
}

/// One line of the report.
#[derive(Clone, Debug, Serialize)]
pub struct Measurement {
    pub n: usize,
    pub threads: usize,
    /// The kernel's name (and ε), and the dimension.
    pub kernel: String,
    pub dim: usize,
    pub mode: Mode,
    /// Right-hand sides (1 but for `apply`).
    pub k: usize,
    /// N²·k / 10⁹ / median_s: pair evaluations times right-hand sides per second (`apply`).
    pub gpair_rhs_per_s: f64,
    pub median_s: f64,
    pub gentries_per_s: f64,
    pub floor_gentries_per_s: f64,
    pub ratio_to_floor: f64,
    /// Which stores gave the floor: "plain" or "streaming".
    pub floor_stores: &'static str,
    pub min_s: f64,
    pub reps: u32,
    pub tile_rows: usize,
    pub tile_cols: usize,
    pub schedule: ScheduleArg,
    pub stores: StoresArg,
    pub accuracy: AccuracyArg,
    pub simd: String,
}

/// One pinned pool per thread count above 1, started once and reused.
pub struct Pools {
    pools: Vec<(usize, rayon::ThreadPool)>,
}

impl Pools {
    pub fn new(thread_counts: &[usize], pin: bool) -> Result<Pools, Failure> {
        let mut pools: Vec<(usize, rayon::ThreadPool)> = Vec::new();
        for &threads in thread_counts {
            if threads > 1 && !pools.iter().any(|(t, _)| *t == threads) {
                pools.push((threads, pinned_pool(threads, pin)?));
            }
        }
        Ok(Pools { pools })
    }

    /// Runs `work` on `threads` threads: the calling thread for 1, its pinned pool else.
    fn run<T: Send>(&self, threads: usize, work: impl FnOnce() -> T + Send) -> T {
        match self.pools.iter().find(|(t, _)| *t == threads) {
            Some((_, pool)) => pool.install(work),
            None => work(),
        }
    }
}

/// The reused outputs of one N, each allocated only if a variant needs it (an N × N matrix
/// at N = 10⁵ would take 80 GB, which `apply` is there to avoid).
struct Buffers {
    matrix: Option<KernelMatrix>,
    vec: Vec<f64>,
    /// `apply`: right-hand sides (N × k_max, row-major) and results.
    x: Vec<f64>,
    y: Vec<f64>,
}

impl Buffers {
    fn get(&mut self, mode: Mode) -> &mut [f64] {
        match (mode, &mut self.matrix) {
            (Mode::IntoVec, _) => &mut self.vec,
            (_, Some(matrix)) => matrix.as_mut_slice(),
            (_, None) => &mut [],
        }
    }
}

/// `y = d·x` for a dense row-major `n × n` matrix, rows in parallel on the current pool (the
/// matvec a user of the dense path would write).
fn dense_matvec(d: &[f64], x: &[f64], y: &mut [f64]) {
    use rayon::prelude::*;
    y.par_iter_mut()
        .zip(d.par_chunks(x.len().max(1)))
        .for_each(|(yi, row)| *yi = row.iter().zip(x).map(|(a, b)| a * b).sum());
}

/// Times every variant at one N, and the floors of every (threads, mode) they use: a warm-up
/// round, then `reps` rounds that each run everything once. `progress` is called after each
/// variant's run, `(reps + 1) * variants.len()` times in all. When `stop` is set, the rounds end
/// early and the variants measured at least once are reported, from the rounds they ran.
pub fn measure(
    n: usize,
    seed: u64,
    variants: &[Variant],
    reps: u32,
    pools: &Pools,
    stop: &AtomicBool,
    mut progress: impl FnMut(),
) -> Result<Vec<Measurement>, Failure> {
    // One random node set per dimension the variants use (3-D: the article's nodes).
    let mut node_sets: Vec<(usize, Nodes)> = Vec::new();
    for variant in variants {
        if !node_sets.iter().any(|(dim, _)| *dim == variant.dim) {
            let mut rng = StdRng::seed_from_u64(seed);
            node_sets.push((variant.dim, Nodes::try_random_in(n, variant.dim, &mut rng)?));
        }
    }
    let nodes_of = |dim: usize| &node_sets.iter().find(|(d, _)| *d == dim).expect("made").1;
    let uses = |modes: &[Mode]| variants.iter().any(|v| modes.contains(&v.mode));
    let k_max = variants.iter().map(|v| v.k).max().unwrap_or(1);
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed);
    let mut buffers = Buffers {
        matrix: if uses(&[Mode::Into, Mode::DenseApply]) {
            Some(KernelMatrix::zeros(n, n)?)
        } else {
            None
        },
        vec: if uses(&[Mode::IntoVec]) {
            // Fallibly, like the library (memory available, then the allocator): the zero fill
            // below touches every page, and `vec![0.0; n * n]` would abort on a too-large N.
            let bytes = n * n * size_of::<f64>();
            let refused = |available| pairkernel::Error::AllocationFailed {
                rows: n,
                cols: n,
                bytes,
                available,
            };
            if let Some(available) = pairkernel::machine::available_memory()
                && bytes as u64 > available
            {
                return Err(refused(Some(available)).into());
            }
            let mut v = Vec::new();
            v.try_reserve_exact(n * n).map_err(|_| refused(None))?;
            v.resize(n * n, 0.0);
            v
        } else {
            Vec::new()
        },
        x: if uses(&[Mode::Apply, Mode::DenseApply]) {
            (0..n * k_max)
                .map(|_| rng.random_range(-1.0..1.0))
                .collect()
        } else {
            Vec::new()
        },
        y: vec![
            0.0;
            if uses(&[Mode::Apply, Mode::DenseApply]) {
                n * k_max
            } else {
                0
            }
        ],
    };
    let plans: Vec<Plan> = variants.iter().map(Variant::plan).collect();
    // One floor per (threads, mode), however many variants share it; none for the reference.
    let mut floors: Vec<(usize, Mode)> = variants
        .iter()
        .filter(|v| v.mode.has_floor())
        .map(|v| (v.threads, v.mode))
        .collect();
    floors.sort_by_key(|&(threads, mode)| (threads, mode as u8));
    floors.dedup();
    let floor_plans = |threads: usize| {
        let plan = Plan::new().threads(if threads == 1 { 1 } else { 0 });
        [
            plan.clone().stores(Stores::Plain),
            plan.stores(Stores::Streaming),
        ]
    };

    let mut kernel_s = vec![Vec::new(); variants.len()];
    let mut floor_s = vec![[Vec::new(), Vec::new()]; floors.len()];
    let mut warming_up = true;
    'rounds: for round in 0..=reps {
        for ((variant, plan), times) in variants.iter().zip(&plans).zip(&mut kernel_s) {
            if stop.load(Ordering::Relaxed) {
                break 'rounds;
            }
            let nodes = nodes_of(variant.dim);
            let seconds = match variant.mode {
                Mode::Reference if variant.kernel == Kernel::Phi && variant.dim == 3 => {
                    let points = nodes.to_points();
                    time_new(|| Ok(reference::kernel_matrix(&points)))?
                }
                Mode::Reference => time_new(|| {
                    Ok(reference::kernel_cross_matrix(
                        &variant.kernel,
                        nodes,
                        nodes,
                    ))
                })?,
                Mode::Apply => {
                    let (x, y) = (&buffers.x[..n * variant.k], &mut buffers.y[..n * variant.k]);
                    pools.run(variant.threads, || {
                        time(|| plan.apply_many(nodes, x, variant.k, y))
                    })?
                }
                Mode::DenseApply => {
                    let Buffers { matrix, x, y, .. } = &mut buffers;
                    let d = matrix
                        .as_mut()
                        .expect("allocated for dense-apply")
                        .as_mut_slice();
                    let (x, y) = (&x[..n], &mut y[..n]);
                    pools.run(variant.threads, || {
                        time(|| {
                            plan.kernel_matrix_into(nodes, d)?;
                            dense_matvec(d, x, y);
                            Ok(())
                        })
                    })?
                }
                Mode::Alloc => {
                    pools.run(variant.threads, || time_new(|| plan.kernel_matrix(nodes)))?
                }
                Mode::Into | Mode::IntoVec => {
                    let out = buffers.get(variant.mode);
                    pools.run(variant.threads, || {
                        time_second(|| plan.kernel_matrix_into(nodes, out))
                    })?
                }
            };
            times.push(seconds);
            progress();
        }
        for (&(threads, mode), times) in floors.iter().zip(&mut floor_s) {
            for (plan, times) in floor_plans(threads).iter().zip(times) {
                let out = buffers.get(mode);
                let seconds = pools.run(threads, || match mode {
                    Mode::Into | Mode::IntoVec => {
                        time_second(|| pairkernel::machine::fill_floor(plan, out, n))
                    }
                    _ => time_new(|| new_floor(plan, n)),
                })?;
                times.push(seconds);
            }
        }
        if round == 0 {
            // The warm-up round (faults reused buffers in, wakes the pools) is not counted.
            kernel_s.iter_mut().for_each(Vec::clear);
            floor_s.iter_mut().flatten().for_each(Vec::clear);
            warming_up = false;
        }
    }
    if warming_up {
        return Ok(Vec::new()); // stopped during the warm-up: nothing timed
    }

    let simd = crate::simd_label();
    let rate = |seconds: f64| (n * n) as f64 / 1e9 / seconds;
    let mut measurements = Vec::new();
    for (variant, times) in variants.iter().zip(&mut kernel_s) {
        if times.is_empty() {
            continue; // stopped before a timed round reached it
        }
        let (floor_s, floor_stores) = match floors
            .iter()
            .position(|&f| f == (variant.threads, variant.mode))
        {
            None => (f64::NAN, "none"), // the reference and the products have no floor
            Some(at) => {
                let [plain, streaming] = &mut floor_s[at];
                if plain.is_empty() || streaming.is_empty() {
                    continue;
                }
                let (plain_s, streaming_s) = (median(plain), median(streaming));
                if streaming_s < plain_s {
                    (streaming_s, "streaming")
                } else {
                    (plain_s, "plain")
                }
            }
        };
        let median_s = median(times);
        measurements.push(Measurement {
            n,
            threads: variant.threads,
            kernel: variant.kernel.to_string(),
            dim: variant.dim,
            mode: variant.mode,
            k: variant.k,
            gpair_rhs_per_s: rate(median_s) * variant.k as f64,
            median_s,
            gentries_per_s: rate(median_s),
            floor_gentries_per_s: rate(floor_s),
            ratio_to_floor: floor_s / median_s,
            floor_stores,
            min_s: times[0],
            reps: times.len() as u32,
            tile_rows: variant.tile_shape().0,
            tile_cols: variant.tile_shape().1,
            schedule: variant.schedule,
            stores: variant.stores,
            accuracy: variant.accuracy,
            simd: simd.clone(),
        });
    }
    Ok(measurements)
}

/// Seconds of the second of two back-to-back calls: a reused output starts as the call before
/// left it (in cache if it fits, as in a loop that reuses it), not as whatever variant ran
/// before in the round left it.
fn time_second(
    mut call: impl FnMut() -> Result<(), pairkernel::Error>,
) -> Result<f64, pairkernel::Error> {
    call()?;
    time(call)
}

/// The floor of new memory: a matrix allocated as `kernel_matrix` allocates it, then filled.
fn new_floor(plan: &Plan, n: usize) -> Result<KernelMatrix, pairkernel::Error> {
    let mut matrix = KernelMatrix::zeros(n, n)?;
    pairkernel::machine::fill_floor(plan, matrix.as_mut_slice(), n)?;
    Ok(matrix)
}

/// Seconds to make a new matrix; it is dropped (unmapped) after the clock stops.
fn time_new<T>(
    make: impl FnOnce() -> Result<T, pairkernel::Error>,
) -> Result<f64, pairkernel::Error> {
    let started = std::time::Instant::now();
    let matrix = make()?;
    let seconds = started.elapsed().as_secs_f64();
    drop(matrix);
    Ok(seconds)
}
