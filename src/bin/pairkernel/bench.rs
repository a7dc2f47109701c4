//! `pairkernel bench`: kernel throughput beside the store floor of the same memory, same run,
//! for lists of N, threads, modes, kernels, dimensions, schedules, stores, tiles and accuracies
//! (the measuring itself is `measure.rs`'s). The ratio of the kernel's rate to the floor's says
//! how close the kernel is to what the memory allows; a ratio is meaningful on a noisy machine
//! where a bare rate is not, since both were taken together.

use std::io::Write;
use std::sync::atomic::AtomicBool;

use clap::ValueEnum;
use pairkernel::{Kernel, Plan};
use serde::Serialize;

use crate::Failure;
use crate::experiment::MAX_N;
use crate::measure::{Measurement, Pools, Variant, measure};

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
    /// Entry arithmetic, comma-separated: `compensated` (the default, within 2 ulp) or `fast`.
    #[arg(long, value_delimiter = ',', value_enum, default_value = "compensated")]
    accuracy: Vec<AccuracyArg>,
    /// Kernels, comma-separated: `phi` (the article's), scipy's `linear`, `thin_plate_spline`,
    /// `cubic`, `quintic`, `multiquadric`, `inverse_multiquadric`, `inverse_quadratic`,
    /// `gaussian`, or `polyharmonic<k>`.
    #[arg(long, value_delimiter = ',', default_value = "phi")]
    kernel: Vec<String>,
    /// The kernels' shape parameter ε (1 by default; `phi` has none).
    #[arg(long)]
    epsilon: Option<f64>,
    /// Dimensions of the random nodes (uniform in the unit cube), comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "3",
          value_parser = clap::value_parser!(u64).range(1..=1024))]
    dim: Vec<u64>,
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
    pub fn has_floor(self) -> bool {
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
    // No --tile: the plan's own default, not that shape set explicitly (the symmetric
    // schedule widens the built-in tile's bands by its own rule).
    let tiles: Vec<Option<(usize, usize)>> = if args.tile.is_empty() {
        vec![None]
    } else {
        args.tile.iter().copied().map(Some).collect()
    };
    let kernels = parse_kernels(&args.kernel, args.epsilon)?;
    let mut variants = Vec::new();
    for (&threads, &kernel, &dim) in thread_counts.iter().flat_map(|t| {
        kernels
            .iter()
            .flat_map(move |k| args.dim.iter().map(move |d| (t, k, d)))
    }) {
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
                                    kernel,
                                    dim: dim as usize,
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
    let varies = Varies {
        schedule: args.schedule.len() > 1,
        stores: args.stores.len() > 1,
        tile: tiles.len() > 1,
        accuracy: args.accuracy.len() > 1,
        kernel: kernels.len() > 1,
        dim: args.dim.len() > 1,
    };
    if !args.json {
        let mut fixed = Vec::new();
        if !varies.kernel {
            fixed.push(format!("kernel {}", kernels[0]));
        }
        if !varies.dim {
            fixed.push(format!("dimension {}", args.dim[0]));
        }
        if !varies.schedule {
            fixed.push(format!("schedule {}", arg_name(args.schedule[0])));
        }
        if !varies.stores {
            fixed.push(format!("stores {}", arg_name(args.stores[0])));
        }
        if !varies.tile {
            fixed.push(match tiles[0] {
                Some((rows, cols)) => format!("tile {rows}x{cols}"),
                None => {
                    let (rows, cols) = Plan::default().tile_shape();
                    format!("default tile {rows}x{cols}")
                }
            });
        }
        if !varies.accuracy {
            fixed.push(format!("accuracy {}", arg_name(args.accuracy[0])));
        }
        writeln!(
            report,
            "bench: SIMD path {}, {}, median of {} reps, threads {}",
            crate::simd_label(),
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

/// The kernels named on the command line, with the shape parameter.
pub fn parse_kernels(names: &[String], epsilon: Option<f64>) -> Result<Vec<Kernel>, Failure> {
    names
        .iter()
        .map(|name| Kernel::from_name(name.trim(), epsilon).map_err(Failure::from))
        .collect()
}

/// Which settings have a column of their own (more than one value).
#[derive(Clone, Copy)]
struct Varies {
    schedule: bool,
    stores: bool,
    tile: bool,
    accuracy: bool,
    kernel: bool,
    dim: bool,
}

/// The table cells of the settings that vary (headers for `None`).
fn variant_columns(varies: Varies, line: Option<&Measurement>) -> String {
    let mut cells = String::new();
    if varies.kernel {
        let cell = line.map_or("kernel".to_string(), |l| l.kernel.clone());
        cells += &format!("{cell:<34}");
    }
    if varies.dim {
        let cell = line.map_or("d".to_string(), |l| l.dim.to_string());
        cells += &format!("{cell:<4}");
    }
    if varies.schedule {
        let cell = line.map_or("schedule".to_string(), |l| arg_name(l.schedule));
        cells += &format!("{cell:<10}");
    }
    if varies.stores {
        let cell = line.map_or("stores".to_string(), |l| arg_name(l.stores));
        cells += &format!("{cell:<10}");
    }
    if varies.tile {
        let cell = line.map_or("tile".to_string(), |l| {
            format!("{}x{}", l.tile_rows, l.tile_cols)
        });
        cells += &format!("{cell:<10}");
    }
    if varies.accuracy {
        let cell = line.map_or("accuracy".to_string(), |l| arg_name(l.accuracy));
        cells += &format!("{cell:<12}");
    }
    cells
}
