//! Promises under operating-system limits, each checked in a child process of its own: this test
//! binary runs itself again under `sh -c 'ulimit …; exec …'` with one `child_*` test selected
//! and `PAIRKERNEL_CHILD` set; the child tests do nothing when it is not set.

use std::process::Command;

use pairkernel::{Error, Nodes};

/// Runs the child test `name` of this binary under `ulimit -v <kib>`, with `env` set, and
/// returns what it printed; asserts that it passed.
fn run_child(name: &str, virtual_memory_kib: u64, env: &[(&str, &str)]) -> String {
    let exe = std::env::current_exe().unwrap();
    let script = format!(
        "ulimit -v {virtual_memory_kib} && exec \"$0\" --exact {name} --nocapture --test-threads 1"
    );
    let output = Command::new("sh")
        .args(["-c", &script])
        .arg(exe)
        .env("PAIRKERNEL_CHILD", name)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "child {name} failed:\n{text}");
    assert!(
        text.contains("1 passed"),
        "child {name} ran no test:\n{text}"
    );
    text
}

/// Whether this process is the child that runs `name`.
fn is_child(name: &str) -> bool {
    std::env::var("PAIRKERNEL_CHILD").as_deref() == Ok(name)
}

#[test]
fn the_default_plan_reports_a_global_pool_that_cannot_start() {
    // 65535 threads of 2 MiB stacks do not fit in 1 GiB of address space: rayon's global pool
    // cannot start, and would panic on first use. (With 4 GiB the child needs half a minute to
    // start and stop its ~2000 threads; with 1 GiB, under a second.)
    let text = run_child(
        "child_global_pool_cannot_start",
        1 << 20,
        &[("RAYON_NUM_THREADS", "65535")],
    );
    assert!(
        text.contains("could not start a pool of 65535 threads"),
        "{text}"
    );
}

#[test]
fn child_global_pool_cannot_start() {
    if !is_child("child_global_pool_cannot_start") {
        return;
    }
    let nodes = Nodes::from_points(&[[0.0; 3], [1.0; 3], [2.0; 3]]).unwrap();
    for _ in 0..2 {
        // Twice: after a failed start rayon has no global pool, and the error stays an error.
        let err = pairkernel::kernel_matrix(&nodes).unwrap_err();
        assert!(
            matches!(err, Error::ThreadPool { threads: 65535, .. }),
            "{err:?}"
        );
        println!("{err}");
        let mut y = [0.0; 3];
        assert!(matches!(
            pairkernel::apply(&nodes, &[1.0; 3], &mut y),
            Err(Error::ThreadPool { .. })
        ));
    }
    // One thread needs no pool.
    let serial = pairkernel::Plan::new()
        .threads(1)
        .kernel_matrix(&nodes)
        .unwrap();
    assert_eq!(serial[(0, 0)], 0.0);
}

#[test]
fn a_matrix_larger_than_the_memory_available_is_refused_not_killed() {
    if pairkernel::machine::available_memory().is_none() {
        return; // not Linux
    }
    // 8 GiB of address space: a broken check would reach the allocator, which would then
    // refuse (available: None) instead of the child filling memory until the kernel kills it.
    run_child("child_matrix_larger_than_memory", 8 << 20, &[]);
}

#[test]
fn child_matrix_larger_than_memory() {
    if !is_child("child_matrix_larger_than_memory") {
        return;
    }
    let available = pairkernel::machine::available_memory().unwrap();
    // A matrix of 1.5 times what the system can give, from a small node set's worth of nodes.
    let n = ((3 * available / 2 / 8) as f64).sqrt() as usize + 1;
    let nodes = Nodes::from_points(&vec![[0.5, 0.25, 0.125]; n]).unwrap();
    for threads in [0, 1, 2] {
        let plan = pairkernel::Plan::new().threads(threads);
        let err = plan.kernel_matrix(&nodes).unwrap_err();
        let Error::AllocationFailed {
            rows,
            cols,
            bytes,
            available: Some(reported),
        } = err
        else {
            panic!("{err:?}");
        };
        assert_eq!((rows, cols, bytes), (n, n, n * n * 8));
        assert!(reported < bytes as u64);
        let message = err.to_string();
        assert!(message.contains(&bytes.to_string()) && message.contains(&reported.to_string()));
        assert!(matches!(
            plan.cross_matrix(&nodes, &nodes),
            Err(Error::AllocationFailed {
                available: Some(_),
                ..
            })
        ));
    }
    // Opting out of the check hands the request to the allocator, which the address-space
    // limit makes refuse: an error either way, never a kill.
    let err = pairkernel::Plan::new()
        .allow_overcommit(true)
        .kernel_matrix(&nodes)
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::AllocationFailed {
                available: None,
                ..
            }
        ),
        "{err:?}"
    );
}
