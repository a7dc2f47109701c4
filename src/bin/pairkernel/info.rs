//! `pairkernel info`: what this build and this machine are, as the kernel sees them.

use std::io::Write;

use pairkernel::{Plan, Stores};

use crate::Failure;
use crate::tuning_config::{self, ENV_TILE_COLS, ENV_TILE_ROWS, ENV_TUNING};

pub fn run() -> Result<(), Failure> {
    let mut report = std::io::stdout().lock();
    let plan = Plan::default();
    let (rows, cols) = plan.tile_shape();
    let caches = pairkernel::machine::cache_sizes();
    let size = |bytes: Option<usize>| match bytes {
        Some(b) if b >= 1 << 20 => format!("{} MiB", b >> 20),
        Some(b) => format!("{} KiB", b >> 10),
        None => "unknown".into(),
    };
    writeln!(report, "pairkernel {}", env!("CARGO_PKG_VERSION"))?;
    writeln!(report, "built by: {}", env!("PAIRKERNEL_RUSTC_VERSION"))?;
    let available: Vec<&str> = pairkernel::simd::SimdPath::available_paths()
        .iter()
        .map(|path| path.name())
        .collect();
    writeln!(
        report,
        "SIMD path: {} (chosen at run time; this CPU has {}; {} forces one)",
        crate::simd_label(),
        available.join(", "),
        pairkernel::simd::ENV_SIMD,
    )?;
    writeln!(
        report,
        "build target features: {} (the portable path's code)",
        pairkernel::simd_features().join(" ")
    )?;
    writeln!(
        report,
        "streaming stores: {}",
        if Stores::streaming_available() {
            "yes"
        } else {
            "no (needs an x86_64 build with AVX)"
        }
    )?;
    writeln!(
        report,
        "default tile: {rows} x {cols} (from {}){}",
        plan.tile_source(),
        match plan.tile_source() {
            "built-in" => format!(
                "; square matrices by the symmetric schedule in bands of up to {} rows, four or more per thread",
                pairkernel::machine::SYMMETRIC_BAND_ROWS
            ),
            _ => String::new(),
        }
    )?;
    let choices = pairkernel::machine::auto_choices();
    let mib = |bytes: usize| format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20));
    let schedule = |cheap, fresh| {
        if choices.symmetric(cheap, fresh) {
            "symmetric"
        } else {
            "rows"
        }
    };
    writeln!(
        report,
        "auto choices: square matrices by the {} schedule into reused output, {} into fresh; \
         with cheap entries (fast φ or cubic) {} / {} ({} on one thread); streaming stores \
         above {} (reused output), {} (fresh output) (from {})",
        schedule(false, false),
        schedule(false, true),
        schedule(true, false),
        schedule(true, true),
        match choices.symmetric_on(true, true, 1) {
            true => "symmetric",
            false => "rows",
        },
        mib(choices.stream_reused_above_bytes),
        mib(choices.stream_fresh_above_bytes),
        choices.source
    )?;
    let home = std::env::var_os("HOME");
    let xdg = std::env::var_os("XDG_CONFIG_HOME");
    match tuning_config::default_tuning_path(xdg.as_deref(), home.as_deref()) {
        Some(path) => writeln!(
            report,
            "default tuning file: {} ({})",
            path.display(),
            if path.is_file() { "exists" } else { "none" }
        )?,
        None => writeln!(report, "default tuning file: none (HOME is not set)")?,
    }
    writeln!(
        report,
        "build-time overrides: {ENV_TILE_ROWS}, {ENV_TILE_COLS}, {ENV_TUNING} (see README, \
         \"Tuning for your machine\")"
    )?;
    writeln!(
        report,
        "CPU: {}, {} threads for rayon",
        pairkernel::machine::cpu_model().unwrap_or_else(|| "unknown".into()),
        rayon::current_num_threads()
    )?;
    writeln!(
        report,
        "caches: L1d {}, L2 {}, L3 {}",
        size(caches.l1d),
        size(caches.l2),
        size(caches.l3)
    )?;
    writeln!(
        report,
        "memory available (MemAvailable + free swap, or the cgroup's room if less): {}",
        pairkernel::machine::available_memory().map_or("unknown".to_string(), |bytes| format!(
            "{:.1} GiB",
            bytes as f64 / (1u64 << 30) as f64
        ))
    )?;
    Ok(())
}
