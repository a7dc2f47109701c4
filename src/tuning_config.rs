//! Tuned tile defaults: where a build takes them from, and how they are checked.
//!
//! One file, reached three ways with `#[path]`: by `build.rs`, which bakes the tile into the
//! library's `Plan::default()`; by the binary's `tune`, which writes tuning files and reads them
//! back to check them; and by the library's unit tests. It depends on `std` and `toml` only.
//!
//! Sources, first match wins:
//! 1. [`ENV_TILE_ROWS`] / [`ENV_TILE_COLS`]: either or both (the other from the next source);
//! 2. the tuning file named by [`ENV_TUNING`];
//! 3. the tuning file at the default location, [`default_tuning_path`], if it exists;
//! 4. [`BUILT_IN`].
//!
//! A tuning file is TOML with the tile under `[tile]` (`rows`, `cols`) and, optionally, what
//! `Schedule::Auto` and `Stores::Auto` choose under `[choices]` ([`Choices`]); `tune` adds what
//! it measured and on which machine, which this module does not read. The tile's sources apply
//! to the tile only: the choices come from the tuning file in effect, else the library's
//! built-in rules.

// Each user of this file uses a different part of it.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

/// Rows of the default tile.
pub const ENV_TILE_ROWS: &str = "PAIRKERNEL_TILE_ROWS";
/// Columns of the default tile.
pub const ENV_TILE_COLS: &str = "PAIRKERNEL_TILE_COLS";
/// Path of a tuning file.
pub const ENV_TUNING: &str = "PAIRKERNEL_TUNING";

/// Allowed tile rows: a band of rows is the unit of parallel work, so more than a few thousand
/// would leave threads idle on any matrix worth tuning for.
pub const TILE_ROWS_RANGE: RangeInclusive<usize> = 1..=4096;
/// Allowed tile columns: at least one lane group (4), at most 2^20 (24 MiB of column nodes).
pub const TILE_COLS_RANGE: RangeInclusive<usize> = 4..=1 << 20;

/// The built-in tile, used when nothing else is set: see `src/defaults.rs` for the measurements
/// behind it. 32 rows are four of the symmetric kernel's 8-row blocks, and bands short enough to
/// balance two or more cores; 4096 columns are 96 KiB of column nodes, which live in L2 (1 MiB
/// on the reference machine, 512 KiB or more on any recent x86 core) while a band sweeps them.
pub const BUILT_IN: Tile = Tile {
    rows: 32,
    cols: 4096,
};

/// A tile shape: rows × columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tile {
    pub rows: usize,
    pub cols: usize,
}

/// `value` of the variable or key `name` as a whole number in `range`, or a message that says
/// what to fix.
pub fn parse_tile_value(
    name: &str,
    value: &str,
    range: &RangeInclusive<usize>,
) -> Result<usize, String> {
    value
        .trim()
        .parse::<usize>()
        .ok()
        .filter(|v| range.contains(v))
        .ok_or_else(|| {
            format!(
                "{name} = {value:?} is not allowed: it must be a whole number in {}..={}",
                range.start(),
                range.end()
            )
        })
}

/// The tile of a tuning file's text; `path` names the file in messages.
pub fn parse_tuning_file(path: &Path, text: &str) -> Result<Tile, String> {
    let where_ = path.display();
    let table: toml::Table = text
        .parse()
        .map_err(|e| format!("tuning file {where_} is not valid TOML: {e}"))?;
    let tile = table
        .get("tile")
        .and_then(toml::Value::as_table)
        .ok_or_else(|| format!("tuning file {where_} has no [tile] table (with rows and cols)"))?;
    let value = |key: &str, range: &RangeInclusive<usize>| -> Result<usize, String> {
        let name = format!("tile.{key} in tuning file {where_}");
        match tile.get(key) {
            Some(toml::Value::Integer(v)) => parse_tile_value(&name, &v.to_string(), range),
            Some(other) => Err(format!(
                "{name} = {other} is not allowed: it must be a whole number in {}..={}",
                range.start(),
                range.end()
            )),
            None => Err(format!("{name} is missing")),
        }
    };
    Ok(Tile {
        rows: value("rows", &TILE_ROWS_RANGE)?,
        cols: value("cols", &TILE_COLS_RANGE)?,
    })
}

/// What the `Auto` settings choose on the machine a tuning file was measured on: the file's
/// optional `[choices]` table. A missing key leaves the library's built-in rule.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Choices {
    /// `Schedule::Auto` for a square matrix: symmetric (`true`) or rows (`false`), indexed by
    /// [`SquareCase::index`] (entry cost × reused or fresh output); the keys of
    /// [`SquareCase::key`], `"symmetric"` or `"rows"`.
    pub square: [Option<bool>; 4],
    /// `Stores::Auto` streams a reused output larger than this many bytes
    /// (`stream_reused_above_bytes`).
    pub stream_reused_above: Option<u64>,
    /// The same for a freshly allocated output (`stream_fresh_above_bytes`).
    pub stream_fresh_above: Option<u64>,
}

/// The cases in which `Schedule::Auto` chooses a square matrix's schedule: whether the entries
/// are cheap (`Accuracy::Fast` with a kernel whose fast formula is a few operations) or cost
/// what the default accuracy's do, and whether the output is reused or freshly allocated. The
/// trade differs: the symmetric schedule halves the arithmetic and pays for mirrored stores,
/// which on fresh output also fault pages in out of order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SquareCase {
    /// Cheap entries (`Accuracy::Fast`, `RadialFunction::FAST_IS_CHEAP`).
    pub cheap: bool,
    /// Freshly allocated output.
    pub fresh: bool,
}

impl SquareCase {
    /// Every case, in [`SquareCase::index`] order.
    pub const ALL: [SquareCase; 4] = [
        SquareCase {
            cheap: false,
            fresh: false,
        },
        SquareCase {
            cheap: false,
            fresh: true,
        },
        SquareCase {
            cheap: true,
            fresh: false,
        },
        SquareCase {
            cheap: true,
            fresh: true,
        },
    ];

    /// The case's place in [`Choices::square`].
    pub const fn index(self) -> usize {
        (self.cheap as usize) * 2 + self.fresh as usize
    }

    /// The case's key in a tuning file's `[choices]`.
    pub const fn key(self) -> &'static str {
        match (self.cheap, self.fresh) {
            (false, false) => "square_schedule",
            (false, true) => "square_schedule_fresh",
            (true, false) => "square_schedule_fast",
            (true, true) => "square_schedule_fast_fresh",
        }
    }
}

/// The `[choices]` of a tuning file's text (all `None` without the table); `path` names the
/// file in messages.
pub fn parse_choices(path: &Path, text: &str) -> Result<Choices, String> {
    let where_ = path.display();
    let table: toml::Table = text
        .parse()
        .map_err(|e| format!("tuning file {where_} is not valid TOML: {e}"))?;
    let Some(choices) = table.get("choices") else {
        return Ok(Choices::default());
    };
    let choices = choices
        .as_table()
        .ok_or_else(|| format!("choices in tuning file {where_} must be a table"))?;
    let known: Vec<&str> = SquareCase::ALL
        .iter()
        .map(|case| case.key())
        .chain(STORE_KEYS)
        .collect();
    if let Some(key) = choices.keys().find(|key| !known.contains(&key.as_str())) {
        return Err(format!(
            "choices.{key} in tuning file {where_} is not a known choice (known: {})",
            known.join(", ")
        ));
    }
    let mut square = [None; 4];
    for case in SquareCase::ALL {
        let key = case.key();
        square[case.index()] = match choices.get(key) {
            None => None,
            Some(toml::Value::String(s)) if s == "symmetric" => Some(true),
            Some(toml::Value::String(s)) if s == "rows" => Some(false),
            Some(other) => {
                return Err(format!(
                    "choices.{key} in tuning file {where_} = {other} is not allowed: it must be \
                     \"symmetric\" or \"rows\""
                ));
            }
        };
    }
    let bytes = |key: &str| -> Result<Option<u64>, String> {
        match choices.get(key) {
            None => Ok(None),
            Some(toml::Value::Integer(v)) if *v >= 0 => Ok(Some(*v as u64)),
            Some(other) => Err(format!(
                "choices.{key} in tuning file {where_} = {other} is not allowed: it must be a \
                 whole number of bytes, 0 or more"
            )),
        }
    };
    Ok(Choices {
        square,
        stream_reused_above: bytes(STORE_KEYS[0])?,
        stream_fresh_above: bytes(STORE_KEYS[1])?,
    })
}

/// The store keys of a tuning file's `[choices]` table (the schedule keys are
/// [`SquareCase::key`]'s).
const STORE_KEYS: [&str; 2] = ["stream_reused_above_bytes", "stream_fresh_above_bytes"];

/// The default location of the tuning file: `$XDG_CONFIG_HOME/pairkernel/tuning.toml`, else
/// `$HOME/.config/pairkernel/tuning.toml`; `None` if neither variable is set.
pub fn default_tuning_path(
    xdg_config_home: Option<&OsStr>,
    home: Option<&OsStr>,
) -> Option<PathBuf> {
    let config = match (xdg_config_home, home) {
        (Some(xdg), _) if !xdg.is_empty() => PathBuf::from(xdg),
        (_, Some(home)) if !home.is_empty() => Path::new(home).join(".config"),
        _ => return None,
    };
    Some(config.join("pairkernel").join("tuning.toml"))
}

/// The tuning file text for `tile` and `choices`, with `details` (TOML tables of what was
/// measured) after them: the one place that writes the tables this module reads.
pub fn tuning_file_text(tile: Tile, choices: &Choices, header: &str, details: &str) -> String {
    let mut text = String::new();
    for line in header.lines() {
        text += &format!("# {line}\n");
    }
    text += &format!("\n[tile]\nrows = {}\ncols = {}\n", tile.rows, tile.cols);
    if *choices != Choices::default() {
        text += "\n[choices]\n";
        for case in SquareCase::ALL {
            if let Some(symmetric) = choices.square[case.index()] {
                let name = if symmetric { "symmetric" } else { "rows" };
                text += &format!("{} = \"{name}\"\n", case.key());
            }
        }
        // TOML integers are i64: a larger threshold means "never", as i64::MAX bytes does.
        let toml_bytes = |bytes: u64| bytes.min(i64::MAX as u64);
        if let Some(bytes) = choices.stream_reused_above {
            text += &format!("stream_reused_above_bytes = {}\n", toml_bytes(bytes));
        }
        if let Some(bytes) = choices.stream_fresh_above {
            text += &format!("stream_fresh_above_bytes = {}\n", toml_bytes(bytes));
        }
    }
    if !details.is_empty() {
        text += "\n";
        text += details;
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_values_in_range_parse_and_others_say_what_to_fix() {
        assert_eq!(
            parse_tile_value(ENV_TILE_ROWS, " 64 ", &TILE_ROWS_RANGE),
            Ok(64)
        );
        assert_eq!(
            parse_tile_value(ENV_TILE_COLS, "4", &TILE_COLS_RANGE),
            Ok(4)
        );
        for bad in ["0", "4097", "-1", "sixty", "", "1e3"] {
            let message = parse_tile_value(ENV_TILE_ROWS, bad, &TILE_ROWS_RANGE).unwrap_err();
            assert!(message.contains(ENV_TILE_ROWS), "{message}");
            assert!(message.contains(&format!("{bad:?}")), "{message}");
            assert!(message.contains("1..=4096"), "{message}");
        }
        let message = parse_tile_value(ENV_TILE_COLS, "3", &TILE_COLS_RANGE).unwrap_err();
        assert!(message.contains("4..=1048576"), "{message}");
    }

    #[test]
    fn tuning_files_give_their_tile_or_a_message_naming_file_key_and_value() {
        let path = Path::new("/tmp/t.toml");
        let written = tuning_file_text(
            Tile {
                rows: 64,
                cols: 512,
            },
            &Choices::default(),
            "by a test",
            "[x]\ny = 1\n",
        );
        assert_eq!(
            parse_tuning_file(path, &written),
            Ok(Tile {
                rows: 64,
                cols: 512
            })
        );
        assert!(written.starts_with("# by a test\n"));

        let cases = [
            ("[tile]\nrows = 0\ncols = 64\n", "tile.rows"),
            ("[tile]\nrows = 8\ncols = 2\n", "tile.cols"),
            ("[tile]\nrows = 8\ncols = \"wide\"\n", "\"wide\""),
            (
                "[tile]\nrows = 8\n",
                "tile.cols in tuning file /tmp/t.toml is missing",
            ),
            ("rows = 8\n", "no [tile] table"),
            ("[tile\n", "not valid TOML"),
        ];
        for (text, expected) in cases {
            let message = parse_tuning_file(path, text).unwrap_err();
            assert!(message.contains(expected), "{text:?}: {message}");
            assert!(message.contains("/tmp/t.toml"), "{message}");
        }
    }

    #[test]
    fn choices_round_trip_and_bad_ones_name_the_key() {
        let path = Path::new("/tmp/t.toml");
        let tile = Tile { rows: 8, cols: 64 };
        for choices in [
            Choices::default(),
            Choices {
                square: [Some(false), None, None, None],
                stream_reused_above: Some(0),
                stream_fresh_above: None,
            },
            Choices {
                square: [Some(true), Some(false), None, Some(true)],
                stream_reused_above: Some(1 << 22),
                stream_fresh_above: Some(u64::from(u32::MAX)),
            },
        ] {
            let text = tuning_file_text(tile, &choices, "h", "");
            assert_eq!(parse_choices(path, &text), Ok(choices), "{text}");
            assert_eq!(parse_tuning_file(path, &text), Ok(tile));
        }
        let cases = [
            (
                "[choices]\nsquare_schedule = \"diagonal\"\n",
                "square_schedule",
            ),
            (
                "[choices]\nsquare_schedule_fast_fresh = true\n",
                "square_schedule_fast_fresh",
            ),
            (
                "[choices]\nstream_fresh_above_bytes = -1\n",
                "stream_fresh_above_bytes",
            ),
            ("[choices]\nstream_reused_above_bytes = \"4M\"\n", "\"4M\""),
            ("[choices]\nschedule = \"rows\"\n", "choices.schedule"),
            ("choices = 3\n", "must be a table"),
        ];
        // Each case's key reads back into its own place.
        for case in SquareCase::ALL {
            let text = format!("[choices]\n{} = \"rows\"\n", case.key());
            let mut square = [None; 4];
            square[case.index()] = Some(false);
            assert_eq!(parse_choices(path, &text).map(|c| c.square), Ok(square));
        }
        for (text, expected) in cases {
            let message = parse_choices(path, text).unwrap_err();
            assert!(message.contains(expected), "{text:?}: {message}");
            assert!(message.contains("/tmp/t.toml"), "{message}");
        }
    }

    #[test]
    fn the_default_location_follows_xdg_then_home() {
        let xdg = OsStr::new("/x");
        let home = OsStr::new("/h");
        assert_eq!(
            default_tuning_path(Some(xdg), Some(home)),
            Some(PathBuf::from("/x/pairkernel/tuning.toml"))
        );
        assert_eq!(
            default_tuning_path(Some(OsStr::new("")), Some(home)),
            Some(PathBuf::from("/h/.config/pairkernel/tuning.toml"))
        );
        assert_eq!(default_tuning_path(None, None), None);
    }
}
