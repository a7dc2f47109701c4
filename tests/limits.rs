//! Promises under operating-system limits, each checked in a child process of its own: this test
//! binary runs itself again under `sh -c 'ulimit …; exec …'` with one `child_*` test selected
//! and `PAIRKERNEL_CHILD` set; the child tests do nothing when it is not set.

use std::process::Command;

use pairkernel::{Error, Nodes};

/// Runs the child test `name` of this binary, under `ulimit -v <kib>` if given, with `env` set,
/// and returns what it printed; asserts that it passed.
fn run_child(name: &str, virtual_memory_kib: Option<u64>, env: &[(&str, &str)]) -> String {
    let exe = std::env::current_exe().unwrap();
    let limit = virtual_memory_kib.map_or(String::new(), |kib| format!("ulimit -v {kib} && "));
    let script = format!("{limit}exec \"$0\" --exact {name} --nocapture --test-threads 1");
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

/// Thread stacks of 2 GiB under the children's 1 GiB address-space limit: every rayon worker's
/// stack is refused when it is mapped, so the pool fails to start cleanly. (With the default
/// 2 MiB stacks the outcome hung on how much room the last stack left: when a stack still fit
/// but the new thread's signal stack did not, std aborted the child — seen in CI once the test
/// binary grew. The child's own test thread is not refused: checked.)
const NO_THREAD_STACK_FITS: (&str, &str) = ("RUST_MIN_STACK", "2147483648");

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
        Some(1 << 20),
        &[("RAYON_NUM_THREADS", "65535"), NO_THREAD_STACK_FITS],
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
fn a_global_pool_that_failed_to_start_elsewhere_is_reported_too() {
    let text = run_child(
        "child_global_pool_failed_elsewhere",
        Some(1 << 20),
        &[("RAYON_NUM_THREADS", "65535"), NO_THREAD_STACK_FITS],
    );
    assert!(
        text.contains("an earlier start of rayon's global pool"),
        "{text}"
    );
}

#[test]
fn child_global_pool_failed_elsewhere() {
    if !is_child("child_global_pool_failed_elsewhere") {
        return;
    }
    // Another part of the program tries first, and fails: rayon then has no global pool, and
    // a second `build_global` says only "already initialized".
    assert!(rayon::ThreadPoolBuilder::new().build_global().is_err());
    let nodes = Nodes::from_points(&[[0.0; 3], [1.0; 3]]).unwrap();
    let err = pairkernel::kernel_matrix(&nodes).unwrap_err();
    assert!(
        matches!(err, Error::ThreadPool { threads: 65535, .. }),
        "{err:?}"
    );
    println!("{err}");
}

#[test]
fn a_matrix_larger_than_the_memory_available_is_refused_not_killed() {
    if pairkernel::machine::available_memory().is_none() {
        return; // not Linux
    }
    // An address space of half the available memory (at most 2 GiB): the child's request is
    // 1.5 times the available memory, so a broken check (or the opt-out) reaches the allocator,
    // which the limit makes refuse (available: None), instead of the child filling memory
    // until the kernel kills it.
    let available = pairkernel::machine::available_memory().unwrap();
    let limit_kib = (available / 2).min(2 << 30) >> 10;
    if limit_kib < 512 << 10 {
        println!("skipped: only {available} bytes available");
        return;
    }
    run_child("child_matrix_larger_than_memory", Some(limit_kib), &[]);
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

#[test]
fn a_product_whose_workspace_cannot_be_had_is_an_error_not_an_abort() {
    // The child sets its own limit, once its large buffers exist.
    run_child("child_product_workspace_cannot_be_had", None, &[]);
}

/// This process's address space in use, in bytes (`VmSize` of `/proc/self/status`).
fn virtual_memory_in_use() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmSize:"))?;
    let kib: u64 = line["VmSize:".len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

#[test]
fn child_product_workspace_cannot_be_had() {
    if !is_child("child_product_workspace_cannot_be_had") {
        return;
    }
    if virtual_memory_in_use().is_none() {
        return; // not Linux
    }
    // 2^24 centres: x is 128 MiB, and so is the packed workspace of a pass of one right-hand
    // side. With the address space limited to what is in use plus 64 MiB once x and the nodes
    // exist, the workspace cannot be mapped: the product must say so, not abort.
    let q = 1 << 24;
    let cols = Nodes::try_random(
        q,
        &mut <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(1),
    )
    .unwrap();
    let rows = Nodes::from_points(&[[0.5; 3]]).unwrap();
    let x = vec![1.0; q];
    let mut y = [f64::NAN];
    let limit = virtual_memory_in_use().unwrap() + (64 << 20);
    limit_address_space(limit);
    let plan = pairkernel::Plan::new().threads(1);
    let err = plan.cross_apply(&rows, &cols, &x, &mut y).unwrap_err();
    assert!(
        matches!(err, Error::WorkspaceAllocationFailed { bytes, available: None } if bytes == q * 8),
        "{err:?}"
    );
    assert!(y[0].is_nan(), "y was written before the workspace existed");
    println!("{err}");
}

/// Limits this process's address space to `bytes` (soft and hard), for the rest of its life.
fn limit_address_space(bytes: u64) {
    let rlimit = libc::rlimit {
        rlim_cur: bytes,
        rlim_max: bytes,
    };
    // SAFETY: setrlimit only reads the struct it is given, which lives across the call.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_AS, &rlimit) }, 0);
}

#[test]
fn a_matrix_that_cannot_be_copied_into_a_vec_comes_back_with_an_error() {
    run_child("child_matrix_cannot_be_copied", None, &[]);
}

#[test]
fn child_matrix_cannot_be_copied() {
    if !is_child("child_matrix_cannot_be_copied") {
        return;
    }
    if virtual_memory_in_use().is_none() {
        return; // not Linux
    }
    // A 4096 × 4096 matrix is 128 MiB, in a huge-page mapping: `into_vec` must copy it.
    let nodes = Nodes::try_random(
        4096,
        &mut <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(2),
    )
    .unwrap();
    let d = pairkernel::Plan::new()
        .threads(1)
        .kernel_matrix(&nodes)
        .unwrap();
    let corner = d[(1, 2)];
    limit_address_space(virtual_memory_in_use().unwrap() + (64 << 20));
    let (err, d) = d.try_into_vec().unwrap_err();
    assert!(
        matches!(
            err,
            Error::AllocationFailed {
                rows: 4096,
                cols: 4096,
                available: None,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(d[(1, 2)], corner, "the matrix came back intact");
    let panic = std::panic::catch_unwind(|| d.into_vec()).unwrap_err();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(
        message.starts_with("KernelMatrix::into_vec: could not allocate a 4096 x 4096 matrix"),
        "{message}"
    );
    println!("{message}");
}
