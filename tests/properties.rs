//! Every fast path against the scalar reference and the exact value, under random plans.

mod common;

use common::*;
use pairkernel::{Accuracy, KernelMatrix, Nodes, Plan, reference};
use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;

/// Checks every entry of a `rows × cols` result against the exact value and the reference.
fn assert_accurate(rows: &[[f64; 3]], cols: &[[f64; 3]], got: &[f64]) -> Result<(), TestCaseError> {
    let expected = reference::cross_matrix(rows, cols);
    prop_assert_eq!(got.len(), expected.len());
    for (i, p) in rows.iter().enumerate() {
        for (j, q) in cols.iter().enumerate() {
            let entry = got[i * cols.len() + j];
            let exact = exact_phi(*p, *q);
            let from_exact = ulps_from_exact(entry, exact);
            prop_assert!(
                from_exact <= ULP_BOUND,
                "entry ({}, {}) = {:e} is {} ulp from exact, p = {:?}, q = {:?}",
                i,
                j,
                entry,
                from_exact,
                p,
                q
            );
            let from_reference = ulps_apart_of_exact(entry, expected[i * cols.len() + j], exact);
            prop_assert!(
                from_reference <= FROM_REFERENCE_ULP_BOUND,
                "entry ({}, {}) = {:e} is {} ulp from reference {:e}",
                i,
                j,
                entry,
                from_reference,
                expected[i * cols.len() + j]
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn kernel_matrix_is_accurate_symmetric_and_zero_on_the_diagonal(
        points in point_set(300),
        plan in any_plan(),
    ) {
        let nodes = Nodes::from_points(&points).unwrap();
        let d = plan.kernel_matrix(&nodes).unwrap();
        let n = points.len();
        prop_assert_eq!((d.rows(), d.cols()), (n, n));
        assert_accurate(&points, &points, d.as_slice())?;
        for i in 0..n {
            prop_assert_eq!(d[(i, i)].to_bits(), 0.0f64.to_bits(), "D[{}][{}] is not +0", i, i);
            for j in 0..i {
                prop_assert_eq!(d[(i, j)].to_bits(), d[(j, i)].to_bits(), "D[{}][{}] != D[{}][{}]", i, j, j, i);
            }
        }
    }

    #[test]
    fn every_plan_and_entry_point_gives_the_same_bits(
        points in point_set(200),
        plan in any_plan(),
        other_plan in any_plan(),
        offset in 0..8usize,
    ) {
        let nodes = Nodes::from_points(&points).unwrap();
        let n = points.len();
        let default = bits(pairkernel::kernel_matrix(&nodes).unwrap().as_slice());

        prop_assert_eq!(&bits(plan.kernel_matrix(&nodes).unwrap().as_slice()), &default);
        prop_assert_eq!(&bits(other_plan.kernel_matrix(&nodes).unwrap().as_slice()), &default);

        // `_into` overwrites whatever the buffer held (NaN here, so a missed entry shows), and
        // only that: the output is a sub-slice at any element offset (odd ones included, so
        // streaming stores meet every alignment), and the margins around it stay NaN.
        let mut padded = vec![f64::NAN; n * n + 8];
        let output = offset..offset + n * n;
        plan.kernel_matrix_into(&nodes, &mut padded[output.clone()]).unwrap();
        prop_assert_eq!(&bits(&padded[output.clone()]), &default);
        prop_assert!(padded[..offset].iter().chain(&padded[output.end..]).all(|e| e.is_nan()));
        let mut out = vec![f64::NAN; n * n];
        out.fill(f64::NAN);
        pairkernel::kernel_matrix_into(&nodes, &mut out).unwrap();
        prop_assert_eq!(&bits(&out), &default);

        // The kernel matrix is the cross matrix of a set with itself.
        prop_assert_eq!(&bits(plan.cross_matrix(&nodes, &nodes).unwrap().as_slice()), &default);
        prop_assert_eq!(&bits(pairkernel::cross_matrix(&nodes, &nodes).unwrap().as_slice()), &default);

        // from_columns builds the same nodes as from_points.
        let (x, y, z): (Vec<f64>, Vec<f64>, Vec<f64>) = (
            points.iter().map(|p| p[0]).collect(),
            points.iter().map(|p| p[1]).collect(),
            points.iter().map(|p| p[2]).collect(),
        );
        prop_assert_eq!(&Nodes::from_columns(&x, &y, &z).unwrap(), &nodes);
        prop_assert_eq!(nodes.to_points(), points);
    }

    #[test]
    fn the_fast_order_is_deterministic_symmetric_and_within_its_bound(
        points in point_set(200),
        plan in any_plan(),
    ) {
        let nodes = Nodes::from_points(&points).unwrap();
        let fast = Plan::new().threads(1).accuracy(Accuracy::Fast);
        let expected = bits(fast.kernel_matrix(&nodes).unwrap().as_slice());
        let plan = plan.accuracy(Accuracy::Fast);
        prop_assert_eq!(&bits(plan.kernel_matrix(&nodes).unwrap().as_slice()), &expected);
        prop_assert_eq!(&bits(plan.cross_matrix(&nodes, &nodes).unwrap().as_slice()), &expected);
        let n = points.len();
        for (i, p) in points.iter().enumerate() {
            for (j, q) in points.iter().enumerate() {
                let entry = f64::from_bits(expected[i * n + j]);
                prop_assert_eq!(entry.to_bits(), expected[j * n + i]);
                prop_assert!(ulps_from_exact(entry, exact_phi(*p, *q)) <= FAST_ULP_BOUND);
            }
        }
    }

    #[test]
    fn cross_matrix_matches_reference_for_any_shape(
        row_points in point_set(150),
        col_points in point_set(150),
        plan in any_plan(),
    ) {
        let rows = Nodes::from_points(&row_points).unwrap();
        let cols = Nodes::from_points(&col_points).unwrap();
        let c = plan.cross_matrix(&rows, &cols).unwrap();
        prop_assert_eq!((c.rows(), c.cols()), (row_points.len(), col_points.len()));
        assert_accurate(&row_points, &col_points, c.as_slice())?;

        let default = bits(pairkernel::cross_matrix(&rows, &cols).unwrap().as_slice());
        prop_assert_eq!(&bits(c.as_slice()), &default);
        let mut out = vec![f64::NAN; row_points.len() * col_points.len()];
        plan.cross_matrix_into(&rows, &cols, &mut out).unwrap();
        prop_assert_eq!(&bits(&out), &default);
        out.fill(f64::NAN);
        pairkernel::cross_matrix_into(&rows, &cols, &mut out).unwrap();
        prop_assert_eq!(&bits(&out), &default);

        // Swapping the sets transposes the matrix, bit for bit.
        let t = plan.cross_matrix(&cols, &rows).unwrap();
        for i in 0..row_points.len() {
            for j in 0..col_points.len() {
                prop_assert_eq!(c[(i, j)].to_bits(), t[(j, i)].to_bits());
            }
        }
    }

    #[test]
    fn phi_equals_the_entry_of_nodes_apart_along_one_axis(
        r in 0.0..1e4f64,
        axis in 0..3usize,
        start in coordinate(),
    ) {
        // Where the difference r is exact (always from the origin; from `start` when the
        // two-sum's remainder is zero), the kernel's r² is r·r plus its exact rounding error,
        // and sqrt(RN(r·r)) == r in binary floating point: the entry and phi(r) go through the
        // same operations on the same values.
        let p = [start, 0.0, 0.0];
        let mut q = p;
        q[axis] += r;
        let difference = twofloat::TwoFloat::new_sub(q[axis], p[axis]);
        let r = difference.hi().abs();
        let nodes = Nodes::from_points(&[p, q]).unwrap();
        let d = pairkernel::kernel_matrix(&nodes).unwrap();
        if difference.lo() == 0.0 {
            prop_assert_eq!(d[(0, 1)].to_bits(), pairkernel::phi(r).to_bits());
        }
        prop_assert!(ulps_from_exact(d[(0, 1)], exact_phi(p, q)) <= ULP_BOUND);
        let mut on_axis = [0.0; 3];
        on_axis[axis] = r;
        let from_origin = pairkernel::kernel_matrix(&Nodes::from_points(&[[0.0; 3], on_axis]).unwrap()).unwrap();
        prop_assert_eq!(from_origin[(0, 1)].to_bits(), pairkernel::phi(r).to_bits());
        prop_assert!(ulps_from_exact(pairkernel::phi(r), exact_phi([0.0; 3], [r, 0.0, 0.0])) <= ULP_BOUND);
    }
}

#[test]
fn awkward_sizes_agree_bitwise_under_every_plan() {
    // Built once: plans with threads >= 2 start their pools on first use and keep them.
    let plans = awkward_plans();
    for &n in AWKWARD_SIZES {
        let nodes = Nodes::random(n, &mut StdRng::seed_from_u64(n as u64));
        let expected = serial_bits(&nodes);
        let points = nodes.to_points();
        for (i, (&got, want)) in expected
            .iter()
            .zip(reference::kernel_matrix(&points))
            .enumerate()
        {
            let got = f64::from_bits(got);
            let exact = exact_phi(points[i / n], points[i % n]);
            assert!(
                ulps_from_exact(got, exact) <= ULP_BOUND
                    && ulps_apart_of_exact(got, want, exact) <= FROM_REFERENCE_ULP_BOUND,
                "n = {n}, entry {i}: {got:e} vs {want:e}"
            );
        }
        // Cross matrices with one side of an awkward size, against a set of 6 nodes.
        let six = Nodes::random(6, &mut StdRng::seed_from_u64(6000 + n as u64));
        let cross_expected = serial_cross_bits(&nodes, &six);
        let cross_t_expected = serial_cross_bits(&six, &nodes);
        let fast_expected = bits(
            Plan::new()
                .threads(1)
                .accuracy(Accuracy::Fast)
                .kernel_matrix(&nodes)
                .unwrap()
                .as_slice(),
        );
        for plan in &plans {
            let fast = plan.clone().accuracy(Accuracy::Fast);
            let mut out = vec![f64::NAN; n * n];
            fast.kernel_matrix_into(&nodes, &mut out).unwrap();
            assert_eq!(bits(&out), fast_expected, "n = {n}, {fast:?}");
            let mut out = vec![f64::NAN; n * n];
            plan.kernel_matrix_into(&nodes, &mut out).unwrap();
            assert_eq!(bits(&out), expected, "n = {n}, {plan:?}");
            assert_eq!(
                bits(plan.cross_matrix(&nodes, &six).unwrap().as_slice()),
                cross_expected,
                "n = {n}, {plan:?}"
            );
            assert_eq!(
                bits(plan.cross_matrix(&six, &nodes).unwrap().as_slice()),
                cross_t_expected,
                "n = {n}, {plan:?}"
            );
        }
    }
}

#[test]
fn a_plan_used_from_several_threads_at_once_gives_the_same_bits() {
    let nodes = Nodes::random(300, &mut StdRng::seed_from_u64(300));
    let plan = Plan::new().threads(2).tile(7, 33);
    let expected = serial_bits(&nodes);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| bits(plan.clone().kernel_matrix(&nodes).unwrap().as_slice())))
            .collect();
        for handle in handles {
            assert_eq!(handle.join().unwrap(), expected);
        }
    });
}

#[test]
fn large_reused_matrices_take_every_store_path_with_the_same_bits() {
    // 520 × 520 entries are 2.1 MB: a `KernelMatrix` that large is a 2 MiB aligned mapping,
    // its rows 64-byte aligned (520 is a multiple of 8), so streaming stores write whole cache
    // lines (the path `Stores::Auto` takes for such outputs larger than the last-level cache).
    // 1031 × 1031 has rows at every alignment: streaming meets aligned and unaligned lane
    // groups alike.
    for n in [520, 1031] {
        let nodes = Nodes::random(n, &mut StdRng::seed_from_u64(n as u64));
        let expected = serial_bits(&nodes);
        let mut reused = KernelMatrix::zeros(n, n).unwrap();
        for threads in [1, 2] {
            for schedule in SCHEDULES {
                for stores in STORES {
                    let plan = Plan::new()
                        .threads(threads)
                        .schedule(schedule)
                        .stores(stores);
                    reused.as_mut_slice().fill(f64::NAN);
                    plan.kernel_matrix_into(&nodes, reused.as_mut_slice())
                        .unwrap();
                    assert_eq!(bits(reused.as_slice()), expected, "n = {n}, {plan:?}");
                    let mut odd = vec![f64::NAN; n * n + 1];
                    plan.kernel_matrix_into(&nodes, &mut odd[1..]).unwrap();
                    assert_eq!(bits(&odd[1..]), expected, "n = {n}, {plan:?}, offset 1");
                }
            }
        }
    }
}

#[test]
fn the_floor_fill_writes_every_entry_through_every_store_path() {
    for (rows, cols) in [(0, 0), (0, 5), (1, 1), (3, 7), (64, 64), (530, 531)] {
        for stores in STORES {
            for threads in [1, 2] {
                let plan = Plan::new().threads(threads).stores(stores);
                let mut matrix = KernelMatrix::zeros(rows, cols).unwrap();
                plan.fill_floor(matrix.as_mut_slice(), cols).unwrap();
                assert!(
                    matrix.as_slice().iter().all(|&e| e == 1.0),
                    "{rows} x {cols}"
                );
                let mut odd = vec![0.0; rows * cols + 1];
                plan.fill_floor(&mut odd[1..], cols).unwrap();
                assert!(odd[1..].iter().all(|&e| e == 1.0) && odd[0] == 0.0);
            }
        }
    }
}
