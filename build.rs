//! Build script: bakes the default tile into `Plan::default()`, and what `Schedule::Auto` and
//! `Stores::Auto` choose where a tuning file measured it.
//!
//! The tile comes from `PAIRKERNEL_TILE_ROWS` / `PAIRKERNEL_TILE_COLS`, else a tuning file
//! (`PAIRKERNEL_TUNING`, else the default location), else the built-in tile; see
//! `src/tuning_config.rs`, which this script shares with the library's tests and the binary's
//! `tune`. A bad value fails the build with a message naming the variable or file, the value and
//! the allowed range. The choices come from the tuning file's `[choices]`, if any (else the
//! library's built-in rules). The result goes to `$OUT_DIR/tuned_tiles.rs`, `include!`d by
//! `src/defaults.rs`.
//!
//! (The SIMD path is chosen at run time, `src/simd/`: no build flags are needed.)

#[path = "src/tuning_config.rs"]
mod tuning_config;

use std::env;
use std::path::{Path, PathBuf};

use tuning_config::{
    BUILT_IN, Choices, ENV_TILE_COLS, ENV_TILE_ROWS, ENV_TUNING, TILE_COLS_RANGE, TILE_ROWS_RANGE,
    Tile,
};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/tuning_config.rs");
    match tuned_tile() {
        Ok((tile, source, choices)) => write_tuned_tiles(tile, &source, choices),
        Err(message) => {
            eprintln!("error: {message}");
            std::process::exit(1);
        }
    }
    // For the tuning file `tune` writes: which compiler built this.
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = std::process::Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .unwrap_or_default();
    println!(
        "cargo:rustc-env=PAIRKERNEL_RUSTC_VERSION={}",
        version.trim()
    );
}

/// An environment variable, with `rerun-if-env-changed` for it.
fn env_var(name: &str) -> Option<String> {
    println!("cargo:rerun-if-env-changed={name}");
    env::var(name).ok()
}

/// The tile and a description of its source, and the tuning file's choices with theirs; or the
/// message to fail the build with.
fn tuned_tile() -> Result<(Tile, String, (Choices, String)), String> {
    let rows = env_var(ENV_TILE_ROWS)
        .map(|v| tuning_config::parse_tile_value(ENV_TILE_ROWS, &v, &TILE_ROWS_RANGE))
        .transpose()?;
    let cols = env_var(ENV_TILE_COLS)
        .map(|v| tuning_config::parse_tile_value(ENV_TILE_COLS, &v, &TILE_COLS_RANGE))
        .transpose()?;
    let (file_tile, file_source, choices) = match tuning_file()? {
        Some((path, tile, choices)) => {
            let source = format!("tuning file {}", path.display());
            // A file without `[choices]` (written before `tune` measured them) leaves the rules.
            let choices_source = match choices == Choices::default() {
                true => "built-in".to_string(),
                false => source.clone(),
            };
            (tile, source, (choices, choices_source))
        }
        None => (
            BUILT_IN,
            "built-in".to_string(),
            (Choices::default(), "built-in".to_string()),
        ),
    };
    let tile = Tile {
        rows: rows.unwrap_or(file_tile.rows),
        cols: cols.unwrap_or(file_tile.cols),
    };
    let source = match (rows.is_some(), cols.is_some()) {
        (true, true) => format!("env {ENV_TILE_ROWS}, {ENV_TILE_COLS}"),
        (true, false) => format!("env {ENV_TILE_ROWS}; cols: {file_source}"),
        (false, true) => format!("env {ENV_TILE_COLS}; rows: {file_source}"),
        (false, false) => file_source,
    };
    Ok((tile, source, choices))
}

/// The tuning file in effect, its tile and its choices: the one `PAIRKERNEL_TUNING` names
/// (which must exist), else the one at the default location if it exists.
fn tuning_file() -> Result<Option<(PathBuf, Tile, Choices)>, String> {
    let (path, named) = match env_var(ENV_TUNING).filter(|p| !p.is_empty()) {
        Some(path) => (PathBuf::from(path), true),
        None => {
            let default = tuning_config::default_tuning_path(
                env_var("XDG_CONFIG_HOME")
                    .as_deref()
                    .map(std::ffi::OsStr::new),
                env_var("HOME").as_deref().map(std::ffi::OsStr::new),
            );
            match default {
                Some(path) => (path, false),
                None => return Ok(None),
            }
        }
    };
    if !path.is_file() {
        if named {
            return Err(format!(
                "{ENV_TUNING} = {:?}: no such file (write one with `pairkernel tune`, or unset \
                 {ENV_TUNING} for the built-in tile)",
                path.display().to_string()
            ));
        }
        // Rerun when the file appears: watch the deepest directory that exists on its way, whose
        // modification time changes when an entry is created in it. (A missing path given to
        // rerun-if-changed would rerun this script on every build.)
        if let Some(existing) = path.ancestors().skip(1).find(|dir| dir.is_dir()) {
            println!("cargo:rerun-if-changed={}", existing.display());
        }
        return Ok(None);
    }
    println!("cargo:rerun-if-changed={}", path.display());
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("tuning file {}: cannot read it: {e}", path.display()))?;
    let tile = tuning_config::parse_tuning_file(&path, &text)?;
    let choices = tuning_config::parse_choices(&path, &text)?;
    Ok(Some((path, tile, choices)))
}

fn write_tuned_tiles(tile: Tile, source: &str, (choices, choices_source): (Choices, String)) {
    let out_dir = env::var_os("OUT_DIR").expect("cargo sets OUT_DIR for build scripts");
    let bytes = |value: Option<u64>| match value {
        Some(v) => format!("Some({})", usize::try_from(v).unwrap_or(usize::MAX)),
        None => "None".to_string(),
    };
    let code = format!(
        "/// Rows per band (tile height) of the default plan.\n\
         pub const TILE_ROWS: usize = {};\n\
         /// Columns per tile (tile width) of the default plan.\n\
         pub const TILE_COLS: usize = {};\n\
         /// Where [`TILE_ROWS`] and [`TILE_COLS`] came from.\n\
         pub const TILE_SOURCE: &str = {:?};\n\
         /// A tuning file's square-matrix schedules, symmetric (`true`) or rows, in\n\
         /// `SquareCase::index` order (`square_schedule`, `_fresh`, `_fast`, `_fast_fresh`).\n\
         pub const TUNED_SYMMETRIC: [Option<bool>; 4] = {:?};\n\
         /// A tuning file's `stream_reused_above_bytes`.\n\
         pub const TUNED_STREAM_REUSED_ABOVE: Option<usize> = {};\n\
         /// A tuning file's `stream_fresh_above_bytes`.\n\
         pub const TUNED_STREAM_FRESH_ABOVE: Option<usize> = {};\n\
         /// Where the `TUNED_` choices came from.\n\
         pub const CHOICES_SOURCE: &str = {:?};\n",
        tile.rows,
        tile.cols,
        source,
        choices.square,
        bytes(choices.stream_reused_above),
        bytes(choices.stream_fresh_above),
        choices_source,
    );
    let path = Path::new(&out_dir).join("tuned_tiles.rs");
    std::fs::write(&path, code).expect("OUT_DIR is writable");
}
