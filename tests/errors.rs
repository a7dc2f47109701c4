//! Every `Error` is produced by its bad input, says what was wrong, and nothing panics.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use pairkernel::kernels::SquaredDistance;
use pairkernel::simd::Lanes;
use pairkernel::{Axis, Error, KernelMatrix, Nodes, Plan, RadialFunction, Schedule, machine};

#[test]
fn non_finite_coordinates_name_the_node_and_axis() {
    let mut points = vec![[0.5; 3]; 5];
    points[3][2] = f64::NAN;
    points[4][0] = f64::INFINITY;
    let err = Nodes::from_points(&points).unwrap_err();
    assert!(
        matches!(err, Error::NonFiniteCoordinate { node: 3, axis: Axis::Z, value } if value.is_nan())
    );
    assert_eq!(
        err.to_string(),
        "node 3 has a non-finite z coordinate (NaN)"
    );

    let x = [0.0, 1.0, 2.0];
    let y = [0.0, f64::NEG_INFINITY, 2.0];
    let err = Nodes::from_columns(&x, &y, &x).unwrap_err();
    assert_eq!(
        err,
        Error::NonFiniteCoordinate {
            node: 1,
            axis: Axis::Y,
            value: f64::NEG_INFINITY
        }
    );
    assert!(err.to_string().contains("node 1") && err.to_string().contains(" y "));
}

#[test]
fn columns_of_different_lengths_are_rejected() {
    let err = Nodes::from_columns(&[0.0; 4], &[0.0; 4], &[0.0; 3]).unwrap_err();
    assert_eq!(err, Error::ColumnLengthMismatch { x: 4, y: 4, z: 3 });
    assert!(err.to_string().contains("z has 3"));
}

#[test]
fn output_buffers_of_the_wrong_length_are_rejected_before_any_write() {
    let nodes = Nodes::from_points(&[[0.0; 3], [1.0; 3], [2.0; 3]]).unwrap();
    let other = Nodes::from_points(&[[0.0; 3], [1.0; 3]]).unwrap();
    for len in [0, 8, 10, 100] {
        let mut out = vec![-1.0; len];
        let err = Plan::new()
            .kernel_matrix_into(&nodes, &mut out)
            .unwrap_err();
        assert_eq!(
            err,
            Error::OutputLength {
                expected: 9,
                got: len,
                rows: 3,
                cols: 3
            }
        );
        assert!(out.iter().all(|&x| x == -1.0), "the buffer was written to");
        let err = pairkernel::cross_matrix_into(&nodes, &other, &mut out).unwrap_err();
        assert_eq!(
            err,
            Error::OutputLength {
                expected: 6,
                got: len,
                rows: 3,
                cols: 2
            }
        );
    }
    assert!(
        Error::OutputLength {
            expected: 9,
            got: 8,
            rows: 3,
            cols: 3
        }
        .to_string()
        .contains("has 8 entries, expected 9")
    );
}

#[test]
fn zero_tile_sizes_are_an_invalid_plan_for_every_entry_point() {
    let nodes = Nodes::from_points(&[[0.0; 3], [1.0; 3]]).unwrap();
    for (rows, cols) in [(0, 4), (4, 0), (0, 0)] {
        let plan = Plan::new().tile(rows, cols);
        let expected = Error::InvalidTile {
            tile_rows: rows,
            tile_cols: cols,
        };
        assert_eq!(plan.kernel_matrix(&nodes).unwrap_err(), expected);
        assert_eq!(
            plan.kernel_matrix_into(&nodes, &mut [0.0; 4]).unwrap_err(),
            expected
        );
        assert_eq!(plan.cross_matrix(&nodes, &nodes).unwrap_err(), expected);
        assert_eq!(
            plan.cross_matrix_into(&nodes, &nodes, &mut [0.0; 4])
                .unwrap_err(),
            expected
        );
        // Even with an empty node set or a wrong buffer, the plan is checked first.
        assert_eq!(
            plan.kernel_matrix(&Nodes::from_points(&[]).unwrap())
                .unwrap_err(),
            expected
        );
        assert_eq!(
            plan.kernel_matrix_into(&nodes, &mut []).unwrap_err(),
            expected
        );
    }
    assert!(
        Error::InvalidTile {
            tile_rows: 0,
            tile_cols: 4
        }
        .to_string()
        .contains("0 rows x 4 columns")
    );
}

#[test]
fn a_matrix_too_large_for_memory_is_an_error_not_an_abort() {
    // 2^20 x 2^20 entries = 8 TiB: the allocator refuses, and the call says so.
    let points = vec![[0.25; 3]; 1 << 20];
    let nodes = Nodes::from_points(&points).unwrap();
    for threads in [1, 0] {
        let err = Plan::new()
            .threads(threads)
            .kernel_matrix(&nodes)
            .unwrap_err();
        // 8 TiB is more than any machine this runs on has: on Linux refused by the memory check,
        // before anything is mapped, with both sizes in the message; elsewhere by the allocator.
        let Error::AllocationFailed {
            rows: 1048576,
            cols: 1048576,
            bytes,
            available,
        } = err
        else {
            panic!("{err:?}")
        };
        assert_eq!(bytes, 1 << 43);
        let message = err.to_string();
        assert!(message.contains("1048576 x 1048576"));
        if pairkernel::machine::available_memory().is_some() {
            let available = available.expect("refused by the memory check");
            assert!(message.contains(&available.to_string()));
        }
    }
    let err = pairkernel::cross_matrix(&nodes, &nodes).unwrap_err();
    assert!(matches!(err, Error::AllocationFailed { .. }));
}

#[test]
fn empty_and_single_node_sets_are_fine() {
    let empty = Nodes::from_points(&[]).unwrap();
    assert!(empty.is_empty());
    let d = pairkernel::kernel_matrix(&empty).unwrap();
    assert_eq!((d.rows(), d.cols(), d.as_slice().len()), (0, 0, 0));
    pairkernel::kernel_matrix_into(&empty, &mut []).unwrap();

    let one = Nodes::from_points(&[[1.0, 2.0, 3.0]]).unwrap();
    assert_eq!(
        pairkernel::kernel_matrix(&one).unwrap().into_vec(),
        vec![0.0]
    );
    let c = pairkernel::cross_matrix(&one, &empty).unwrap();
    assert_eq!((c.rows(), c.cols()), (1, 0));
    assert_eq!(c.row(0), &[] as &[f64]);
    let c = pairkernel::cross_matrix(&empty, &one).unwrap();
    assert_eq!((c.rows(), c.cols()), (0, 1));
}

#[test]
fn checked_accessors_return_none_out_of_range() {
    let nodes = Nodes::from_points(&[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]).unwrap();
    assert_eq!(nodes.get(1), Some([4.0, 5.0, 6.0]));
    assert_eq!(nodes.get(2), None);
    let d = pairkernel::kernel_matrix(&nodes).unwrap();
    assert_eq!(d.get(1, 1), Some(0.0));
    assert_eq!(d.get(2, 0), None);
    assert_eq!(d.get(0, 2), None);
}

#[test]
fn a_floor_fill_of_a_ragged_buffer_is_an_error_that_says_so_before_any_write() {
    let mut out = vec![0.0; 10];
    assert_eq!(
        machine::fill_floor(&Plan::new(), &mut out, 4),
        Err(Error::RaggedOutput { len: 10, cols: 4 })
    );
    let err = machine::fill_floor(&Plan::new(), &mut out[..3], 0).unwrap_err();
    assert_eq!(err, Error::RaggedOutput { len: 3, cols: 0 });
    assert_eq!(
        err.to_string(),
        "output buffer has 3 entries, which is not a whole number of rows of 0 columns"
    );
    assert!(out.iter().all(|&e| e == 0.0));
    assert!(matches!(
        machine::fill_floor(&Plan::new().tile(0, 3), &mut out, 5),
        Err(Error::InvalidTile { .. })
    ));
    assert_eq!(machine::fill_floor(&Plan::new(), &mut [], 0), Ok(()));
}

#[test]
fn zeros_is_a_checked_allocation() {
    let m = KernelMatrix::zeros(3, 5).unwrap();
    assert_eq!((m.rows(), m.cols()), (3, 5));
    assert!(m.as_slice().iter().all(|&e| e == 0.0));
    assert_eq!(
        KernelMatrix::zeros(1 << 31, 1 << 31),
        Err(Error::SizeOverflow {
            rows: 1 << 31,
            cols: 1 << 31
        })
    );
    // 2^50 bytes (1 PiB) passes the size check but no machine has it: the memory check
    // refuses it, and without that check the allocator does.
    assert!(matches!(
        KernelMatrix::zeros(1 << 23, 1 << 24),
        Err(Error::AllocationFailed {
            available: Some(_),
            ..
        })
    ));
    assert!(matches!(
        KernelMatrix::zeros_allow_overcommit(1 << 23, 1 << 24),
        Err(Error::AllocationFailed {
            available: None,
            ..
        })
    ));
}

#[test]
fn a_matrix_larger_than_the_memory_available_is_refused_before_it_is_mapped() {
    let Some(available) = pairkernel::machine::available_memory() else {
        return; // not Linux: nothing to compare with
    };
    // Twice what the system can give: under overcommit the mapping itself could succeed, and
    // filling it would get the process killed. `zeros` touches nothing, so even a broken check
    // would not fill memory here (the child-process test in tests/limits.rs covers the fill).
    let n = ((2 * available / 8) as f64).sqrt() as usize + 1;
    let err = KernelMatrix::zeros(n, n).unwrap_err();
    assert!(
        matches!(err, Error::AllocationFailed { available: Some(a), .. } if a >= available / 2),
        "{err:?}"
    );
    // Allowing overcommit skips the check: whatever happens then is the allocator's answer.
    match KernelMatrix::zeros_allow_overcommit(n, n) {
        Ok(m) => assert_eq!(m.rows(), n),
        Err(err) => assert!(matches!(
            err,
            Error::AllocationFailed {
                available: None,
                ..
            }
        )),
    }
}

#[test]
fn absurd_thread_counts_are_refused_before_any_thread_starts() {
    let nodes = Nodes::from_points(&[[0.0; 3], [1.0; 3]]).unwrap();
    let plan = Plan::new().threads(65_535);
    let expected = Error::TooManyThreads {
        requested: 65_535,
        max: Plan::MAX_THREADS,
    };
    assert_eq!(plan.kernel_matrix(&nodes).unwrap_err(), expected);
    assert_eq!(
        plan.apply(&nodes, &[1.0, 1.0], &mut [0.0; 2]).unwrap_err(),
        expected
    );
    assert_eq!(
        machine::fill_floor(&plan, &mut [0.0; 4], 2).unwrap_err(),
        expected
    );
    assert_eq!(
        expected.to_string(),
        "a plan of 65535 threads: at most 1024 are allowed"
    );
    // The limit itself is allowed (not started here: 1024 threads on a small machine are
    // slow to start and stop, though correct).
    assert!(Plan::new().threads(Plan::MAX_THREADS).thread_count() == 1024);
}

#[test]
fn node_sets_too_large_for_memory_are_errors_not_aborts() {
    use rand::SeedableRng;
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    // 2^40 nodes are 24 TiB.
    let err = Nodes::try_random(1 << 40, &mut rng).unwrap_err();
    assert!(
        matches!(err, Error::NodesAllocationFailed { nodes, bytes, .. }
            if nodes == 1 << 40 && bytes == 24 << 40),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with("could not allocate 1099511627776 nodes (26388279066624 bytes)")
    );
    // A count whose size overflows usize is the same error.
    assert!(matches!(
        Nodes::try_random(usize::MAX, &mut rng),
        Err(Error::NodesAllocationFailed {
            available: None,
            ..
        })
    ));
}

#[test]
#[should_panic(expected = "Nodes::random(1099511627776): could not allocate 1099511627776 nodes")]
fn random_panics_with_the_size_where_memory_runs_out() {
    use rand::SeedableRng;
    let _ = Nodes::random(1 << 40, &mut rand::rngs::StdRng::seed_from_u64(1));
}

#[test]
fn debug_of_a_large_matrix_is_short() {
    let nodes = Nodes::from_points(&vec![[0.5; 3]; 2000]).unwrap();
    let text = format!("{:?}", pairkernel::kernel_matrix(&nodes).unwrap());
    assert!(text.len() < 400, "{} characters", text.len());
    assert!(text.contains("rows: 2000, cols: 2000"));
}

/// A kernel that sets the plan's cancel flag when it is first evaluated: the call is then
/// cancelled during its first band, deterministically.
#[derive(Clone, Debug)]
struct SetsTheFlag(Arc<AtomicBool>);

impl RadialFunction for SetsTheFlag {
    fn lanes<V: Lanes>(&self, r2: SquaredDistance<V>) -> V {
        self.0.store(true, Ordering::Relaxed);
        r2.value()
    }
    fn reference(&self, r: f64) -> f64 {
        r * r
    }
}

#[test]
fn a_cancelled_call_stops_after_the_band_it_is_in_and_says_so() {
    let n = 256;
    let flat: Vec<f64> = (0..3 * n).map(|i| (i as f64 * 0.37).sin()).collect();
    let nodes = Nodes::from_flat(&flat, 3).unwrap();
    for threads in [1, 2] {
        for schedule in [Schedule::Rows, Schedule::Symmetric] {
            let stop = Arc::new(AtomicBool::new(false));
            let plan = Plan::new()
                .kernel(SetsTheFlag(Arc::clone(&stop)))
                .threads(threads)
                .schedule(schedule)
                .tile(8, 64)
                .cancel_on(Arc::clone(&stop));
            let mut out = vec![f64::NAN; n * n];
            let result = plan.kernel_matrix_into(&nodes, &mut out);
            assert!(matches!(result, Err(Error::Cancelled)), "{result:?}");
            let written = out.iter().filter(|v| !v.is_nan()).count();
            assert!(
                written > 0 && written < n * n / 2,
                "{threads} threads, {schedule:?}: the first bands ran, the rest were skipped ({written} of {} entries written)",
                n * n
            );
            assert!(matches!(
                plan.apply(&nodes, &vec![1.0; n], &mut vec![0.0; n]),
                Err(Error::Cancelled)
            ));
        }
    }
    // A plan whose flag is cleared runs again, with the same bits as one that never had one.
    let stop = Arc::new(AtomicBool::new(true));
    let plan = Plan::new().threads(2).cancel_on(Arc::clone(&stop));
    assert!(matches!(plan.kernel_matrix(&nodes), Err(Error::Cancelled)));
    stop.store(false, Ordering::Relaxed);
    assert_eq!(
        plan.kernel_matrix(&nodes).unwrap(),
        Plan::new().threads(2).kernel_matrix(&nodes).unwrap()
    );
    // `threads` after `cancel_on` keeps the flag.
    stop.store(true, Ordering::Relaxed);
    assert!(matches!(
        plan.threads(1).kernel_matrix(&nodes),
        Err(Error::Cancelled)
    ));
}
