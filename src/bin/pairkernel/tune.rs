//! `pairkernel tune`: finds the fastest tile for this machine, and what `Schedule::Auto` and
//! `Stores::Auto` should choose here, and writes them to a tuning file that `build.rs` bakes
//! into every later build's `Plan::default()`.
//!
//! The timing is `bench`'s ([`crate::bench::measure`]): warm-up, interleaved rounds, medians.
//! First every tile of a grid around a cache-derived guess is timed for each N, thread count and
//! mode; a tile's score is the geometric mean of its throughputs over those cells, so no one N
//! dominates. The built-in (or current) default tile is always in the grid, and marked. Then, at
//! the winning tile, both schedules with both kinds of stores into reused and fresh output,
//! with compensated and with `Fast` entries ([`decide_choices`]).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use indicatif::{ProgressBar, ProgressStyle};
use pairkernel::Plan;
use serde::Serialize;

use crate::bench::{AccuracyArg, Mode, ScheduleArg, StoresArg};
use crate::experiment::MAX_N;
use crate::measure::{Measurement, Pools, Variant, measure};
use crate::tuning_config::{self, Choices, SquareCase, TILE_COLS_RANGE, TILE_ROWS_RANGE, Tile};
use crate::{Failure, pin_current_thread};

/// Options of `pairkernel tune`.
#[derive(clap::Args, Debug)]
pub struct TuneArgs {
    /// Matrix sizes N, comma-separated [default: 1000,3000,10000; 500 with --quick].
    #[arg(long, value_delimiter = ',', value_parser = clap::value_parser!(u64).range(8..=MAX_N))]
    n: Vec<u64>,
    /// Thread counts, comma-separated [default: 1 and all cores; all cores with --quick].
    #[arg(long, value_delimiter = ',', value_parser = clap::value_parser!(u64).range(1..=1024))]
    threads: Vec<u64>,
    /// Output modes, comma-separated (see `bench --help`).
    #[arg(long, value_delimiter = ',', default_value = "into")]
    mode: Vec<Mode>,
    /// Timed repetitions of each tile [default: 5; 2 with --quick].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    reps: Option<u32>,
    /// A small grid at one small N: seconds instead of minutes, to check the machinery.
    #[arg(long)]
    quick: bool,
    /// Write the tuning file to the default location, which `build.rs` reads on the next build.
    #[arg(long, conflicts_with = "out")]
    apply: bool,
    /// Where to write the tuning file (by default under `target/`, which git ignores; `--apply`
    /// writes it where `build.rs` looks).
    #[arg(long, default_value = "target/pairkernel-tuning.toml")]
    out: PathBuf,
    /// Seed of the random node sets.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Do not pin threads to cores.
    #[arg(long)]
    no_pin: bool,
}

/// A tile's results: one throughput per (n, threads, mode) cell, and their geometric mean.
#[derive(Clone, Debug, Serialize)]
struct TileResult {
    tile_rows: usize,
    tile_cols: usize,
    geomean_gentries_per_s: f64,
    cells: Vec<Cell>,
}

#[derive(Clone, Debug, Serialize)]
struct Cell {
    n: usize,
    threads: usize,
    mode: Mode,
    gentries_per_s: f64,
    median_s: f64,
}

/// What the tuning file records besides the tile and the choices.
#[derive(Serialize)]
struct Details {
    machine: MachineRecord,
    run: RunRecord,
    results: Vec<TileResult>,
    choice_results: Vec<ChoiceCell>,
}

/// One schedule × stores combination's throughput in one cell of the choices' run.
#[derive(Clone, Debug, Serialize)]
struct ChoiceCell {
    n: usize,
    threads: usize,
    accuracy: AccuracyArg,
    mode: Mode,
    schedule: ScheduleArg,
    stores: StoresArg,
    gentries_per_s: f64,
}

#[derive(Serialize)]
struct MachineRecord {
    cpu: String,
    cores: usize,
    l1d_bytes: Option<usize>,
    l2_bytes: Option<usize>,
    l3_bytes: Option<usize>,
    target_features: Vec<&'static str>,
    rustc: &'static str,
    date: String,
}

#[derive(Serialize)]
struct RunRecord {
    n: Vec<usize>,
    threads: Vec<usize>,
    modes: Vec<Mode>,
    reps: u32,
    default_tile: [usize; 2],
    default_source: &'static str,
    winner_over_default: f64,
}

/// The tiles to time: rows × columns around a guess from the L2 size, plus the default.
fn grid(quick: bool, default: Tile) -> Vec<Tile> {
    // The guess: a band's column nodes (24 bytes each) in an eighth of L2, a power of two.
    let l2 = pairkernel::machine::cache_sizes().l2.unwrap_or(1 << 20);
    let guess_cols = (1usize << (l2 / 24 / 8).max(1).ilog2()).clamp(512, 1 << 15);
    let (rows, cols): (Vec<usize>, Vec<usize>) = if quick {
        (vec![8, 32, 128], vec![guess_cols / 8, guess_cols])
    } else {
        let mut cols: Vec<usize> = (0..8).map(|k| (guess_cols * 2) >> k).collect();
        cols.extend([guess_cols * 3 / 4, guess_cols * 3 / 16]); // a few in between
        (vec![8, 16, 24, 32, 48, 64, 128, 256], cols)
    };
    let mut tiles: Vec<Tile> = rows
        .iter()
        .flat_map(|&r| cols.iter().map(move |&c| Tile { rows: r, cols: c }))
        .filter(|t| TILE_ROWS_RANGE.contains(&t.rows) && TILE_COLS_RANGE.contains(&t.cols))
        .collect();
    tiles.push(default);
    tiles.sort_by_key(|t| (t.rows, t.cols));
    tiles.dedup();
    tiles
}

pub fn run(args: &TuneArgs) -> Result<(), Failure> {
    let mut report = std::io::stdout().lock();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let ns: Vec<usize> = match (&args.n[..], args.quick) {
        ([], true) => vec![500],
        ([], false) => vec![1000, 3000, 10000],
        (given, _) => given.iter().map(|&n| n as usize).collect(),
    };
    let thread_counts: Vec<usize> = match (&args.threads[..], args.quick) {
        ([], true) => vec![cores],
        ([], false) => {
            let mut counts = vec![1, cores];
            counts.dedup();
            counts
        }
        (given, _) => given.iter().map(|&t| t as usize).collect(),
    };
    let reps = args.reps.unwrap_or(if args.quick { 2 } else { 5 });
    let default_plan = Plan::default();
    let (rows, cols) = default_plan.tile_shape();
    let default = Tile { rows, cols };
    let tiles = grid(args.quick, default);
    let mut variants = Vec::new();
    for &threads in &thread_counts {
        for &mode in &args.mode {
            for tile in &tiles {
                variants.push(Variant {
                    threads,
                    kernel: pairkernel::Kernel::Phi,
                    dim: 3,
                    mode,
                    schedule: ScheduleArg::Auto,
                    stores: StoresArg::Auto,
                    accuracy: AccuracyArg::default(),
                    tile: Some((tile.rows, tile.cols)),
                    k: 1,
                });
            }
        }
    }
    writeln!(
        report,
        "tune: {} tiles × N {:?} × threads {:?} × modes {:?}, median of {reps} reps; \
         default tile {}x{} ({})",
        tiles.len(),
        ns,
        thread_counts,
        args.mode
            .iter()
            .map(|&m| crate::bench::arg_name(m))
            .collect::<Vec<_>>(),
        default.rows,
        default.cols,
        default_plan.tile_source()
    )?;

    // Ctrl-C ends the measuring, not the program: the best so far is still reported.
    let stop = Arc::new(AtomicBool::new(false));
    let handler_stop = Arc::clone(&stop);
    // A second handler cannot be set (e.g. in tests calling `run` twice): then Ctrl-C just ends
    // the program, as without one.
    let _ = ctrlc::set_handler(move || handler_stop.store(true, Ordering::Relaxed));

    let pools = Pools::new(&thread_counts, !args.no_pin)?;
    if !args.no_pin && thread_counts.contains(&1) {
        pin_current_thread();
    }
    // The choices' run: both schedules × both stores, reused and fresh output, entries of the
    // default cost (compensated) and cheap ones (φ's fast formula); its tile is the winner's,
    // set once the tiles are ranked.
    let mut choice_variants = Vec::new();
    for &threads in &thread_counts {
        for accuracy in [AccuracyArg::Compensated, AccuracyArg::Fast] {
            for mode in [Mode::Into, Mode::Alloc] {
                for schedule in [ScheduleArg::Rows, ScheduleArg::Symmetric] {
                    for stores in [StoresArg::Plain, StoresArg::Streaming] {
                        choice_variants.push(Variant {
                            threads,
                            kernel: pairkernel::Kernel::Phi,
                            dim: 3,
                            mode,
                            schedule,
                            stores,
                            accuracy,
                            tile: Some((default.rows, default.cols)),
                            k: 1,
                        });
                    }
                }
            }
        }
    }
    let total =
        ns.len() as u64 * u64::from(reps + 1) * (variants.len() + choice_variants.len()) as u64;
    let bar = ProgressBar::new(total).with_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} runs, {eta} left ({msg})",
        )
        .expect("a valid template"),
    );
    let mut measurements: Vec<Measurement> = Vec::new();
    for &n in &ns {
        bar.set_message(format!("N = {n}"));
        measurements.extend(measure(
            n,
            args.seed,
            &variants,
            reps,
            &pools,
            &stop,
            || bar.inc(1),
        )?);
        if stop.load(Ordering::Relaxed) {
            break;
        }
    }
    let results = rank(&tiles, &measurements);
    let Some(winner) = results.first() else {
        bar.finish_and_clear();
        writeln!(
            report,
            "interrupted before any tile was timed: nothing to report"
        )?;
        return Ok(());
    };
    let mut choice_measurements: Vec<Measurement> = Vec::new();
    for variant in &mut choice_variants {
        variant.tile = Some((winner.tile_rows, winner.tile_cols));
    }
    for &n in &ns {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        bar.set_message(format!("schedules and stores, N = {n}"));
        choice_measurements.extend(measure(
            n,
            args.seed,
            &choice_variants,
            reps,
            &pools,
            &stop,
            || bar.inc(1),
        )?);
    }
    bar.finish_and_clear();
    let interrupted = stop.load(Ordering::Relaxed);
    let default_result = results
        .iter()
        .find(|r| (r.tile_rows, r.tile_cols) == (default.rows, default.cols));
    print_table(&mut report, &results, default)?;
    let winner_over_default = default_result.map_or(f64::NAN, |d| {
        winner.geomean_gentries_per_s / d.geomean_gentries_per_s
    });
    writeln!(
        report,
        "\nbest tile: {}x{}, {:.3} G entries/s (geometric mean), {:.3}x the default {}x{}",
        winner.tile_rows,
        winner.tile_cols,
        winner.geomean_gentries_per_s,
        winner_over_default,
        default.rows,
        default.cols
    )?;
    if interrupted {
        writeln!(
            report,
            "interrupted: this is the best so far, over the cells every tile reached; no tuning \
             file written"
        )?;
        return Ok(());
    }
    let choice_results: Vec<ChoiceCell> = choice_measurements
        .iter()
        .map(|m| ChoiceCell {
            n: m.n,
            threads: m.threads,
            accuracy: m.accuracy,
            mode: m.mode,
            schedule: m.schedule,
            stores: m.stores,
            gentries_per_s: m.gentries_per_s,
        })
        .collect();
    let choices = decide_choices(&choice_results);
    print_choices(&mut report, &choice_results, &choices)?;

    let tile = Tile {
        rows: winner.tile_rows,
        cols: winner.tile_cols,
    };
    let caches = pairkernel::machine::cache_sizes();
    let details = Details {
        machine: MachineRecord {
            cpu: pairkernel::machine::cpu_model().unwrap_or_else(|| "unknown".into()),
            cores,
            l1d_bytes: caches.l1d,
            l2_bytes: caches.l2,
            l3_bytes: caches.l3,
            target_features: pairkernel::simd_features(),
            rustc: env!("PAIRKERNEL_RUSTC_VERSION"),
            date: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        },
        run: RunRecord {
            n: ns.clone(),
            threads: thread_counts.clone(),
            modes: args.mode.clone(),
            reps,
            default_tile: [default.rows, default.cols],
            default_source: default_plan.tile_source(),
            winner_over_default,
        },
        results: results.clone(),
        choice_results,
    };
    let path = if args.apply {
        let home = std::env::var_os("HOME");
        let xdg = std::env::var_os("XDG_CONFIG_HOME");
        tuning_config::default_tuning_path(xdg.as_deref(), home.as_deref()).ok_or_else(|| {
            Failure::Tuning("neither XDG_CONFIG_HOME nor HOME is set: use --out".into())
        })?
    } else {
        args.out.clone()
    };
    write_tuning_file(&path, tile, &choices, &details)?;
    let shown = std::path::absolute(&path).unwrap_or(path.clone());
    writeln!(report, "wrote {}", shown.display())?;
    if args.apply {
        writeln!(
            report,
            "rebuild to make it the default: cargo build --release (build.rs reads {})",
            shown.display()
        )?;
    } else {
        writeln!(
            report,
            "rebuild with it: {}={} cargo build --release   (or rerun with --apply)",
            tuning_config::ENV_TUNING,
            shown.display()
        )?;
    }
    Ok(())
}

/// Tiles by geometric mean over the cells every tile was measured in, best first.
fn rank(tiles: &[Tile], measurements: &[Measurement]) -> Vec<TileResult> {
    let cell_key = |m: &Measurement| (m.n, m.threads, m.mode as u8);
    let mut cells: Vec<(usize, usize, u8)> = measurements.iter().map(cell_key).collect();
    cells.sort();
    cells.dedup();
    let of_tile = |tile: Tile| {
        measurements
            .iter()
            .filter(move |m| (m.tile_rows, m.tile_cols) == (tile.rows, tile.cols))
    };
    // Only cells that every tile reached (all of them, unless interrupted).
    cells.retain(|cell| {
        tiles
            .iter()
            .all(|&t| of_tile(t).any(|m| cell_key(m) == *cell))
    });
    let mut results: Vec<TileResult> = tiles
        .iter()
        .filter_map(|&tile| {
            let cells: Vec<Cell> = of_tile(tile)
                .filter(|m| cells.contains(&cell_key(m)))
                .map(|m| Cell {
                    n: m.n,
                    threads: m.threads,
                    mode: m.mode,
                    gentries_per_s: m.gentries_per_s,
                    median_s: m.median_s,
                })
                .collect();
            if cells.is_empty() {
                return None;
            }
            let log_mean =
                cells.iter().map(|c| c.gentries_per_s.ln()).sum::<f64>() / cells.len() as f64;
            Some(TileResult {
                tile_rows: tile.rows,
                tile_cols: tile.cols,
                geomean_gentries_per_s: log_mean.exp(),
                cells,
            })
        })
        .collect();
    results.sort_by(|a, b| {
        b.geomean_gentries_per_s
            .total_cmp(&a.geomean_gentries_per_s)
    });
    results
}

fn print_table(
    report: &mut impl Write,
    results: &[TileResult],
    default: Tile,
) -> std::io::Result<()> {
    let Some(first) = results.first() else {
        return Ok(());
    };
    let headers: Vec<String> = first
        .cells
        .iter()
        .map(|c| {
            format!(
                "N={} t{} {}",
                c.n,
                c.threads,
                crate::bench::arg_name(c.mode)
            )
        })
        .collect();
    write!(report, "\n{:>4}  {:<11} {:>9}", "rank", "tile", "geomean")?;
    for header in &headers {
        write!(report, " {header:>18}")?;
    }
    writeln!(report)?;
    for (rank, result) in results.iter().enumerate() {
        let is_default = (result.tile_rows, result.tile_cols) == (default.rows, default.cols);
        write!(
            report,
            "{:>4}  {:<11} {:>9.3}",
            rank + 1,
            format!("{}x{}", result.tile_rows, result.tile_cols),
            result.geomean_gentries_per_s
        )?;
        for cell in &result.cells {
            write!(report, " {:>18.3}", cell.gentries_per_s)?;
        }
        writeln!(report, "{}", if is_default { "  <- default" } else { "" })?;
    }
    writeln!(report, "(G entries/s; geomean over the columns)")
}

/// Writes the tuning file and reads it back through the same check `build.rs` makes.
fn write_tuning_file(
    path: &Path,
    tile: Tile,
    choices: &Choices,
    details: &Details,
) -> Result<(), Failure> {
    let details_toml = toml::to_string(details).map_err(|e| Failure::Tuning(e.to_string()))?;
    let header = format!(
        "pairkernel tuning file, written by `pairkernel tune`.\n\
         build.rs makes [tile] the default of Plan::default() and [choices] what its Auto\n\
         settings choose; the rest records the run.\n\
         Use it: {}=<this file> cargo build --release, or put it at the default location\n\
         (`pairkernel tune --apply`).",
        tuning_config::ENV_TUNING
    );
    let text = tuning_config::tuning_file_text(tile, choices, &header, &details_toml);
    tuning_config::parse_tuning_file(path, &text).map_err(Failure::Tuning)?;
    tuning_config::parse_choices(path, &text).map_err(Failure::Tuning)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, text)?;
    Ok(())
}

/// The schedule and the streaming thresholds the choices' run supports.
///
/// The schedule for square matrices, one per [`SquareCase`] (entry cost × output): the one whose
/// best (over both stores) throughputs have the larger geometric mean over the case's cells
/// (compensated or `Fast` entries, into reused or fresh output; for `Fast` into fresh output,
/// the cells on more than one thread where there are any: on one thread that case follows the
/// built-in rule). Then, with the compensated
/// entries and the schedule chosen for them, for each kind of output (reused, fresh), streaming
/// "wins" at an N where its geometric mean over the thread counts is
/// at least plain stores'; it is chosen for outputs larger than the largest N it lost at below
/// the sizes it won at throughout (so from the smallest N it won at, and at every larger one).
/// Measured nowhere below the smallest N, the threshold then sits just under it. Where plain
/// stores won at the largest N, nothing measured says streaming wins anywhere: no threshold,
/// the built-in rule stays.
fn decide_choices(cells: &[ChoiceCell]) -> Choices {
    let rate = |cell: Key, schedule: ScheduleArg, stores: StoresArg| {
        cells
            .iter()
            .find(|c| {
                (c.n, c.threads, c.accuracy, c.mode, c.schedule, c.stores)
                    == (cell.0, cell.1, cell.2, cell.3, schedule, stores)
            })
            .map(|c| c.gentries_per_s)
    };
    let mut keys: Vec<Key> = cells
        .iter()
        .map(|c| (c.n, c.threads, c.accuracy, c.mode))
        .collect();
    keys.sort_by_key(|&(n, t, a, m)| (n, t, a as u8, m as u8));
    keys.dedup();
    let geomean = |values: &[f64]| {
        (values.iter().map(|v| v.ln()).sum::<f64>() / values.len().max(1) as f64).exp()
    };
    let accuracy_of = |cheap: bool| {
        if cheap {
            AccuracyArg::Fast
        } else {
            AccuracyArg::Compensated
        }
    };
    let mode_of = |fresh: bool| if fresh { Mode::Alloc } else { Mode::Into };
    // Cheap entries into fresh output on one thread follow the built-in rule
    // (`AutoChoices::symmetric_on`), so that case's key is decided by the cells on more than
    // one thread, where there are any.
    let multi_threaded = keys.iter().any(|k| k.1 > 1);
    let decides = |case: SquareCase, threads: usize| {
        !(case.cheap && case.fresh && multi_threaded) || threads > 1
    };
    // Each case's schedule: the one whose best stores have the larger geometric mean over the
    // case's cells (every N and thread count it decides).
    let schedule_of = |case: SquareCase| -> Option<ScheduleArg> {
        let best_of = |schedule: ScheduleArg| -> Vec<f64> {
            keys.iter()
                .filter(|k| (k.2, k.3) == (accuracy_of(case.cheap), mode_of(case.fresh)))
                .filter(|k| decides(case, k.1))
                .filter_map(|&key| {
                    let plain = rate(key, schedule, StoresArg::Plain)?;
                    let streaming = rate(key, schedule, StoresArg::Streaming)?;
                    Some(plain.max(streaming))
                })
                .collect()
        };
        let (rows, symmetric) = (best_of(ScheduleArg::Rows), best_of(ScheduleArg::Symmetric));
        if rows.is_empty() || symmetric.is_empty() {
            None
        } else if geomean(&symmetric) >= geomean(&rows) {
            Some(ScheduleArg::Symmetric)
        } else {
            Some(ScheduleArg::Rows)
        }
    };
    let mut square = [None; 4];
    for case in SquareCase::ALL {
        square[case.index()] = schedule_of(case).map(|s| s == ScheduleArg::Symmetric);
    }
    let mut ns: Vec<usize> = keys.iter().map(|k| k.0).collect();
    ns.dedup();
    // The store thresholds, from the default accuracy's cells with the schedule chosen for them.
    let threshold = |fresh: bool| -> Option<u64> {
        let case = SquareCase {
            cheap: false,
            fresh,
        };
        let chosen = schedule_of(case)?;
        let wins: Vec<bool> = ns
            .iter()
            .map(|&n| {
                let of = |stores| -> Vec<f64> {
                    keys.iter()
                        .filter(|k| k.0 == n && (k.2, k.3) == (accuracy_of(false), mode_of(fresh)))
                        .filter_map(|&key| rate(key, chosen, stores))
                        .collect()
                };
                let (plain, streaming) = (of(StoresArg::Plain), of(StoresArg::Streaming));
                !plain.is_empty() && geomean(&streaming) >= geomean(&plain)
            })
            .collect();
        let bytes = |n: usize| (n as u64).saturating_mul(n as u64).saturating_mul(8);
        // The first N of the final run of wins.
        let from = wins
            .iter()
            .rposition(|&won| !won)
            .map_or(0, |lost| lost + 1);
        match from {
            _ if wins.last() != Some(&true) => None,
            0 => ns.first().map(|&n| bytes(n).saturating_sub(1)),
            k => Some(bytes(ns[k - 1])),
        }
    };
    Choices {
        square,
        stream_reused_above: threshold(false),
        stream_fresh_above: threshold(true),
    }
}

/// A cell of the choices' run: N, threads, accuracy, output mode.
type Key = (usize, usize, AccuracyArg, Mode);

/// The choices' run as a table, and what it chose.
fn print_choices(
    report: &mut impl Write,
    cells: &[ChoiceCell],
    choices: &Choices,
) -> std::io::Result<()> {
    let mut keys: Vec<Key> = cells
        .iter()
        .map(|c| (c.n, c.threads, c.accuracy, c.mode))
        .collect();
    keys.sort_by_key(|&(n, t, a, m)| (a as u8, n, t, m as u8));
    keys.dedup();
    writeln!(
        report,
        "\nschedules and stores at the winning tile (G entries/s):\n{:>11} {:>6} {:>7} {:>5} {:>11} {:>15} {:>15} {:>19}",
        "accuracy",
        "N",
        "threads",
        "mode",
        "rows plain",
        "rows streaming",
        "symmetric plain",
        "symmetric streaming"
    )?;
    for (n, threads, accuracy, mode) in keys {
        write!(
            report,
            "{:>11} {n:>6} {threads:>7} {:>5}",
            crate::bench::arg_name(accuracy),
            crate::bench::arg_name(mode)
        )?;
        for (schedule, stores, width) in [
            (ScheduleArg::Rows, StoresArg::Plain, 11),
            (ScheduleArg::Rows, StoresArg::Streaming, 15),
            (ScheduleArg::Symmetric, StoresArg::Plain, 15),
            (ScheduleArg::Symmetric, StoresArg::Streaming, 19),
        ] {
            let rate = cells
                .iter()
                .find(|c| {
                    (c.n, c.threads, c.accuracy, c.mode, c.schedule, c.stores)
                        == (n, threads, accuracy, mode, schedule, stores)
                })
                .map_or(f64::NAN, |c| c.gentries_per_s);
            write!(report, " {rate:>width$.3}")?;
        }
        writeln!(report)?;
    }
    let mib = |bytes: Option<u64>| {
        bytes.map_or("the rule".into(), |b| {
            format!("{:.2} MiB", b as f64 / f64::from(1 << 20))
        })
    };
    let schedule = |case: SquareCase| match choices.square[case.index()] {
        Some(true) => "symmetric",
        Some(false) => "rows",
        None => "by the rule",
    };
    let [reused, fresh, cheap, cheap_fresh] = SquareCase::ALL.map(schedule);
    writeln!(
        report,
        "chosen: square matrices {reused} (reused output), {fresh} (fresh); with cheap (fast φ) \
         entries {cheap} (reused), {cheap_fresh} (fresh); streaming stores above {} (reused \
         output), {} (fresh output)",
        mib(choices.stream_reused_above),
        mib(choices.stream_fresh_above)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(
        n: usize,
        mode: Mode,
        schedule: ScheduleArg,
        stores: StoresArg,
        rate: f64,
    ) -> ChoiceCell {
        ChoiceCell {
            n,
            threads: 2,
            accuracy: AccuracyArg::Compensated,
            mode,
            schedule,
            stores,
            gentries_per_s: rate,
        }
    }

    #[test]
    fn choices_follow_the_measurements() {
        use ScheduleArg::{Rows, Symmetric};
        use StoresArg::{Plain, Streaming};
        // Symmetric wins; reused: plain at 1000, streaming from 3000 on; fresh: streaming at
        // 1000, plain at 3000, streaming at 10000 (so from 10000 only).
        let mut cells = Vec::new();
        for (n, into_streams, alloc_streams) in [
            (1000, false, true),
            (3000, true, false),
            (10000, true, true),
        ] {
            for (mode, streams) in [(Mode::Into, into_streams), (Mode::Alloc, alloc_streams)] {
                let (plain, streaming) = if streams { (1.0, 1.5) } else { (1.5, 1.0) };
                cells.push(cell(n, mode, Symmetric, Plain, plain));
                cells.push(cell(n, mode, Symmetric, Streaming, streaming));
                cells.push(cell(n, mode, Rows, Plain, 0.9));
                cells.push(cell(n, mode, Rows, Streaming, 0.8));
            }
        }
        let choices = decide_choices(&cells);
        assert_eq!(choices.square, [Some(true), Some(true), None, None]);
        assert_eq!(choices.stream_reused_above, Some(1000 * 1000 * 8));
        assert_eq!(choices.stream_fresh_above, Some(3000 * 3000 * 8));

        // Rows win everywhere, streaming everywhere: just under the smallest N.
        let cells: Vec<ChoiceCell> = [500, 2000]
            .into_iter()
            .flat_map(|n| {
                [Mode::Into, Mode::Alloc].into_iter().flat_map(move |mode| {
                    [
                        cell(n, mode, Rows, Plain, 1.0),
                        cell(n, mode, Rows, Streaming, 2.0),
                        cell(n, mode, Symmetric, Plain, 0.5),
                        cell(n, mode, Symmetric, Streaming, 1.9),
                    ]
                })
            })
            .collect();
        let choices = decide_choices(&cells);
        assert_eq!(choices.square, [Some(false), Some(false), None, None]);
        assert_eq!(choices.stream_reused_above, Some(500 * 500 * 8 - 1));
        assert_eq!(choices.stream_fresh_above, Some(500 * 500 * 8 - 1));
        assert_eq!(decide_choices(&[]), Choices::default());

        // Plain stores win at the largest N: no threshold (the rule stays).
        let cells: Vec<ChoiceCell> = [(500, 2.0), (2000, 0.5)]
            .into_iter()
            .flat_map(|(n, streaming)| {
                [Mode::Into, Mode::Alloc].into_iter().flat_map(move |mode| {
                    [
                        cell(n, mode, Rows, Plain, 0.1),
                        cell(n, mode, Rows, Streaming, 0.1),
                        cell(n, mode, Symmetric, Plain, 1.0),
                        cell(n, mode, Symmetric, Streaming, streaming),
                    ]
                })
            })
            .collect();
        let choices = decide_choices(&cells);
        assert_eq!(choices.square[0], Some(true));
        assert_eq!(
            (choices.stream_reused_above, choices.stream_fresh_above),
            (None, None)
        );
    }

    #[test]
    fn each_case_gets_its_own_schedule_and_the_thresholds_follow_the_default_accuracy() {
        use ScheduleArg::{Rows, Symmetric};
        use StoresArg::{Plain, Streaming};
        // Compensated: symmetric wins reused and fresh. Fast: rows win reused, symmetric wins
        // fresh (so the cases in slots 1 and 2 differ). Streaming wins with the compensated
        // entries; the Fast cells of the same schedule favour plain stores by far, so the
        // thresholds come out differently if they are mixed in.
        let mut cells = Vec::new();
        for n in [1000, 3000] {
            for (accuracy, mode, winner) in [
                (AccuracyArg::Compensated, Mode::Into, Symmetric),
                (AccuracyArg::Compensated, Mode::Alloc, Symmetric),
                (AccuracyArg::Fast, Mode::Into, Rows),
                (AccuracyArg::Fast, Mode::Alloc, Symmetric),
            ] {
                for schedule in [Rows, Symmetric] {
                    let (plain, streaming) = match (schedule == winner, accuracy) {
                        (true, AccuracyArg::Compensated) => (1.0, 2.0),
                        (true, AccuracyArg::Fast) => (2.0, 0.01),
                        (false, AccuracyArg::Compensated) => (0.5, 0.4),
                        (false, AccuracyArg::Fast) => (0.5, 0.01),
                    };
                    for (stores, rate) in [(Plain, plain), (Streaming, streaming)] {
                        cells.push(ChoiceCell {
                            accuracy,
                            ..cell(n, mode, schedule, stores, rate)
                        });
                    }
                }
            }
        }
        let choices = decide_choices(&cells);
        assert_eq!(
            SquareCase::ALL.map(SquareCase::index),
            [0, 1, 2, 3],
            "ALL is in index order (the baked array and auto_choices rely on it)"
        );
        assert_eq!(
            choices.square,
            [Some(true), Some(true), Some(false), Some(true)]
        );
        // Streaming from the smallest N in both compensated cases, whatever Fast's cells say.
        assert_eq!(choices.stream_reused_above, Some(1000 * 1000 * 8 - 1));
        assert_eq!(choices.stream_fresh_above, Some(1000 * 1000 * 8 - 1));
    }

    #[test]
    fn cheap_entries_into_fresh_output_are_decided_on_more_than_one_thread() {
        use ScheduleArg::{Rows, Symmetric};
        // Fast into fresh output: the symmetric schedule far ahead on one thread, rows a little
        // ahead on two. Together symmetric has the larger mean, but one thread follows the
        // built-in rule, so the two-thread cells decide: rows. Every other case counts both.
        let fast_fresh = |threads: usize, schedule: ScheduleArg, rate: f64| {
            [StoresArg::Plain, StoresArg::Streaming].map(|stores| ChoiceCell {
                threads,
                accuracy: AccuracyArg::Fast,
                ..cell(1000, Mode::Alloc, schedule, stores, rate)
            })
        };
        let mut cells: Vec<ChoiceCell> = [
            fast_fresh(1, Symmetric, 4.0),
            fast_fresh(1, Rows, 1.0),
            fast_fresh(2, Symmetric, 1.0),
            fast_fresh(2, Rows, 1.1),
        ]
        .concat();
        assert_eq!(decide_choices(&cells).square[3], Some(false));
        // Measured on one thread only, the one-thread cells are all there is: they decide.
        cells.retain(|c| c.threads == 1);
        assert_eq!(decide_choices(&cells).square[3], Some(true));
    }
}
