//! `pairkernel scaling`: the article's experiment over a range of N, with a CSV and figures.
//!
//! The article timed one process against two for N = 100 … 4000 and plotted time and speed-up
//! against N. Here, for each N: one thread, all threads and the scalar reference (up to
//! `--reference-max`), timed with `bench`'s machinery (warm-up, interleaved rounds, medians;
//! reused outputs), with the store floor of all threads alongside. Then `scaling.csv` and three
//! SVG figures: time, speed-up and throughput against N.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::bench::{AccuracyArg, Mode, ScheduleArg, StoresArg};
use crate::experiment::MAX_N;
use crate::figures::{self, Chart, Marker, Series};
use crate::measure::{KernelArgs, Measurement, Pools, Variant, measure};
use crate::{Failure, pin_current_thread};

/// Options of `pairkernel scaling`.
#[derive(clap::Args, Debug)]
pub struct ScalingArgs {
    /// Smallest N.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=MAX_N))]
    from: u64,
    /// Largest N.
    #[arg(long, default_value_t = 4000, value_parser = clap::value_parser!(u64).range(1..=MAX_N))]
    to: u64,
    /// Step between sizes.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..))]
    step: u64,
    /// Threads of the "all threads" variant [default: all cores].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    threads: Option<u64>,
    /// Timed repetitions per N and variant; the median is reported.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    reps: u32,
    /// Largest N at which the scalar reference is timed (it takes ~0.1 s at N = 4000).
    #[arg(long, default_value_t = 4000)]
    reference_max: u64,
    /// Directory for scaling.csv and the figures.
    #[arg(long, default_value = "scaling")]
    out: PathBuf,
    /// Seed of the random node sets.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Do not pin threads to cores.
    #[arg(long)]
    no_pin: bool,
    #[command(flatten)]
    kernel: KernelArgs,
}

/// A row of `scaling.csv`: times in seconds, throughputs in G entries/s; the reference's
/// columns are empty above `--reference-max`.
#[derive(Serialize)]
struct Row {
    n: usize,
    threads: usize,
    one_thread_s: f64,
    all_threads_s: f64,
    reference_s: Option<f64>,
    one_thread_gentries_per_s: f64,
    all_threads_gentries_per_s: f64,
    reference_gentries_per_s: Option<f64>,
    floor_gentries_per_s: f64,
    speedup_all_over_one: f64,
    speedup_all_over_reference: Option<f64>,
}

pub fn run(args: &ScalingArgs) -> Result<(), Failure> {
    if args.from > args.to {
        return Err(Failure::Usage(format!(
            "--from {} is larger than --to {}",
            args.from, args.to
        )));
    }
    let mut report = std::io::stdout().lock();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let all = args.threads.map_or(cores, |t| t as usize);
    let sizes: Vec<usize> = (args.from..=args.to)
        .step_by(args.step as usize)
        .map(|n| n as usize)
        .collect();
    let kernel = args.kernel.kernel()?;
    let variant = |threads: usize, mode: Mode| Variant {
        threads,
        kernel,
        dim: args.kernel.dim as usize,
        mode,
        schedule: ScheduleArg::Auto,
        stores: StoresArg::Auto,
        accuracy: AccuracyArg::default(),
        tile: None,
        k: 1,
    };
    let variants_for = |n: usize| {
        let mut variants = vec![variant(1, Mode::Into), variant(all, Mode::Into)];
        if n as u64 <= args.reference_max {
            variants.push(variant(1, Mode::Reference));
        }
        variants
    };

    let pools = Pools::new(&[1, all], !args.no_pin)?;
    if !args.no_pin {
        pin_current_thread();
    }
    // Progress in expected seconds of work (entries), not runs: large N dominate.
    let work = |n: usize| (n * n) as u64 * variants_for(n).len() as u64;
    let total: u64 = sizes
        .iter()
        .map(|&n| work(n) * u64::from(args.reps + 1))
        .sum();
    let bar = ProgressBar::new(total).with_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {percent}%, {eta} left ({msg})",
        )
        .expect("a valid template"),
    );
    let never = AtomicBool::new(false);
    let mut rows = Vec::new();
    for &n in &sizes {
        bar.set_message(format!("N = {n}"));
        let variants = variants_for(n);
        let per_run = (n * n) as u64;
        let lines = measure(n, args.seed, &variants, args.reps, &pools, &never, || {
            bar.inc(per_run)
        })?;
        rows.push(row(n, all, &lines));
    }
    bar.finish_and_clear();

    std::fs::create_dir_all(&args.out)?;
    let csv_path = args.out.join("scaling.csv");
    let mut csv = csv::Writer::from_path(&csv_path).map_err(|e| Failure::Usage(e.to_string()))?;
    for row in &rows {
        csv.serialize(row)
            .map_err(|e| Failure::Usage(e.to_string()))?;
    }
    csv.flush()?;
    let figures = draw_figures(&args.out, &rows, all, cores)?;

    writeln!(
        report,
        "{:>6} {:>12} {:>12} {:>12} {:>10} {:>12}",
        "N",
        "1 thread",
        format!("{all} threads"),
        "reference",
        "speed-up",
        "vs reference"
    )?;
    writeln!(
        report,
        "{:>6} {:>12} {:>12} {:>12} {:>10} {:>12}",
        "", "G entries/s", "G entries/s", "G entries/s", "", ""
    )?;
    for row in &rows {
        let optional =
            |v: Option<f64>, digits: usize| v.map_or("-".to_string(), |v| format!("{v:.digits$}"));
        writeln!(
            report,
            "{:>6} {:>12.3} {:>12.3} {:>12} {:>9.2}x {:>11}",
            row.n,
            row.one_thread_gentries_per_s,
            row.all_threads_gentries_per_s,
            optional(row.reference_gentries_per_s, 3),
            row.speedup_all_over_one,
            optional(row.speedup_all_over_reference, 1).to_string() + "x"
        )?;
    }
    writeln!(report, "wrote {}", csv_path.display())?;
    for figure in figures {
        writeln!(report, "wrote {}", figure.display())?;
    }
    Ok(())
}

/// The CSV row of one N from its measurements.
fn row(n: usize, all: usize, lines: &[Measurement]) -> Row {
    let find = |threads: usize, mode: Mode| {
        lines
            .iter()
            .find(|m| m.threads == threads && m.mode == mode)
    };
    let one = find(1, Mode::Into).expect("one thread is measured at every N");
    let every = find(all, Mode::Into).expect("all threads are measured at every N");
    let reference = find(1, Mode::Reference);
    Row {
        n,
        threads: all,
        one_thread_s: one.median_s,
        all_threads_s: every.median_s,
        reference_s: reference.map(|r| r.median_s),
        one_thread_gentries_per_s: one.gentries_per_s,
        all_threads_gentries_per_s: every.gentries_per_s,
        reference_gentries_per_s: reference.map(|r| r.gentries_per_s),
        floor_gentries_per_s: every.floor_gentries_per_s,
        speedup_all_over_one: one.median_s / every.median_s,
        speedup_all_over_reference: reference.map(|r| r.median_s / every.median_s),
    }
}

/// time.svg, speedup.svg and throughput.svg in `dir`.
fn draw_figures(
    dir: &Path,
    rows: &[Row],
    all: usize,
    cores: usize,
) -> Result<Vec<PathBuf>, Failure> {
    let caches = pairkernel::machine::cache_sizes();
    let title = |what: &str| {
        format!(
            "{what} — {}, {cores} cores, SIMD {}",
            pairkernel::machine::cpu_model().unwrap_or_else(|| "unknown CPU".into()),
            crate::simd_label()
        )
    };
    let n_of = |r: &Row| r.n as f64;
    let line = |label: String, color, points: Vec<(f64, f64)>| Series {
        label,
        color,
        points,
        dashed: false,
    };
    let one_label = "1 thread".to_string();
    let all_label = format!("{all} threads");
    let reference_label = "scalar reference (1 thread)".to_string();
    // The store floor is in the CSV, not in the figure: in cache it is 3–5 times the kernel's
    // rate and would flatten every other line.
    let (blue, orange, grey) = (
        plotters::style::RGBColor(31, 119, 180),
        plotters::style::RGBColor(230, 120, 20),
        plotters::style::RGBColor(90, 90, 90),
    );
    let to_ms = |s: f64| s * 1e3;
    let time = [
        line(
            one_label.clone(),
            blue,
            rows.iter()
                .map(|r| (n_of(r), to_ms(r.one_thread_s)))
                .collect(),
        ),
        line(
            all_label.clone(),
            orange,
            rows.iter()
                .map(|r| (n_of(r), to_ms(r.all_threads_s)))
                .collect(),
        ),
        line(
            reference_label.clone(),
            grey,
            rows.iter()
                .filter_map(|r| Some((n_of(r), to_ms(r.reference_s?))))
                .collect(),
        ),
    ];
    let speedup = [
        line(
            format!("{all} threads over 1 thread"),
            orange,
            rows.iter()
                .map(|r| (n_of(r), r.speedup_all_over_one))
                .collect(),
        ),
        line(
            format!("{all} threads over the scalar reference"),
            grey,
            rows.iter()
                .filter_map(|r| Some((n_of(r), r.speedup_all_over_reference?)))
                .collect(),
        ),
    ];
    let throughput = [
        line(
            one_label,
            blue,
            rows.iter()
                .map(|r| (n_of(r), r.one_thread_gentries_per_s))
                .collect(),
        ),
        line(
            all_label,
            orange,
            rows.iter()
                .map(|r| (n_of(r), r.all_threads_gentries_per_s))
                .collect(),
        ),
        line(
            reference_label,
            grey,
            rows.iter()
                .filter_map(|r| Some((n_of(r), r.reference_gentries_per_s?)))
                .collect(),
        ),
    ];
    // Where the N × N output (8 N² bytes) outgrows a cache: N = sqrt(size / 8).
    let (n_min, n_max) = (rows[0].n as f64, rows[rows.len() - 1].n as f64);
    let markers: Vec<Marker> = [("L2", caches.l2), ("L3", caches.l3)]
        .into_iter()
        .filter_map(|(name, bytes)| {
            let bytes = bytes?;
            let n = (bytes as f64 / 8.0).sqrt();
            (n >= n_min && n <= n_max).then(|| Marker {
                x: n,
                label: if bytes >= 1 << 20 {
                    format!("output = {name} ({} MiB)", bytes >> 20)
                } else {
                    format!("output = {name} ({} KiB)", bytes >> 10)
                },
            })
        })
        .collect();

    let n_desc = "N (nodes; the output is N × N f64)";
    let charts = [
        (
            "time.svg",
            Chart {
                title: &title("Time per kernel matrix"),
                x_desc: n_desc,
                y_desc: "time per matrix (ms, median)",
                log_x: true,
                log_y: true,
                series: &time,
                markers: &[],
            },
        ),
        (
            "speedup.svg",
            Chart {
                title: &title("Speed-up"),
                x_desc: n_desc,
                y_desc: "speed-up (ratio of median times)",
                log_x: false,
                log_y: true,
                series: &speedup,
                markers: &[],
            },
        ),
        (
            "throughput.svg",
            Chart {
                title: &title("Throughput"),
                x_desc: n_desc,
                y_desc: "G entries/s (N² / 1e9 / median time)",
                log_x: false,
                log_y: false,
                series: &throughput,
                markers: &markers,
            },
        ),
    ];
    let mut written = Vec::new();
    for (file, chart) in charts {
        let path = dir.join(file);
        figures::draw(&path, &chart).map_err(Failure::Usage)?;
        written.push(path);
    }
    Ok(written)
}
