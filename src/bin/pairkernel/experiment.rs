//! The default command: the article's experiment, one thread against all threads.

use std::io::Write;
use std::time::Instant;

use pairkernel::{Kernel, Nodes, Plan, reference};

use crate::measure::KernelArgs;
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::{Failure, max_relative_error, median, pin_workers_to_cores, time};

/// Largest `--n` accepted: its node set still fits in memory (0.4 GB), while its matrix (2.3 PB)
/// does not, so a too-large request reaches the library's allocation error, not an abort.
pub const MAX_N: u64 = 1 << 24;

/// Up to this N the whole scalar reference matrix is computed and timed; above it, a second N²
/// buffer and minutes of scalar work are not worth it, and sampled rows are checked instead.
const REFERENCE_MAX_N: usize = 10_000;

/// Rows of the matrix checked against the reference above [`REFERENCE_MAX_N`].
const SAMPLED_ROWS: usize = 256;

/// The experiment's options (the command line without a subcommand).
#[derive(clap::Args, Debug)]
pub struct ExperimentArgs {
    /// Number of random nodes (the matrix has N² entries, 8·N² bytes).
    #[arg(long, default_value_t = 3000, value_parser = clap::value_parser!(u64).range(1..=MAX_N))]
    pub n: u64,
    /// Seed of the random node set.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Timed repetitions of each variant; the median is reported.
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..))]
    pub reps: u32,
    /// Let the OS place rayon's worker threads instead of pinning one to each core. Unpinned,
    /// the scheduler sometimes wakes both workers onto one core for a whole short run, which
    /// then shows a speed-up of 1.
    #[arg(long)]
    pub no_pin: bool,
    #[command(flatten)]
    pub kernel: KernelArgs,
}

/// Runs the experiment and writes its report to stdout.
pub fn run(args: &ExperimentArgs) -> Result<(), Failure> {
    let mut report = std::io::stdout().lock();
    let pinning = if args.no_pin {
        "not pinned (--no-pin)".to_string()
    } else {
        pin_workers_to_cores()
    };
    // Fits: MAX_N² < 2^64.
    let n = args.n as usize;
    let kernel = args.kernel.kernel()?;
    let dim = args.kernel.dim as usize;
    let nodes = Nodes::try_random_in(n, dim, &mut StdRng::seed_from_u64(args.seed))?;
    let single = Plan::new().threads(1).kernel(kernel);
    let all = Plan::new().kernel(kernel);
    let (tile_rows, tile_cols) = all.tile_shape();
    let threads = rayon::current_num_threads();
    let entries = n * n;

    writeln!(
        report,
        "N = {} random nodes in [0,1)^{dim} (seed {}), kernel {kernel}: {:.1} M entries, {:.1} MB",
        args.n,
        args.seed,
        entries as f64 / 1e6,
        (entries * 8) as f64 / 1e6
    )?;
    writeln!(
        report,
        "build: SIMD path {}, tile {tile_rows} x {tile_cols}, {threads} threads, {pinning}",
        crate::simd_label()
    )?;

    // Warm-up, which also allocates the buffer reused below (fallibly, unlike `vec!`).
    let mut matrix = all.kernel_matrix(&nodes)?;
    let out = matrix.as_mut_slice();
    let mut single_s = Vec::new();
    let mut all_s = Vec::new();
    for _ in 0..args.reps {
        single_s.push(time(|| single.kernel_matrix_into(&nodes, out))?);
        all_s.push(time(|| all.kernel_matrix_into(&nodes, out))?);
    }
    let (single_s, all_s) = (median(&mut single_s), median(&mut all_s));

    // The reference, timed up to REFERENCE_MAX_N; its matrix is kept for the accuracy check.
    let timed_reference = (n <= REFERENCE_MAX_N).then(|| {
        let started = Instant::now();
        // The article's own loops for its kernel in 3-D; the generic loops otherwise.
        let matrix = if kernel == Kernel::Phi && dim == 3 {
            reference::kernel_matrix(&nodes.to_points())
        } else {
            reference::kernel_cross_matrix(&kernel, &nodes, &nodes)
        };
        (matrix, started.elapsed().as_secs_f64())
    });
    let reference_s = timed_reference.as_ref().map(|&(_, seconds)| seconds);

    let rate = |seconds: f64| entries as f64 / 1e9 / seconds;
    writeln!(report)?;
    writeln!(report, "{:<28}{:>12}{:>14}", "", "time", "G entries/s")?;
    if let Some(reference_s) = reference_s {
        writeln!(
            report,
            "{:<28}{:>9.2} ms{:>14.3}",
            "scalar reference (1 run)",
            reference_s * 1e3,
            rate(reference_s)
        )?;
    }
    writeln!(
        report,
        "{:<28}{:>9.2} ms{:>14.3}",
        "1 thread (median)",
        single_s * 1e3,
        rate(single_s)
    )?;
    writeln!(
        report,
        "{:<28}{:>9.2} ms{:>14.3}",
        format!("{threads} threads (median)"),
        all_s * 1e3,
        rate(all_s)
    )?;
    writeln!(report)?;
    writeln!(
        report,
        "speed-up, {threads} threads over 1:   {:.2}x",
        single_s / all_s
    )?;
    match reference_s {
        Some(reference_s) => writeln!(
            report,
            "speed-up over the reference: {:.1}x",
            reference_s / all_s
        )?,
        None => writeln!(
            report,
            "scalar reference not timed above N = {REFERENCE_MAX_N}"
        )?,
    }

    // Every row against the timed reference; above REFERENCE_MAX_N, SAMPLED_ROWS rows spread
    // over the matrix against the reference's cross matrix of just those rows.
    let (checked_rows, expected): (Vec<usize>, Vec<f64>) = match timed_reference {
        Some((matrix, _)) => ((0..n).collect(), matrix),
        None => {
            let rows: Vec<usize> = (0..SAMPLED_ROWS)
                .map(|k| k * (n - 1) / (SAMPLED_ROWS - 1))
                .collect();
            let flat: Vec<f64> = rows.iter().flat_map(|&i| nodes.coordinates(i)).collect();
            let row_nodes = Nodes::from_flat(&flat, dim)?;
            (
                rows,
                reference::kernel_cross_matrix(&kernel, &row_nodes, &nodes),
            )
        }
    };
    let got = checked_rows.iter().flat_map(|&i| &out[i * n..(i + 1) * n]);
    let (max_rel, zero_mismatches) = max_relative_error(got, &expected);
    writeln!(
        report,
        "max relative error vs reference ({} of {n} rows): {max_rel:.3e} ({:.2} x f64::EPSILON); \
         entries where the reference is 0 but the kernel is not: {zero_mismatches}",
        checked_rows.len(),
        max_rel / f64::EPSILON
    )?;
    Ok(())
}
