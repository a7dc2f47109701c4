//! The binary: the article's experiment runs, reports what it promises, and fails cleanly.
#![cfg(feature = "cli")]

use std::process::Command;

fn pairkernel(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pairkernel"))
        .args(args)
        .output()
        .expect("the binary starts")
}

#[test]
fn the_experiment_reports_times_speedup_throughput_and_error() {
    let out = pairkernel(&["--n", "300", "--seed", "3", "--reps", "2"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
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
    assert!(text.contains("on one thread and on all threads"), "{text}");
    for option in ["--n", "--seed", "--reps", "--no-pin"] {
        assert!(text.contains(option), "{text}");
    }
    assert!(!pairkernel(&["--reps", "0"]).status.success());
}
