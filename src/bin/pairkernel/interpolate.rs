//! The `interpolate` subcommand: fit times (split into kernel matrix, assembly and
//! factorization, per solver) and evaluation rates of the RBF interpolator, side by side in one
//! run.

use std::time::{Duration, Instant};

use clap::Args;
use pairkernel::interpolate::{RbfInterpolator, Solver, Timings};
use pairkernel::{Accuracy, Nodes, Plan};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::bench::AccuracyArg;
use crate::{Failure, median, time};

#[derive(Args, Debug)]
pub struct InterpolateArgs {
    /// Data points to fit (comma-separated list).
    #[arg(long, value_delimiter = ',', default_value = "1000,2000,5000")]
    n: Vec<usize>,
    /// Evaluation points (comma-separated list); evaluated with the largest N's interpolant
    /// and with N = 2000 (scipy's comparison) if listed.
    #[arg(long, value_delimiter = ',', default_value = "100000,1000000")]
    eval: Vec<usize>,
    /// The kernel, by scipy's name.
    #[arg(long, default_value = "cubic")]
    kernel: String,
    /// The shape parameter (required by scipy's rules for the kernels that are not
    /// scale-invariant).
    #[arg(long)]
    epsilon: Option<f64>,
    /// Coordinates per point.
    #[arg(long, default_value_t = 3)]
    dim: usize,
    /// Threads (0: all).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Solvers to compare: lu, lblt.
    #[arg(long, value_delimiter = ',', default_value = "lu,lblt")]
    solver: Vec<String>,
    /// Accuracy of the kernel entries: compensated (the default) or fast, or both (a list).
    #[arg(long, value_delimiter = ',', default_value = "compensated")]
    accuracy: Vec<AccuracyArg>,
    /// Repetitions (the median is reported).
    #[arg(long, default_value_t = 3)]
    reps: usize,
}

/// The median of some durations, in seconds (main.rs's `median`).
fn median_of(times: impl Iterator<Item = Duration>) -> f64 {
    median(&mut times.map(|t| t.as_secs_f64()).collect::<Vec<_>>())
}

pub fn run(args: &InterpolateArgs) -> Result<(), Failure> {
    let mut rng = StdRng::seed_from_u64(42);
    let solvers = args
        .solver
        .iter()
        .map(|s| match s.as_str() {
            "lu" => Ok(Solver::Lu),
            "lblt" => Ok(Solver::Lblt),
            other => Err(Failure::Usage(format!(
                "unknown solver {other:?}: lu or lblt"
            ))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let plan = Plan::new().threads(args.threads);
    let builder = |solver| {
        let b = RbfInterpolator::builder()
            .kernel(&args.kernel)
            .solver(solver)
            .plan(plan.clone());
        match args.epsilon {
            Some(e) => b.epsilon(e),
            None => b,
        }
    };
    let simd = crate::simd_label();
    println!(
        "kernel {}, {}-D, threads {} ({simd}), medians of {}",
        args.kernel,
        args.dim,
        plan.thread_count(),
        args.reps
    );
    println!(
        "{:>6} {:>5} {:>12} {:>10} {:>12} {:>10} {:>16}",
        "N", "solver", "kernel ms", "assembly", "factorize", "fit ms", "fit/(K+factor)"
    );
    let mut fitted = Vec::new();
    for &n in &args.n {
        let points: Vec<f64> = (0..n * args.dim).map(|_| rng.random::<f64>()).collect();
        let points = Nodes::from_flat(&points, args.dim)?;
        let values: Vec<f64> = (0..n).map(|_| rng.random::<f64>()).collect();
        for &solver in &solvers {
            let mut runs: Vec<(Duration, Timings)> = Vec::new();
            let mut last = None;
            for _ in 0..args.reps.max(1) {
                let started = Instant::now();
                let (rbf, timings) = builder(solver).fit_timed(&points, &values, 1)?;
                runs.push((started.elapsed(), timings));
                last = Some(rbf);
            }
            let total = median_of(runs.iter().map(|r| r.0));
            let kernel = median_of(runs.iter().map(|r| r.1.kernel_matrix));
            let assembly = median_of(runs.iter().map(|r| r.1.assembly));
            let factor = median_of(runs.iter().map(|r| r.1.factorization));
            println!(
                "{n:>6} {:>5} {:>12.1} {:>10.1} {:>12.1} {:>10.1} {:>16.2}",
                format!("{solver:?}").to_lowercase(),
                kernel * 1e3,
                assembly * 1e3,
                factor * 1e3,
                total * 1e3,
                total / (kernel + factor)
            );
            if solver == solvers[0] {
                fitted.push((n, last.expect("at least one repetition")));
            }
        }
    }
    println!();
    println!(
        "{:>6} {:>9} {:>12} {:>12} {:>22}",
        "N", "points", "accuracy", "evaluate ms", "G pair evaluations/s"
    );
    for (n, rbf) in &fitted {
        if *n != 2000 && Some(*n) != args.n.iter().max().copied() {
            continue;
        }
        for &p in &args.eval {
            let at: Vec<f64> = (0..p * args.dim).map(|_| rng.random::<f64>()).collect();
            let at = Nodes::from_flat(&at, args.dim)?;
            let mut out = vec![0.0; p];
            for &accuracy in &args.accuracy {
                let rbf = rbf
                    .clone()
                    .with_plan(plan.clone().accuracy(to_accuracy(accuracy)));
                let mut times = (0..args.reps.max(1))
                    .map(|_| time(|| rbf.evaluate_into(&at, &mut out)))
                    .collect::<Result<Vec<f64>, _>>()?;
                let t = median(&mut times);
                println!(
                    "{n:>6} {p:>9} {:>12} {:>12.1} {:>22.3}",
                    format!("{accuracy:?}").to_lowercase(),
                    t * 1e3,
                    (*n as f64 * p as f64) / t / 1e9
                );
            }
        }
    }
    Ok(())
}

fn to_accuracy(accuracy: AccuracyArg) -> Accuracy {
    match accuracy {
        AccuracyArg::Compensated => Accuracy::Compensated,
        AccuracyArg::Fast => Accuracy::Fast,
    }
}
