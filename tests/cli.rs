//! The binary: the article's experiment runs, reports what it promises, and fails cleanly.
#![cfg(feature = "cli")]

use std::process::Command;

fn pairkernel(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pairkernel"))
        .args(args)
        .output()
        .expect("the binary starts")
}

/// Runs the binary, asserts that it succeeded (showing its stderr if not), returns its stdout.
fn pairkernel_ok(args: &[&str]) -> String {
    let out = pairkernel(args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_experiment_reports_times_speedup_throughput_and_error() {
    let text = pairkernel_ok(&["--n", "300", "--seed", "3", "--reps", "2"]);
    for expected in [
        "N = 300 random nodes",
        "1 thread (median)",
        "threads (median)",
        "speed-up",
        "G entries/s",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    let line = text
        .lines()
        .find(|l| l.starts_with("max relative error"))
        .unwrap();
    assert!(line.contains("(300 of 300 rows)"), "{line}");
    let error: f64 = line
        .split("rows): ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap()
        .parse()
        .unwrap();
    assert!(error < 8.0 * f64::EPSILON, "{line}");
    assert!(line.ends_with(": 0"), "diagonal mismatches: {line}");
    assert!(text.contains("workers pinned to cores"), "{text}");

    let out = pairkernel(&["--n", "100", "--reps", "1", "--no-pin"]);
    assert!(out.status.success());
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("not pinned (--no-pin)")
    );
}

#[test]
fn a_matrix_too_large_is_an_error_message_and_exit_code_not_an_abort() {
    let out = pairkernel(&["--n", "2000000", "--reps", "1"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("could not allocate a 2000000 x 2000000 matrix"),
        "{stderr}"
    );
}

#[test]
fn n_beyond_the_accepted_range_is_refused_by_the_parser() {
    for n in ["0", "16777217", "-5", "many"] {
        let out = pairkernel(&[&format!("--n={n}")]);
        assert_eq!(out.status.code(), Some(2), "--n {n}");
        assert!(
            String::from_utf8(out.stderr).unwrap().contains("--n"),
            "--n {n}"
        );
    }
}

#[test]
fn help_explains_the_options() {
    let out = pairkernel(&["--help"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("one thread against all threads"), "{text}");
    for option in ["--n", "--seed", "--reps", "--no-pin", "bench"] {
        assert!(text.contains(option), "{text}");
    }
    assert!(!pairkernel(&["--reps", "0"]).status.success());
}

#[test]
fn bench_prints_one_json_object_per_variant_with_the_floor_beside_it() {
    let text = pairkernel_ok(&[
        "bench",
        "--n",
        "40,72",
        "--threads",
        "1,2",
        "--mode",
        "into,alloc,into-vec",
        "--reps",
        "2",
        "--json",
    ]);
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is one JSON object"))
        .collect();
    assert_eq!(lines.len(), 2 * 2 * 3, "{text}");
    let mut seen = Vec::new();
    for line in &lines {
        let n = line["n"].as_u64().unwrap();
        let median_s = line["median_s"].as_f64().unwrap();
        let rate = line["gentries_per_s"].as_f64().unwrap();
        let floor = line["floor_gentries_per_s"].as_f64().unwrap();
        let ratio = line["ratio_to_floor"].as_f64().unwrap();
        assert!(median_s > 0.0 && rate > 0.0 && floor > 0.0, "{line}");
        // The derived keys are what they claim to be.
        let expected_rate = (n * n) as f64 / 1e9 / median_s;
        assert!(
            (rate - expected_rate).abs() <= 1e-9 * expected_rate,
            "{line}"
        );
        assert!((ratio - rate / floor).abs() <= 1e-9 * ratio, "{line}");
        seen.push((
            n,
            line["threads"].as_u64().unwrap(),
            line["mode"].as_str().unwrap().to_string(),
        ));
    }
    for n in [40, 72] {
        for threads in [1, 2] {
            for mode in ["into", "alloc", "into-vec"] {
                assert!(seen.contains(&(n, threads, mode.to_string())), "{seen:?}");
            }
        }
    }
}

#[test]
fn bench_without_json_prints_a_table_and_refuses_bad_tiles() {
    let text = pairkernel_ok(&["bench", "--n", "16", "--threads", "1", "--reps", "1"]);
    for expected in [
        "G entries/s",
        "floor G entries/s",
        "of floor",
        "into",
        "alloc",
        "SIMD path ",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    for bad in ["0x8", "8", "8xwide"] {
        let out = pairkernel(&["bench", "--tile", bad]);
        assert_eq!(out.status.code(), Some(2), "--tile {bad}");
        assert!(
            String::from_utf8(out.stderr).unwrap().contains("--tile"),
            "--tile {bad}"
        );
    }
}

#[test]
fn tune_quick_writes_a_tuning_file_with_the_winner_and_the_machine() {
    let dir = std::env::temp_dir().join(format!("pairkernel-tune-{}", std::process::id()));
    let path = dir.join("tuning.toml");
    let text = pairkernel_ok(&["tune", "--quick", "--out", path.to_str().unwrap()]);
    assert!(
        text.contains("<- default"),
        "the default tile's row is marked:\n{text}"
    );
    assert!(text.contains("best tile: "), "{text}");
    assert!(
        text.contains("PAIRKERNEL_TUNING="),
        "the rebuild command is printed:\n{text}"
    );

    let file: toml::Table = std::fs::read_to_string(&path).unwrap().parse().unwrap();
    let tile = file["tile"].as_table().unwrap();
    let (rows, cols) = (
        tile["rows"].as_integer().unwrap(),
        tile["cols"].as_integer().unwrap(),
    );
    assert!(
        text.contains(&format!("best tile: {rows}x{cols}")),
        "{text}"
    );
    let machine = file["machine"].as_table().unwrap();
    for key in ["cpu", "target_features", "rustc", "date", "cores"] {
        assert!(machine.contains_key(key), "machine.{key} in {file}");
    }
    let results = file["results"].as_array().unwrap();
    assert!(
        results.len() >= 5,
        "the quick grid has its tiles: {results:?}"
    );
    // Ranked best first, and the winner is the first result.
    let rates: Vec<f64> = results
        .iter()
        .map(|r| r["geomean_gentries_per_s"].as_float().unwrap())
        .collect();
    assert!(rates.windows(2).all(|w| w[0] >= w[1]), "{rates:?}");
    assert_eq!(results[0]["tile_rows"].as_integer(), Some(rows));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn info_names_the_default_tile_its_source_and_the_caches() {
    let text = pairkernel_ok(&["info"]);
    for expected in [
        "default tile: ",
        "(from ",
        "SIMD path: ",
        "caches: ",
        "default tuning file",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}

#[test]
fn a_tiny_scaling_run_writes_its_csv_and_three_figures_with_every_series() {
    let dir = std::env::temp_dir().join(format!("pairkernel-scaling-{}", std::process::id()));
    pairkernel_ok(&[
        "scaling",
        "--from",
        "8",
        "--to",
        "64",
        "--step",
        "8",
        "--reps",
        "1",
        "--threads",
        "2",
        "--reference-max",
        "40",
        "--out",
        dir.to_str().unwrap(),
    ]);

    let mut csv = csv::Reader::from_path(dir.join("scaling.csv")).unwrap();
    let header: Vec<String> = csv.headers().unwrap().iter().map(str::to_string).collect();
    for column in [
        "n",
        "threads",
        "one_thread_s",
        "all_threads_s",
        "reference_s",
        "one_thread_gentries_per_s",
        "all_threads_gentries_per_s",
        "reference_gentries_per_s",
        "speedup_all_over_one",
        "speedup_all_over_reference",
    ] {
        assert!(
            header.iter().any(|h| h == column),
            "column {column} in {header:?}"
        );
    }
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    let ns: Vec<usize> = rows.iter().map(|r| r[at("n")].parse().unwrap()).collect();
    assert_eq!(ns, vec![8, 16, 24, 32, 40, 48, 56, 64]);
    for row in &rows {
        let n: usize = row[at("n")].parse().unwrap();
        let one: f64 = row[at("one_thread_s")].parse().unwrap();
        let all: f64 = row[at("all_threads_s")].parse().unwrap();
        let speedup: f64 = row[at("speedup_all_over_one")].parse().unwrap();
        assert!(one > 0.0 && all > 0.0 && (speedup - one / all).abs() <= 1e-9 * speedup);
        assert_eq!(&row[at("threads")], "2");
        // The reference is timed up to --reference-max only.
        assert_eq!(
            row[at("reference_s")].is_empty(),
            n > 40,
            "n = {n}: {row:?}"
        );
    }

    for (figure, series) in [
        (
            "time.svg",
            &["1 thread", "2 threads", "scalar reference (1 thread)"][..],
        ),
        (
            "speedup.svg",
            &[
                "2 threads over 1 thread",
                "2 threads over the scalar reference",
            ][..],
        ),
        (
            "throughput.svg",
            &["1 thread", "2 threads", "scalar reference (1 thread)"][..],
        ),
    ] {
        let svg = std::fs::read_to_string(dir.join(figure)).unwrap();
        assert!(svg.starts_with("<svg"), "{figure}");
        for label in series {
            assert!(
                svg.contains(&format!(">\n{label}\n</text>")),
                "{figure} has the series {label:?}"
            );
        }
        assert!(
            svg.contains("N (nodes; the output is N × N f64)"),
            "{figure}: x axis label"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn tune_writes_under_target_by_default_not_into_the_working_directory() {
    let dir = std::env::temp_dir().join(format!("pairkernel-tune-cwd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_pairkernel"))
        .args(["tune", "--quick"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.join("target/pairkernel-tuning.toml").is_file());
    assert!(!dir.join("pairkernel-tuning.toml").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bench_puts_both_accuracies_side_by_side() {
    let text = pairkernel_ok(&[
        "bench",
        "--n",
        "200",
        "--threads",
        "1",
        "--mode",
        "into",
        "--reps",
        "1",
        "--accuracy",
        "compensated,fast",
        "--json",
    ]);
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let accuracies: Vec<&str> = lines
        .iter()
        .map(|line| line["accuracy"].as_str().unwrap())
        .collect();
    assert_eq!(accuracies, ["compensated", "fast"]);
}
