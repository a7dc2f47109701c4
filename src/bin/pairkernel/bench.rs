//! `pairkernel bench`: kernel throughput beside the store floor of the same memory, same run.
//!
//! For each N, thread count and mode, the kernel is timed and so is its floor: the time to
//! write N² f64 into the same kind of memory, on the same threads, with no arithmetic
//! ([`Plan::fill_floor`]), by plain stores and by streaming stores, the faster counting. The
//! ratio of the two rates says how close the kernel is to what the memory allows; a ratio is
//! meaningful on a noisy machine where a bare rate is not, since both were taken together.
//!
//! One warm-up round first; then `--reps` rounds, each running every variant and floor once, so
//! drift hits all alike. Medians are reported. A reused output (`into`) is timed on the second
//! of two back-to-back calls, so that it starts as its own previous call left it.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::ValueEnum;
use pairkernel::{Accuracy, KernelMatrix, Nodes, Plan, Schedule, Stores, reference};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::Serialize;

use crate::experiment::MAX_N;
use crate::{Failure, median, pinned_pool, time};

/// Options of `pairkernel bench`.
#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Matrix sizes N, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1000,3000,10000",
          value_parser = clap::value_parser!(u64).range(1..=MAX_N))]
    n: Vec<u64>,
    /// Thread counts, comma-separated [default: 1 and all cores].
    #[arg(long, value_delimiter = ',', value_parser = clap::value_parser!(u64).range(1..=1024))]
    threads: Vec<u64>,
    /// Output modes, comma-separated: `into` writes a reused matrix (`kernel_matrix_into` on a
    /// `KernelMatrix` buffer), `into-vec` a reused `Vec<f64>`, `alloc` a new matrix each time
    /// (`kernel_matrix`, allocation and page faults included), `reference` times the scalar
    /// reference (one thread whatever --threads says, a new `Vec` each call; no floor),
    /// `apply` the matrix-free product with `--k` right-hand sides (`apply_many`; no matrix, no
    /// floor), `dense-apply` the kernel matrix into a reused buffer then a matrix-vector product.
    #[arg(long, value_delimiter = ',', default_value = "into,alloc")]
    mode: Vec<Mode>,
    /// Right-hand sides of the `apply` mode, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1",
          value_parser = clap::value_parser!(u64).range(1..=1024))]
    k: Vec<u64>,
    /// Timed repetitions of each variant; the median is reported.
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..))]
    reps: u32,
    /// Tiles as ROWSxCOLS, comma-separated [default: the plan's default].
    #[arg(long, value_delimiter = ',', value_parser = parse_tile)]
    tile: Vec<(usize, usize)>,
    /// Schedules of the kernel, comma-separated.
    #[arg(long, value_delimiter = ',', value_enum, default_value = "auto")]
    schedule: Vec<ScheduleArg>,
    /// Stores of the kernel, comma-separated (the floor always tries plain and streaming).
    #[arg(long, value_delimiter = ',', value_enum, default_value = "auto")]
    stores: Vec<StoresArg>,
    /// Entry arithmetic, comma-separated: `compensated` (the default, within 3 ulp) or `fast`.
    #[arg(long, value_delimiter = ',', value_enum, default_value = "compensated")]
    accuracy: Vec<AccuracyArg>,
    /// One JSON object per line instead of a table.
    #[arg(long)]
    json: bool,
    /// Seed of the random node sets.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Do not pin threads to cores (the calling thread for 1 thread, the pool's workers else).
    #[arg(long)]
    no_pin: bool,
}

/// Which output the kernel writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    Into,
    IntoVec,
    Alloc,
    Reference,
    Apply,
    DenseApply,
}

impl Mode {
    /// Whether this mode has a store floor (it writes an N × N output).
    fn has_floor(self) -> bool {
        matches!(self, Mode::Into | Mode::IntoVec | Mode::Alloc)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScheduleArg {
    Auto,
    Rows,
    Symmetric,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StoresArg {
    Auto,
    Plain,
    Streaming,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AccuracyArg {
    #[default]
    Compensated,
    Fast,
}

pub fn parse_tile(text: &str) -> Result<(usize, usize), String> {
    let (rows, cols) = text
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("{text:?} is not ROWSxCOLS, e.g. 64x512"))?;
    let parse = |part: &str| {
        part.trim()
            .parse::<usize>()
            .ok()
            .filter(|&v| v >= 1)
            .ok_or_else(|| format!("{part:?} in {text:?} is not a whole number >= 1"))
    };
    Ok((parse(rows)?, parse(cols)?))
}

/// One kernel variant to time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Variant {
    pub threads: usize,
    pub mode: Mode,
    pub schedule: ScheduleArg,
    pub stores: StoresArg,
    pub accuracy: AccuracyArg,
    pub tile: (usize, usize),
    /// Right-hand sides (the `apply` mode; 1 otherwise).
    pub k: usize,
}

impl Variant {
    fn plan(&self) -> Plan {
        Plan::new()
            .tile(self.tile.0, self.tile.1)
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
    }
}

/// One line of the report.
#[derive(Clone, Debug, Serialize)]
pub struct Measurement {
    pub n: usize,
    pub threads: usize,
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
    let nodes = Nodes::random(n, &mut StdRng::seed_from_u64(seed));
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
    let points = if variants.iter().any(|v| v.mode == Mode::Reference) {
        nodes.to_points()
    } else {
        Vec::new()
    };
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
            let seconds = match variant.mode {
                Mode::Reference => time_new(|| Ok(reference::kernel_matrix(&points)))?,
                Mode::Apply => {
                    let (x, y) = (&buffers.x[..n * variant.k], &mut buffers.y[..n * variant.k]);
                    pools.run(variant.threads, || {
                        time(|| plan.apply_many(&nodes, x, variant.k, y))
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
                            plan.kernel_matrix_into(&nodes, d)?;
                            dense_matvec(d, x, y);
                            Ok(())
                        })
                    })?
                }
                Mode::Alloc => {
                    pools.run(variant.threads, || time_new(|| plan.kernel_matrix(&nodes)))?
                }
                Mode::Into | Mode::IntoVec => {
                    let out = buffers.get(variant.mode);
                    pools.run(variant.threads, || {
                        time_second(|| plan.kernel_matrix_into(&nodes, out))
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
                    Mode::Into | Mode::IntoVec => time_second(|| plan.fill_floor(out, n)),
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

    let simd = pairkernel::simd_features().join(" ");
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
            tile_rows: variant.tile.0,
            tile_cols: variant.tile.1,
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
    plan.fill_floor(matrix.as_mut_slice(), n)?;
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

/// The text of a value-enum argument as typed on the command line.
pub fn arg_name(value: impl Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

pub fn run(args: &BenchArgs) -> Result<(), Failure> {
    let mut report = std::io::stdout().lock();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let thread_counts: Vec<usize> = if args.threads.is_empty() {
        let mut counts = vec![1, cores];
        counts.dedup();
        counts
    } else {
        args.threads.iter().map(|&t| t as usize).collect()
    };
    let tiles = if args.tile.is_empty() {
        vec![Plan::default().tile_shape()]
    } else {
        args.tile.clone()
    };
    let mut variants = Vec::new();
    for &threads in &thread_counts {
        for &mode in &args.mode {
            for &schedule in &args.schedule {
                for &stores in &args.stores {
                    for &tile in &tiles {
                        let ks: Vec<usize> = if mode == Mode::Apply {
                            args.k.iter().map(|&k| k as usize).collect()
                        } else {
                            vec![1]
                        };
                        for k in ks {
                            for &accuracy in &args.accuracy {
                                variants.push(Variant {
                                    threads,
                                    mode,
                                    schedule,
                                    stores,
                                    accuracy,
                                    tile,
                                    k,
                                });
                            }
                        }
                    }
                }
            }
        }
    }
    // Columns for the settings that vary; the others go in the header.
    let varies = (
        args.schedule.len() > 1,
        args.stores.len() > 1,
        tiles.len() > 1,
        args.accuracy.len() > 1,
    );
    if !args.json {
        let mut fixed = Vec::new();
        if !varies.0 {
            fixed.push(format!("schedule {}", arg_name(args.schedule[0])));
        }
        if !varies.1 {
            fixed.push(format!("stores {}", arg_name(args.stores[0])));
        }
        if !varies.2 {
            fixed.push(format!("tile {}x{}", tiles[0].0, tiles[0].1));
        }
        if !varies.3 {
            fixed.push(format!("accuracy {}", arg_name(args.accuracy[0])));
        }
        writeln!(
            report,
            "bench: SIMD [{}], {}, median of {} reps, threads {}",
            pairkernel::simd_features().join(" "),
            fixed.join(", "),
            args.reps,
            if args.no_pin {
                "not pinned"
            } else {
                "pinned to cores"
            }
        )?;
        writeln!(
            report,
            "floor: N² stores of 1.0 into the same kind of memory on the same threads, no \
             arithmetic; the faster of plain and streaming stores"
        )?;
        writeln!(report)?;
        writeln!(
            report,
            "{:>7} {:>7}  {:<8} {}{:>10} {:>12} {:>22} {:>9}",
            "N",
            "threads",
            "mode",
            variant_columns(varies, None),
            "median ms",
            "G entries/s",
            "floor G entries/s",
            "of floor"
        )?;
    }

    let pools = Pools::new(&thread_counts, !args.no_pin)?;
    if !args.no_pin && thread_counts.contains(&1) {
        // One thread runs on the calling thread: pin it like the pools' workers.
        crate::pin_current_thread();
    }
    for &n in &args.n {
        let n = n as usize;
        let never = AtomicBool::new(false);
        for line in measure(n, args.seed, &variants, args.reps, &pools, &never, || {})? {
            if args.json {
                let json = serde_json::to_string(&line).map_err(std::io::Error::other)?;
                writeln!(report, "{json}")?;
            } else {
                writeln!(
                    report,
                    "{:>7} {:>7}  {:<8} {}{:>10.3} {:>12.3} {:>22} {:>9}",
                    line.n,
                    line.threads,
                    match line.mode {
                        Mode::Apply => format!("apply k={}", line.k),
                        mode => arg_name(mode),
                    },
                    variant_columns(varies, Some(&line)),
                    line.median_s * 1e3,
                    line.gentries_per_s,
                    if line.mode.has_floor() {
                        format!(
                            "{:.3} ({:<10}",
                            line.floor_gentries_per_s,
                            format!("{})", line.floor_stores)
                        )
                    } else if line.mode == Mode::Apply {
                        format!("{:.3} G pair·rhs/s", line.gpair_rhs_per_s)
                    } else {
                        "-".to_string()
                    },
                    if line.mode.has_floor() {
                        format!("{:.2}", line.ratio_to_floor)
                    } else {
                        "-".to_string()
                    }
                )?;
            }
        }
    }
    Ok(())
}

/// The table cells of the settings that vary (headers for `None`).
fn variant_columns(varies: (bool, bool, bool, bool), line: Option<&Measurement>) -> String {
    let mut cells = String::new();
    if varies.0 {
        let cell = line.map_or("schedule".to_string(), |l| arg_name(l.schedule));
        cells += &format!("{cell:<10}");
    }
    if varies.1 {
        let cell = line.map_or("stores".to_string(), |l| arg_name(l.stores));
        cells += &format!("{cell:<10}");
    }
    if varies.2 {
        let cell = line.map_or("tile".to_string(), |l| {
            format!("{}x{}", l.tile_rows, l.tile_cols)
        });
        cells += &format!("{cell:<10}");
    }
    if varies.3 {
        let cell = line.map_or("accuracy".to_string(), |l| arg_name(l.accuracy));
        cells += &format!("{cell:<12}");
    }
    cells
}
