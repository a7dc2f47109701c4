//! `pairkernel bench`: kernel throughput beside the store floor of the same memory, same run.
//!
//! For each N, thread count and mode, the kernel is timed and so is its floor: the time to
//! write N² f64 into the same kind of memory, on the same threads, with no arithmetic
//! ([`Plan::fill_floor`]), by plain stores and by streaming stores, the faster counting. The
//! ratio of the two rates says how close the kernel is to what the memory allows; a ratio is
//! meaningful on a noisy machine where a bare rate is not, since both were taken together.
//!
//! One warm-up round first; then `--reps` rounds, each running every (threads, mode) variant
//! and its floors once, so drift hits all alike. Medians are reported.

use std::io::Write;

use clap::ValueEnum;
use pairkernel::{KernelMatrix, Nodes, Plan, Schedule, Stores};
use rand::SeedableRng;
use rand::rngs::StdRng;
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
    /// (`kernel_matrix`, allocation and page faults included).
    #[arg(long, value_delimiter = ',', default_value = "into,alloc")]
    mode: Vec<Mode>,
    /// Timed repetitions of each variant; the median is reported.
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..))]
    reps: u32,
    /// Tile as ROWSxCOLS [default: the plan's default].
    #[arg(long, value_parser = parse_tile)]
    tile: Option<(usize, usize)>,
    /// Schedule of the kernel.
    #[arg(long, value_enum, default_value_t = ScheduleArg::Auto)]
    schedule: ScheduleArg,
    /// Stores of the kernel (the floor always tries both plain and streaming).
    #[arg(long, value_enum, default_value_t = StoresArg::Auto)]
    stores: StoresArg,
    /// One JSON object per line instead of a table.
    #[arg(long)]
    json: bool,
    /// Seed of the random node sets.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Do not pin worker threads to cores.
    #[arg(long)]
    no_pin: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
enum Mode {
    Into,
    IntoVec,
    Alloc,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ScheduleArg {
    Auto,
    Rows,
    Symmetric,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum StoresArg {
    Auto,
    Plain,
    Streaming,
}

fn parse_tile(text: &str) -> Result<(usize, usize), String> {
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

/// One line of the report.
#[derive(Serialize)]
struct Measurement {
    n: usize,
    threads: usize,
    mode: Mode,
    median_s: f64,
    gentries_per_s: f64,
    floor_gentries_per_s: f64,
    ratio_to_floor: f64,
    /// Which stores gave the floor: "plain" or "streaming".
    floor_stores: &'static str,
    min_s: f64,
    reps: u32,
    tile_rows: usize,
    tile_cols: usize,
    schedule: String,
    stores: String,
    simd: String,
}

/// One (threads, mode) variant: its plans, its threads, and its times.
struct Variant<'p> {
    threads: usize,
    mode: Mode,
    kernel: Plan,
    floor_plain: Plan,
    floor_streaming: Plan,
    /// Its pinned pool; `None` for one thread, which runs on the calling thread.
    pool: Option<&'p rayon::ThreadPool>,
    kernel_s: Vec<f64>,
    floor_plain_s: Vec<f64>,
    floor_streaming_s: Vec<f64>,
}

/// The reused outputs of one N.
struct Buffers {
    matrix: KernelMatrix,
    vec: Vec<f64>,
}

impl Variant<'_> {
    /// One round: the kernel and both floors, each timed once, on this variant's threads.
    fn run_once(&mut self, nodes: &Nodes, buffers: &mut Buffers) -> Result<(), Failure> {
        let n = nodes.len();
        let (kernel, floor_plain, floor_streaming) =
            (&self.kernel, &self.floor_plain, &self.floor_streaming);
        let mode = self.mode;
        let times = self.on_threads(|| -> Result<[f64; 3], pairkernel::Error> {
            match mode {
                Mode::Into | Mode::IntoVec => {
                    let out = match mode {
                        Mode::Into => buffers.matrix.as_mut_slice(),
                        _ => &mut buffers.vec[..],
                    };
                    Ok([
                        time(|| kernel.kernel_matrix_into(nodes, out))?,
                        time(|| floor_plain.fill_floor(out, n))?,
                        time(|| floor_streaming.fill_floor(out, n))?,
                    ])
                }
                // New memory each time, dropped (unmapped) outside the clock.
                Mode::Alloc => Ok([
                    time_new(|| kernel.kernel_matrix(nodes))?,
                    time_new(|| new_floor(floor_plain, n))?,
                    time_new(|| new_floor(floor_streaming, n))?,
                ]),
            }
        })?;
        self.kernel_s.push(times[0]);
        self.floor_plain_s.push(times[1]);
        self.floor_streaming_s.push(times[2]);
        Ok(())
    }

    fn on_threads<T: Send>(&self, work: impl FnOnce() -> T + Send) -> T {
        match self.pool {
            None => work(),
            Some(pool) => pool.install(work),
        }
    }
}

/// The floor of new memory: a matrix allocated as `kernel_matrix` allocates it, then filled.
fn new_floor(plan: &Plan, n: usize) -> Result<KernelMatrix, pairkernel::Error> {
    let mut matrix = KernelMatrix::zeros(n, n)?;
    plan.fill_floor(matrix.as_mut_slice(), n)?;
    Ok(matrix)
}

/// Seconds to make a new matrix; it is dropped after the clock stops.
fn time_new(
    make: impl FnOnce() -> Result<KernelMatrix, pairkernel::Error>,
) -> Result<f64, pairkernel::Error> {
    let started = std::time::Instant::now();
    let matrix = make()?;
    let seconds = started.elapsed().as_secs_f64();
    drop(matrix);
    Ok(seconds)
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
    let mut base = Plan::new()
        .schedule(match args.schedule {
            ScheduleArg::Auto => Schedule::Auto,
            ScheduleArg::Rows => Schedule::Rows,
            ScheduleArg::Symmetric => Schedule::Symmetric,
        })
        .stores(match args.stores {
            StoresArg::Auto => Stores::Auto,
            StoresArg::Plain => Stores::Plain,
            StoresArg::Streaming => Stores::Streaming,
        });
    if let Some((rows, cols)) = args.tile {
        base = base.tile(rows, cols);
    }
    let (tile_rows, tile_cols) = base.tile_shape();
    let simd = pairkernel::simd_features().join(" ");
    if !args.json {
        writeln!(
            report,
            "bench: SIMD [{simd}], tile {tile_rows} x {tile_cols}, schedule {:?}, stores {:?}, \
             median of {} reps, workers {}",
            args.schedule,
            args.stores,
            args.reps,
            if args.no_pin { "not pinned" } else { "pinned" }
        )?;
        writeln!(
            report,
            "floor: N² stores of 1.0 into the same kind of memory on the same threads, no \
             arithmetic; the faster of plain and streaming stores"
        )?;
        writeln!(report)?;
        writeln!(
            report,
            "{:>7} {:>7}  {:<8} {:>10} {:>12} {:>18} {:>9}",
            "N", "threads", "mode", "median ms", "G entries/s", "floor G entries/s", "of floor"
        )?;
    }

    // One pinned pool per thread count above 1, shared by the modes and every N.
    let pools: Vec<(usize, Option<rayon::ThreadPool>)> = thread_counts
        .iter()
        .map(|&threads| {
            let pool = (threads > 1)
                .then(|| pinned_pool(threads, !args.no_pin))
                .transpose()?;
            Ok((threads, pool))
        })
        .collect::<Result<_, Failure>>()?;

    for &n in &args.n {
        let n = n as usize;
        let nodes = Nodes::random(n, &mut StdRng::seed_from_u64(args.seed));
        let mut buffers = Buffers {
            matrix: KernelMatrix::zeros(n, n)?,
            vec: if args.mode.contains(&Mode::IntoVec) {
                KernelMatrix::zeros(n, n)?.as_slice().to_vec()
            } else {
                Vec::new()
            },
        };
        let mut variants = Vec::new();
        for (threads, pool) in &pools {
            // Inside a pinned pool, threads(0) runs on that pool's threads.
            let plan = base.clone().threads(if *threads == 1 { 1 } else { 0 });
            for &mode in &args.mode {
                variants.push(Variant {
                    threads: *threads,
                    mode,
                    kernel: plan.clone(),
                    floor_plain: plan.clone().stores(Stores::Plain),
                    floor_streaming: plan.clone().stores(Stores::Streaming),
                    pool: pool.as_ref(),
                    kernel_s: Vec::new(),
                    floor_plain_s: Vec::new(),
                    floor_streaming_s: Vec::new(),
                });
            }
        }
        // Warm-up round (faults the reused buffers in, starts the pools), then timed rounds.
        for variant in &mut variants {
            variant.run_once(&nodes, &mut buffers)?;
        }
        for variant in &mut variants {
            variant.kernel_s.clear();
            variant.floor_plain_s.clear();
            variant.floor_streaming_s.clear();
        }
        for _ in 0..args.reps {
            for variant in &mut variants {
                variant.run_once(&nodes, &mut buffers)?;
            }
        }

        for variant in &mut variants {
            let rate = |seconds: f64| (n * n) as f64 / 1e9 / seconds;
            let median_s = median(&mut variant.kernel_s);
            let plain_s = median(&mut variant.floor_plain_s);
            let streaming_s = median(&mut variant.floor_streaming_s);
            let (floor_s, floor_stores) = if streaming_s < plain_s {
                (streaming_s, "streaming")
            } else {
                (plain_s, "plain")
            };
            let line = Measurement {
                n,
                threads: variant.threads,
                mode: variant.mode,
                median_s,
                gentries_per_s: rate(median_s),
                floor_gentries_per_s: rate(floor_s),
                ratio_to_floor: floor_s / median_s,
                floor_stores,
                min_s: variant.kernel_s[0],
                reps: args.reps,
                tile_rows,
                tile_cols,
                schedule: format!("{:?}", args.schedule).to_lowercase(),
                stores: format!("{:?}", args.stores).to_lowercase(),
                simd: simd.clone(),
            };
            if args.json {
                let json = serde_json::to_string(&line).map_err(std::io::Error::other)?;
                writeln!(report, "{json}")?;
            } else {
                let mode = serde_json::to_value(line.mode).map_err(std::io::Error::other)?;
                writeln!(
                    report,
                    "{:>7} {:>7}  {:<8} {:>10.3} {:>12.3} {:>11.3} ({:<9} {:>8.2}",
                    line.n,
                    line.threads,
                    mode.as_str().unwrap_or("?"),
                    line.median_s * 1e3,
                    line.gentries_per_s,
                    line.floor_gentries_per_s,
                    format!("{})", line.floor_stores),
                    line.ratio_to_floor
                )?;
            }
        }
    }
    Ok(())
}
