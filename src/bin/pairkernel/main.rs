//! `pairkernel`: the article's experiment (the default command), and the `bench`, `tune`,
//! `scaling`, `interpolate` and `info` subcommands.

mod bench;
mod experiment;
mod figures;
mod info;
mod interpolate;
mod measure;
mod scaling;
mod tune;
#[path = "../../tuning_config.rs"]
mod tuning_config;

use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};

/// Times the cubic RBF kernel matrix D[i][j] = r³/12 + r²/6 of N random nodes in [0,1)³.
///
/// Without a subcommand: the article's experiment, one thread against all threads, checked
/// against the plain scalar reference. Each variant writes into a reused N×N buffer (like the
/// article's shared array); a warm-up run comes first and the repetitions are interleaved, so
/// machine noise hits both alike.
#[derive(Parser, Debug)]
#[command(version, about, long_about, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    experiment: experiment::ExperimentArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Throughput against the store floor measured in the same run, per N, thread count and
    /// output mode; a table, or JSON lines with --json.
    Bench(bench::BenchArgs),
    /// Finds the fastest tile for this machine and writes a tuning file that later builds use
    /// as the default tile.
    Tune(tune::TuneArgs),
    /// The article's experiment over a range of N: one thread, all threads and the scalar
    /// reference; writes a CSV and SVG figures (time, speed-up, throughput against N).
    Scaling(scaling::ScalingArgs),
    /// RBF interpolation: fit times (kernel matrix, assembly, factorization; LU against
    /// LBLT) and evaluation rates, side by side in one run.
    Interpolate(interpolate::InterpolateArgs),
    /// This build's SIMD features and default tile (and where it came from), and the machine's
    /// caches.
    Info,
}

/// Why the experiment stopped.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error(transparent)]
    Kernel(#[from] pairkernel::Error),
    #[error("could not write the report: {0}")]
    Output(#[from] std::io::Error),
    #[error("could not start the threads: {0}")]
    Pool(String),
    #[error("tuning: {0}")]
    Tuning(String),
    #[error("{0}")]
    Usage(String),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        None => experiment::run(&cli.experiment),
        Some(Command::Bench(args)) => bench::run(args),
        Some(Command::Tune(args)) => tune::run(args),
        Some(Command::Scaling(args)) => scaling::run(args),
        Some(Command::Interpolate(args)) => interpolate::run(args),
        Some(Command::Info) => info::run(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away (`pairkernel | head`): nothing left to tell anyone.
        Err(Failure::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pairkernel: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Builds rayon's global pool with worker `i` pinned to the `i`-th core this process may use.
///
/// Why: between the interleaved one-thread and all-thread runs the workers sleep, and on waking
/// them Linux sometimes places both on the same core and leaves them there for the whole run of a
/// few milliseconds (measured here: about one run in four at N = 3000 showed a speed-up of 1.0).
/// Pinned, every run uses every core. Returns what was done, for the report.
pub fn pin_workers_to_cores() -> String {
    let Some(cores) = usable_cores() else {
        return "workers not pinned (core list unavailable)".to_string();
    };
    let worker_cores = cores.clone();
    let built = rayon::ThreadPoolBuilder::new()
        .num_threads(cores.len())
        .start_handler(move |i| {
            core_affinity::set_for_current(worker_cores[i % worker_cores.len()]);
        })
        .build_global();
    match built {
        Ok(()) => format!(
            "workers pinned to cores {:?}",
            cores.iter().map(|c| c.id).collect::<Vec<_>>()
        ),
        Err(_) => "workers not pinned (rayon's pool was already started)".to_string(),
    }
}

pub fn time(
    mut f: impl FnMut() -> Result<(), pairkernel::Error>,
) -> Result<f64, pairkernel::Error> {
    let started = Instant::now();
    f()?;
    Ok(started.elapsed().as_secs_f64())
}

/// The SIMD path the kernels take in this process, for reports: e.g. `avx2`, or the error if
/// `PAIRKERNEL_SIMD` names a path this CPU lacks.
pub fn simd_label() -> String {
    match pairkernel::simd::SimdPath::detected() {
        Ok(path) => path.name().to_string(),
        Err(error) => format!("({error})"),
    }
}

pub fn median(samples: &mut [f64]) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// Largest |got − expected| / |expected| over entries with expected ≠ 0, and the count of
/// entries where expected is 0 and got is not.
pub fn max_relative_error<'a>(
    got: impl IntoIterator<Item = &'a f64>,
    expected: &[f64],
) -> (f64, usize) {
    let mut max_rel = 0.0_f64;
    let mut zero_mismatches = 0;
    for (&g, &e) in got.into_iter().zip(expected) {
        if e == 0.0 {
            zero_mismatches += usize::from(g != 0.0);
        } else {
            max_rel = max_rel.max(((g - e) / e).abs());
        }
    }
    (max_rel, zero_mismatches)
}

/// The cores this process may run on, or `None` if the OS does not say.
fn usable_cores() -> Option<Vec<core_affinity::CoreId>> {
    core_affinity::get_core_ids().filter(|cores| !cores.is_empty())
}

/// A rayon pool of `threads` workers, worker `i` pinned to the `i`-th usable core (wrapping
/// around) unless `pin` is false, for the reason given at [`pin_workers_to_cores`].
pub fn pinned_pool(threads: usize, pin: bool) -> Result<rayon::ThreadPool, Failure> {
    let cores = usable_cores().filter(|_| pin);
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("bench-{i}"))
        .start_handler(move |i| {
            if let Some(cores) = &cores {
                core_affinity::set_for_current(cores[i % cores.len()]);
            }
        })
        .build()
        .map_err(|e| Failure::Pool(e.to_string()))
}

/// Pins the calling thread to the first usable core (see [`pin_workers_to_cores`] for why).
pub fn pin_current_thread() {
    if let Some(cores) = usable_cores() {
        core_affinity::set_for_current(cores[0]);
    }
}
